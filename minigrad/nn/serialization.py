"""``save`` and ``load``: state dicts to one file and back, in a format that runs no code.

``torch.save`` pickles, and loading a pickle can run anything. minigrad writes a NumPy
``.npz`` archive instead: every array (and every Tensor's data) is one ``.npy`` member,
read back with ``allow_pickle=False``, and everything else of the object (the nesting of
dicts, lists and tuples, their keys, numbers, strings, None, which arrays were Tensors or
Parameters) is one JSON text stored in the archive as a string array. So a model's
``state_dict()``, an optimizer's (integer keys, tuples of betas, per-parameter state), a
scheduler's, or any nesting of them round-trips exactly, and a file from elsewhere can
at worst fail to load.

    >>> import os, tempfile
    >>> import numpy as np
    >>> from minigrad import nn
    >>> path = os.path.join(tempfile.mkdtemp(), "run.pt")
    >>> save({"model": {"weight": np.eye(2)}, "step": 3, "betas": (0.9, 0.999)}, path)
    >>> load(path)["betas"]
    (0.9, 0.999)

A save is atomic (``minigrad.io.atomic_write``): an interrupted or failed save leaves the
previous file as it was and no partial file. An unreadable file (truncated, corrupt, not
an archive) raises ValueError naming it. Arrays of a top-level dict keep their keys as
member names, so ``np.load(path)["0.weight"]`` reads a saved state dict directly, and a
plain ``.npz`` of named arrays (``minigrad.io.save_npz``, earlier ``Module.save`` files)
loads as a dict of arrays.
"""
from __future__ import annotations

import json
import math
import os
import zipfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from minigrad import io
from minigrad.nn.module import Module, Parameter
from minigrad.tensor import Tensor

__all__ = ["save", "load"]

FORMAT = "minigrad.save"
VERSION = 1
STRUCTURE = "__minigrad_structure__"  # the archive member holding the JSON description


def _describe(path: tuple) -> str:
    return "obj" + "".join(f"[{part!r}]" for part in path)


class _Writer:
    """Turns an object into JSON-able nodes, collecting its arrays under unique member names."""

    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}

    def member(self, array: np.ndarray, path: tuple) -> str:
        if array.dtype.hasobject:
            raise TypeError(f"save: {_describe(path)} is an array of Python objects (dtype object), "
                            f"which cannot be saved without pickle")
        base = "/".join(str(part) for part in path) or "value"
        name, number = base, 1
        while name in self.arrays or name == STRUCTURE:
            number += 1
            name = f"{base}#{number}"
        self.arrays[name] = array
        return name

    def encode(self, value: Any, path: tuple = ()) -> Any:
        if isinstance(value, Tensor):
            return {"tensor": self.member(value.data, path), "requires_grad": value.requires_grad,
                    "parameter": isinstance(value, Parameter)}
        if isinstance(value, np.ndarray):
            return {"array": self.member(value, path)}
        if isinstance(value, np.generic):  # a NumPy scalar keeps its exact type, as a 0-d member
            return {"numpy_scalar": self.member(np.asarray(value), path)}
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else {"float": repr(value)}
        if isinstance(value, Mapping):
            return {"dict": [[self.encode(key, path + (f"<key {index}>",)), self.encode(item, path + (key,))]
                             for index, (key, item) in enumerate(value.items())]}
        if isinstance(value, tuple):
            return {"tuple": [self.encode(item, path + (index,)) for index, item in enumerate(value)]}
        if isinstance(value, list):
            return {"list": [self.encode(item, path + (index,)) for index, item in enumerate(value)]}
        raise TypeError(
            f"save: {_describe(path)} is a {type(value).__name__}; only dicts, lists, tuples, strings, numbers, "
            f"None, NumPy arrays and Tensors can be saved (nothing is pickled)"
        )


def save(obj: Any, f: str | os.PathLike) -> None:
    """Write ``obj`` to the file ``f``, atomically, as PyTorch's ``torch.save(obj, f)``.

    ``obj`` is a nesting of dicts, lists and tuples holding arrays, Tensors, numbers,
    strings and None: a ``state_dict()``, ``{"model": ..., "optimizer": ..., "epoch": 3}``.
    A Module is saved as its ``state_dict()`` (minigrad cannot pickle the module itself:
    make the module again, then ``model.load_state_dict(load(f))``). Anything else raises
    TypeError naming where it sits, before anything is written.
    """
    if isinstance(obj, Module):
        obj = obj.state_dict()
    if not isinstance(f, (str, os.PathLike)):
        raise TypeError(f"save: f must be a path (str or os.PathLike), got {type(f).__name__}")
    writer = _Writer()
    structure = {"format": FORMAT, "version": VERSION, "root": writer.encode(obj)}
    io.save_npz(f, {**writer.arrays, STRUCTURE: np.array(json.dumps(structure))})


