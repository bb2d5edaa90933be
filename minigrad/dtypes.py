"""dtypes: PyTorch's names for NumPy's dtypes, the default float dtype, and PyTorch's
type promotion.

The dtype objects are NumPy's own (``mg.float32 is np.dtype("float32")``), so a Tensor's
``dtype`` compares equal to both spellings: ``t.dtype == mg.float32 == np.float32``.

Promotion follows PyTorch, not NumPy, where the two differ:

- an integer or bool tensor with a Python float, or divided (``/``) by anything, gives the
  *default* float dtype (float32), not float64;
- an integer tensor with a float tensor gives the float tensor's dtype (int32 with float32
  is float32; NumPy says float64, because float32 cannot hold every int32);
- a zero-dimensional tensor, a Python number or a NumPy scalar only decides the result's
  dtype when it is of a higher kind (bool < integer < float) than every tensor with
  dimensions: ``float32 tensor * np.float64(2)`` stays float32, as in PyTorch.

The operators check dtypes only when their inputs are not all of one float dtype, so the
float training path pays nothing for this.
"""
from __future__ import annotations

import builtins

import numpy as np

__all__ = [
    "float16", "float32", "float64", "half", "float", "double",
    "int8", "int16", "int32", "int64", "uint8", "short", "int", "long", "bool",
    "get_default_dtype", "set_default_dtype", "as_dtype", "result_type", "promote_types",
    "is_floating_point",
]

float16 = half = np.dtype(np.float16)
float32 = float = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = short = np.dtype(np.int16)
int32 = int = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool = np.dtype(np.bool_)

_FLOAT_DTYPES = (float16, float32, float64)
_state = {"default": float32}


def get_default_dtype() -> np.dtype:
    """The dtype Python floats become, and that creation functions make (float32 unless
    changed with ``set_default_dtype``), as ``torch.get_default_dtype``."""
    return _state["default"]


def set_default_dtype(dtype) -> None:
    """Make ``dtype`` (float16, float32 or float64) the default float dtype."""
    wanted = as_dtype(dtype)
    if wanted not in _FLOAT_DTYPES:
        raise TypeError(f"set_default_dtype: the default must be a float dtype (float16, float32, "
                        f"float64), got {wanted}")
    _state["default"] = wanted


def as_dtype(dtype, operation: str = "") -> np.dtype:
    """``dtype`` as a NumPy dtype that a Tensor may hold (bool, integer or float); accepts
    ``mg.float32``, ``np.float32``, ``"float32"`` and the Python types ``float``, ``int``,
    ``bool`` (float64, int64 and bool, as in PyTorch). ``operation`` names the caller in the
    error messages."""
    prefix = f"{operation}: " if operation else ""
    try:
        found = np.dtype(dtype)
    except TypeError as error:
        raise TypeError(f"{prefix}{dtype!r} is not a dtype") from error
    if found.kind not in "biuf":
        raise TypeError(f"{prefix}cannot cast to {found}: tensors hold bool, integer or float data, "
                        f"{found} is not supported")
    return found


def is_floating_point(dtype) -> builtins.bool:
    return np.dtype(dtype).kind == "f"


def _kind_rank(dtype: np.dtype) -> builtins.int:
    """bool < integer < float: the order of PyTorch's type categories."""
    return {"b": 0, "i": 1, "u": 1, "f": 2}[dtype.kind]


def promote_types(a, b) -> np.dtype:
    """The dtype two tensors of dtypes ``a`` and ``b`` combine to, as ``torch.promote_types``:
    NumPy's rule, except that an integer with a float gives the float's dtype."""
    a, b = np.dtype(a), np.dtype(b)
    if a == b:
        return a
    if a.kind == "f" and b.kind != "f":
        return a
    if b.kind == "f" and a.kind != "f":
        return b
    return np.promote_types(a, b)


def _scalar_dtype(value) -> np.dtype:
    """The dtype PyTorch gives a Python number in an operation: a float is the default float
    dtype, an int int64, a bool bool."""
    if isinstance(value, builtins.bool):
        return bool
    if isinstance(value, builtins.int):
        return int64
    if isinstance(value, builtins.float):
        return get_default_dtype()
    raise TypeError(f"expected a number, a NumPy array or a Tensor, got {type(value).__name__}: {value!r:.60}")


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """A higher-priority group's dtype, unless the lower group is of a higher kind (then the
    lower one's kind wins, at the higher group's size where that is a float)."""
    if higher is None:
        return lower
    if lower is None or _kind_rank(higher) >= _kind_rank(lower):
        return higher
    return promote_types(higher, lower)


def result_type(*operands) -> np.dtype:
    """The dtype of an elementwise operation on ``operands`` (Tensors, arrays, NumPy scalars,
    Python numbers), as ``torch.result_type``: tensors with dimensions first, then
    zero-dimensional tensors, then numbers, each group deciding only by a higher kind."""
    dimensioned = zero_dim = numbers = None
    for value in operands:
        data = value
        if not isinstance(value, (np.ndarray, np.generic)) and isinstance(getattr(value, "data", None), np.ndarray):
            data = value.data  # a Tensor
        if isinstance(data, np.ndarray):
            if data.ndim:
                dimensioned = data.dtype if dimensioned is None else promote_types(dimensioned, data.dtype)
            else:
                zero_dim = data.dtype if zero_dim is None else promote_types(zero_dim, data.dtype)
            continue
        # A NumPy scalar counts as the Python number it stands for (PyTorch's rule).
        dtype = _scalar_dtype(data.item() if isinstance(data, np.generic) else data)
        numbers = dtype if numbers is None else promote_types(numbers, dtype)
    return _combine(dimensioned, _combine(zero_dim, numbers))
