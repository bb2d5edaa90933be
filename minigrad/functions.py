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


def take_along_dim(input, indices, dim=None) -> Tensor:
    """``gather`` with broadcasting of ``input`` and ``indices`` in the other dims (and, with
    no ``dim``, on the flattened tensor), as ``torch.take_along_dim``."""
    x = as_tensor_arg(input)
    positions = index_array(indices, "take_along_dim")
    if dim is None:
        return gather(ops.reshape(x, shape=(-1,)), 0, positions.reshape(-1))
    axis = normalize_dim(dim, x.ndim)
    if positions.ndim != x.ndim:
        raise ValueError(f"take_along_dim: indices have {positions.ndim} dims, the input {x.ndim} "
                         f"(shapes {positions.shape} and {x.shape})")
    shape_x, shape_i = list(x.shape), list(positions.shape)
    shape_x[axis] = shape_i[axis] = 1
    common = np.broadcast_shapes(tuple(shape_x), tuple(shape_i))
    x_shape = common[:axis] + (x.shape[axis],) + common[axis + 1:]
    i_shape = common[:axis] + (positions.shape[axis],) + common[axis + 1:]
    return gather(ops.broadcast_to(x, x_shape), axis, np.broadcast_to(positions, i_shape))


def index_select(input, dim: int, index) -> Tensor:
    """The slices of ``input`` at ``index`` (1-D) along ``dim``."""
    x = as_tensor_arg(input)
    axis = normalize_dim(dim, x.ndim)
    positions = index_array(index, "index_select")
    if positions.ndim > 1:
        raise ValueError(f"index_select: index must be 1-D, got shape {positions.shape}")
    size = x.shape[axis] if x.ndim else 1
    if positions.size and (positions.min() < -size or positions.max() >= size):
        raise IndexError(f"index_select: index {positions.max() if positions.max() >= size else positions.min()} "
                         f"is out of bounds for dim {dim} of size {size}")
    if x.ndim == 0:
        return ops.getitem(ops.reshape(x, shape=(1,)), index=positions.reshape(-1))
    return ops.getitem(x, index=(slice(None),) * axis + (positions.reshape(-1),))


def take(input, index) -> Tensor:
    """The elements of the flattened ``input`` at ``index`` (shaped like ``index``)."""
    x = as_tensor_arg(input)
    positions = index_array(index, "take")
    if positions.size and (positions.min() < -x.data.size or positions.max() >= x.data.size):
        raise IndexError(f"take: an index is out of bounds for {x.data.size} elements")
    return ops.getitem(ops.reshape(x, shape=(-1,)), index=positions)


def _scatter_coordinates(x: Tensor, dim, index, src, what: str):
    """The checked dim, index coordinates and the part of ``src`` that is written."""
    axis = normalize_dim(dim, x.ndim)
    positions = _checked_gather_index(x, axis, index_array(index, what), what)
    coords = _coordinates(positions, axis) if x.ndim else (positions.reshape(-1),)
    if isinstance(src, (Tensor, np.ndarray)) and np.ndim(src.data if isinstance(src, Tensor) else src):
        source = as_tensor_arg(src)
        if source.ndim != positions.ndim or builtins.any(n > m for n, m in zip(positions.shape, source.shape)):
            raise ValueError(f"{what}: src of shape {source.shape} is smaller than index of shape "
                             f"{positions.shape} (or has another number of dims)")
        if source.dtype != x.dtype:
            raise TypeError(f"{what}: src has dtype {source.dtype} but the input has {x.dtype}; they must match")
        source = ops.getitem(source, index=tuple(slice(0, n) for n in positions.shape))
    else:
        value = src.item() if isinstance(src, Tensor) else src
        source = np.full(positions.shape, value, dtype=x.dtype)
    return axis, coords, source


def scatter(input, dim: int, index, src=None, *, value=None, reduce=None) -> Tensor:
    """A copy of ``input`` with ``src`` (a tensor, or ``value``) written at ``index`` along
    ``dim``: ``out[index[i][j]][j] = src[i][j]`` for dim 0. Where an index repeats, one of
    the writes wins (which one is unspecified in PyTorch; here the last)."""
    x = as_tensor_arg(input)
    if src is None and value is None:
        raise TypeError("scatter needs src= (a tensor) or value= (a number)")
    if reduce is not None:
        legacy = {"add": "sum", "multiply": "prod"}
        if reduce not in legacy:
            raise ValueError(f"scatter: reduce must be 'add' or 'multiply', got {reduce!r}")
        return scatter_reduce(x, dim, index, src if src is not None else value, legacy[reduce])
    _, coords, source = _scatter_coordinates(x, dim, index, src if src is not None else value, "scatter")
    return ops.index_put(x, source, index=coords)


def scatter_add(input, dim: int, index, src) -> Tensor:
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim`` (repeats add up)."""
    x = as_tensor_arg(input)
    _, coords, source = _scatter_coordinates(x, dim, index, src, "scatter_add")
    return ops.index_put(x, source, index=coords, accumulate=True)


_SCATTER_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def scatter_reduce(input, dim: int, index, src, reduce: str, *, include_self: bool = True) -> Tensor:
    """``input`` with the values of ``src`` reduced into the places ``index`` names along
    ``dim``, by ``reduce``: "sum", "prod", "mean", "amax" or "amin", with the input's own
    value taking part unless ``include_self=False`` (as ``torch.scatter_reduce``). Ties of
    amax/amin share the gradient evenly, as in PyTorch."""
    x = as_tensor_arg(input)
    if reduce not in _SCATTER_REDUCTIONS:
        raise ValueError(f"scatter_reduce: reduce must be one of {_SCATTER_REDUCTIONS}, got {reduce!r}")
    _, coords, source = _scatter_coordinates(x, dim, index, src, "scatter_reduce")
    if reduce in ("amax", "amin"):
        return ops.scatter_extremum(x, source, index=coords, reduce=reduce, include_self=include_self)
    if reduce == "prod":
        return ops.scatter_prod(x, source, index=coords, include_self=include_self)
    written = ops._written_mask(x.shape, coords)
    base = x if include_self else ops.where(written, 0, x)
    total = ops.index_put(base, source, index=coords, accumulate=True)
    if reduce == "sum":
        return total
    count = ops._put_add_forward(np.ones(np.shape(source.data if isinstance(source, Tensor) else source)),
                                 x.shape, coords) + (1 if include_self else 0)
    count = np.where(written, count, 1)
    if x.dtype.kind != "f":
        return Tensor._from_op(np.floor_divide(total.data, count.astype(x.dtype)))
    return ops.where(written, total / count.astype(x.dtype), x)


def index_add(input, dim: int, index, source, *, alpha=1) -> Tensor:
    """``input`` with ``alpha * source`` added at ``index`` (1-D) along ``dim``; repeats add up."""
    x = as_tensor_arg(input)
    axis = normalize_dim(dim, x.ndim)
    positions = index_array(index, "index_add").reshape(-1)
    added = as_tensor_arg(source) * alpha if alpha != 1 else as_tensor_arg(source)
    return ops.index_put(x, added, index=(slice(None),) * axis + (positions,), accumulate=True)


def index_copy(input, dim: int, index, source) -> Tensor:
    x = as_tensor_arg(input)
    axis = normalize_dim(dim, x.ndim)
    positions = index_array(index, "index_copy").reshape(-1)
    return ops.index_put(x, as_tensor_arg(source), index=(slice(None),) * axis + (positions,))


def index_fill(input, dim: int, index, value) -> Tensor:
    x = as_tensor_arg(input)
    axis = normalize_dim(dim, x.ndim)
    positions = index_array(index, "index_fill").reshape(-1)
    return ops.index_put(x, value, index=(slice(None),) * axis + (positions,))


def _bool_mask(mask, what: str) -> np.ndarray:
    data = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if data.dtype != np.bool_:
        raise TypeError(f"{what}: mask must be a bool tensor, got dtype {data.dtype}")
    return data


def masked_fill(input, mask, value) -> Tensor:
    """``input`` with ``value`` (a number or a 0-d tensor) where ``mask`` (broadcast) is True."""
    x = as_tensor_arg(input)
    where_mask = _bool_mask(mask, "masked_fill")
    if isinstance(value, Tensor) and value.ndim:
        raise ValueError(f"masked_fill: value must be a number or a 0-d tensor, got shape {value.shape}")
    try:
        np.broadcast_shapes(where_mask.shape, x.shape)
    except ValueError:
        raise ValueError(f"masked_fill: mask of shape {where_mask.shape} does not broadcast to "
                         f"the input's shape {x.shape}") from None
    filled = ops.where(where_mask, value, x)
    if filled.shape != x.shape:
        filled = ops.broadcast_to(filled, x.shape) if filled.ndim <= x.ndim else filled
    if filled.shape != x.shape:
        raise ValueError(f"masked_fill: mask of shape {where_mask.shape} does not broadcast to "
                         f"the input's shape {x.shape}")
    return filled if filled.dtype == x.dtype else filled.to(x.dtype)


def masked_select(input, mask) -> Tensor:
    """The elements where ``mask`` (broadcast with ``input``) is True, as a 1-D tensor."""
    x = as_tensor_arg(input)
    where_mask = _bool_mask(mask, "masked_select")
    try:
        shape = np.broadcast_shapes(where_mask.shape, x.shape)
    except ValueError:
        raise ValueError(f"masked_select: mask of shape {where_mask.shape} and input of shape "
                         f"{x.shape} do not broadcast") from None
    source = x if x.shape == shape else ops.broadcast_to(x, shape)
    return ops.getitem(source, index=np.broadcast_to(where_mask, shape))


def nonzero(input, *, as_tuple: bool = False):
    """The indices of the non-zero elements: an (n, ndim) int64 tensor, or with
    ``as_tuple`` one 1-D tensor per dim."""
    data = as_tensor_arg(input).data
    found = np.nonzero(np.atleast_1d(data))
    if as_tuple:
        return tuple(Tensor._from_op(f.astype(np.int64)) for f in found)
    stacked = np.stack(found, axis=1) if found else np.zeros((0, data.ndim), np.int64)
    return Tensor._from_op(stacked.astype(np.int64).reshape(-1, data.ndim))


argwhere = nonzero


def where(condition, input=None, other=None) -> Tensor:
    """``input`` where ``condition`` is True, else ``other`` (broadcast; numbers allowed);
    with the condition alone, ``nonzero(condition, as_tuple=True)``."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where takes (condition, input, other), or the condition alone")
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor, got dtype {cond.dtype}")
    return ops.where(cond, input, other)


