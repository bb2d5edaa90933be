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
    Tensor([[2., 4.]], dtype=float32)
    """

    # _grad_buffer: an array where backward may write this leaf's gradient instead of making
    # a new one (an optimizer's flat gradient buffer; see autograd.run_backward), and
    # _grad_buffer_tensor the Tensor around it, made once. _hooks: None, or the
    # registered gradient hooks by handle id.
    __slots__ = ("data", "_grad", "_requires_grad", "_node", "_retains_grad", "_grad_buffer",
                 "_grad_buffer_tensor", "_hooks", "__weakref__")

    def __init__(self, data: Any, requires_grad: bool = False, dtype=None):
        self.data = as_array(data, dtype)
        self._grad = None
        self._node = None
        self._retains_grad = False
        self._grad_buffer = None
        self._grad_buffer_tensor = None
        self._hooks = None
        self._requires_grad = False
        self.requires_grad = requires_grad

    @classmethod
    def _from_op(cls, data: np.ndarray) -> "Tensor":
        """A result of a primitive: no conversion, no checks (the hot path)."""
        tensor = object.__new__(cls if cls is Tensor else Tensor)
        tensor.data = data
        tensor._grad = None
        tensor._node = None
        tensor._retains_grad = False
        tensor._grad_buffer = None
        tensor._grad_buffer_tensor = None
        tensor._hooks = None
        tensor._requires_grad = False
        return tensor

    # ---- autograd state -------------------------------------------------------------
    @property
    def grad(self) -> "Tensor | None":
        """d(loss)/d(self) after ``backward()``: a Tensor of this tensor's shape and dtype, or
        None. Assigning an array (or a Tensor) replaces it; assigning None forgets it."""
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is None or isinstance(value, Tensor):
            grad = value
        else:
            grad = Tensor._from_op(np.asarray(value))
        if grad is not None and grad.shape != self.data.shape:
            raise ValueError(f"assigned grad has shape {grad.shape}, but the tensor has shape {self.data.shape}")
        if grad is not None and grad.dtype != self.data.dtype:
            raise TypeError(f"assigned grad has dtype {grad.dtype}, but the tensor has dtype {self.data.dtype}")
        self._grad = grad

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

    @property
    def grad_fn(self):
        """The node that made this tensor (None for a leaf), as PyTorch's ``grad_fn``."""
        return self._node

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep it)."""
        if not self._requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        self._retains_grad = True

    def register_hook(self, hook) -> "RemovableHandle":
        """Call ``hook(grad)`` each time this tensor's gradient is computed, before it is
        used or accumulated; a hook that returns a Tensor (or array) replaces the gradient.
        Returns a handle whose ``remove()`` takes the hook off again."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that does not require grad")
        if not callable(hook):
            raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
        if self._hooks is None:
            self._hooks = {}
        handle = RemovableHandle(self._hooks)
        self._hooks[handle.id] = hook
        return handle

    def backward(self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
                 inputs=None) -> None:
        """Accumulate the gradient of this tensor into ``.grad`` of every leaf that requires it
        (only of ``inputs``, when given), as ``torch.Tensor.backward``.

        ``gradient`` is d(loss)/d(self); it may be omitted only for a one-element tensor
        (then 1). The graph is freed afterwards unless ``retain_graph`` (which defaults to
        ``create_graph``). With ``create_graph=True`` the gradients get a graph of their own,
        so they can be differentiated again.
        """
        if not self._requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad and has no graph")
        if gradient is None and self.data.size == 1 and not create_graph:
            seed = np.array(1, dtype=self.data.dtype).reshape(self.data.shape)  # the usual loss.backward()
        else:
            (seed,) = autograd.seed_gradients((self,), (gradient,), create_graph)
        chosen = None if inputs is None else autograd.tensor_sequence(inputs, "inputs")
        retain = create_graph if retain_graph is None else retain_graph
        autograd.run_backward(self, seed, retain_graph=retain, create_graph=create_graph, inputs=chosen)

    def detach(self) -> "Tensor":
        """The same data (shared, not copied), cut from the graph."""
        return Tensor._from_op(self.data)

    def detach_(self) -> "Tensor":
        """Cut this tensor from its graph, in place: it becomes a leaf that needs no gradient."""
        self._node = None
        self._requires_grad = False
        return self

    def zero_grad(self) -> None:
        self._grad = None

    def __array_ufunc__(self, ufunc, method, *args, **kwargs):
        """NumPy functions on Tensors. ``ndarray <op> Tensor`` is the Tensor's operator (so
        it records a graph); any other ufunc computes on the data and returns an ndarray, as
        for PyTorch's tensors, but refuses a tensor that requires grad: its result would
        silently drop out of the graph (use the Tensor's own method, e.g. ``t.exp()``)."""
        operator = _UFUNC_OPERATORS.get(ufunc)
        if operator is not None and method == "__call__" and not kwargs:
            return operator(*args)
        for value in args:
            if isinstance(value, Tensor) and value._requires_grad:
                raise TypeError(
                    f"np.{ufunc.__name__} on a Tensor that requires grad would drop it from the graph; "
                    f"use minigrad's own operation, or .detach() first"
                )
        raws = [value.data if isinstance(value, Tensor) else value for value in args]
        return getattr(ufunc, method)(*raws, **kwargs)

    def __array__(self, dtype=None, copy=None):
        """``np.asarray(t)`` is the data (no copy unless a dtype or a copy is asked for)."""
        if copy:
            return np.array(self.data, dtype=dtype, copy=True)
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

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

    def __format__(self, spec: str) -> str:
        """A one-element tensor formats like its number (``f"{loss:.4f}"``), as in PyTorch."""
        if self.data.size == 1 and self.data.ndim == 0 or spec and self.data.size == 1:
            return format(self.data.item(), spec)
        return format(str(self), spec)

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

    # Logical and bitwise operators, for boolean and integer tensors (no gradient).
    def __and__(self, other):
        return Tensor._from_op(np.bitwise_and(self.data, _raw(other)))

    __rand__ = __and__

    def __or__(self, other):
        return Tensor._from_op(np.bitwise_or(self.data, _raw(other)))

    __ror__ = __or__

    def __xor__(self, other):
        return Tensor._from_op(np.bitwise_xor(self.data, _raw(other)))

    __rxor__ = __xor__

    def __invert__(self):
        return Tensor._from_op(np.invert(self.data))

    def all(self) -> "Tensor":
        return Tensor._from_op(np.asarray(self.data.all()))

    def any(self) -> "Tensor":
        return Tensor._from_op(np.asarray(self.data.any()))

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

    def sign(self):
        return ops.sign(self)

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
        """A copy in another dtype; the gradient comes back in this tensor's dtype. A cast to
        an integer or boolean dtype gives a tensor that carries no gradient (as PyTorch)."""
        try:
            dtype = np.dtype(dtype)
        except TypeError as error:
            raise TypeError(f"astype: {dtype!r} is not a dtype") from error
        if dtype.kind not in "biuf":
            raise TypeError(f"astype: tensors hold bool, int or float data; cannot cast to {dtype}")
        return ops.astype(self, dtype=dtype)

    def float(self):
        return self.astype(np.float32)

    def double(self):
        return self.astype(np.float64)


