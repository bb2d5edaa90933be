"""minigrad's functions under PyTorch's names: ``mg.sum(x, dim=1)``, ``mg.argmax``,
``mg.cat``, ``mg.einsum``, ... Each one is also a Tensor method where PyTorch has one
(``x.sum(dim=1)``); the methods call these.

They take PyTorch's arguments (``dim``, ``keepdim``, ``dim0, dim1``) with NumPy's ``axis``
and ``keepdims`` accepted as aliases. They are compositions of the primitives of
``ops.py`` (which hold every gradient rule), so each is differentiable as many times as
its primitives are. Dimensions out of range raise ``IndexError`` naming the dim and the
number of dimensions, as PyTorch's do.
"""
from __future__ import annotations

import builtins
import operator
from collections import namedtuple
from typing import Sequence

import numpy as np

from minigrad import dtypes, ops
from minigrad.tensor import Tensor

# PyTorch returns named tuples of (values, indices) from these; so does minigrad.
MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])


# ---- arguments ---------------------------------------------------------------------------------
def as_tensor_arg(value, what: str = "input") -> Tensor:
    """A function's tensor argument: a Tensor as is; an array, list or number made a Tensor."""
    if isinstance(value, Tensor):
        return value
    try:
        return Tensor(value)
    except TypeError as error:
        raise TypeError(f"{what} must be a Tensor (or array-like), got {type(value).__name__}") from error


def normalize_dim(dim, ndim: int, extra: int = 0) -> int:
    """``dim`` as a non-negative int for a tensor of ``ndim`` dims (``extra`` more allowed,
    as ``unsqueeze`` has). A 0-d tensor takes dim 0 or -1, as PyTorch."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}: {dim!r:.40}")
    span = builtins.max(ndim + extra, 1)
    if not -span <= dim < span:
        raise IndexError(f"dim {dim} is out of range for a tensor of {ndim} dimensions "
                         f"(expected a dim in [{-span}, {span - 1}])")
    return int(dim) % span


def normalize_dims(dims, ndim: int) -> tuple[int, ...]:
    """Several dims (an int or a sequence), each normalized; a repeated dim is an error."""
    seq = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    normal = tuple(normalize_dim(d, ndim) for d in seq)
    if len(set(normal)) != len(normal):
        raise ValueError(f"dims {tuple(seq)} repeat a dimension (of a {ndim}-dimensional tensor)")
    return normal


def _dim_alias(dim, keepdim, axis, keepdims):
    """PyTorch's ``dim``/``keepdim`` with NumPy's ``axis``/``keepdims`` as aliases."""
    if axis is not None:
        if dim is not None:
            raise TypeError("pass dim= or its alias axis=, not both")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    if isinstance(dim, list):
        dim = tuple(dim)
    return dim, bool(keepdim)


def shape_args(args: tuple, what: str) -> tuple[int, ...]:
    """A shape given as ``f(2, 3)`` or ``f((2, 3))``; -1 allowed (one inferred size)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    try:
        return tuple(operator.index(s) for s in args)
    except TypeError:
        raise TypeError(f"{what}: sizes must be ints, got {args!r:.60}") from None


# ---- reductions ------------------------------------------------------------------------------
def sum(input, dim=None, keepdim: bool = False, *, dtype=None, axis=None, keepdims=None) -> Tensor:
    """Sum over ``dim`` (None: all; an int or a tuple). Booleans and integers sum to int64."""
    return as_tensor_arg(input).sum(dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)


def mean(input, dim=None, keepdim: bool = False, *, dtype=None, axis=None, keepdims=None) -> Tensor:
    """Mean over ``dim``. An integer or bool input gives the default float dtype (PyTorch
    refuses it; minigrad takes the mean of the numbers)."""
    return as_tensor_arg(input).mean(dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)