# ---- cumulative and sorting -----------------------------------------------------------------------
SortResult = namedtuple("sort", ["values", "indices"])
TopkResult = namedtuple("topk", ["values", "indices"])
CummaxResult = namedtuple("cummax", ["values", "indices"])
CumminResult = namedtuple("cummin", ["values", "indices"])
KthvalueResult = namedtuple("kthvalue", ["values", "indices"])
MedianResult = namedtuple("median", ["values", "indices"])


def _scan_dim(x: Tensor, dim) -> int:
    return normalize_dim(dim, x.ndim)


def cumsum(input, dim: int, *, dtype=None) -> Tensor:
    """Running sums along ``dim``; integers and booleans give int64 (as PyTorch)."""
    x = as_tensor_arg(input)
    source = x if dtype is None else x.to(dtype)
    if source.ndim == 0:
        _scan_dim(x, dim)
        return clone(source)
    return ops.cumsum(source, axis=_scan_dim(x, dim))


def cumprod(input, dim: int, *, dtype=None) -> Tensor:
    """Running products along ``dim``; the gradient is exact where elements are zero."""
    x = as_tensor_arg(input)
    source = x if dtype is None else x.to(dtype)
    if source.ndim == 0:
        _scan_dim(x, dim)
        return clone(source)
    return ops.cumprod(source, axis=_scan_dim(x, dim))


def logcumsumexp(input, dim: int) -> Tensor:
    """log(cumsum(exp(input))) along ``dim``, computed without overflow."""
    x = as_tensor_arg(input)
    if x.ndim == 0:
        _scan_dim(x, dim)
        return clone(x if x.dtype.kind == "f" else x.float())
    return ops.logcumsumexp(x, axis=_scan_dim(x, dim))


def _cumulative_extremum(result_type, accumulate, input, dim):
    x = as_tensor_arg(input)
    axis = _scan_dim(x, dim)
    if x.ndim == 0:
        return result_type(clone(x), Tensor._from_op(np.zeros((), np.int64)))
    data = x.data
    running = accumulate(data, axis=axis)
    positions = ops._axis_positions(data.shape, axis)
    # The index of the latest element equal to the running extremum (PyTorch's choice on ties).
    marks = np.where(data == running, positions, 0)
    indices = np.maximum.accumulate(marks, axis=axis) if data.size else marks
    indices = indices.astype(np.int64)
    return result_type(gather(x, axis, indices), Tensor._from_op(indices))


def cummax(input, dim: int):
    """Running maxima along ``dim`` and where each was found: ``(values, indices)``."""
    return _cumulative_extremum(CummaxResult, np.maximum.accumulate, input, dim)


def cummin(input, dim: int):
    """Running minima along ``dim``: ``(values, indices)``."""
    return _cumulative_extremum(CumminResult, np.minimum.accumulate, input, dim)


