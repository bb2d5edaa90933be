"""Tensor: a NumPy array plus what reverse-mode autodiff needs to know about it.

The arithmetic lives in ``ops.py`` (each primitive's forward and gradient side by side);
the backward pass lives in ``autograd.py``. This file is the user-facing object.
"""
from __future__ import annotations

from numbers import Number
from typing import Any

import numpy as np

from minigrad import autograd, dtypes, versions

_INDEX_TYPES = (int, slice, type(None), type(Ellipsis), np.integer)


def as_array(data: Any, dtype=None) -> np.ndarray:
    """The ndarray a Tensor holds, with PyTorch's dtypes: Python floats become the default
    float dtype (float32), Python ints int64, arrays and NumPy scalars keep their dtype
    (``np.float64(0.5)`` stays float64); anything non-numeric is a TypeError."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    if isinstance(data, np.ndarray):
        array = data if dtype is None else data.astype(dtype, copy=False)
    else:
        try:
            array = np.asarray(data, dtype=dtype)
        except (TypeError, ValueError) as error:
            raise TypeError(f"Tensor data must be numeric, got {type(data).__name__}: {data!r:.80}") from error
        if dtype is None and array.dtype == np.float64 and not _holds_float64(data):
            array = array.astype(dtypes.get_default_dtype())  # Python floats -> float32, like PyTorch
    if array.dtype.kind not in "biuf":
        raise TypeError(f"Tensor data must be numeric (bool, int or float), got dtype {array.dtype} from {data!r:.80}")
    return array


_PYTHON_NUMBERS = {float, int, bool}


def _holds_float64(data) -> bool:
    """Whether ``data`` (a number or nested lists) holds a NumPy float64 (scalar or array):
    then PyTorch makes a float64 tensor; from Python floats alone, the default dtype."""
    if isinstance(data, (np.ndarray, np.generic)):
        return data.dtype == np.float64
    if not isinstance(data, (list, tuple)):
        return False
    kinds = set(map(type, data))
    if kinds <= _PYTHON_NUMBERS:
        return False
    return any(_holds_float64(item) for item in data if type(item) not in _PYTHON_NUMBERS)


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
    # _previous: unset until an in-place op rewrites this tensor under autograd, then
    # (write number, the tensor as it was before), for the engine (see versions.py).
    __slots__ = ("data", "_grad", "_requires_grad", "_node", "_retains_grad", "_grad_buffer",
                 "_grad_buffer_tensor", "_hooks", "_previous", "__weakref__")

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
        retain = create_graph if retain_graph is None else retain_graph
        if inputs is None and not create_graph:  # the usual loss.backward(): straight to the walk
            autograd.backpropagate((self,), (seed,), retain, False, None, True, None)
            return
        chosen = None if inputs is None else autograd.tensor_sequence(inputs, "inputs")
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

    # ---- in place (PyTorch's rules; see versions.py for how gradients stay right) ----------
    @property
    def _version(self) -> int:
        """How many in-place writes went into this tensor's memory (PyTorch's counter)."""
        return versions.version(self.data)

    def _in_place(self, what: str, compute, *others) -> "Tensor":
        """Make this tensor hold ``compute(self)`` in its own memory, as PyTorch's in-place ops.

        Under autograd (grad mode on, and this tensor or an operand requiring grad) the
        result joins the graph: a leaf that requires grad refuses, as in PyTorch; otherwise
        this tensor takes the new node, whose input is a snapshot of the old value and
        history (so earlier users of the tensor keep theirs). Either way the write is
        recorded, so a backward through a node that read the old value raises.
        """
        tracked = autograd.modes.grad_enabled and (
            self._requires_grad or any(isinstance(o, Tensor) and o._requires_grad for o in others))
        if tracked:
            _check_writable_in_graph(self, what)
        if not self.data.flags.writeable:
            raise ValueError(f"{what}: this tensor's memory is read-only (a broadcast or expanded view?); "
                             f"clone() it first")
        number = versions.reserve()
        if tracked:
            before = Tensor._from_op(self.data.copy())
            before._node, before._requires_grad = self._node, self._requires_grad
            before._previous = getattr(self, "_previous", None)
            result = compute(before)
        else:
            with autograd.no_grad():
                result = compute(self)
        _check_fits(self, result, what)
        np.copyto(self.data, result.data, casting="unsafe")
        versions.record_write(self.data, number, tracked)
        if tracked:
            self._node, self._requires_grad = result._node, result._requires_grad
            self._previous = (number, before)
        return self

    def add_(self, other, *, alpha=1):
        return self._in_place("add_", lambda x: fn.add(x, other, alpha=alpha), other)

    def sub_(self, other, *, alpha=1):
        return self._in_place("sub_", lambda x: fn.sub(x, other, alpha=alpha), other)

    def mul_(self, other):
        return self._in_place("mul_", lambda x: x * other, other)

    def div_(self, other, *, rounding_mode=None):
        return self._in_place("div_", lambda x: fn.div(x, other, rounding_mode=rounding_mode), other)

    def pow_(self, exponent):
        return self._in_place("pow_", lambda x: x ** exponent, exponent)

    def clamp_(self, min=None, max=None):
        return self._in_place("clamp_", lambda x: fn.clamp(x, min, max), min, max)

    clip_ = clamp_

    def lerp_(self, end, weight):
        return self._in_place("lerp_", lambda x: fn.lerp(x, end, weight), end, weight)

    def addcmul_(self, tensor1, tensor2, *, value=1):
        """self += value * tensor1 * tensor2"""
        return self._in_place("addcmul_", lambda x: x + value * tensor1 * tensor2, tensor1, tensor2)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        """self += value * tensor1 / tensor2"""
        return self._in_place("addcdiv_", lambda x: x + value * tensor1 / tensor2, tensor1, tensor2)

    def zero_(self):
        return self._in_place("zero_", lambda x: fn.where(np.ones((), bool), np.zeros((), x.dtype), x))

    def fill_(self, value):
        """Every element set to ``value`` (a number, or a 0-d tensor, which gets the gradient)."""
        fill = value if isinstance(value, Tensor) else np.asarray(value)
        if np.ndim(fill.data if isinstance(fill, Tensor) else fill):
            raise ValueError(f"fill_ takes a number or a 0-d tensor, got shape {np.shape(fill)}")
        return self._in_place("fill_", lambda x: fn.where(np.ones((), bool), fill, x), value)

    def copy_(self, src):
        """This tensor's values replaced by ``src``'s (broadcast to this shape; cast to this
        dtype); the gradient flows to ``src``."""
        source = src if isinstance(src, Tensor) else Tensor(src)
        return self._in_place("copy_", lambda x: fn.where(np.ones((), bool), _broadcast_for(source, x), x), src)

    def masked_fill_(self, mask, value):
        return self._in_place("masked_fill_", lambda x: fn.masked_fill(x, mask, value), value)

    def index_fill_(self, dim, index, value):
        return self._in_place("index_fill_", lambda x: fn.index_fill(x, dim, index, value), value)

    def index_add_(self, dim, index, source, *, alpha=1):
        return self._in_place("index_add_", lambda x: fn.index_add(x, dim, index, source, alpha=alpha), source)

    def index_copy_(self, dim, index, source):
        return self._in_place("index_copy_", lambda x: fn.index_copy(x, dim, index, source), source)

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        return self._in_place("scatter_", lambda x: fn.scatter(x, dim, index, src, value=value, reduce=reduce), src)

    def scatter_add_(self, dim, index, src):
        return self._in_place("scatter_add_", lambda x: fn.scatter_add(x, dim, index, src), src)

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        return self._in_place("scatter_reduce_", lambda x: fn.scatter_reduce(x, dim, index, src, reduce,
                                                                             include_self=include_self), src)

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None):
        """Fill with uniform samples from [a, b) (no gradient; under no_grad for a parameter)."""
        from minigrad.random import generator_or_default

        draws = generator_or_default(generator).uniform(a, b, size=self.shape)
        return self._in_place("uniform_", lambda x: Tensor._from_op(draws.astype(x.dtype)))

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None):
        from minigrad.random import generator_or_default

        draws = generator_or_default(generator).normal(mean, std, size=self.shape)
        return self._in_place("normal_", lambda x: Tensor._from_op(draws.astype(x.dtype)))

    def bernoulli_(self, p: float = 0.5, *, generator=None):
        from minigrad.random import generator_or_default

        draws = generator_or_default(generator).random(self.shape) < _raw(p)
        return self._in_place("bernoulli_", lambda x: Tensor._from_op(draws.astype(x.dtype)))

    def __setitem__(self, index, value):
        """``t[index] = value``, as PyTorch: in place; under autograd (a non-leaf, or a value
        that requires grad) differentiable for both, and refused on a leaf that requires
        grad (use ``with mg.no_grad():``)."""
        index = _plain_index(index)
        tracked = autograd.modes.grad_enabled and (
            self._requires_grad or isinstance(value, Tensor) and value._requires_grad)
        if tracked:
            return self._in_place("__setitem__", lambda x: ops.index_put(x, value, index=index), value)
        if not self.data.flags.writeable:
            raise ValueError("__setitem__: this tensor's memory is read-only (a broadcast or expanded view?); "
                             "clone() it first")
        number = versions.reserve()
        self.data[index] = _raw(value)
        versions.record_write(self.data, number, False)

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __ifloordiv__(self, other):
        return self._in_place("__ifloordiv__", lambda x: x // other, other)

    def __imod__(self, other):
        return self._in_place("__imod__", lambda x: x % other, other)

    def __ipow__(self, other):
        return self.pow_(other)

    def __iand__(self, other):
        return self._in_place("__iand__", lambda x: x & other, other)

    def __ior__(self, other):
        return self._in_place("__ior__", lambda x: x | other, other)

    def __ixor__(self, other):
        return self._in_place("__ixor__", lambda x: x ^ other, other)

    def __ilshift__(self, other):
        return self._in_place("__ilshift__", lambda x: x << other, other)

    def __irshift__(self, other):
        return self._in_place("__irshift__", lambda x: x >> other, other)

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
    def size(self) -> "ElementCount":
        """``t.size()`` is the shape and ``t.size(d)`` one dim's length, as in PyTorch;
        ``t.size`` uncalled is NumPy's element count (an int), so NumPy-style code keeps
        working."""
        return ElementCount(self.data.shape)

    def numel(self) -> int:
        """The number of elements."""
        return self.data.size

    nelement = numel

    def dim(self) -> int:
        """The number of dimensions (``ndim``)."""
        return self.data.ndim

    ndimension = dim

    @property
    def device(self) -> str:
        return "cpu"

    @property
    def is_cuda(self) -> bool:
        return False

    def is_floating_point(self) -> bool:
        return self.data.dtype.kind == "f"

    def is_signed(self) -> bool:
        return self.data.dtype.kind in "if"

    def is_complex(self) -> bool:
        return False

    @property
    def is_cpu(self) -> bool:
        return True

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    @property
    def itemsize(self) -> int:
        return self.data.itemsize

    @property
    def nbytes(self) -> int:
        return self.data.nbytes

    def positive(self) -> "Tensor":
        return self

    def broadcast_to(self, *shape) -> "Tensor":
        return ops.broadcast_to(self, fn.shape_args(shape, "broadcast_to"))

    def is_contiguous(self) -> bool:
        return bool(self.data.flags.c_contiguous)

    def element_size(self) -> int:
        return self.data.itemsize

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        """Iterate over the first dim, as PyTorch (each item a Tensor in the graph)."""
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def __contains__(self, value) -> bool:
        return bool((self.data == _raw(value)).any())

    def __index__(self) -> int:
        """An integer one-element tensor used as an index (``range(t)``, ``lst[t]``)."""
        if self.data.dtype.kind not in "iub" or self.data.size != 1:
            raise TypeError(f"only integer tensors of a single element can be converted to an index "
                            f"(dtype {self.data.dtype}, shape {self.data.shape})")
        return int(self.data.item())

    def item(self) -> float | int | bool:
        if self.data.size != 1:
            raise ValueError(f"item() needs a one-element tensor, this one has shape {self.data.shape}")
        return self.data.item()

    def numpy(self, force: bool = False) -> np.ndarray:
        """The data as an ndarray, shared, not copied (``torch.Tensor.numpy()``). Unlike
        PyTorch, a tensor that requires grad answers too, as ``np.asarray(t)`` does: the
        array is the tensor's memory, outside the graph (``force`` is accepted and changes
        nothing)."""
        return self.data

    def tolist(self):
        return self.data.tolist()

    def cpu(self) -> "Tensor":
        """This tensor (minigrad computes on the CPU)."""
        return self

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
        return fn.bitwise_and(self, other)

    def __rand__(self, other):
        return fn.bitwise_and(other, self)

    def __or__(self, other):
        return fn.bitwise_or(self, other)

    def __ror__(self, other):
        return fn.bitwise_or(other, self)

    def __xor__(self, other):
        return fn.bitwise_xor(self, other)

    def __rxor__(self, other):
        return fn.bitwise_xor(other, self)

    def __invert__(self):
        return fn.bitwise_not(self)

    # ---- reductions -------------------------------------------------------------------
    def sum(self, dim=None, keepdim: bool = False, dtype=None, *, axis=None, keepdims=None):
        """Sum over ``dim`` (None: all; an int or a tuple, negative counts from the end);
        ``keepdim`` keeps the summed dims with size 1. NumPy's ``axis``/``keepdims`` are
        accepted too. Booleans and integers sum to int64."""
        if axis is not None or keepdims is not None or dtype is not None or type(dim) is list:
            dim, keepdim = fn._dim_alias(dim, keepdim, axis, keepdims)
            source = self if dtype is None else self.to(dtype)
            return ops.sum(source, axis=dim, keepdims=keepdim)
        return ops.sum(self, axis=dim, keepdims=keepdim)

    def mean(self, dim=None, keepdim: bool = False, dtype=None, *, axis=None, keepdims=None):
        """Mean over ``dim``, as ``sum``. Integers and booleans give the default float dtype."""
        if axis is not None or keepdims is not None or dtype is not None or type(dim) is list:
            dim, keepdim = fn._dim_alias(dim, keepdim, axis, keepdims)
        source = self if dtype is None else self.to(dtype)
        if source.data.dtype.kind != "f":
            source = source.to(dtypes.get_default_dtype())
        return ops.mean(source, axis=dim, keepdims=keepdim)

    def max(self, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):
        """The largest element; over ``dim``, a named tuple ``(values, indices)`` (the
        gradient goes to the element at the index); given a Tensor, the elementwise
        maximum, as ``torch.max``. With NumPy's ``axis=``, NumPy's meaning: the values only,
        ties sharing the gradient evenly (as ``amax``)."""
        return fn.max(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def min(self, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):
        """As ``max``, for the smallest."""
        return fn.min(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amax(self, dim=(), keepdim: bool = False):
        return fn.amax(self, dim, keepdim)

    def amin(self, dim=(), keepdim: bool = False):
        return fn.amin(self, dim, keepdim)

    def all(self, dim=None, keepdim: bool = False):
        return fn.all(self, dim, keepdim)

    def any(self, dim=None, keepdim: bool = False):
        return fn.any(self, dim, keepdim)

    def argmax(self, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):
        return fn.argmax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def argmin(self, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):
        return fn.argmin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    # ---- elementwise ------------------------------------------------------------------
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

    def clamp(self, min=None, max=None):
        """Limit to [min, max] (numbers or tensors, either may be None); the gradient passes
        where min <= x <= max (and to a tensor bound where it clips)."""
        return fn.clamp(self, min, max)

    clip = clamp

    def where(self, condition, other):
        """``self`` where ``condition`` is True, else ``other`` (``torch.Tensor.where``)."""
        return fn.where(condition, self, other)

    def softmax(self, dim: int, dtype=None):
        return fn.softmax(self, dim, dtype)

    def log_softmax(self, dim: int, dtype=None):
        return fn.log_softmax(self, dim, dtype)

    def __floordiv__(self, other):
        return ops.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return ops.floor_divide(other, self)

    def __mod__(self, other):
        return ops.remainder(self, other)

    def __rmod__(self, other):
        return ops.remainder(other, self)

    def __lshift__(self, other):
        return fn.bitwise_left_shift(self, other)

    def __rshift__(self, other):
        return fn.bitwise_right_shift(self, other)

    # ---- shapes -----------------------------------------------------------------------
    def reshape(self, *shape):
        """Same data, new shape: ``t.reshape(2, 3)`` or ``t.reshape((2, -1))``."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return ops.reshape(self, shape=shape)

    def view(self, *shape):
        """The same memory seen with a new shape, as ``torch.Tensor.view``: it never copies,
        so a shape the memory layout cannot give (after a transpose, say) is an error; use
        ``reshape``, which copies when it must."""
        if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int, np.integer)):
            raise TypeError(f"view takes a shape; to reinterpret the bits as another dtype use "
                            f"t.numpy().view(dtype) (got {shape[0]!r:.40})")
        result = self.reshape(*shape)
        if result.data.size and not np.shares_memory(result.data, self.data):
            raise RuntimeError(f"view: shape {tuple(result.shape)} is not a view of this tensor's memory "
                               f"(shape {self.shape}, strides {self.data.strides}); use .reshape(...) instead")
        return result

    def view_as(self, other):
        return self.view(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        return fn.flatten(self, start_dim, end_dim)

    def unflatten(self, dim: int, sizes):
        return fn.unflatten(self, dim, sizes)

    def squeeze(self, dim=None):
        return fn.squeeze(self, dim)

    def unsqueeze(self, dim: int):
        return fn.unsqueeze(self, dim)

    def permute(self, *dims):
        return fn.permute(self, *dims)

    def transpose(self, *dims):
        """PyTorch's ``transpose(dim0, dim1)``: swap two dims. NumPy's spellings keep NumPy's
        meaning, so NumPy-style code keeps working: no argument reverses all dims, and a
        full permutation (one tuple, or as many ints as dims, other than two) reorders them
        (for that, prefer ``permute``)."""
        if len(dims) == 2 and not isinstance(dims[0], (tuple, list)):
            return fn.transpose(self, dims[0], dims[1])
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        if not dims:
            return ops.transpose(self, axes=None)
        return fn.permute(self, dims)

    def swapaxes(self, dim0: int, dim1: int):
        return fn.transpose(self, dim0, dim1)

    swapdims = swapaxes

    def movedim(self, source, destination):
        return fn.movedim(self, source, destination)

    moveaxis = movedim

    def t(self):
        return fn.t(self)

    @property
    def T(self):
        """All dims reversed (PyTorch deprecates ``.T`` beyond 2 dims; NumPy reverses them)."""
        return ops.transpose(self, axes=None)

    @property
    def mT(self):
        """The last two dims swapped (a batch of matrices transposed)."""
        return fn.transpose(self, -2, -1)

    def expand(self, *sizes):
        return fn.expand(self, *sizes)

    def expand_as(self, other):
        return fn.expand(self, other.shape)

    def repeat(self, *repeats):
        return fn.repeat(self, *repeats)

    def tile(self, *dims):
        return fn.tile(self, dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims)

    def clone(self):
        """A copy with its own memory, in the graph (the gradient passes through)."""
        return ops.clone(self)

    def contiguous(self):
        """This tensor if its memory is C-contiguous, else a contiguous copy."""
        return self if self.data.flags.c_contiguous else ops.clone(self)

    def gather(self, dim: int, index):
        return fn.gather(self, dim, index)

    # ---- dtypes -----------------------------------------------------------------------
    def astype(self, dtype):
        """A copy in another dtype; the gradient comes back in this tensor's dtype. A cast to
        an integer or boolean dtype gives a tensor that carries no gradient (as PyTorch)."""
        return ops.astype(self, dtype=dtypes.as_dtype(dtype, "astype"))

    def to(self, *args, dtype=None, device=None, copy: bool = False):
        """``to(dtype)``, ``to("cpu")``, ``to("cpu", dtype)`` or ``to(other)`` (its dtype):
        this tensor if nothing changes (and not ``copy``), else a converted copy."""
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif isinstance(arg, str) and arg.split(":")[0] in ("cpu", "cuda", "mps"):
                device = arg
            else:
                dtype = arg
        if device is not None and str(device) != "cpu":
            raise ValueError(f"minigrad runs on the CPU only; cannot move a tensor to {device!r}")
        if dtype is None or dtypes.as_dtype(dtype) == self.data.dtype:
            return ops.clone(self) if copy else self
        return self.astype(dtypes.as_dtype(dtype))

    def type_as(self, other):
        return self.to(other.dtype)

    def float(self):
        return self.to(dtypes.float32)

    def double(self):
        return self.to(dtypes.float64)

    def half(self):
        return self.to(dtypes.float16)

    def long(self):
        return self.to(dtypes.int64)

    def int(self):
        return self.to(dtypes.int32)

    def short(self):
        return self.to(dtypes.int16)

    def bool(self):
        return self.to(dtypes.bool)

    def byte(self):
        return self.to(dtypes.uint8)

    def char(self):
        return self.to(dtypes.int8)

    # ---- new tensors like this one ----------------------------------------------------
    def new_tensor(self, data, dtype=None, requires_grad: bool = False):
        return tensor(data, dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, requires_grad: bool = False):
        from minigrad import creation

        return creation.zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad: bool = False):
        from minigrad import creation

        return creation.ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, requires_grad: bool = False):
        from minigrad import creation

        return creation.full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, requires_grad: bool = False):
        return self.new_zeros(*size, dtype=dtype, requires_grad=requires_grad)