def amax(input, dim=(), keepdim: bool = False) -> Tensor:
    """The maximum over ``dim`` (an int or a tuple; all dims by default). Ties share the
    gradient evenly, as in PyTorch."""
    x = as_tensor_arg(input)
    return ops.max(x, axis=None if dim == () else dim, keepdims=keepdim)


def amin(input, dim=(), keepdim: bool = False) -> Tensor:
    """The minimum over ``dim``, as ``amax``."""
    x = as_tensor_arg(input)
    return ops.min(x, axis=None if dim == () else dim, keepdims=keepdim)


def _arg_extremum(reduce, input, dim, keepdim, name) -> Tensor:
    x = as_tensor_arg(input)
    data = x.data
    if dim is None:
        if data.size == 0:
            raise ValueError(f"{name}: the tensor is empty; there is no {name[3:]}")
        found = reduce(data.reshape(-1), axis=0)
        return Tensor._from_op(np.asarray(found).reshape((1,) * data.ndim if keepdim else ()).astype(np.int64))
    axis = normalize_dim(dim, data.ndim)
    if data.ndim == 0:
        return Tensor._from_op(np.zeros((), dtype=np.int64))
    if data.shape[axis] == 0:
        raise ValueError(f"{name}: dim {dim} of shape {data.shape} is empty; there is no {name[3:]}")
    return Tensor._from_op(reduce(data, axis=axis, keepdims=keepdim).astype(np.int64, copy=False))


def argmax(input, dim=None, keepdim: bool = False, *, axis=None, keepdims=None) -> Tensor:
    """The index of the maximum (of the flattened tensor when ``dim`` is None); the first
    one where several tie. int64, no gradient."""
    dim, keepdim = _dim_alias(dim, keepdim, axis, keepdims)
    return _arg_extremum(np.argmax, input, dim, keepdim, "argmax")


def argmin(input, dim=None, keepdim: bool = False, *, axis=None, keepdims=None) -> Tensor:
    """The index of the minimum, as ``argmax``."""
    dim, keepdim = _dim_alias(dim, keepdim, axis, keepdims)
    return _arg_extremum(np.argmin, input, dim, keepdim, "argmin")


def _values_at(x: Tensor, indices: Tensor, dim: int, keepdim: bool) -> Tensor:
    """``x``'s values at ``indices`` (with the reduced dim kept) along ``dim``; the gradient
    goes to those elements only (as PyTorch's max(dim))."""
    values = gather(x, dim, indices)
    return values if keepdim else squeeze(values, dim)


def _extremum_with_dim(result_type, arg, input, dim, keepdim, other, axis, keepdims, amaxmin):
    x = as_tensor_arg(input)
    if isinstance(dim, (Tensor, np.ndarray)) or other is not None:
        return (ops.maximum if result_type is MaxResult else ops.minimum)(x, other if other is not None else dim)
    if axis is not None or keepdims is not None:  # NumPy's spelling keeps NumPy's meaning: values
        dim, keepdim = _dim_alias(dim, keepdim, axis, keepdims)
        return amaxmin(x, () if dim is None else dim, keepdim)
    if dim is None:
        return amaxmin(x)
    if x.ndim == 0:
        normalize_dim(dim, 0)
        return result_type(_same(x), Tensor._from_op(np.zeros((), dtype=np.int64)))
    dim = normalize_dim(dim, x.ndim)
    indices = arg(x, dim, keepdim=True)
    values = _values_at(x, indices, dim, keepdim)
    return result_type(values, indices if keepdim else squeeze(indices, dim))


def max(input, dim=None, keepdim: bool = False, *, other=None, axis=None, keepdims=None):
    """As ``torch.max``: with no ``dim``, the largest element (a Tensor); with ``dim``, a
    named tuple ``(values, indices)`` over that dim; with a Tensor second argument, the
    elementwise ``maximum``. NumPy's ``axis=`` keeps NumPy's meaning: the values only."""
    return _extremum_with_dim(MaxResult, argmax, input, dim, keepdim, other, axis, keepdims, amax)


