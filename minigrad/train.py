"""The fit loop: epochs of mini-batch steps, metrics per epoch, early stopping, checkpoints.

``fit`` is the loop every user writes by hand (forward, loss, zero_grad, backward, step),
plus the things a hand-written loop usually gets wrong: a diverging loss stops training
with a clear message instead of printing ``nan`` forever, and a checkpoint holds everything
the run depends on (parameters, optimizer and scheduler state, the shuffling and dropout
random generators, the history), so a resumed run is bit for bit the uninterrupted one.
"""
from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from minigrad.autograd import no_grad
from minigrad.data.loader import check_class_indices, check_samples
from minigrad.tensor import Tensor

LossFn = Callable[[Tensor, np.ndarray], Tensor]
# A callback sees the history after each epoch; returning True stops training.
Callback = Callable[["History"], "bool | None"]


class DivergenceError(FloatingPointError):
    """The training loss became NaN or infinite; the message names epoch, step and lr."""


class CheckpointError(ValueError):
    """A checkpoint cannot be resumed into this model / optimizer; nothing was changed."""


# ---- history ------------------------------------------------------------------------------

@dataclass
class History:
    """Per-epoch metrics of a ``fit`` run, one list entry per epoch.

    ``val_loss`` and ``val_accuracy`` stay empty when ``fit`` had no validation data.
    ``lr`` is the learning rate the epoch's steps used; ``seconds`` the time of its steps.
    """

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    stopped_early: bool = False

    COLUMNS = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds")

    def __len__(self) -> int:
        return len(self.epoch)

    def last(self) -> dict[str, float]:
        """The latest epoch's metrics as a dict (only the columns that have values)."""
        return {name: getattr(self, name)[-1] for name in self.COLUMNS if getattr(self, name)}

    def to_dict(self) -> dict[str, Any]:
        """Plain lists, ready for ``json.dumps``."""
        result: dict[str, Any] = {name: list(getattr(self, name)) for name in self.COLUMNS}
        result["stopped_early"] = self.stopped_early
        return result

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {name: np.asarray(getattr(self, name), dtype=np.int64 if name == "epoch" else np.float64)
                for name in self.COLUMNS}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "History":
        history = cls()
        for name in cls.COLUMNS:
            setattr(history, name, [value.item() for value in np.asarray(arrays[name])])
        return history

    def __repr__(self) -> str:
        if not self.epoch:
            return "History(0 epochs)"
        latest = ", ".join(f"{k}={v:.4g}" for k, v in self.last().items() if k != "epoch")
        return f"History({len(self)} epochs; last: {latest})"


# ---- early stopping --------------------------------------------------------------------

_MONITORS = {"val_loss": min, "val_accuracy": max, "train_loss": min, "train_accuracy": max}


class EarlyStopping:
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    Its state is read off the history (so it survives a resume unchanged); with
    ``restore_best=True`` the model gets back the parameters of its best epoch when it stops.
    """

    def __init__(self, patience: int = 5, monitor: str = "val_loss", min_delta: float = 0.0,
                 restore_best: bool = True):
        if monitor not in _MONITORS:
            raise ValueError(f"unknown monitor {monitor!r}; choose one of: {', '.join(_MONITORS)}")
        if patience < 1:
            raise ValueError(f"patience must be at least 1 epoch, got {patience}")
        self.patience = patience
        self.monitor = monitor
        self.min_delta = min_delta
        self.restore_best = restore_best

    def best_index(self, history: History) -> int:
        """The index of the best epoch so far: the last one that improved by more than min_delta."""
        values = getattr(history, self.monitor)
        sign = 1.0 if _MONITORS[self.monitor] is min else -1.0
        best_index, best = 0, sign * values[0]
        for index, value in enumerate(values[1:], start=1):
            if sign * value < best - self.min_delta:
                best_index, best = index, sign * value
        return best_index

    def should_stop(self, history: History) -> bool:
        return len(history) - 1 - self.best_index(history) >= self.patience

    def __repr__(self) -> str:
        return f"EarlyStopping(patience={self.patience}, monitor={self.monitor!r}, min_delta={self.min_delta})"


# ---- evaluation ------------------------------------------------------------------------

def _default_loss() -> LossFn:
    from minigrad.nn.functional import cross_entropy
    return cross_entropy


def _logits(model, X: np.ndarray, batch_size: int | None) -> np.ndarray:
    """The model's outputs on X in eval mode without a graph; the train/eval mode is restored."""
    was_training = getattr(model, "training", True)
    model.eval()
    try:
        with no_grad():
            if batch_size is None or batch_size >= len(X):
                return model(Tensor(X)).data
            return np.concatenate([model(Tensor(X[i:i + batch_size])).data for i in range(0, len(X), batch_size)])
    finally:
        if was_training:
            model.train()