class ElementCount(int):
    """What ``t.size`` gives: the number of elements, an int as NumPy's ``size``; called,
    ``t.size()`` is the shape and ``t.size(dim)`` one dim's length, as PyTorch's."""

    def __new__(cls, shape: tuple) -> "ElementCount":
        count = super().__new__(cls, int(np.prod(shape, dtype=np.int64)))
        count.shape = shape
        return count

    def __call__(self, dim: int | None = None):
        if dim is None:
            return self.shape
        return self.shape[fn.normalize_dim(dim, len(self.shape))]


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


# The ops that give a view of their input's memory: writing into their result writes the input.
_VIEW_OPS = ("reshape", "transpose", "getitem", "broadcast_to")


def _check_writable_in_graph(tensor: Tensor, what: str) -> None:
    """PyTorch's refusals for an in-place op under autograd: on a leaf that requires grad,
    or on a view of one (the write would change the leaf behind the graph's back)."""
    if tensor._node is None and tensor._requires_grad:
        raise RuntimeError(f"{what}: a leaf Tensor that requires grad is being used in an in-place operation; "
                           f"do it inside `with mg.no_grad():` (as an optimizer does), or out of place")
    current = tensor
    while current._node is not None and current._node.primitive.name in _VIEW_OPS and current._node.inputs:
        base = current._node.inputs[0]
        if not isinstance(base, Tensor) or not np.may_share_memory(base.data, tensor.data):
            break
        if base._node is None and base._requires_grad:
            raise RuntimeError(f"{what}: a view of a leaf Tensor that requires grad is being used in an "
                               f"in-place operation; clone() the view, or do it inside `with mg.no_grad():`")
        current = base