def min(input, dim=None, keepdim: bool = False, *, other=None, axis=None, keepdims=None):
    """As ``max``, for the smallest."""
    return _extremum_with_dim(MinResult, argmin, input, dim, keepdim, other, axis, keepdims, amin)


def _logical_reduction(reduce, input, dim, keepdim) -> Tensor:
    x = as_tensor_arg(input)
    axes = None if dim is None else (normalize_dims(dim, x.ndim) if x.ndim else ())
    if dim is not None and not x.ndim:
        for d in ((dim,) if isinstance(dim, (int, np.integer)) else dim):
            normalize_dim(d, 0)
    return Tensor._from_op(np.asarray(reduce(x.data, axis=axes, keepdims=keepdim)))


def all(input, dim=None, keepdim: bool = False) -> Tensor:
    """Whether every element (over ``dim``, an int or a tuple) is non-zero: a bool tensor."""
    return _logical_reduction(np.all, input, dim, keepdim)


def any(input, dim=None, keepdim: bool = False) -> Tensor:
    """Whether some element (over ``dim``) is non-zero: a bool tensor."""
    return _logical_reduction(np.any, input, dim, keepdim)


# ---- shapes ----------------------------------------------------------------------------------
def reshape(input, *shape) -> Tensor:
    return as_tensor_arg(input).reshape(*shape)


def numel(input) -> int:
    return int(as_tensor_arg(input).data.size)


def squeeze(input, dim=None) -> Tensor:
    """Drop dims of size 1 (all of them, or those of ``dim``, an int or a tuple; a named dim
    whose size is not 1 stays, as in PyTorch)."""
    x = as_tensor_arg(input)
    if dim is None:
        dropped = {i for i, n in enumerate(x.shape) if n == 1}
    elif x.ndim == 0:
        for d in ((dim,) if isinstance(dim, (int, np.integer)) else dim):
            normalize_dim(d, 0)
        dropped = set()
    else:
        dropped = {d for d in normalize_dims(dim, x.ndim) if x.shape[d] == 1}
    return ops.reshape(x, shape=tuple(n for i, n in enumerate(x.shape) if i not in dropped))


def _same(x: Tensor) -> Tensor:
    """A result that is the input unchanged: a new Tensor on the same data (a view), linked
    to the input in the graph, as PyTorch's view ops return."""
    return ops.reshape(x, shape=x.shape)


def unsqueeze(input, dim: int) -> Tensor:
    """A new dim of size 1 at ``dim`` (from -ndim-1 to ndim)."""
    x = as_tensor_arg(input)
    position = normalize_dim(dim, x.ndim, extra=1)
    shape = list(x.shape)
    shape.insert(position, 1)
    return ops.reshape(x, shape=tuple(shape))


