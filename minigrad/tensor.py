"""Tensor: a NumPy array plus what reverse-mode autodiff needs to know about it.

The arithmetic lives in ``ops.py`` (each primitive's forward and gradient side by side);
the backward pass lives in ``autograd.py``. This file is the user-facing object.
"""
from __future__ import annotations

from numbers import Number
from typing import Any

import numpy as np

from minigrad import autograd

_INDEX_TYPES = (int, slice, type(None), type(Ellipsis), np.integer)


def as_array(data: Any, dtype=None) -> np.ndarray:
    """The ndarray a Tensor holds: Python floats become float32, float arrays keep their
    dtype, Python ints become int64; anything non-numeric is a TypeError."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.ndarray):
        array = data if dtype is None else data.astype(dtype, copy=False)
    else:
        try:
            array = np.asarray(data, dtype=dtype)
        except (TypeError, ValueError) as error:
            raise TypeError(f"Tensor data must be numeric, got {type(data).__name__}: {data!r:.80}") from error
        if dtype is None and array.dtype == np.float64:
            array = array.astype(np.float32)  # Python floats -> float32, like PyTorch
    if array.dtype.kind not in "biuf":
        raise TypeError(f"Tensor data must be numeric (bool, int or float), got dtype {array.dtype} from {data!r:.80}")
    return array


class Tensor:
    """An n-dimensional array that records the operations made with it, for ``backward()``.

    >>> x = Tensor([[1.0, 2.0]], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    array([[2., 4.]], dtype=float32)
    """

    # _grad_buffer: an array where backward may write this leaf's gradient instead of making
    # a new one (an optimizer's flat gradient buffer; see autograd.run_backward).
    __slots__ = ("data", "grad", "_requires_grad", "_node", "_retains_grad", "_grad_buffer", "__weakref__")
    # NumPy must hand `ndarray <op> Tensor` to the Tensor's reflected operator, not loop over it.
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False, dtype=None):
        self.data = as_array(data, dtype)
        self.grad = None
        self._node = None
        self._retains_grad = False
        self._grad_buffer = None
        self._requires_grad = False
        self.requires_grad = requires_grad

    @classmethod
    def _from_op(cls, data: np.ndarray) -> "Tensor":
        """A result of a primitive: no conversion, no checks (the hot path)."""
        tensor = object.__new__(cls if cls is Tensor else Tensor)
        tensor.data = data
        tensor.grad = None
        tensor._node = None
        tensor._retains_grad = False
        tensor._grad_buffer = None
        tensor._requires_grad = False
        return tensor

    # ---- autograd state -------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self.data.dtype.kind not in "f":
            raise TypeError(
                f"Only floating-point tensors can require gradients; this tensor has dtype {self.data.dtype}"
            )
        if not value and self._node is not None:
            raise RuntimeError("requires_grad can only be turned off on leaf tensors; use .detach()")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    @property
    def op(self) -> str | None:
        """The name of the primitive that made this tensor (None for a leaf)."""
        return None if self._node is None else self._node.primitive.name

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep it)."""
        if not self._requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        self._retains_grad = True

    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Accumulate the gradient of this tensor into ``.grad`` of every leaf that requires it.

        ``grad`` is d(loss)/d(self); it may be omitted only for a one-element tensor (then 1).
        The graph is freed afterwards unless ``retain_graph=True``.
        """
        if not self._requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad and has no graph")
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; this tensor has shape "
                    f"{self.data.shape}: pass grad= of that shape"
                )
            grad = np.array(1, dtype=self.data.dtype).reshape(self.data.shape)
        else:
            grad = np.asarray(grad.data if isinstance(grad, Tensor) else grad, dtype=self.data.dtype)
            if grad.shape != self.data.shape:
                raise ValueError(f"backward(grad=...) has shape {grad.shape}, but the tensor has shape {self.data.shape}")
        autograd.run_backward(self, grad, retain_graph=retain_graph)

    def detach(self) -> "Tensor":
        """The same data (shared, not copied), cut from the graph."""
        return Tensor._from_op(self.data)

    def zero_grad(self) -> None:
        self.grad = None

    # ---- array facts ----------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        return len(self.data)

    def item(self) -> float | int | bool:
        if self.data.size != 1:
            raise ValueError(f"item() needs a one-element tensor, this one has shape {self.data.shape}")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The data as an ndarray (shared, not copied), like ``torch.Tensor.numpy()``."""
        return self.data

    def tolist(self):
        return self.data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"The truth value of a tensor with shape {self.data.shape} is ambiguous")
        return bool(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extras = [f"dtype={self.data.dtype}"]
        if self._node is not None:
            extras.append(f"op={self._node.primitive.name}")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return f"Tensor({body}, {', '.join(extras)})"

    __hash__ = object.__hash__  # == is elementwise, so hash by identity like PyTorch

    # ---- operators (the primitives live in ops.py) -------------------------------------
    def __add__(self, other):
        return ops.add(self, other)

    def __radd__(self, other):
        return ops.add(other, self)

    def __sub__(self, other):
        return ops.sub(self, other)

    def __rsub__(self, other):
        return ops.sub(other, self)

    def __mul__(self, other):
        return ops.mul(self, other)

    def __rmul__(self, other):
        return ops.mul(other, self)

    def __truediv__(self, other):
        return ops.div(self, other)

    def __rtruediv__(self, other):
        return ops.div(other, self)

    def __pow__(self, other):
        return ops.power(self, other)

    def __rpow__(self, other):
        return ops.power(other, self)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    def __neg__(self):
        return ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return ops.abs(self)

    def __getitem__(self, index):
        """NumPy indexing: ints, slices, None, ..., integer arrays and boolean masks (also as
        Tensors). Elements selected more than once accumulate their gradients."""
        return ops.getitem(self, index=_plain_index(index))

    # Comparisons give boolean tensors that carry no gradient.
    def __eq__(self, other):
        return Tensor._from_op(self.data == _raw(other))

    def __ne__(self, other):
        return Tensor._from_op(self.data != _raw(other))

    def __lt__(self, other):
        return Tensor._from_op(self.data < _raw(other))

    def __le__(self, other):
        return Tensor._from_op(self.data <= _raw(other))

    def __gt__(self, other):
        return Tensor._from_op(self.data > _raw(other))

    def __ge__(self, other):
        return Tensor._from_op(self.data >= _raw(other))

    # ---- methods ----------------------------------------------------------------------
    def sum(self, axis=None, keepdims: bool = False):
        """Sum over ``axis`` (None: all; an int or tuple, negative counts from the end)."""
        return ops.sum(self, axis=_plain_axis(axis), keepdims=keepdims)

    def mean(self, axis=None, keepdims: bool = False):
        """Mean over ``axis``, as ``sum``."""
        return ops.mean(self, axis=_plain_axis(axis), keepdims=keepdims)

    def max(self, axis=None, keepdims: bool = False):
        """Maximum over ``axis``. Where several elements tie for the maximum, the gradient is
        shared evenly among them (a choice: PyTorch's full reduction does the same)."""
        return ops.max(self, axis=_plain_axis(axis), keepdims=keepdims)

    def min(self, axis=None, keepdims: bool = False):
        """Minimum over ``axis``; ties share the gradient evenly, as in ``max``."""
        return ops.min(self, axis=_plain_axis(axis), keepdims=keepdims)

    def exp(self):
        return ops.exp(self)

    def log(self):
        return ops.log(self)

    def sqrt(self):
        return ops.sqrt(self)

    def abs(self):
        return ops.abs(self)

    def relu(self):
        return ops.relu(self)

    def tanh(self):
        return ops.tanh(self)

    def sigmoid(self):
        return ops.sigmoid(self)

    def clip(self, min=None, max=None):
        """Limit to [min, max] (either may be None); the gradient passes where min <= x <= max."""
        return ops.clip(self, low=min, high=max)

    def reshape(self, *shape):
        """Same data, new shape: ``t.reshape(2, 3)`` or ``t.reshape((2, -1))``."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return ops.reshape(self, shape=shape)

    def flatten(self):
        return ops.reshape(self, shape=(-1,))

    def transpose(self, *axes):
        """Permute the axes (all reversed when none are given), as ``np.transpose``."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return ops.transpose(self, axes=axes or None)

    @property
    def T(self):
        return ops.transpose(self, axes=None)

    def astype(self, dtype):
        """A copy in another dtype; the gradient comes back in this tensor's dtype."""
        return ops.astype(self, dtype=np.dtype(dtype))

    def float(self):
        return self.astype(np.float32)

    def double(self):
        return self.astype(np.float64)


def _raw(value):
    return value.data if isinstance(value, Tensor) else value


def _plain_axis(axis):
    if isinstance(axis, list):
        return tuple(axis)
    return axis


def _plain_index(index):
    """Indices that are Tensors become arrays, lists become arrays (NumPy's fancy indexing)."""
    if isinstance(index, tuple):
        return tuple(_plain_index(part) for part in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return np.asarray(index)
    return index


from minigrad import ops  # noqa: E402  (ops needs Tensor defined first)