class _Reader:
    def __init__(self, arrays: dict, path: str):
        self.arrays = arrays
        self.path = path

    def corrupt(self, why: str) -> ValueError:
        return ValueError(f"{self.path!r} is not a valid minigrad save file: {why}")

    def member(self, name) -> np.ndarray:
        if not isinstance(name, str) or name not in self.arrays:
            raise self.corrupt(f"it refers to an array {name!r} that it does not hold")
        return self.arrays[name]

    def decode(self, node: Any) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if not isinstance(node, dict) or len(node) == 0:
            raise self.corrupt(f"unexpected entry {node!r:.80}")
        if "array" in node:
            return self.member(node["array"])
        if "tensor" in node:
            kind = Parameter if node.get("parameter") else Tensor
            return kind(self.member(node["tensor"]), requires_grad=bool(node.get("requires_grad")))
        if "numpy_scalar" in node:
            return self.member(node["numpy_scalar"])[()]
        if "float" in node:
            return float(node["float"])
        if "tuple" in node:
            return tuple(self.decode(item) for item in node["tuple"])
        if "list" in node:
            return [self.decode(item) for item in node["list"]]
        if "dict" in node:
            result = {}
            for pair in node["dict"]:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise self.corrupt(f"a dict entry is not a (key, value) pair: {pair!r:.80}")
                result[self.decode(pair[0])] = self.decode(pair[1])
            return result
        raise self.corrupt(f"unexpected entry {node!r:.80}")


def _read_archive(path: Path) -> dict[str, np.ndarray]:
    try:
        return io.load_npz(path)
    except (FileNotFoundError, IsADirectoryError):
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as error:
        message = str(error)
        if str(path) in message:
            raise ValueError(f"{message} (truncated or corrupt?)") from error
        raise ValueError(f"{str(path)!r} is not a readable minigrad save file (truncated or corrupt?): "
                         f"{message}") from error


def load(f, *args, map_location=None, weights_only: bool | None = None, strict: bool = True) -> Any:
    """Read what ``save`` wrote to the file ``f``, as ``torch.load(f)``; arrays come back as
    NumPy arrays, Tensors as Tensors (Parameters as Parameters), tuples as tuples.

    Loading never runs code, so ``weights_only`` changes nothing; ``map_location`` may be
    None or "cpu" (minigrad computes on the CPU). A plain ``.npz`` of named arrays loads as
    a dict of them. A missing file raises FileNotFoundError, an unreadable one ValueError,
    both naming it.

    The earlier form ``load(module, f, strict=True)`` loads the file into ``module`` (see
    ``Module.load_state_dict``) and returns the module.
    """
    if isinstance(f, Module):
        if len(args) != 1:
            raise TypeError("load(module, f) takes the module and one path")
        return f.load(args[0], strict=strict)
    if len(args) > 1:
        raise TypeError(f"load takes the path and at most map_location positionally, got {1 + len(args)} arguments")
    if args:
        map_location = args[0]
    if map_location is not None and str(map_location) != "cpu":
        raise ValueError(f"load: map_location must be None or 'cpu' (minigrad computes on the CPU), "
                         f"got {map_location!r}")
    if not isinstance(f, (str, os.PathLike)):
        raise TypeError(f"load: f must be a path (str or os.PathLike), got {type(f).__name__}")
    path = Path(f)
    arrays = _read_archive(path)
    if STRUCTURE not in arrays:
        return arrays  # a plain archive of named arrays
    reader = _Reader(arrays, str(path))
    try:
        structure = json.loads(str(arrays[STRUCTURE][()]))
    except (json.JSONDecodeError, TypeError, ValueError) as error:
        raise reader.corrupt(f"its description is not valid JSON ({error})") from error
    if not isinstance(structure, dict) or structure.get("format") != FORMAT or "root" not in structure:
        raise reader.corrupt("its description is not one minigrad wrote")
    if not isinstance(structure.get("version"), int) or structure["version"] > VERSION:
        raise reader.corrupt(f"format version {structure.get('version')!r} is newer than this minigrad "
                             f"reads ({VERSION}); upgrade minigrad")
    return reader.decode(structure["root"])
