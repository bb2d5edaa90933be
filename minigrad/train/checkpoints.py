"""Checkpoints: one ``.npz`` file holding everything a resumed run needs.

Model parameters are stored as named arrays ("model/<name>"); the optimizer's, scheduler's
and loader's state dicts are nested Python structures, stored as one JSON text each whose
arrays are replaced by references to arrays of the archive (no pickle, so a checkpoint is
safe to load). Random generators are saved by their exact bit-generator state, which is
what makes a resumed run identical to an uninterrupted one.

A checkpoint is read and checked whole before anything is restored from it, and a restore
that still fails midway is rolled back: on any error the objects are as they were.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minigrad.optim import registry
from minigrad.train.history import History


class CheckpointError(ValueError):
    """A checkpoint cannot be resumed into this model / optimizer; nothing was changed."""


CHECKPOINT_FORMAT = "minigrad-checkpoint-1"
# The parts every checkpoint has; the scheduler's, the loader's and the metadata are optional.
_REQUIRED_PARTS = ("epoch", "optimizer/class", "optimizer/json", "model_rngs/json")
_JSON_PARTS = ("optimizer", "model_rngs", "scheduler", "loader", "metadata")


def save_checkpoint(path: str | os.PathLike, model, optimizer, scheduler=None, loader=None,
                    history: History | None = None, best_state: dict | None = None,
                    metadata: dict | None = None) -> None:
    """Write everything a resumed run needs to ``path``, atomically (see ``minigrad.io``).

    ``metadata`` is a dict of JSON values kept with the run (``read_checkpoint_info``).
    """
    from minigrad.io import save_npz

    history = history or History()
    arrays: dict[str, Any] = {"format": np.array(CHECKPOINT_FORMAT), "epoch": np.array(len(history))}
    for name, value in model.state_dict().items():
        arrays[f"model/{name}"] = value
    for name, value in (best_state or {}).items():
        arrays[f"best_model/{name}"] = value
    arrays["optimizer/class"] = np.array(type(optimizer).__name__)
    arrays["optimizer/name"] = np.array(registry.name_of(optimizer))  # the registry's (CLI) name
    parts = {"optimizer": optimizer.state_dict(), "model_rngs": _rng_states(model)}
    if scheduler is not None:
        parts["scheduler"] = scheduler.state_dict()
    if loader is not None and hasattr(loader, "state_dict"):
        parts["loader"] = loader.state_dict()
    if metadata is not None:
        _check_metadata(metadata)
        parts["metadata"] = metadata
    for part, state in parts.items():
        arrays[f"{part}/json"] = np.array(_pack(state, part, arrays))
    for name, column in history.to_arrays().items():
        arrays[f"history/{name}"] = column
    save_npz(path, arrays)


def _check_metadata(metadata: Any) -> None:
    import json

    if not isinstance(metadata, dict):
        raise TypeError(f"checkpoint metadata must be a dict, got {type(metadata).__name__}")
    try:
        json.dumps(metadata)
    except (TypeError, ValueError) as error:
        raise TypeError(f"checkpoint metadata must hold JSON values only: {error}") from None


@dataclass
class CheckpointInfo:
    """What a checkpoint says about its run, read without touching any model: the epochs it
    was trained for, its optimizer's class name, the metadata saved with it and the
    optimizer's registry name (``"adamw"``; for a checkpoint written before the registry
    recorded it, the registry name of its class, or the class name if unregistered)."""

    path: str
    epochs: int
    optimizer: str
    metadata: dict = field(default_factory=dict)
    optimizer_name: str = ""


@dataclass
class _Checkpoint:
    """A checkpoint read and checked whole, before anything is restored from it."""

    info: CheckpointInfo
    model_state: dict[str, np.ndarray]
    best_state: dict[str, np.ndarray] | None
    parts: dict[str, Any]
    history: History


def read_checkpoint_info(path: str | os.PathLike) -> CheckpointInfo:
    """Read and check the whole checkpoint at ``path``; return what it says about its run.

    Raises FileNotFoundError if there is no such file and CheckpointError, naming the file
    and the problem, if it is damaged or incomplete.
    """
    return _read_checkpoint(path).info


def load_checkpoint(path: str | os.PathLike, model, optimizer, scheduler=None, loader=None
                    ) -> tuple[History, dict | None]:
    """Restore model, optimizer, scheduler and loader from ``path``; return (history, best_state).

    The whole file is read and checked first (a damaged or incomplete checkpoint raises
    CheckpointError naming it and what is wrong), then checked against the objects; only
    then is anything changed. If restoring still fails midway, what was already restored
    is rolled back, so on any error the objects are as they were.
    """
    saved = _read_checkpoint(path)
    where = saved.info.path
    _check_same_architecture(where, saved.model_state, model.state_dict())
    if saved.info.optimizer_name != registry.name_of(optimizer):
        raise CheckpointError(f"checkpoint {where!r} was saved with the {saved.info.optimizer} optimizer, "
                              f"but this run uses {type(optimizer).__name__} (registry names "
                              f"{saved.info.optimizer_name!r} and {registry.name_of(optimizer)!r})")
    if (scheduler is None) != ("scheduler" not in saved.parts):
        has = "a" if "scheduler" in saved.parts else "no"
        raise CheckpointError(f"checkpoint {where!r} has {has} learning-rate scheduler, "
                              f"this run has {'none' if scheduler is None else type(scheduler).__name__}")

    targets = [("model", model, saved.model_state), ("optimizer", optimizer, saved.parts["optimizer"])]
    if scheduler is not None:
        targets.append(("scheduler", scheduler, saved.parts["scheduler"]))
    if loader is not None and "loader" in saved.parts:
        targets.append(("loader", loader, saved.parts["loader"]))
    before = [(obj, _deep_copy(obj.state_dict())) for _, obj, _ in targets]
    rngs_before = _rng_states(model)
    try:
        for part, obj, state in targets:
            try:
                obj.load_state_dict(_deep_copy(state))
            except Exception as error:
                raise CheckpointError(f"cannot restore the {part} from {where!r}: {error}") from error
        _set_rng_states(model, saved.parts["model_rngs"])
    except BaseException:
        for obj, state in before:
            obj.load_state_dict(state)
        _set_rng_states(model, rngs_before)
        raise
    return saved.history, saved.best_state


def _read_checkpoint(path: str | os.PathLike) -> _Checkpoint:
    from minigrad.io import load_npz

    where = os.fspath(path)
    if os.path.isdir(where):
        raise IsADirectoryError(f"cannot resume: {where!r} is a directory, not a checkpoint file")
    if not os.path.isfile(where):
        raise FileNotFoundError(f"cannot resume: checkpoint file {where!r} does not exist")
    try:
        arrays = load_npz(where)
    except ValueError as error:
        raise CheckpointError(f"cannot resume: {error}") from None
    if str(arrays.get("format", "")) != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{where!r} is not a minigrad training checkpoint")
    missing = [key for key in _REQUIRED_PARTS if key not in arrays]
    missing += [f"history/{name}" for name in History.COLUMNS if f"history/{name}" not in arrays]
    if missing:
        raise CheckpointError(f"checkpoint {where!r} is incomplete: it has no {', '.join(map(repr, missing))}")
    parts = {}
    for part in _JSON_PARTS:
        if f"{part}/json" in arrays:
            try:
                parts[part] = _unpack(arrays, part)
            except (ValueError, KeyError, TypeError) as error:  # JSONDecodeError is a ValueError
                raise CheckpointError(f"checkpoint {where!r} is damaged: its '{part}/json' cannot be "
                                      f"read ({type(error).__name__}: {error})") from None
    history = _read_history(where, arrays)
    metadata = parts.get("metadata", {})
    if not isinstance(metadata, dict):
        raise CheckpointError(f"checkpoint {where!r} is damaged: its metadata is not a dict")
    class_name = str(arrays["optimizer/class"])
    info = CheckpointInfo(where, len(history), class_name, metadata, _optimizer_name(arrays, class_name))
    return _Checkpoint(info, _section(arrays, "model/"), _section(arrays, "best_model/") or None, parts, history)


def _optimizer_name(arrays: dict, class_name: str) -> str:
    """The registry name recorded, or (older checkpoints) the one of the recorded class."""
    if "optimizer/name" in arrays:
        return str(arrays["optimizer/name"])
    from minigrad import optim

    cls = getattr(optim, class_name, None)
    return registry.name_of(cls) if isinstance(cls, type) else class_name


def _read_history(where: str, arrays: dict) -> History:
    """The history, checked: every column one entry per epoch (the validation columns may
    be empty: a run without validation data), epochs numbered 1, 2, ..."""
    columns = _section(arrays, "history/")
    epochs = np.asarray(arrays["epoch"])
    if epochs.shape != () or epochs.dtype.kind not in "iu" or epochs < 0:
        raise CheckpointError(f"checkpoint {where!r} is damaged: its epoch count is {epochs!r}")
    n = int(epochs)
    for name in History.COLUMNS:
        column = np.asarray(columns[name])
        allowed = (0, n) if name.startswith("val_") else (n,)
        if column.ndim != 1 or column.dtype.kind not in "iuf" or len(column) not in allowed:
            raise CheckpointError(
                f"checkpoint {where!r} has an inconsistent history: column {name!r} has "
                f"{len(column) if column.ndim == 1 else column.shape} entries for {n} epochs")
    if len(columns["val_loss"]) != len(columns["val_accuracy"]):
        raise CheckpointError(f"checkpoint {where!r} has an inconsistent history: 'val_loss' and "
                              f"'val_accuracy' have {len(columns['val_loss'])} and "
                              f"{len(columns['val_accuracy'])} entries")
    if not np.array_equal(columns["epoch"], np.arange(1, n + 1)):
        raise CheckpointError(f"checkpoint {where!r} has an inconsistent history: its epochs are "
                              f"{columns['epoch'].tolist()}, not 1 to {n}")
    return History.from_arrays(columns)


def _section(arrays: dict, prefix: str) -> dict[str, np.ndarray]:
    return {key[len(prefix):]: value for key, value in arrays.items() if key.startswith(prefix)}


def _check_same_architecture(path, saved: dict, current: dict) -> None:
    where = os.fspath(path)
    missing = [name for name in current if name not in saved]
    unexpected = [name for name in saved if name not in current]
    if missing or unexpected:
        raise CheckpointError(
            f"checkpoint {where!r} was saved from a different model: parameters missing from it "
            f"{missing}, parameters this model does not have {unexpected}"
        )
    for name, value in current.items():
        if np.shape(saved[name]) != np.shape(value):
            raise CheckpointError(
                f"checkpoint {where!r} was saved from a different model: {name!r} has shape "
                f"{np.shape(saved[name])} there and {np.shape(value)} here"
            )


# Nested state <-> JSON text plus arrays. Dicts become lists of [key, value] pairs because
# optimizer state is keyed by integers, which JSON objects cannot keep.
def _pack(value: Any, prefix: str, arrays: dict) -> str:
    import json

    count = 0

    def encode(item):
        nonlocal count
        if isinstance(item, np.ndarray):
            key = f"{prefix}/array_{count}"
            count += 1
            arrays[key] = item
            return {"__array__": key}
        if isinstance(item, dict):
            return {"__dict__": [[encode(k), encode(v)] for k, v in item.items()]}
        if isinstance(item, tuple):
            return {"__tuple__": [encode(v) for v in item]}
        if isinstance(item, list):
            return [encode(v) for v in item]
        if isinstance(item, np.generic):
            return {"__scalar__": item.dtype.str, "value": item.item()}
        if item is None or isinstance(item, (bool, int, float, str)):
            return item
        raise TypeError(f"cannot save a {type(item).__name__} in a checkpoint ({item!r:.60})")

    return json.dumps(encode(value))


def _unpack(arrays: dict, part: str) -> Any:
    import json

    def decode(item):
        if isinstance(item, list):
            return [decode(v) for v in item]
        if isinstance(item, dict):
            if "__array__" in item:
                return np.array(arrays[item["__array__"]], copy=True)
            if "__dict__" in item:
                return {_hashable(decode(k)): decode(v) for k, v in item["__dict__"]}
            if "__tuple__" in item:
                return tuple(decode(v) for v in item["__tuple__"])
            if "__scalar__" in item:
                return np.dtype(item["__scalar__"]).type(item["value"])
        return item

    return decode(json.loads(str(arrays[f"{part}/json"])))


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key


def _deep_copy(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_deep_copy(v) for v in value)
    return value


# Random generators inside the model (dropout's) are found by walking its attributes, so a
# checkpoint captures them whatever module holds them.
def _model_generators(model) -> dict[str, np.random.Generator]:
    from minigrad.nn import Module

    found: dict[str, np.random.Generator] = {}
    seen: set[int] = set()
    stack: list[tuple[str, Any]] = [("", model)]
    while stack:
        path, obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, np.random.Generator):
            found[path] = obj
        elif isinstance(obj, (list, tuple)):
            stack.extend((f"{path}.{i}", item) for i, item in enumerate(obj))
        elif isinstance(obj, dict):
            stack.extend((f"{path}.{k}", item) for k, item in obj.items())
        elif obj is model or isinstance(obj, Module):
            stack.extend((f"{path}.{k}", item) for k, item in vars(obj).items())
    return found


def _rng_states(model) -> dict[str, dict]:
    return {path: rng.bit_generator.state for path, rng in _model_generators(model).items()}


def _set_rng_states(model, states: dict[str, dict]) -> None:
    generators = _model_generators(model)
    for path, state in states.items():
        if path in generators:
            generators[path].bit_generator.state = state