def _sort_indices(data: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """A stable argsort along ``axis``; descending keeps equal elements in their order."""
    if not descending:
        return np.argsort(data, axis=axis, kind="stable")
    flipped = np.flip(data, axis=axis)
    order = np.flip(np.argsort(flipped, axis=axis, kind="stable"), axis=axis)
    return data.shape[axis] - 1 - order


def argsort(input, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (stable always: equal elements keep
    their order)."""
    x = as_tensor_arg(input)
    if x.ndim == 0:
        normalize_dim(dim, 0)
        return Tensor._from_op(np.zeros((), np.int64))
    return Tensor._from_op(_sort_indices(x.data, normalize_dim(dim, x.ndim), descending).astype(np.int64))


def sort(input, dim: int = -1, descending: bool = False, stable: bool = False):
    """``(values, indices)`` of ``input`` sorted along ``dim`` (NaN last, as PyTorch); the
    gradient goes back to each value's place. Always stable."""
    x = as_tensor_arg(input)
    indices = argsort(x, dim, descending)
    if x.ndim == 0:
        return SortResult(clone(x), indices)
    return SortResult(gather(x, normalize_dim(dim, x.ndim), indices), indices)


def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices."""
    x = as_tensor_arg(input)
    axis = normalize_dim(dim, x.ndim)
    size = x.shape[axis] if x.ndim else 1
    count = operator.index(k)
    if not 0 <= count <= size:
        raise ValueError(f"topk: k ({count}) must be in [0, {size}] (dim {dim} of shape {x.shape})")
    if x.ndim == 0:
        return TopkResult(clone(x), Tensor._from_op(np.zeros((), np.int64)))
    order = _sort_indices(x.data, axis, descending=largest)
    chosen = order[(slice(None),) * axis + (slice(0, count),)].astype(np.int64)
    return TopkResult(gather(x, axis, chosen), Tensor._from_op(chosen))


def kthvalue(input, k: int, dim: int = -1, keepdim: bool = False):
    """The ``k``-th smallest element (k from 1) along ``dim`` and its index."""
    x = as_tensor_arg(input)
    axis = normalize_dim(dim, x.ndim)
    size = x.shape[axis] if x.ndim else 1
    if not 1 <= operator.index(k) <= size:
        raise ValueError(f"kthvalue: k ({k}) must be in [1, {size}] (dim {dim} of shape {x.shape})")
    if x.ndim == 0:
        return KthvalueResult(clone(x), Tensor._from_op(np.zeros((), np.int64)))
    order = _sort_indices(x.data, axis, descending=False)
    chosen = order[(slice(None),) * axis + (slice(k - 1, k),)].astype(np.int64)
    values = gather(x, axis, chosen)
    if not keepdim:
        values, chosen = squeeze(values, axis), chosen.squeeze(axis)
    return KthvalueResult(values, Tensor._from_op(chosen))


def median(input, dim=None, keepdim: bool = False):
    """The lower median (of all elements, a Tensor; or along ``dim``, ``(values, indices)``),
    as PyTorch: for an even count, the smaller of the two middle elements."""
    x = as_tensor_arg(input)
    if dim is None:
        flat = ops.reshape(x, shape=(-1,))
        if not flat.shape[0]:
            raise ValueError("median of an empty tensor")
        return kthvalue(flat, (flat.shape[0] + 1) // 2, 0).values
    axis = normalize_dim(dim, x.ndim)
    size = x.shape[axis] if x.ndim else 1
    values, indices = kthvalue(x, (size + 1) // 2, axis, keepdim)
    return MedianResult(values, indices)


# ---- statistics ------------------------------------------------------------------------------
def logsumexp(input, dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(input))) over ``dim`` (an int or a tuple), without overflow."""
    x = as_tensor_arg(input)
    if x.ndim == 0:  # a number: dim 0 or -1 is the identity, as PyTorch
        for d in ((dim,) if isinstance(dim, (int, np.integer)) else dim):
            normalize_dim(d, 0)
        return ops.logsumexp(x, axis=None, keepdims=keepdim)
    return ops.logsumexp(x, axis=normalize_dims(dim, x.ndim), keepdims=keepdim)


def _correction(correction, unbiased) -> float:
    if unbiased is not None:
        if correction is not None:
            raise TypeError("pass correction= or the older unbiased=, not both")
        return 1.0 if unbiased else 0.0
    return 1.0 if correction is None else float(correction)


def var(input, dim=None, *, correction=None, keepdim: bool = False, unbiased=None) -> Tensor:
    """The variance over ``dim``: sum((x - mean)^2) / (N - correction), correction 1 by
    default (Bessel's), as ``torch.var``; ``unbiased=False`` is correction 0."""
    x = as_tensor_arg(input)
    if x.dtype.kind != "f":
        raise TypeError(f"var: needs a floating-point tensor, got dtype {x.dtype}")
    dims = None if dim is None else (normalize_dims(dim, x.ndim) if x.ndim else None)
    count = x.data.size if dims is None else int(np.prod([x.shape[d] for d in dims]))
    centered = x - x.mean(dims, keepdim=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (centered * centered).sum(dims, keepdim=keepdim) / builtins.max(count - _correction(correction, unbiased), 0)


def std(input, dim=None, *, correction=None, keepdim: bool = False, unbiased=None) -> Tensor:
    """The standard deviation: ``sqrt(var(...))``, the same arguments."""
    return var(input, dim, correction=correction, keepdim=keepdim, unbiased=unbiased).sqrt()


def var_mean(input, dim=None, *, correction=None, keepdim: bool = False, unbiased=None):
    return (var(input, dim, correction=correction, keepdim=keepdim, unbiased=unbiased),
            as_tensor_arg(input).mean(dim, keepdim=keepdim))


def std_mean(input, dim=None, *, correction=None, keepdim: bool = False, unbiased=None):
    return (std(input, dim, correction=correction, keepdim=keepdim, unbiased=unbiased),
            as_tensor_arg(input).mean(dim, keepdim=keepdim))


def prod(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The product over ``dim`` (one dim, or all); the gradient is exact with zeros."""
    x = as_tensor_arg(input)
    source = x if dtype is None else x.to(dtype)
    if dim is None:
        return ops.prod(source, axis=None, keepdims=keepdim)
    axis = normalize_dim(dim, x.ndim)
    if x.ndim == 0:
        return clone(source)
    return ops.prod(source, axis=axis, keepdims=keepdim)


def vector_norm(input, ord=2, dim=None, keepdim: bool = False) -> Tensor:
    """The vector ``ord``-norm over ``dim`` (all elements by default): (sum |x|^ord)^(1/ord),
    with ord = inf (max |x|), -inf (min |x|) and 0 (count of non-zeros); as
    ``torch.linalg.vector_norm``. The gradient at a zero vector is 0."""
    x = as_tensor_arg(input)
    dims = None if dim is None else (normalize_dims(dim, x.ndim) if x.ndim else None)
    return ops.vector_norm(x, ord=float(ord), axis=dims, keepdims=keepdim)


def norm(input, p="fro", dim=None, keepdim: bool = False) -> Tensor:
    """``torch.norm`` for vectors: the ``p``-norm over ``dim`` ("fro" is the 2-norm of all
    the elements; matrix norms other than Frobenius are not provided)."""
    if p in ("fro", None):
        p = 2
    if isinstance(p, str):
        raise ValueError(f"norm: p={p!r} (a matrix norm) is not provided; use p='fro' or a number")
    return vector_norm(input, p, dim, keepdim)


# ---- elementwise ------------------------------------------------------------------------------
def clamp(input, min=None, max=None) -> Tensor:
    """Limit ``input`` to [min, max] (numbers or tensors; either may be None). The input's
    gradient passes where min <= x <= max, each tensor bound's where it clips."""
    x = as_tensor_arg(input)
    if min is None and max is None:
        raise TypeError("clamp needs at least one of min= and max=")
    numbers = not isinstance(min, (Tensor, np.ndarray)) and not isinstance(max, (Tensor, np.ndarray))
    integral = builtins.all(b is None or isinstance(b, (int, np.integer)) for b in (min, max))
    if numbers and (x.dtype.kind == "f" or integral):
        return ops.clip(x, low=min, high=max)  # the common case: one primitive, bounds as numbers
    return ops.clamp(x, min, max)


clip = clamp


def clamp_min(input, min) -> Tensor:
    return clamp(input, min=min)


def clamp_max(input, max) -> Tensor:
    return clamp(input, max=max)


def div(input, other, *, rounding_mode=None) -> Tensor:
    """``input / other``: true division (integers give the default float dtype), or with
    ``rounding_mode`` "trunc" or "floor", the quotient rounded (zero gradient)."""
    if rounding_mode is None:
        return ops.div(input, other)
    if rounding_mode == "floor":
        return ops.floor_divide(input, other)
    if rounding_mode == "trunc":
        return ops.trunc_divide(input, other)
    raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")


divide = true_divide = div


def floor_divide(input, other) -> Tensor:
    """``floor(input / other)`` (Python's //)."""
    return ops.floor_divide(input, other)


def remainder(input, other) -> Tensor:
    """``input - floor(input / other) * other``: the sign of ``other`` (Python's %)."""
    return ops.remainder(input, other)


def fmod(input, other) -> Tensor:
    """``input - trunc(input / other) * other``: the sign of ``input`` (C's fmod)."""
    return ops.fmod(input, other)


def pow(input, exponent) -> Tensor:
    """``input ** exponent``; either may be a number or a tensor (broadcast)."""
    return ops.power(input, exponent)


def square(input) -> Tensor:
    x = as_tensor_arg(input)
    return x * x


def reciprocal(input) -> Tensor:
    return ops.div(1.0, as_tensor_arg(input))


def frac(input) -> Tensor:
    """``input - trunc(input)``: the fractional part, with the input's sign."""
    x = as_tensor_arg(input)
    return x - ops.trunc(x)


def lerp(input, end, weight) -> Tensor:
    """``input + weight * (end - input)`` (weight a number or a tensor)."""
    start = as_tensor_arg(input)
    return start + weight * (end - start)


def nan_to_num(input, nan: float = 0.0, posinf=None, neginf=None) -> Tensor:
    """NaN, inf and -inf replaced by numbers (the dtype's largest and smallest by default);
    the gradient passes where the input was finite."""
    x = as_tensor_arg(input)
    if x.dtype.kind != "f":
        return clone(x)
    info = np.finfo(x.dtype)
    replaced = np.nan_to_num(x.data, nan=nan, posinf=info.max if posinf is None else posinf,
                             neginf=info.min if neginf is None else neginf)
    return ops.where(np.isfinite(x.data), x, replaced)


def round(input, decimals: int = 0) -> Tensor:
    """Round half to even (as PyTorch), to ``decimals`` decimal places."""
    return ops.round(as_tensor_arg(input), decimals=operator.index(decimals))


# ---- comparison, logical and bitwise --------------------------------------------------------------
def _compare(ufunc):
    def compare(input, other) -> Tensor:
        a = input.data if isinstance(input, Tensor) else input
        b = other.data if isinstance(other, Tensor) else other
        return Tensor._from_op(np.asarray(ufunc(a, b)))
    compare.__name__ = ufunc.__name__
    return compare


eq = _compare(np.equal)
ne = not_equal = _compare(np.not_equal)
lt = less = _compare(np.less)
le = less_equal = _compare(np.less_equal)
gt = greater = _compare(np.greater)
ge = greater_equal = _compare(np.greater_equal)
logical_and = _compare(np.logical_and)
logical_or = _compare(np.logical_or)
logical_xor = _compare(np.logical_xor)


def logical_not(input) -> Tensor:
    return Tensor._from_op(np.logical_not(as_tensor_arg(input).data))


def equal(input, other) -> bool:
    """True if both have the same shape and elements (``torch.equal``)."""
    a, b = as_tensor_arg(input).data, as_tensor_arg(other).data
    return a.shape == b.shape and bool((a == b).all())


def _integral(*values, what: str) -> list:
    arrays = []
    for value in values:
        data = value.data if isinstance(value, Tensor) else np.asarray(value)
        if data.dtype.kind not in "biu":
            raise TypeError(f"{what} is defined for integer and bool tensors, got dtype {data.dtype}")
        arrays.append(data)
    return arrays


def _bitwise(ufunc, what):
    def bitwise(input, other) -> Tensor:
        a, b = _integral(input, other, what=what)
        return Tensor._from_op(np.asarray(ufunc(*ops.promoted(a, b))))
    bitwise.__name__ = what
    return bitwise


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")
bitwise_left_shift = _bitwise(np.left_shift, "bitwise_left_shift")
bitwise_right_shift = _bitwise(np.right_shift, "bitwise_right_shift")


def bitwise_not(input) -> Tensor:
    (a,) = _integral(input, what="bitwise_not")
    return Tensor._from_op(np.invert(a))


def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """Elementwise |input - other| <= atol + rtol |other| (PyTorch's and NumPy's defaults)."""
    a, b = as_tensor_arg(input).data, as_tensor_arg(other).data
    return Tensor._from_op(np.asarray(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)))


def allclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    return bool(isclose(input, other, rtol, atol, equal_nan).data.all())


def _elementwise_test(ufunc):
    def test(input) -> Tensor:
        return Tensor._from_op(np.asarray(ufunc(as_tensor_arg(input).data)))
    test.__name__ = ufunc.__name__
    return test


isnan = _elementwise_test(np.isnan)
isinf = _elementwise_test(np.isinf)
isfinite = _elementwise_test(np.isfinite)
isposinf = _elementwise_test(np.isposinf)
isneginf = _elementwise_test(np.isneginf)
signbit = _elementwise_test(np.signbit)


# ---- matrices and structure -------------------------------------------------------------------
def _triangle(select, input, diagonal):
    x = as_tensor_arg(input)
    if x.ndim < 2:
        raise ValueError(f"{select.__name__} needs a tensor of at least 2 dims, got shape {x.shape}")
    keep = select(np.ones(x.shape[-2:], dtype=bool), operator.index(diagonal))
    zero = np.zeros((), dtype=x.dtype)
    return ops.where(keep, x, zero)


def tril(input, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (from the ``diagonal``-th diagonal down)."""
    return _triangle(np.tril, input, diagonal)


def triu(input, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims."""
    return _triangle(np.triu, input, diagonal)


def _diagonal_positions(rows: int, columns: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
    start_row, start_col = (0, offset) if offset >= 0 else (-offset, 0)
    length = builtins.max(0, builtins.min(rows - start_row, columns - start_col))
    steps = np.arange(length)
    return start_row + steps, start_col + steps


def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The ``offset``-th diagonal of the matrices in dims ``dim1``, ``dim2``, as the last dim
    (``torch.diagonal``)."""
    x = as_tensor_arg(input)
    first, second = normalize_dim(dim1, x.ndim), normalize_dim(dim2, x.ndim)
    if first == second:
        raise ValueError(f"diagonal: dim1 and dim2 are the same dim ({dim1}, {dim2})")
    rest = [d for d in range(x.ndim) if d not in (first, second)]
    moved = ops.transpose(x, axes=tuple(rest) + (first, second))
    rows, cols = _diagonal_positions(x.shape[first], x.shape[second], operator.index(offset))
    return ops.getitem(moved, index=(Ellipsis, rows, cols))


def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices with ``input``'s last dim on their ``offset``-th diagonal (in dims dim1, dim2)."""
    x = as_tensor_arg(input)
    if x.ndim == 0:
        raise ValueError("diag_embed needs a tensor of at least 1 dim")
    n = x.shape[-1] + builtins.abs(operator.index(offset))
    rows, cols = _diagonal_positions(n, n, offset)
    embedded = ops.put_add(x, shape=x.shape[:-1] + (n, n), index=(Ellipsis, rows, cols))
    out_ndim = x.ndim + 1
    first, second = normalize_dim(dim1, out_ndim), normalize_dim(dim2, out_ndim)
    if (first, second) == (out_ndim - 2, out_ndim - 1):
        return embedded
    order = [None] * out_ndim
    order[first], order[second] = out_ndim - 2, out_ndim - 1
    others = iter(range(out_ndim - 2))
    return ops.transpose(embedded, axes=tuple(o if o is not None else next(others) for o in order))


def diag(input, diagonal: int = 0) -> Tensor:
    """A 1-D tensor: the square matrix with it on the ``diagonal``-th diagonal; a 2-D one:
    that diagonal, as a 1-D tensor (``torch.diag``)."""
    x = as_tensor_arg(input)
    if x.ndim == 1:
        return diag_embed(x, diagonal)
    if x.ndim == 2:
        return globals()["diagonal"](x, diagonal)
    raise ValueError(f"diag takes a 1-D or 2-D tensor, got shape {x.shape}")


def trace(input) -> Tensor:
    x = as_tensor_arg(input)
    if x.ndim != 2:
        raise ValueError(f"trace takes a matrix, got shape {x.shape}")
    return diagonal(x).sum()


def flip(input, dims) -> Tensor:
    """The order of the elements reversed along ``dims`` (an int or a tuple)."""
    x = as_tensor_arg(input)
    axes = normalize_dims(dims, x.ndim) if x.ndim else ()
    index = tuple(slice(None, None, -1) if d in axes else slice(None) for d in range(x.ndim))
    return ops.getitem(x, index=index)


def fliplr(input) -> Tensor:
    return flip(input, 1)


def flipud(input) -> Tensor:
    return flip(input, 0)


def roll(input, shifts, dims=None) -> Tensor:
    """Elements shifted by ``shifts`` along ``dims``, wrapping around (the flattened tensor
    when ``dims`` is None)."""
    x = as_tensor_arg(input)
    if dims is None:
        if not isinstance(shifts, (int, np.integer)) and len(shifts) != 1:
            raise ValueError("roll: without dims, shifts must be one number")
        shift = operator.index(shifts if isinstance(shifts, (int, np.integer)) else shifts[0])
        flat = ops.reshape(x, shape=(-1,))
        n = flat.shape[0]
        rolled = ops.getitem(flat, index=(np.arange(n) - shift) % n) if n else flat
        return ops.reshape(rolled, shape=x.shape)
    shift_list = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    dim_list = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(shift_list) != len(dim_list):
        raise ValueError(f"roll: {len(shift_list)} shifts for {len(dim_list)} dims")
    out = x
    for shift, dim in zip(shift_list, dim_list):
        axis = normalize_dim(dim, x.ndim)
        n = x.shape[axis]
        if n:
            out = ops.getitem(out, index=(slice(None),) * axis + ((np.arange(n) - operator.index(shift)) % n,))
    return out


def cat(tensors: Sequence, dim: int = 0, *, axis=None) -> Tensor:
    """Join ``tensors`` along ``dim`` (NumPy's ``axis=`` is an alias); they must agree in
    every other dim (and are promoted to one dtype, as PyTorch)."""
    dim = dim if axis is None else axis
    items = [as_tensor_arg(t, "cat's tensors") for t in tensors]
    if not items:
        raise ValueError("cat needs at least one tensor")
    # PyTorch's legacy rule: 1-D empty tensors are skipped.
    kept = [t for t in items if not (t.ndim == 1 and t.shape[0] == 0)] or items[:1]
    reference = kept[0]
    if reference.ndim == 0:
        raise ValueError("cat: zero-dimensional tensors cannot be joined; use stack")
    axis = normalize_dim(dim, reference.ndim)
    for number, t in enumerate(kept):
        if t.ndim != reference.ndim or t.shape[:axis] + t.shape[axis + 1:] != reference.shape[:axis] + reference.shape[axis + 1:]:
            raise ValueError(f"cat: tensor {number} has shape {t.shape}, but tensor 0 has {reference.shape}; "
                             f"they must match except in dim {dim}")
    dtype = dtypes.result_type(*[t.data for t in kept]) if len({t.dtype for t in kept}) > 1 else reference.dtype
    kept = [t if t.dtype == dtype else t.to(dtype) for t in kept]
    return ops.concatenate(kept, axis=axis)


concat = concatenate = cat


def stack(tensors: Sequence, dim: int = 0, *, axis=None) -> Tensor:
    """Join ``tensors`` of one shape along a new dim ``dim`` (``axis=`` is an alias)."""
    dim = dim if axis is None else axis
    items = [as_tensor_arg(t, "stack's tensors") for t in tensors]
    if not items:
        raise ValueError("stack needs at least one tensor")
    for number, t in enumerate(items):
        if t.shape != items[0].shape:
            raise ValueError(f"stack: tensor {number} has shape {t.shape}, but tensor 0 has {items[0].shape}; "
                             f"stacked tensors must have one shape")
    axis = normalize_dim(dim, items[0].ndim, extra=1)
    dtype = dtypes.result_type(*[t.data for t in items]) if len({t.dtype for t in items}) > 1 else items[0].dtype
    items = [t if t.dtype == dtype else t.to(dtype) for t in items]
    return ops.stack(items, axis=axis)


def hstack(tensors: Sequence) -> Tensor:
    items = [as_tensor_arg(t) for t in tensors]
    return cat(items, 0 if items and items[0].ndim == 1 else 1)


def vstack(tensors: Sequence) -> Tensor:
    return cat([t if t.ndim >= 2 else t.reshape(1, -1) for t in map(as_tensor_arg, tensors)], 0)


def split(tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Pieces of ``tensor`` along ``dim``: each ``split_size`` long (the last may be shorter),
    or of the lengths in a list (which must add up to the dim's size). Views of the input."""
    x = as_tensor_arg(tensor)
    axis = normalize_dim(dim, x.ndim)
    size = x.shape[axis]
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = operator.index(split_size_or_sections)
        if step <= 0 and size:
            raise ValueError(f"split: split_size must be positive, got {step}")
        lengths = [builtins.min(step, size - start) for start in range(0, size, step)] if size else [0]
    else:
        lengths = [operator.index(n) for n in split_size_or_sections]
        if builtins.sum(lengths) != size or builtins.any(n < 0 for n in lengths):
            raise ValueError(f"split: sections {lengths} do not add up to dim {dim}'s size {size} "
                             f"(shape {x.shape})")
    pieces, start = [], 0
    for length in lengths:
        pieces.append(ops.getitem(x, index=(slice(None),) * axis + (slice(start, start + length),)))
        start += length
    return tuple(pieces)


def chunk(input, chunks: int, dim: int = 0) -> tuple:
    """At most ``chunks`` pieces of equal length (ceil(size / chunks); the last may be
    shorter), as ``torch.chunk``."""
    x = as_tensor_arg(input)
    count = operator.index(chunks)
    if count <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {count}")
    size = x.shape[normalize_dim(dim, x.ndim)]
    return split(x, builtins.max(1, -(-size // count)), dim)


def tensor_split(input, indices_or_sections, dim: int = 0) -> tuple:
    """``n`` pieces as equal as possible (the first ones one longer), or split at indices."""
    x = as_tensor_arg(input)
    axis = normalize_dim(dim, x.ndim)
    size = x.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        n = operator.index(indices_or_sections)
        if n <= 0:
            raise ValueError(f"tensor_split: sections must be positive, got {n}")
        lengths = [size // n + (1 if i < size % n else 0) for i in range(n)]
        return split(x, lengths, axis)
    # At indices: the pieces between consecutive ones (empty where an index goes backwards).
    bounds = [0] + [operator.index(i) for i in indices_or_sections] + [size]
    return tuple(ops.getitem(x, index=(slice(None),) * axis + (slice(start, builtins.max(start, stop)),))
                 for start, stop in zip(bounds, bounds[1:]))


def unbind(input, dim: int = 0) -> tuple:
    """The slices along ``dim``, each without it."""
    x = as_tensor_arg(input)
    axis = normalize_dim(dim, x.ndim)
    return tuple(ops.getitem(x, index=(slice(None),) * axis + (i,)) for i in range(x.shape[axis]))


def meshgrid(*tensors, indexing: str = "ij") -> tuple:
    """Coordinate grids from 1-D tensors ("ij": matrix indexing, as PyTorch's default)."""
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    items = [as_tensor_arg(t) for t in tensors]
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if builtins.any(t.ndim > 1 for t in items):
        raise ValueError("meshgrid takes 0-D or 1-D tensors")
    sizes = [t.data.size for t in items]
    if indexing == "xy" and len(items) >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    grids = []
    for number, t in enumerate(items):
        position = number
        if indexing == "xy" and len(items) >= 2 and number < 2:
            position = 1 - number
        shape = [1] * len(items)
        shape[position] = t.data.size
        grids.append(ops.broadcast_to(ops.reshape(t, shape=tuple(shape)), tuple(sizes)))
    return tuple(grids)


# ---- products ------------------------------------------------------------------------------------
def matmul(input, other) -> Tensor:
    return ops.matmul(input, other)


def mm(input, mat2) -> Tensor:
    """The product of two matrices (2-D only, as ``torch.mm``)."""
    a, b = as_tensor_arg(input), as_tensor_arg(mat2)
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"mm takes two matrices, got shapes {a.shape} and {b.shape}")
    return ops.matmul(a, b)


def bmm(input, mat2) -> Tensor:
    """Batched matrix products of (b, n, m) and (b, m, p) tensors."""
    a, b = as_tensor_arg(input), as_tensor_arg(mat2)
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        raise ValueError(f"bmm takes two 3-D tensors with one batch size, got shapes {a.shape} and {b.shape}")
    return ops.matmul(a, b)


def mv(input, vec) -> Tensor:
    a, v = as_tensor_arg(input), as_tensor_arg(vec)
    if a.ndim != 2 or v.ndim != 1:
        raise ValueError(f"mv takes a matrix and a vector, got shapes {a.shape} and {v.shape}")
    return ops.matmul(a, v)


def dot(input, other) -> Tensor:
    a, b = as_tensor_arg(input), as_tensor_arg(other)
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"dot takes two 1-D tensors of one length, got shapes {a.shape} and {b.shape}")
    return ops.matmul(a, b)


inner = dot


def outer(input, vec2) -> Tensor:
    a, b = as_tensor_arg(input), as_tensor_arg(vec2)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"outer takes two 1-D tensors, got shapes {a.shape} and {b.shape}")
    return ops.reshape(a, shape=(-1, 1)) * ops.reshape(b, shape=(1, -1))


ger = outer


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation, as ``torch.einsum`` ("ij,jk->ik", "bij,bjk->bik", "ii->i",
    "...ij->...ji", implicit outputs). Differentiable in every operand: each gradient is
    itself an einsum."""
    if len(operands) == 1 and isinstance(operands[0], (tuple, list)):
        operands = tuple(operands[0])
    tensors = [as_tensor_arg(op, "einsum's operands") for op in operands]
    equation = equation.replace(" ", "")
    inputs, arrow, output = equation.partition("->")
    subscripts = inputs.split(",")
    if len(subscripts) != len(tensors):
        raise ValueError(f"einsum: the equation {equation!r} names {len(subscripts)} operands, "
                         f"{len(tensors)} were given")
    unused = iter(c for c in _LETTERS if c not in equation)
    ellipsis_letters = ""
    expanded = []
    for number, (subs, t) in enumerate(zip(subscripts, tensors)):
        explicit = subs.replace("...", "")
        if not builtins.all(c in _LETTERS for c in explicit):
            raise ValueError(f"einsum: operand {number}'s subscripts {subs!r} must be letters")
        if "..." in subs:
            count = t.ndim - len(explicit)
            if count < 0:
                raise ValueError(f"einsum: operand {number} has {t.ndim} dims, fewer than its subscripts {subs!r}")
            while len(ellipsis_letters) < count:
                ellipsis_letters = next(unused) + ellipsis_letters
            subs = subs.replace("...", ellipsis_letters[len(ellipsis_letters) - count:])
        if len(subs) != t.ndim:
            raise ValueError(f"einsum: operand {number} has {t.ndim} dims but subscripts {subs!r}")
        expanded.append(subs)
    if arrow:
        output = output.replace("...", ellipsis_letters)
    else:
        counts = {c: "".join(expanded).count(c) for c in "".join(expanded)}
        output = ellipsis_letters + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ellipsis_letters))
    sizes: dict = {}
    for number, (subs, t) in enumerate(zip(expanded, tensors)):
        for letter, n in zip(subs, t.shape):
            if sizes.setdefault(letter, n) != n and n != 1 and sizes[letter] != 1:
                raise ValueError(f"einsum: subscript {letter!r} has size {sizes[letter]} in one operand and {n} "
                                 f"in operand {number} (shapes {[t.shape for t in tensors]})")
            sizes[letter] = builtins.max(sizes[letter], n)
    prepared = []
    for subs, t in zip(expanded, tensors):
        subs, t = _einsum_unique(subs, t)
        target = tuple(sizes[c] for c in subs)
        prepared.append((subs, t if t.shape == target else ops.broadcast_to(t, target)))
    for letter in output:
        if letter not in sizes:
            raise ValueError(f"einsum: output subscript {letter!r} is in no operand")
    plain = ",".join(s for s, _ in prepared) + "->" + output
    return ops.einsum(*[t for _, t in prepared], equation=plain)


def _einsum_unique(subs: str, t: Tensor) -> tuple[str, Tensor]:
    """A letter repeated in one operand means its diagonal: take it, so that every letter
    is used once per operand (the form ops.einsum differentiates)."""
    while True:
        repeated = next((c for c in subs if subs.count(c) > 1), None)
        if repeated is None:
            return subs, t
        first = subs.index(repeated)
        second = subs.index(repeated, first + 1)
        t = diagonal(t, 0, first, second)
        subs = "".join(c for i, c in enumerate(subs) if i not in (first, second)) + repeated


# ---- functions of the nn namespace ------------------------------------------------------------
def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot rows of class indices (``num_classes=-1``: the largest index + 1)."""
    labels = as_tensor_arg(tensor).data
    if labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot takes integer class indices, got dtype {labels.dtype}")
    if labels.size and labels.min() < 0:
        raise ValueError(f"one_hot: class indices must be non-negative, got {labels.min()}")
    count = int(labels.max()) + 1 if num_classes == -1 and labels.size else operator.index(num_classes)
    if num_classes == -1 and not labels.size:
        raise ValueError("one_hot: cannot infer the number of classes of an empty tensor; give num_classes")
    if labels.size and labels.max() >= count:
        raise ValueError(f"one_hot: class index {labels.max()} is not below num_classes={count}")
    return Tensor._from_op((labels[..., None] == np.arange(count)).astype(np.int64))


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim`` (``torch.nn.functional.normalize``)."""
    x = as_tensor_arg(input)
    norms = vector_norm(x, p, dim, keepdim=True)
    return x / ops.clip(norms, low=eps, high=None)


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input, pad: Sequence[int], mode: str = "constant", value: float = 0.0) -> Tensor:
    """Pad (or, with negative sizes, crop) the last dims, as ``torch.nn.functional.pad``:
    ``pad`` is (left, right) for the last dim, then (top, bottom) for the one before, ...
    Modes: "constant" (``value``), "reflect" (mirrored, the edge not repeated),
    "replicate" (the edge repeated) and "circular" (wrapped around). Differentiable: the
    padding is gathered from the input, so its gradient adds back to where it came from."""
    x = as_tensor_arg(input)
    sizes = [operator.index(n) for n in pad]
    if len(sizes) % 2 or len(sizes) > 2 * x.ndim:
        raise ValueError(f"pad: {len(sizes)} sizes {tuple(sizes)} must come in pairs, at most two per dim "
                         f"(the input has {x.ndim} dims, shape {x.shape})")
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {_PAD_MODES}, got {mode!r}")
    out = x
    for pair in range(len(sizes) // 2):
        axis = x.ndim - 1 - pair
        before, after = sizes[2 * pair], sizes[2 * pair + 1]
        out = _pad_one_dim(out, axis, before, after, mode, value)
    return out


def _pad_one_dim(x: Tensor, axis: int, before: int, after: int, mode: str, value) -> Tensor:
    n = x.shape[axis]
    if mode == "constant":
        crop = slice(builtins.max(-before, 0), n - builtins.max(-after, 0))
        if crop != slice(0, n):
            x = ops.getitem(x, index=(slice(None),) * axis + (crop,))
        pieces = []
        for count in (builtins.max(before, 0), builtins.max(after, 0)):
            shape = x.shape[:axis] + (count,) + x.shape[axis + 1:]
            pieces.append(Tensor._from_op(np.full(shape, value, dtype=x.dtype)))
        if not pieces[0].shape[axis] and not pieces[1].shape[axis]:
            return x
        return ops.concatenate([pieces[0], x, pieces[1]], axis=axis)
    if before < 0 or after < 0:
        raise ValueError(f"pad: negative sizes ({before}, {after}) crop only in 'constant' mode")
    if mode == "reflect":
        if before >= n or after >= n:
            raise ValueError(f"pad: reflect padding ({before}, {after}) must be smaller than the dim's size {n}")
        positions = np.concatenate([np.arange(before, 0, -1), np.arange(n), np.arange(n - 2, n - 2 - after, -1)])
    elif mode == "replicate":
        if n == 0:
            raise ValueError("pad: cannot replicate the edge of an empty dim")
        positions = np.concatenate([np.zeros(before, int), np.arange(n), np.full(after, n - 1)])
    else:
        if before > n or after > n:
            raise ValueError(f"pad: circular padding ({before}, {after}) must not exceed the dim's size {n}")
        positions = np.arange(-before, n + after) % builtins.max(n, 1)
    return ops.getitem(x, index=(slice(None),) * axis + (positions.astype(np.int64),))


def softmax(input, dim: int, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim`` (stable), as ``torch.softmax``."""
    from minigrad.nn import functional as nn_functional

    x = as_tensor_arg(input)
    x = x if dtype is None else x.to(dtype)
    if x.dtype.kind != "f":
        x = x.to(dtypes.get_default_dtype())
    return nn_functional.softmax(x, normalize_dim(dim, x.ndim))


def log_softmax(input, dim: int, dtype=None) -> Tensor:
    """x - logsumexp(x) along ``dim`` (stable), as ``torch.log_softmax``."""
    from minigrad.nn import functional as nn_functional

    x = as_tensor_arg(input)
    x = x if dtype is None else x.to(dtype)
    if x.dtype.kind != "f":
        x = x.to(dtypes.get_default_dtype())
    return nn_functional.log_softmax(x, normalize_dim(dim, x.ndim))


def _unary_function(primitive):
    def apply(input) -> Tensor:
        return primitive(as_tensor_arg(input))
    apply.__name__ = primitive.name
    apply.__doc__ = f"Elementwise {primitive.name} (differentiable)."
    return apply


for _name in ("exp", "log", "sqrt", "abs", "relu", "tanh", "sigmoid", "sign", "sin", "cos", "tan",
              "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "rsqrt", "log2",
              "log10", "log1p", "exp2", "expm1", "erf", "erfc", "erfinv", "floor", "ceil", "trunc", "neg"):
    globals()[_name] = _unary_function(getattr(ops, _name))
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh  # noqa: F821
absolute, negative, sgn, fix = abs, neg, sign, trunc  # noqa: F821


def atan2(input, other) -> Tensor:
    return ops.atan2(input, other)


arctan2 = atan2


def hypot(input, other) -> Tensor:
    return ops.hypot(input, other)


def logaddexp(input, other) -> Tensor:
    return ops.logaddexp(input, other)


def logaddexp2(input, other) -> Tensor:
    return ops.logaddexp2(input, other)


def maximum(input, other) -> Tensor:
    return ops.maximum(input, other)


def minimum(input, other) -> Tensor:
    return ops.minimum(input, other)


def add(input, other, *, alpha=1) -> Tensor:
    return ops.add(input, other if alpha == 1 else other * alpha)


def sub(input, other, *, alpha=1) -> Tensor:
    return ops.sub(input, other if alpha == 1 else other * alpha)


subtract = sub


def mul(input, other) -> Tensor:
    return ops.mul(input, other)


multiply = mul


# ---- more of PyTorch's everyday names, composed of the above ------------------------------------
AminmaxResult = namedtuple("aminmax", ["min", "max"])


def ravel(input) -> Tensor:
    return ops.reshape(as_tensor_arg(input), shape=(-1,))


def narrow(input, dim: int, start: int, length: int) -> Tensor:
    """``length`` elements of dim ``dim`` from ``start`` (a view)."""
    x = as_tensor_arg(input)
    axis = normalize_dim(dim, x.ndim)
    size = x.shape[axis]
    first = operator.index(start) + (size if start < 0 else 0)
    if not 0 <= first <= size or length < 0 or first + length > size:
        raise IndexError(f"narrow: start {start} and length {length} do not fit dim {dim} of size {size}")
    return ops.getitem(x, index=(slice(None),) * axis + (slice(first, first + length),))


def select(input, dim: int, index: int) -> Tensor:
    """The slice at ``index`` of dim ``dim``, without that dim (a view)."""
    x = as_tensor_arg(input)
    axis = normalize_dim(dim, x.ndim)
    size = x.shape[axis]
    if not -size <= operator.index(index) < size:
        raise IndexError(f"select: index {index} is out of range for dim {dim} of size {size}")
    return ops.getitem(x, index=(slice(None),) * axis + (operator.index(index),))


def count_nonzero(input, dim=None) -> Tensor:
    x = as_tensor_arg(input)
    axes = None if dim is None else normalize_dims(dim, x.ndim)
    return Tensor._from_op(np.asarray(np.count_nonzero(x.data, axis=axes)).astype(np.int64))


def nansum(input, dim=None, keepdim: bool = False) -> Tensor:
    """The sum with NaN counted as zero (their gradient is zero)."""
    x = as_tensor_arg(input)
    if x.dtype.kind != "f":
        return x.sum(dim, keepdim)
    return ops.where(np.isnan(x.data), np.zeros((), x.dtype), x).sum(dim, keepdim)


def nanmean(input, dim=None, keepdim: bool = False) -> Tensor:
    """The mean of the elements that are not NaN."""
    x = as_tensor_arg(input)
    present = Tensor._from_op((~np.isnan(x.data)).astype(x.dtype))
    return nansum(x, dim, keepdim) / present.sum(dim, keepdim)


def diff(input, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """Differences of neighbours along ``dim``, ``n`` times (``prepend``/``append`` first)."""
    x = as_tensor_arg(input)
    axis = normalize_dim(dim, x.ndim)
    if prepend is not None or append is not None:
        x = cat([t for t in (prepend, x, append) if t is not None], axis)
    for _ in range(operator.index(n)):
        x = ops.getitem(x, index=(slice(None),) * axis + (slice(1, None),)) - \
            ops.getitem(x, index=(slice(None),) * axis + (slice(None, -1),))
    return x


def repeat_interleave(input, repeats, dim=None) -> Tensor:
    """Each element (or slice along ``dim``) repeated ``repeats`` times (an int or one count
    per element); the flattened tensor when ``dim`` is None."""
    x = as_tensor_arg(input)
    if dim is None:
        x, axis = ops.reshape(x, shape=(-1,)), 0
    else:
        axis = normalize_dim(dim, x.ndim)
    counts = repeats.data if isinstance(repeats, Tensor) else np.asarray(repeats)
    size = x.shape[axis]
    if counts.ndim and counts.shape != (size,):
        raise ValueError(f"repeat_interleave: {counts.shape[0]} counts for dim {dim} of size {size}")
    if np.any(counts < 0):
        raise ValueError("repeat_interleave: counts must be non-negative")
    positions = np.repeat(np.arange(size), counts)
    return ops.getitem(x, index=(slice(None),) * axis + (positions,))


def aminmax(input, *, dim=None, keepdim: bool = False):
    """``(min, max)`` over ``dim`` (all elements by default)."""
    x = as_tensor_arg(input)
    reduce = () if dim is None else dim
    return AminmaxResult(amin(x, reduce, keepdim), amax(x, reduce, keepdim))


def msort(input) -> Tensor:
    return sort(input, 0).values


def unique(input, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False, dim=None):
    """The distinct values (sorted), and optionally where each element's value is in them and
    how often each occurs. No gradient, as in PyTorch."""
    x = as_tensor_arg(input)
    axis = None if dim is None else normalize_dim(dim, x.ndim)
    values, inverse, counts = np.unique(x.data, return_inverse=True, return_counts=True, axis=axis)
    results = [Tensor._from_op(values)]
    if return_inverse:
        results.append(Tensor._from_op(inverse.reshape(x.shape if axis is None else -1).astype(np.int64)))
    if return_counts:
        results.append(Tensor._from_op(counts.astype(np.int64)))
    return results[0] if len(results) == 1 else tuple(results)


def bincount(input, weights=None, minlength: int = 0) -> Tensor:
    """How often each non-negative integer occurs in a 1-D tensor (summed ``weights``)."""
    data = as_tensor_arg(input).data
    if data.ndim != 1 or data.dtype.kind not in "iu":
        raise TypeError(f"bincount takes a 1-D integer tensor, got dtype {data.dtype}, shape {data.shape}")
    if data.size and data.min() < 0:
        raise ValueError(f"bincount: values must be non-negative, got {data.min()}")
    weight_data = None if weights is None else as_tensor_arg(weights).data
    counts = np.bincount(data, weights=weight_data, minlength=minlength)
    if weight_data is None:
        return Tensor._from_op(counts.astype(np.int64))
    return Tensor._from_op(counts.astype(weight_data.dtype if weight_data.dtype.kind == "f" else np.float64))


def xlogy(input, other) -> Tensor:
    """``input * log(other)``, 0 where ``input`` is 0 (even where ``other`` is 0)."""
    x, y = as_tensor_arg(input), as_tensor_arg(other)
    zero = x.data == 0
    safe = ops.where(zero, np.ones((), y.dtype if y.dtype.kind == "f" else np.float32), y)
    return ops.where(zero, np.zeros((), dtypes.result_type(x.data, y.data, 1.0)), x * ops.log(safe))


def logit(input, eps=None) -> Tensor:
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when ``eps`` is given."""
    p = as_tensor_arg(input)
    if eps is not None:
        p = clamp(p, eps, 1 - eps)
    return ops.log(p / (1 - p))


def deg2rad(input) -> Tensor:
    return as_tensor_arg(input) * (np.pi / 180)


def rad2deg(input) -> Tensor:
    return as_tensor_arg(input) * (180 / np.pi)


def addmm(input, mat1, mat2, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``."""
    product = mm(mat1, mat2)
    return (input if beta == 1 else beta * input) + (product if alpha == 1 else alpha * product)


def addcmul(input, tensor1, tensor2, *, value=1) -> Tensor:
    return input + value * tensor1 * tensor2


def addcdiv(input, tensor1, tensor2, *, value=1) -> Tensor:
    return input + value * tensor1 / tensor2


def float_power(input, exponent) -> Tensor:
    """``input ** exponent`` in float64 (as ``torch.float_power``)."""
    base = as_tensor_arg(input).to(dtypes.float64)
    power_of = exponent.to(dtypes.float64) if isinstance(exponent, Tensor) else exponent
    return ops.power(base, power_of)


def _nan_ignoring(extremum, input, other) -> Tensor:
    x, y = as_tensor_arg(input), as_tensor_arg(other)
    chosen = extremum(x, y)
    return ops.where(np.isnan(x.data), y, ops.where(np.isnan(y.data), x, chosen))


def fmax(input, other) -> Tensor:
    """The elementwise maximum, taking the number where one side is NaN."""
    return _nan_ignoring(ops.maximum, input, other)


def fmin(input, other) -> Tensor:
    return _nan_ignoring(ops.minimum, input, other)


def copysign(input, other) -> Tensor:
    """|input| with the sign of ``other``."""
    x = as_tensor_arg(input)
    negative = np.signbit(other.data if isinstance(other, Tensor) else np.asarray(other))
    magnitude = ops.abs(x if x.dtype.kind == "f" else x.to(dtypes.get_default_dtype()))
    return ops.where(negative, -magnitude, magnitude)


def sinc(input) -> Tensor:
    """sin(pi x) / (pi x), 1 at 0."""
    x = as_tensor_arg(input)
    zero = x.data == 0
    scaled = ops.where(zero, np.ones((), x.dtype if x.dtype.kind == "f" else np.float32), x) * np.pi
    return ops.where(zero, np.ones((), scaled.dtype), ops.sin(scaled) / scaled)


def heaviside(input, values) -> Tensor:
    """1 where input > 0, 0 where < 0, ``values`` where 0 (no gradient, as PyTorch)."""
    x, v = as_tensor_arg(input).data, as_tensor_arg(values).data
    return Tensor._from_op(np.asarray(np.heaviside(x, v)).astype(dtypes.result_type(x, v)))


def rot90(input, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotated by 90 degrees ``k`` times in the plane of ``dims``, from the first dim toward
    the second."""
    x = as_tensor_arg(input)
    first, second = normalize_dims(dims, x.ndim)
    turns = operator.index(k) % 4
    if turns == 1:
        return transpose(flip(x, second), first, second)
    if turns == 2:
        return flip(x, (first, second))
    if turns == 3:
        return flip(transpose(x, first, second), second)
    return _same(x)


def cross(input, other, dim=None) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (the first dim of size 3 when None)."""
    a, b = as_tensor_arg(input), as_tensor_arg(other)
    if dim is None:
        dim = next((d for d, n in enumerate(a.shape) if n == 3), None)
        if dim is None:
            raise ValueError(f"cross: no dim of size 3 in shape {a.shape}")
    axis = normalize_dim(dim, a.ndim)
    if a.shape[axis] != 3 or b.shape[normalize_dim(dim, b.ndim)] != 3:
        raise ValueError(f"cross: dim {dim} must have size 3, got shapes {a.shape} and {b.shape}")
    shifted = [(slice(None),) * axis + (np.array(order),) for order in ([1, 2, 0], [2, 0, 1])]
    return ops.getitem(a, index=shifted[0]) * ops.getitem(b, index=shifted[1]) - \
        ops.getitem(a, index=shifted[1]) * ops.getitem(b, index=shifted[0])


def kron(input, other) -> Tensor:
    """The Kronecker product (a block matrix of products)."""
    a, b = as_tensor_arg(input), as_tensor_arg(other)
    ndim = builtins.max(a.ndim, b.ndim)
    a = ops.reshape(a, shape=(1,) * (ndim - a.ndim) + a.shape)
    b = ops.reshape(b, shape=(1,) * (ndim - b.ndim) + b.shape)
    spread_a = ops.reshape(a, shape=tuple(v for n in a.shape for v in (n, 1)))
    spread_b = ops.reshape(b, shape=tuple(v for n in b.shape for v in (1, n)))
    return ops.reshape(spread_a * spread_b, shape=tuple(m * n for m, n in zip(a.shape, b.shape)))


def hsplit(input, sections) -> tuple:
    x = as_tensor_arg(input)
    return tensor_split(x, sections, 0 if x.ndim == 1 else 1)


def vsplit(input, sections) -> tuple:
    return tensor_split(input, sections, 0)


def split_with_sizes(input, split_sizes, dim: int = 0) -> tuple:
    return split(input, list(split_sizes), dim)


def quantile(input, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear") -> Tensor:
    """The ``q``-quantiles (a number or a 1-D tensor in [0, 1]) over ``dim`` (all elements
    when None), interpolated as PyTorch: "linear", "lower", "higher", "midpoint", "nearest".
    Differentiable: the sorted values it reads get the gradient."""
    x = as_tensor_arg(input)
    if x.dtype.kind != "f":
        raise TypeError(f"quantile: needs a floating-point tensor, got dtype {x.dtype}")
    scalar_q = not isinstance(q, (Tensor, np.ndarray, list, tuple))
    levels = np.atleast_1d(np.asarray(q.data if isinstance(q, Tensor) else q, dtype=np.float64))
    if levels.ndim > 1 or levels.size == 0 or levels.min() < 0 or levels.max() > 1:
        raise ValueError(f"quantile: q must be in [0, 1] (a number or a 1-D tensor), got {levels.tolist()}")
    if dim is None:
        source, axis = ops.reshape(x, shape=(-1,)), 0
    else:
        source, axis = x, normalize_dim(dim, x.ndim)
    n = source.shape[axis]
    ordered = sort(source, axis).values
    position = levels * (n - 1)
    low, high = np.floor(position).astype(np.int64), np.ceil(position).astype(np.int64)
    if interpolation == "lower":
        high = low
    elif interpolation == "higher":
        low = high
    elif interpolation == "nearest":
        low = high = np.round(position).astype(np.int64)  # half to even, as PyTorch
    elif interpolation not in ("linear", "midpoint"):
        raise ValueError(f"quantile: unknown interpolation {interpolation!r}")
    weight = 0.5 if interpolation == "midpoint" else position - low
    below = index_select(ordered, axis, low)
    above = index_select(ordered, axis, high)
    shape = [1] * ordered.ndim
    shape[axis] = levels.size
    result = below + (above - below) * np.asarray(weight, dtype=x.dtype).reshape(shape)
    result = movedim(result, axis, 0)  # PyTorch puts the quantiles first
    if keepdim:
        kept = list(x.shape) if dim is not None else [1] * x.ndim
        if dim is not None:
            kept[axis] = 1
        result = ops.reshape(result, shape=(levels.size,) + tuple(kept))
    return squeeze(result, 0) if scalar_q else result