def _check_fits(target: Tensor, result: Tensor, what: str) -> None:
    """An in-place result must have the target's shape and a dtype the target can hold."""
    if result.shape != target.shape:
        raise ValueError(f"{what}: the result has shape {result.shape}, which does not fit this tensor's "
                         f"shape {target.shape} (an in-place op cannot change the shape)")
    rank = {"b": 0, "i": 1, "u": 1, "f": 2}
    if rank[result.dtype.kind] > rank[target.dtype.kind]:
        raise TypeError(f"{what}: the result has dtype {result.dtype}, which cannot be cast to this tensor's "
                        f"dtype {target.dtype} (as PyTorch, an in-place op keeps the dtype)")


def _broadcast_for(source: Tensor, target: Tensor) -> Tensor:
    if source.shape == target.shape:
        return source
    try:
        return ops.broadcast_to(source, target.shape)
    except ValueError:
        raise ValueError(f"copy_: a source of shape {source.shape} does not broadcast to this tensor's "
                         f"shape {target.shape}") from None


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
from minigrad import functions as fn  # noqa: E402

_UFUNC_OPERATORS.update({
    np.add: ops.add, np.subtract: ops.sub, np.multiply: ops.mul, np.true_divide: ops.div,
    np.power: ops.power, np.matmul: ops.matmul,
    **{ufunc: _comparison(ufunc) for ufunc in (np.equal, np.not_equal, np.less, np.less_equal,
                                                np.greater, np.greater_equal)},
})