def flatten(input, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge the dims ``start_dim`` to ``end_dim`` (inclusive) into one."""
    x = as_tensor_arg(input)
    if x.ndim == 0:
        normalize_dim(start_dim, 0), normalize_dim(end_dim, 0)
        return ops.reshape(x, shape=(1,))
    start, end = normalize_dim(start_dim, x.ndim), normalize_dim(end_dim, x.ndim)
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                         f"(for a {x.ndim}-dimensional tensor)")
    merged = int(np.prod(x.shape[start:end + 1]))
    return ops.reshape(x, shape=x.shape[:start] + (merged,) + x.shape[end + 1:])


def unflatten(input, dim: int, sizes) -> Tensor:
    """Split dim ``dim`` into ``sizes`` (one of which may be -1)."""
    x = as_tensor_arg(input)
    position = normalize_dim(dim, x.ndim)
    sizes = shape_args((sizes,), "unflatten")
    known = int(np.prod([s for s in sizes if s != -1]))
    if sizes.count(-1) > 1 or (-1 not in sizes and known != x.shape[position]) or \
            (-1 in sizes and (known == 0 or x.shape[position] % known)):
        raise ValueError(f"unflatten: sizes {sizes} do not multiply to dim {dim}'s size "
                         f"{x.shape[position]} (shape {x.shape})")
    sizes = tuple(x.shape[position] // known if s == -1 else s for s in sizes)
    return ops.reshape(x, shape=x.shape[:position] + sizes + x.shape[position + 1:])


def permute(input, *dims) -> Tensor:
    """The dims in the order ``dims`` (a full permutation, negative dims allowed)."""
    x = as_tensor_arg(input)
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    if len(dims) != x.ndim:
        raise ValueError(f"permute: {len(dims)} dims {tuple(dims)} given for a tensor of "
                         f"{x.ndim} dimensions (shape {x.shape})")
    order = normalize_dims(dims, x.ndim)
    return ops.transpose(x, axes=order)


def transpose(input, dim0: int, dim1: int) -> Tensor:
    """Swap dims ``dim0`` and ``dim1`` (PyTorch's transpose; ``permute`` for a full order)."""
    x = as_tensor_arg(input)
    if x.ndim < 2:
        normalize_dim(dim0, x.ndim), normalize_dim(dim1, x.ndim)
        return _same(x)
    first, second = normalize_dim(dim0, x.ndim), normalize_dim(dim1, x.ndim)
    order = list(range(x.ndim))
    order[first], order[second] = order[second], order[first]
    return ops.transpose(x, axes=tuple(order))


swapaxes = swapdims = transpose


def t(input) -> Tensor:
    """The transpose of a matrix (a tensor of at most 2 dims, as ``torch.t``)."""
    x = as_tensor_arg(input)
    if x.ndim > 2:
        raise ValueError(f"t() expects a tensor of at most 2 dimensions, got shape {x.shape}; "
                         f"use transpose(dim0, dim1) or permute")
    return transpose(x, 0, 1) if x.ndim == 2 else _same(x)


def movedim(input, source, destination) -> Tensor:
    """Move dims ``source`` (an int or a tuple) to the positions ``destination``."""
    x = as_tensor_arg(input)
    sources, targets = normalize_dims(source, x.ndim), normalize_dims(destination, x.ndim)
    if len(sources) != len(targets):
        raise ValueError(f"movedim: {len(sources)} source dims but {len(targets)} destinations")
    order = [d for d in range(x.ndim) if d not in sources]
    for target, source_dim in sorted(zip(targets, sources)):
        order.insert(target, source_dim)
    return ops.transpose(x, axes=tuple(order))


moveaxis = movedim


def expand(input, *sizes) -> Tensor:
    """``input`` broadcast to ``sizes`` (-1 keeps a dim's size), without copying."""
    x = as_tensor_arg(input)
    sizes = shape_args(sizes, "expand")
    if len(sizes) < x.ndim:
        raise ValueError(f"expand: {len(sizes)} sizes {sizes} for a tensor of {x.ndim} dimensions "
                         f"(shape {x.shape}); give at least one per dim")
    lead = len(sizes) - x.ndim
    target = []
    for i, size in enumerate(sizes):
        if size == -1:
            if i < lead:
                raise ValueError(f"expand: -1 is not allowed for a new leading dim (sizes {sizes})")
            size = x.shape[i - lead]
        target.append(size)
    for i, n in enumerate(x.shape):
        if n != 1 and n != target[lead + i]:
            raise ValueError(f"expand: shape {x.shape} cannot be expanded to {tuple(target)} "
                             f"(dim {i} has size {n}, not 1)")
    return ops.broadcast_to(x, tuple(target))


def repeat(input, *repeats) -> Tensor:
    """Tile ``input`` ``repeats`` times along each dim (as ``torch.Tensor.repeat``: at least
    one count per dim; extra counts add leading dims)."""
    x = as_tensor_arg(input)
    counts = shape_args(repeats, "repeat")
    if len(counts) < x.ndim:
        raise ValueError(f"repeat: {len(counts)} counts {counts} for a tensor of {x.ndim} "
                         f"dimensions (shape {x.shape}); give at least one per dim")
    if builtins.any(c < 0 for c in counts):
        raise ValueError(f"repeat: counts must be non-negative, got {counts}")
    shape = (1,) * (len(counts) - x.ndim) + x.shape
    # (s0, s1, ...) -> (1, s0, 1, s1, ...) -> broadcast to (r0, s0, r1, s1, ...) -> (r0 s0, r1 s1, ...)
    interleaved = tuple(v for n in shape for v in (1, n))
    spread = tuple(v for r, n in zip(counts, shape) for v in (r, n))
    tiled = ops.broadcast_to(ops.reshape(x, shape=interleaved), spread)
    return ops.reshape(tiled, shape=tuple(r * n for r, n in zip(counts, shape)))


def tile(input, dims) -> Tensor:
    """As ``repeat``, but fewer counts than dims repeat the last dims (as ``torch.tile``)."""
    x = as_tensor_arg(input)
    counts = shape_args((dims,), "tile")
    return repeat(x, (1,) * (x.ndim - len(counts)) + counts)


def clone(input) -> Tensor:
    """A copy with its own memory; the gradient passes through unchanged."""
    return ops.clone(as_tensor_arg(input))


# ---- joining and gathering ------------------------------------------------------------------
def _coordinates(index: np.ndarray, dim: int) -> tuple:
    """The full index tuple that reads element ``index[i0, .., ik]`` at position ``i_dim``
    replaced by that index: ``x[coords]`` is PyTorch's ``gather(x, dim, index)``."""
    coords = []
    for axis in range(index.ndim):
        if axis == dim:
            coords.append(index)
        else:
            shape = [1] * index.ndim
            shape[axis] = index.shape[axis]
            coords.append(np.arange(index.shape[axis]).reshape(shape))
    return tuple(coords)


def index_array(index, what: str) -> np.ndarray:
    """An index argument as an int64 array (a Tensor, an array or a list of ints)."""
    data = index.data if isinstance(index, Tensor) else np.asarray(index)
    if data.dtype.kind not in "iu":
        raise TypeError(f"{what}: index must hold integers, got dtype {data.dtype}")
    return data.astype(np.int64, copy=False)


def _checked_gather_index(x: Tensor, dim: int, index: np.ndarray, what: str) -> np.ndarray:
    if index.ndim != builtins.max(x.ndim, 1) and not (x.ndim == 0 and index.ndim <= 1):
        raise ValueError(f"{what}: index has {index.ndim} dims but the input has {x.ndim} "
                         f"(shapes {index.shape} and {x.shape}); they must match")
    for axis, (n_index, n_input) in enumerate(zip(index.shape, x.shape)):
        if axis != dim and n_index > n_input:
            raise ValueError(f"{what}: index shape {index.shape} is larger than input shape "
                             f"{x.shape} in dim {axis}")
    size = x.shape[dim] if x.ndim else 1
    if index.size and (index.min() < 0 or index.max() >= size):
        bad = index[(index < 0) | (index >= size)].ravel()[0]
        raise IndexError(f"{what}: index {bad} is out of bounds for dim {dim} of size {size}")
    return index


def gather(input, dim: int, index) -> Tensor:
    """``out[i][j][k] = input[index[i][j][k]][j][k]`` for dim 0 (and so on): the values of
    ``input`` at ``index`` along ``dim``; the gradient adds back to those positions."""
    x = as_tensor_arg(input)
    axis = normalize_dim(dim, x.ndim)
    positions = _checked_gather_index(x, axis, index_array(index, "gather"), "gather")
    if x.ndim == 0:
        return ops.getitem(ops.reshape(x, shape=(1,)), index=(positions.reshape(-1),)).reshape(positions.shape)
    return ops.getitem(x, index=_coordinates(positions, axis))