def _as_features(X: Any) -> np.ndarray:
    features = np.ascontiguousarray(X.data if isinstance(X, Tensor) else X, dtype=np.float32)
    check_samples(features)
    return features


def _as_labelled_samples(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """(float32 features, int64 class indices), checked as a DataLoader checks them: float
    labels are refused, not truncated into other classes."""
    features = _as_features(X)
    labels = np.asarray(y.data if isinstance(y, Tensor) else y)
    check_samples(features, labels)
    check_class_indices(labels)
    return features, labels.astype(np.int64, copy=False)


def evaluate(model, X: Any, y: Any, loss_fn: LossFn | None = None, batch_size: int | None = None) -> dict[str, float]:
    """Mean loss and accuracy of ``model`` on ``(X, y)``, in eval mode, without recording a graph.

    ``y`` holds integer class indices, one per row of ``X`` (TypeError for float labels).
    """
    features, labels = _as_labelled_samples(X, y)
    loss_fn = loss_fn or _default_loss()
    logits = _logits(model, features, batch_size)
    with no_grad():
        loss = float(loss_fn(Tensor(logits), labels).data)
    accuracy = float((logits.argmax(axis=1) == labels).mean())
    return {"loss": loss, "accuracy": accuracy}


def predict(model, X: Any, batch_size: int | None = None) -> np.ndarray:
    """The predicted class index of each row of X (int64)."""
    return _logits(model, _as_features(X), batch_size).argmax(axis=1).astype(np.int64)


def predict_proba(model, X: Any, batch_size: int | None = None) -> np.ndarray:
    """Class probabilities (the softmax of the model's outputs), one row per sample."""
    logits = _logits(model, _as_features(X), batch_size).astype(np.float64)
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


# ---- progress --------------------------------------------------------------------------

class ProgressBar:
    """One line redrawn in place while an epoch runs, then a one-line summary per epoch.

    Drawn only on a terminal, at most ten times a second, so that it costs nothing on the
    hot path and leaves logs and pipes clean.
    """

    WIDTH = 24

    def __init__(self, epochs: int, stream=None):
        self.epochs = epochs
        self.stream = stream or sys.stdout
        self._next_draw = 0.0

    def step(self, epoch: int, step: int, steps: int, loss: float) -> None:
        now = time.perf_counter()
        if now < self._next_draw and step != steps:
            return
        self._next_draw = now + 0.1
        filled = self.WIDTH * step // steps
        bar = "=" * filled + ">" * (filled < self.WIDTH) + " " * (self.WIDTH - filled - 1)
        self.stream.write(f"\repoch {epoch}/{self.epochs} [{bar}] {step}/{steps} loss {loss:.4f}")
        self.stream.flush()

    def epoch_done(self, history: History) -> None:
        self.stream.write("\r\033[K" + format_epoch(history, self.epochs) + "\n")
        self.stream.flush()


def format_epoch(history: History, epochs: int) -> str:
    """One line summarizing the latest epoch of ``history``."""
    last = history.last()
    parts = [f"epoch {last['epoch']:>{len(str(epochs))}}/{epochs}", f"loss {last['train_loss']:.4f}",
             f"acc {last['train_accuracy']:.4f}"]
    if "val_loss" in last:
        parts += [f"val_loss {last['val_loss']:.4f}", f"val_acc {last['val_accuracy']:.4f}"]
    parts += [f"lr {last['lr']:.3g}", f"{last['seconds']:.2f}s"]
    return "  ".join(parts)


def _wants_progress(progress: bool) -> bool:
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(progress and isatty is not None and isatty())


# ---- the loop --------------------------------------------------------------------------

def fit(model, optimizer, train_loader, epochs: int, loss_fn: LossFn | None = None,
        val_data: tuple[Any, Any] | None = None, scheduler=None,
        callbacks: Sequence[Callback] | None = None, progress: bool = True,
        early_stopping: EarlyStopping | None = None,
        checkpoint: str | os.PathLike | None = None, resume: str | os.PathLike | None = None,
        checkpoint_metadata: dict | None = None) -> History:
    """Train ``model`` for ``epochs`` epochs over ``train_loader``; return the ``History``.

    Each step is ``zero_grad; loss_fn(model(X), y).backward(); optimizer.step()``; the
    scheduler, if any, steps once per epoch. ``val_data=(X, y)`` is evaluated after each
    epoch. ``callbacks`` are called with the history after each epoch (True stops).
    ``checkpoint=PATH`` saves a checkpoint after every epoch; ``resume=PATH`` loads one and
    continues from the epoch after it up to ``epochs`` (the total, not a count of more).
    ``checkpoint_metadata``, a dict of JSON values (say, the options that made the run), is
    saved in every checkpoint; ``read_checkpoint_info`` reads it back.

    Every argument is checked before the first step, the checkpoint's folder included (a
    run must not train for an hour and then find it cannot save), so a bad one raises with
    the model, optimizer and loader untouched. A non-finite loss raises ``DivergenceError``
    before the step that would spread it.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)):
        raise TypeError(f"epochs must be a whole number of epochs (an int), got {epochs!r}")
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}")
    if len(train_loader) == 0:
        raise ValueError(f"the training loader yields no batches ({train_loader!r})")
    if early_stopping is not None and early_stopping.monitor.startswith("val_") and val_data is None:
        raise ValueError(f"early stopping on {early_stopping.monitor!r} needs val_data")
    if val_data is not None:
        if not isinstance(val_data, (tuple, list)) or len(val_data) != 2:
            raise TypeError(f"val_data must be an (X, y) pair, got {type(val_data).__name__}")
        val_data = _as_labelled_samples(*val_data)
    if checkpoint is not None:
        from minigrad.io import check_output_path
        check_output_path(checkpoint)
    if checkpoint_metadata is not None:
        _check_metadata(checkpoint_metadata)
    loss_fn = loss_fn or _default_loss()
    callbacks = list(callbacks or [])
    history, best_state = History(), None
    if resume is not None:
        history, best_state = load_checkpoint(resume, model, optimizer, scheduler, train_loader)
    bar = ProgressBar(epochs) if _wants_progress(progress) else None

    # Overflow on the way to a diverging loss is reported once, by DivergenceError,
    # rather than as a stream of NumPy warnings.
    with np.errstate(over="ignore", invalid="ignore"):
        _run_epochs(model, optimizer, train_loader, loss_fn, range(len(history) + 1, epochs + 1), history,
                    bar, val_data, scheduler, early_stopping, best_state, checkpoint, checkpoint_metadata,
                    callbacks)
    return history


def _run_epochs(model, optimizer, train_loader, loss_fn, epochs, history, bar, val_data, scheduler,
                early_stopping, best_state, checkpoint, checkpoint_metadata, callbacks) -> None:
    for epoch in epochs:
        _train_one_epoch(model, optimizer, train_loader, loss_fn, epoch, history, bar)
        if val_data is not None:
            metrics = evaluate(model, val_data[0], val_data[1], loss_fn)
            history.val_loss.append(metrics["loss"])
            history.val_accuracy.append(metrics["accuracy"])
        if scheduler is not None:
            _step_scheduler(scheduler, history)
        stop = False
        if early_stopping is not None:
            if early_stopping.best_index(history) == len(history) - 1 and early_stopping.restore_best:
                best_state = _copy_state(model.state_dict())
            stop = early_stopping.should_stop(history)
        if checkpoint is not None:
            save_checkpoint(checkpoint, model, optimizer, scheduler, train_loader, history, best_state,
                            checkpoint_metadata)
        if bar is not None:
            bar.epoch_done(history)
        for callback in callbacks:
            stop = bool(callback(history)) or stop
        if stop:
            history.stopped_early = True
            if early_stopping is not None and early_stopping.restore_best and best_state is not None:
                model.load_state_dict(best_state)
            break


def _step_scheduler(scheduler, history: History) -> None:
    """Schedules step once per epoch; ReduceLROnPlateau also needs the loss it watches."""
    from minigrad.optim.lr_scheduler import ReduceLROnPlateau

    if isinstance(scheduler, ReduceLROnPlateau):
        scheduler.step(history.val_loss[-1] if history.val_loss else history.train_loss[-1])
    else:
        scheduler.step()


def _train_one_epoch(model, optimizer, loader, loss_fn: LossFn, epoch: int, history: History,
                     bar: ProgressBar | None) -> None:
    model.train()
    lr = current_lr(optimizer)
    steps = len(loader)
    loss_sum, correct, seen, seconds = 0.0, 0, 0, 0.0
    started = time.perf_counter()
    for step, (xb, yb) in enumerate(loader, start=1):
        logits = model(Tensor(xb))
        loss = loss_fn(logits, yb)
        value = float(loss.data)
        if not math.isfinite(value):
            raise DivergenceError(
                f"training diverged: the loss is {value} at epoch {epoch}, step {step} of {steps} "
                f"(lr={lr:g}). The learning rate is probably too large for this model and data: "
                f"try a smaller one, e.g. lr={lr / 10:g}."
            )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss_sum += value * len(yb)
        correct += int((logits.data.argmax(axis=1) == yb).sum())
        seen += len(yb)
        if bar is not None:
            bar.step(epoch, step, steps, loss_sum / seen)
    seconds = time.perf_counter() - started
    history.epoch.append(epoch)
    history.train_loss.append(loss_sum / seen)
    history.train_accuracy.append(correct / seen)
    history.lr.append(lr)
    history.seconds.append(seconds)


def current_lr(optimizer) -> float:
    """The learning rate of the optimizer's first parameter group."""
    return float(optimizer.param_groups[0]["lr"])


def _copy_state(state: dict) -> dict:
    return {name: np.array(value, copy=True) for name, value in state.items()}


# ---- checkpoints -----------------------------------------------------------------------
#
# One .npz holds the whole run. Model parameters are stored as named arrays ("model/<name>");
# the optimizer's, scheduler's and loader's state dicts are nested Python structures, stored
# as one JSON text each whose arrays are replaced by references to arrays of the archive
# (no pickle, so a checkpoint is safe to load). Random generators are saved by their exact
# bit-generator state, which is what makes a resumed run identical to an uninterrupted one.

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
    was trained for, its optimizer's class name and the metadata saved with it."""

    path: str
    epochs: int
    optimizer: str
    metadata: dict = field(default_factory=dict)


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
    if saved.info.optimizer != type(optimizer).__name__:
        raise CheckpointError(f"checkpoint {where!r} was saved with the {saved.info.optimizer} optimizer, "
                              f"but this run uses {type(optimizer).__name__}")
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
    info = CheckpointInfo(where, len(history), str(arrays["optimizer/class"]), metadata)
    return _Checkpoint(info, _section(arrays, "model/"), _section(arrays, "best_model/") or None, parts, history)


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


# ---- ready-made choices for the command line and the examples --------------------------

# Learning rates that train an MLP on the standardized bundled datasets well (batch 64):
# plain SGD needs a large step, the adaptive methods a small one.
DEFAULT_LR = {"sgd": 0.1, "momentum": 0.02, "adagrad": 0.05, "rmsprop": 0.001, "adam": 0.001}
OPTIMIZERS = tuple(DEFAULT_LR)


def make_optimizer(name: str, parameters: Iterable, lr: float | None = None):
    """The optimizer called ``name`` (one of ``OPTIMIZERS``) at ``lr`` or its default lr."""
    from minigrad import optim

    classes = {"sgd": optim.SGD, "momentum": optim.Momentum, "adagrad": optim.AdaGrad,
               "rmsprop": optim.RMSProp, "adam": optim.Adam}
    if name not in classes:
        raise ValueError(f"unknown optimizer {name!r}; choose one of: {', '.join(classes)}")
    return classes[name](parameters, lr=DEFAULT_LR[name] if lr is None else lr)


def default_epochs(n_samples: int, batch_size: int, min_steps: int = 600, min_epochs: int = 30) -> int:
    """Enough epochs for about ``min_steps`` optimizer steps, and at least ``min_epochs``.

    Small datasets give few steps per epoch (iris at batch 64: two), so they need more epochs
    to learn as much as digits does in 30.
    """
    steps_per_epoch = -(-n_samples // batch_size)
    return max(min_epochs, -(-min_steps // steps_per_epoch))


def single_threaded_blas():
    """A context manager limiting BLAS to one thread (a no-op without threadpoolctl).

    The matrices of small MLPs are far too small for threads to pay: on a busy machine,
    OpenBLAS' threads waiting for each other made a digits epoch ten times slower than one
    thread. The command line trains inside it; wrap your own loops in it likewise.
    """
    import contextlib

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")