def _comparison(ufunc):
    return lambda a, b: Tensor._from_op(ufunc(_raw(a), _raw(b)))


_UFUNC_OPERATORS = {}  # filled below, once ops exists


def tensor(data: Any, dtype=None, requires_grad: bool = False) -> Tensor:
    """A new leaf Tensor with a copy of ``data``, as ``torch.tensor``: Python floats become
    float32, Python ints int64, float arrays keep their dtype.

    >>> tensor([1.0, 2.0], requires_grad=True)
    Tensor([1., 2.], dtype=float32, requires_grad=True)
    """
    if isinstance(data, Tensor):
        data = data.data
    array = as_array(data, dtype)
    if isinstance(data, np.ndarray) and array is data:
        array = array.copy()
    return Tensor(array, requires_grad=requires_grad)


class RemovableHandle:
    """What ``register_hook`` returns: ``remove()`` takes the hook off (twice is harmless)."""

    _ids = iter(range(1, 1 << 62))

    def __init__(self, hooks: dict):
        self.hooks = hooks
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        self.hooks.pop(self.id, None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


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

_UFUNC_OPERATORS.update({
    np.add: ops.add, np.subtract: ops.sub, np.multiply: ops.mul, np.true_divide: ops.div,
    np.power: ops.power, np.matmul: ops.matmul,
    **{ufunc: _comparison(ufunc) for ufunc in (np.equal, np.not_equal, np.less, np.less_equal,
                                                np.greater, np.greater_equal)},
})