# Tensor methods that are the function of the same name in functions.py, the tensor first
# (``x.cumsum(0)`` is ``mg.cumsum(x, 0)``): written once there, listed here.
_METHODS_FROM_FUNCTIONS = (
    # elementwise
    "sin", "cos", "tan", "asin", "acos", "atan", "arcsin", "arccos", "arctan", "sinh", "cosh",
    "asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh", "rsqrt", "log2", "log10", "log1p",
    "exp2", "expm1", "erf", "erfc", "erfinv", "floor", "ceil", "trunc", "fix", "round", "frac",
    "square", "reciprocal", "neg", "negative", "sgn", "absolute", "pow", "atan2", "arctan2",
    "hypot", "logaddexp", "logaddexp2", "clamp_min", "clamp_max", "div", "divide", "true_divide",
    "floor_divide", "remainder", "fmod", "lerp", "nan_to_num", "maximum", "minimum", "add", "sub",
    "subtract", "mul", "multiply",
    # products
    "matmul", "mm", "bmm", "mv", "dot", "inner", "outer",
    # indexing
    "masked_fill", "masked_select", "index_select", "index_add", "index_copy", "index_fill",
    "scatter", "scatter_add", "scatter_reduce", "take", "take_along_dim", "nonzero", "argwhere",
    # sorting, scans, statistics
    "argsort", "sort", "topk", "kthvalue", "median", "cumsum", "cumprod", "cummax", "cummin",
    "logcumsumexp", "logsumexp", "var", "std", "prod", "norm",
    # structure
    "tril", "triu", "diagonal", "diag", "diag_embed", "trace", "flip", "fliplr", "flipud",
    "roll", "split", "chunk", "tensor_split", "unbind",
    # comparison, logical, bitwise
    "eq", "ne", "not_equal", "lt", "less", "le", "less_equal", "gt", "greater", "ge",
    "greater_equal", "equal", "logical_and", "logical_or", "logical_xor", "logical_not",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift",
    "bitwise_right_shift", "isclose", "allclose", "isnan", "isinf", "isfinite", "isposinf",
    "isneginf", "signbit",
    # more everyday names
    "ravel", "narrow", "select", "count_nonzero", "nansum", "nanmean", "diff", "repeat_interleave",
    "aminmax", "msort", "unique", "bincount", "xlogy", "logit", "deg2rad", "rad2deg", "addmm",
    "addcmul", "addcdiv", "float_power", "fmax", "fmin", "copysign", "sinc", "heaviside", "rot90",
    "cross", "kron", "hsplit", "vsplit", "split_with_sizes", "quantile",
)

