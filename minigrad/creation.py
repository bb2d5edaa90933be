"""Making tensors, PyTorch's way: ``zeros``, ``ones``, ``full``, ``eye``, ``arange``,
``linspace``, the ``*_like`` functions, ``from_numpy`` and ``as_tensor``.

Sizes are given as PyTorch takes them, ``zeros(2, 3)`` or ``zeros((2, 3))``. Without
``dtype`` a float result has the default dtype (float32, see ``mg.set_default_dtype``);
``full`` and ``arange`` take their dtype from their numbers, as PyTorch does (integers give
int64). ``requires_grad=True`` makes a leaf that records the operations made with it.

    >>> import minigrad as mg
    >>> mg.zeros(2, 3).shape, mg.arange(5).dtype, mg.full((2,), 7).dtype
    ((2, 3), dtype('int64'), dtype('int64'))
"""
from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from minigrad import dtypes
from minigrad.tensor import Tensor, as_array, tensor

__all__ = [
    "tensor", "from_numpy", "as_tensor", "asarray", "zeros", "ones", "full", "empty", "eye",
    "arange", "linspace", "logspace", "zeros_like", "ones_like", "full_like", "empty_like",
]


def check_device(device) -> None:
    """minigrad computes on the CPU: ``device`` may be None or "cpu"."""
    if device is not None and str(device) != "cpu":
        raise ValueError(f"minigrad runs on the CPU only; got device {device!r}")


def shape_from_args(args: tuple, what: str) -> tuple[int, ...]:
    """A shape given as ``f(2, 3)`` or ``f((2, 3))``: non-negative ints, or a clear error."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    elif len(args) == 1 and isinstance(args[0], Tensor):
        args = tuple(args[0].tolist()) if args[0].ndim else (args[0].item(),)
    shape = []
    for size in args:
        if isinstance(size, bool):
            raise TypeError(f"{what}: sizes must be ints, got {size!r} in {tuple(args)}")
        try:
            shape.append(operator.index(size))
        except TypeError:
            raise TypeError(f"{what}: sizes must be ints, got {type(size).__name__} {size!r} in {tuple(args)}") from None
    negative = [s for s in shape if s < 0]
    if negative:
        raise ValueError(f"{what}: sizes must be non-negative, got {tuple(shape)}")
    return tuple(shape)


def _float_or(dtype) -> np.dtype:
    return dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)


def _made(array: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor(array, requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A Tensor sharing ``array``'s memory and dtype (writes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    return Tensor(as_array(array))


def as_tensor(data: Any, dtype=None, device=None) -> Tensor:
    """``data`` as a Tensor, sharing memory where it can: a Tensor of the right dtype is
    returned as is, an ndarray of the right dtype is wrapped without a copy."""
    check_device(device)
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtypes.as_dtype(dtype)):
        return data
    if isinstance(data, Tensor):
        return data.to(dtype)
    return Tensor(as_array(data, None if dtype is None else dtypes.as_dtype(dtype)))


def asarray(obj: Any, dtype=None, device=None, copy: bool | None = None, requires_grad: bool = False) -> Tensor:
    """``torch.asarray``: as ``as_tensor``, with ``copy=True`` to force a copy."""
    result = as_tensor(obj, dtype=dtype, device=device)
    if copy:
        result = Tensor(result.data.copy())
    if requires_grad:
        result = result if result.is_leaf and not result.requires_grad else result.detach()
        result.requires_grad_(True)
    return result


def zeros(*size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    check_device(device)
    return _made(np.zeros(shape_from_args(size, "zeros"), dtype=_float_or(dtype)), requires_grad)


def ones(*size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    check_device(device)
    return _made(np.ones(shape_from_args(size, "ones"), dtype=_float_or(dtype)), requires_grad)


def empty(*size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A tensor of ``size`` whose values are not to be relied on. minigrad fills it with
    zeros (PyTorch leaves memory as it was): the same program gives the same bits."""
    check_device(device)
    return _made(np.zeros(shape_from_args(size, "empty"), dtype=_float_or(dtype)), requires_grad)


def _scalar_dtype(value) -> np.dtype:
    """The dtype PyTorch gives a tensor made from one number: bool, int64 or the default float."""
    if isinstance(value, (bool, np.bool_)):
        return dtypes.bool
    if isinstance(value, (int, np.integer)):
        return dtypes.int64
    if isinstance(value, (float, np.floating)):
        return dtypes.get_default_dtype()
    raise TypeError(f"fill value must be a number, got {type(value).__name__}: {value!r:.40}")


def full(size, fill_value, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (its dtype from the value unless given)."""
    check_device(device)
    value = fill_value.item() if isinstance(fill_value, Tensor) else fill_value
    wanted = _scalar_dtype(value) if dtype is None else dtypes.as_dtype(dtype)
    shape = shape_from_args(size if isinstance(size, (tuple, list)) else (size,), "full")
    return _made(np.full(shape, value, dtype=wanted), requires_grad)


def eye(n: int, m: int | None = None, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """The identity matrix of ``n`` rows (and ``m`` columns)."""
    check_device(device)
    rows, = shape_from_args((n,), "eye")
    columns = rows if m is None else shape_from_args((m,), "eye")[0]
    return _made(np.eye(rows, columns, dtype=_float_or(dtype)), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """``start, start + step, ...`` up to ``end`` (excluded); ``arange(n)`` is 0..n-1. int64
    when every bound is an int, else the default float dtype (as ``torch.arange``)."""
    check_device(device)
    if end is None:
        start, end = 0, start
    numbers = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    for value in numbers:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"arange: bounds and step must be numbers, got {value!r:.40}")
    start, end, step = numbers
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    if (end - start) * step < 0:
        raise ValueError(f"arange: the range from {start} to {end} cannot be walked with step {step}")
    integral = all(isinstance(v, (int, np.integer)) for v in numbers)
    wanted = (dtypes.int64 if integral else dtypes.get_default_dtype()) if dtype is None else dtypes.as_dtype(dtype)
    count = max(0, math.ceil((end - start) / step))
    values = start + np.arange(count, dtype=np.float64 if not integral else np.int64) * step
    return _made(values.astype(wanted), requires_grad)


def linspace(start, end, steps: int, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` (both included)."""
    check_device(device)
    count, = shape_from_args((steps,), "linspace")
    return _made(np.linspace(start, end, count).astype(_float_or(dtype)), requires_grad)


def logspace(start, end, steps: int, base: float = 10.0, dtype=None, requires_grad: bool = False,
             device=None) -> Tensor:
    """``base ** linspace(start, end, steps)``."""
    check_device(device)
    count, = shape_from_args((steps,), "logspace")
    return _made(np.logspace(start, end, count, base=base).astype(_float_or(dtype)), requires_grad)


def _like_dtype(input, dtype) -> np.dtype:
    if not isinstance(input, Tensor):
        raise TypeError(f"expected a Tensor, got {type(input).__name__}")
    return input.dtype if dtype is None else dtypes.as_dtype(dtype)


def zeros_like(input, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    check_device(device)
    return _made(np.zeros(input.shape, dtype=_like_dtype(input, dtype)), requires_grad)


def ones_like(input, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    check_device(device)
    return _made(np.ones(input.shape, dtype=_like_dtype(input, dtype)), requires_grad)


def empty_like(input, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """As ``empty``: zeros, so that runs repeat bit for bit."""
    return zeros_like(input, dtype=dtype, requires_grad=requires_grad, device=device)


def full_like(input, fill_value, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    check_device(device)
    return _made(np.full(input.shape, fill_value, dtype=_like_dtype(input, dtype)), requires_grad)