# In-place twins (``x.exp_()``, ``x.clamp_min_(0)``): the function's result written into the
# tensor with the rules of Tensor._in_place.
_IN_PLACE_FROM_FUNCTIONS = (
    "abs", "absolute", "neg", "negative", "exp", "log", "sqrt", "relu", "sigmoid", "tanh", "sin",
    "cos", "tan", "asin", "acos", "atan", "arcsin", "arccos", "arctan", "sinh", "cosh", "asinh",
    "acosh", "atanh", "arcsinh", "arccosh", "arctanh", "rsqrt", "log2", "log10", "log1p", "exp2",
    "expm1", "erf", "erfc", "erfinv", "floor", "ceil", "round", "trunc", "fix", "frac", "sign",
    "sgn", "reciprocal", "square", "clamp_min", "clamp_max", "remainder", "fmod", "floor_divide",
    "hypot", "atan2", "arctan2", "nan_to_num", "tril", "triu", "cumsum", "cumprod", "logit",
    "xlogy", "copysign", "float_power", "deg2rad", "rad2deg", "sinc", "heaviside", "multiply",
    "divide", "subtract", "true_divide", "logical_and", "logical_or", "logical_xor", "logical_not",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift",
    "bitwise_right_shift", "eq", "ne", "not_equal", "lt", "less", "le", "less_equal", "gt",
    "greater", "ge", "greater_equal",
)


def _method(name: str, function):
    def method(self, *args, **kwargs):
        return function(self, *args, **kwargs)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = function.__doc__
    return method


def _in_place_method(name: str, function):
    def method(self, *args, **kwargs):
        operands = args + tuple(kwargs.values())
        return self._in_place(name, lambda x: function(x, *args, **kwargs), *operands)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In place: this tensor becomes ``{function.__name__}(self, ...)``."
    return method


for _name in _METHODS_FROM_FUNCTIONS:
    setattr(Tensor, _name, _method(_name, getattr(fn, _name)))
for _name in _IN_PLACE_FROM_FUNCTIONS:
    setattr(Tensor, _name + "_", _in_place_method(_name + "_", getattr(fn, _name)))
