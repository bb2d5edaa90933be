"""vmap: a function of one sample, applied to every sample of a batch.

The general way is the definition itself: call the function on each sample (a slice of the
mapped arguments, taken with minigrad's own indexing, so the result stays differentiable)
and stack the results. It is correct for any function, and it is what runs unless a faster
way is known to give the same result.

The faster way known so far: per-sample gradients, ``vmap(grad(loss), in_dims=(None, 0, 0))``
with the parameters unbatched, through ``minigrad.func.per_sample`` (one batched pass, no
loop over the samples). It is tried first for a ``grad``-transformed function; when the
function is not of the form it handles, the loop runs. ``last_path`` on the vmapped function
says which ran, and ``fallback_reason`` why the fast path was not taken.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from minigrad import ops
from minigrad.func import per_sample
from minigrad.func.pytree import broadcast_prefix, is_container, tree_flatten, tree_leaves_with_paths, tree_unflatten
from minigrad.func.transforms import GradTransform, Transformed
from minigrad.tensor import Tensor

__all__ = ["vmap"]


def _check_dims_spec(dims, name: str) -> None:
    """``in_dims``/``out_dims`` hold ints and None, possibly nested in tuples, lists, dicts."""
    leaves, _ = tree_flatten(dims)
    bad = [leaf for leaf in leaves if leaf is not None and (not isinstance(leaf, int) or isinstance(leaf, bool))]
    if bad:
        raise TypeError(f"vmap: {name} must hold ints or None (possibly nested in tuples, lists or dicts), got {bad[0]!r}")


class BatchPlan:
    """How a call maps its arguments: for every leaf of every argument its mapped dimension
    (or None), and the batch size they all share. Everything is checked here, before the
    function runs, and each error names the argument and the values."""

    def __init__(self, args: tuple, in_dims, fname: str):
        if is_container(in_dims) and not isinstance(in_dims, dict):
            if len(in_dims) != len(args):
                raise ValueError(
                    f"{fname}: in_dims has {len(in_dims)} entr{'ies' if len(in_dims) != 1 else 'y'}, but the "
                    f"function was called with {len(args)} positional argument{'s' if len(args) != 1 else ''} "
                    f"(give one entry per argument, None for an argument that is not mapped)"
                )
            per_argument = list(in_dims)
        elif isinstance(in_dims, dict):
            raise ValueError(f"{fname}: in_dims must be an int, None or a tuple with one entry per argument, got a dict")
        else:
            per_argument = [in_dims] * len(args)
        self.args = args
        # Per argument: its leaves, their mapped dims and its structure, flattened once here
        # for everything that follows (the leaves' paths, "argument 0['w']", are written
        # only when a message needs them: see ``paths``).
        self.leaves: list[list] = []
        self.dims: list[list] = []
        self.specs = []
        self._paths: list[list[str]] | None = None
        sizes: list[tuple[int, int, int, int]] = []  # (argument, leaf, size, dim) of each mapped leaf
        for position, (arg, dim_spec) in enumerate(zip(args, per_argument)):
            leaves, spec = tree_flatten(arg)
            if dim_spec is None:  # not mapped (the parameters of vmap(grad(loss))): nothing to check
                normalized = [None] * len(leaves)
            else:
                dims = broadcast_prefix(dim_spec, arg, "in_dims", f"argument {position}") if is_container(dim_spec) \
                    else [dim_spec] * len(leaves)
                normalized = []
                for number, (leaf, dim) in enumerate(zip(leaves, dims)):
                    if dim is not None:
                        dim = self._checked_dim(leaf, position, number, dim, fname)
                        sizes.append((position, number, leaf.shape[dim], dim))
                    normalized.append(dim)
            self.leaves.append(leaves)
            self.dims.append(normalized)
            self.specs.append(spec)
        if not sizes:
            raise ValueError(f"{fname}: in_dims={in_dims!r} maps no argument; at least one input must be mapped over a dimension")
        first_size = sizes[0][2]
        if any(size != first_size for _, _, size, _ in sizes):
            described = ", ".join(f"{self.paths[position][number]} has {size} (dim {dim})"
                                  for position, number, size, dim in sizes)
            raise ValueError(f"{fname}: the mapped arguments have different batch sizes: {described}")
        self.batch_size = first_size
        if self.batch_size == 0:
            position, number, _, dim = sizes[0]
            raise ValueError(f"{fname}: the batch is empty ({self.paths[position][number]} has size 0 along dim {dim})")

    @property
    def paths(self) -> list[list[str]]:
        """Per argument, the path of each leaf as Python would index it ("argument 0['w']"),
        for messages."""
        if self._paths is None:
            self._paths = [[path for path, _ in tree_leaves_with_paths(arg, f"argument {position}")]
                           for position, arg in enumerate(self.args)]
        return self._paths

    def _checked_dim(self, leaf, position: int, number: int, dim: int, fname: str) -> int:
        if type(leaf) is Tensor and -leaf.data.ndim <= dim < leaf.data.ndim:  # the usual case, checked first
            return dim % leaf.data.ndim
        path = self.paths[position][number]
        if not isinstance(leaf, Tensor):
            raise ValueError(
                f"{fname}: in_dims maps {path} over dim {dim}, but it is a {type(leaf).__name__}, not a Tensor; "
                f"use None for arguments that are not mapped"
            )
        if not -leaf.ndim <= dim < leaf.ndim:
            raise ValueError(
                f"{fname}: in_dims={dim} for {path} of shape {leaf.shape} is out of range: "
                f"it must satisfy {-leaf.ndim} <= in_dim < {leaf.ndim}"
            )
        return dim % leaf.ndim

    def sample(self, index: int, graph: bool = True) -> list:
        """The arguments of sample ``index``: each mapped leaf indexed along its dim (with
        ``graph=False``, a plain Tensor around a view of its array, for a run that records
        nothing: no indexing op is called)."""
        sample_args = []
        for leaves, dims, spec in zip(self.leaves, self.dims, self.specs):
            taken = [leaf if dim is None
                     else leaf[(slice(None),) * dim + (index,)] if graph
                     else Tensor._from_op(leaf.data[(slice(None),) * dim + (index,)])
                     for leaf, dim in zip(leaves, dims)]
            sample_args.append(tree_unflatten(spec, taken))
        return sample_args


class VmapTransform(Transformed):
    """What ``vmap`` returns: call it like the function, with batched arguments."""

    def __init__(self, func: Callable, in_dims=0, out_dims=0, fast_path: bool = True):
        _check_dims_spec(in_dims, "in_dims")
        _check_dims_spec(out_dims, "out_dims")
        super().__init__(func, "vmap", in_dims=in_dims, out_dims=out_dims)
        self.in_dims = in_dims
        self.out_dims = out_dims
        self.fast_path = fast_path
        self.last_path: str | None = None
        self.fallback_reason: str | None = None

    def __call__(self, *args, **kwargs):
        fname = f"vmap({getattr(self.func, '__name__', 'f')})"
        plan = BatchPlan(args, self.in_dims, fname)
        self.fallback_reason = None
        if self.fast_path and isinstance(self.func, GradTransform):
            if type(self.out_dims) is int or _all_ints(self.out_dims):
                result, reason = per_sample.vmapped_grad(self.func, args, kwargs, plan)
                if result is not None:
                    self.last_path = "per-sample"
                    return _place_batch_axes(result, self.out_dims, fname)
            else:
                reason = "out_dims holds None"
            self.fallback_reason = reason
        self.last_path = "loop"
        return self._loop(plan, kwargs, fname)

    def _loop(self, plan: BatchPlan, kwargs: dict, fname: str):
        results = [self.func(*plan.sample(index), **kwargs) for index in range(plan.batch_size)]
        first_leaves, spec = tree_flatten(results[0])
        columns: list[list] = [[] for _ in first_leaves]
        for index, result in enumerate(results):
            leaves, other = tree_flatten(result)
            if other != spec:
                raise ValueError(
                    f"{fname}: the function returned {other.describe()} for sample {index}, "
                    f"but {spec.describe()} for sample 0"
                )
            for column, leaf in zip(columns, leaves):
                column.append(leaf)
        dims = _out_dims_per_leaf(self.out_dims, results[0], fname)
        stacked = [_stack(column, dim, path, fname)
                   for column, dim, (path, _) in zip(columns, dims, tree_leaves_with_paths(results[0]))]
        return tree_unflatten(spec, stacked)


def _all_ints(dims) -> bool:
    return all(isinstance(leaf, int) for leaf in tree_flatten(dims)[0])


def _out_dims_per_leaf(out_dims, output, fname: str) -> list:
    """One out_dim per output leaf (a single output may take a one-entry tuple, as in torch)."""
    if not is_container(output) and isinstance(out_dims, (tuple, list)) and len(out_dims) == 1:
        out_dims = out_dims[0]
    return broadcast_prefix(out_dims, output, "out_dims", "the output")


def _checked_out_dim(dim: int, ndim: int, path: str, fname: str) -> int:
    where = f"output{path}" if path else "the output"
    if not -(ndim + 1) <= dim <= ndim:
        raise ValueError(
            f"{fname}: out_dims={dim} for {where} is out of range: one sample's result has {ndim} "
            f"dimension{'s' if ndim != 1 else ''}, so out_dim must satisfy {-(ndim + 1)} <= out_dim <= {ndim}"
        )
    return dim % (ndim + 1)


def _stack(column: list, dim, path: str, fname: str):
    """The samples' results for one output leaf, stacked along ``dim`` (None: one shared value)."""
    where = f"output{path}" if path else "the output"
    for index, value in enumerate(column):
        if not isinstance(value, Tensor):
            raise TypeError(f"{fname}: {where} must be a Tensor, got {type(value).__name__} for sample {index}")
    shapes = {value.shape for value in column}
    if len(shapes) > 1:
        raise ValueError(f"{fname}: {where} has different shapes for different samples: {sorted(shapes)}")
    if dim is None:
        if any(not np.array_equal(value.data, column[0].data) for value in column[1:]):
            raise ValueError(f"{fname}: out_dims is None for {where}, but its value differs from sample to sample")
        return column[0]
    return ops.stack(column, axis=_checked_out_dim(dim, column[0].ndim, path, fname))


def _place_batch_axes(result: Any, out_dims, fname: str) -> Any:
    """The fast path's results, batched along axis 0, with the batch axis moved to out_dims."""
    if type(out_dims) is int and out_dims == 0:  # already in place (an int 0 fits any result)
        return result
    leaves, spec = tree_flatten(result)
    dims = _out_dims_per_leaf(out_dims, result, fname)
    placed = []
    for leaf, dim, (path, _) in zip(leaves, dims, tree_leaves_with_paths(result)):
        dim = _checked_out_dim(dim, leaf.ndim - 1, path, fname)
        if dim:
            order = list(range(1, leaf.ndim))
            order.insert(dim, 0)
            leaf = leaf.transpose(order)
        placed.append(leaf)
    return tree_unflatten(spec, placed)


def vmap(func: Callable, in_dims: Any = 0, out_dims: Any = 0, *, fast_path: bool = True) -> VmapTransform:
    """Vectorize ``func`` over a batch dimension, as ``torch.func.vmap``.

    ``in_dims`` says, for each positional argument, which dimension holds the batch (None:
    the argument is the same for every sample); it is one int/None for all arguments, or a
    tuple with one entry per argument, each an int/None or a structure matching the
    argument's (dicts, tuples, lists). ``out_dims`` says where the batch dimension goes in
    each output. Keyword arguments are passed unmapped. The result is differentiable.

    Any function of minigrad operations works: the samples are computed one by one and
    stacked. ``vmap(grad(loss), in_dims=(None, 0, 0))(params, X, y)``, per-sample gradients
    of a network's loss, is computed in one batched pass instead when the loss is made of
    operations whose batched form is known (see ``minigrad.func.per_sample``); pass
    ``fast_path=False`` to always run the loop. After a call, ``last_path`` is "per-sample"
    or "loop" and ``fallback_reason`` says why the fast path was not taken. (Trying it calls
    the function once, on sample 0: when the loop runs after all, the function has run once
    more than the batch size, which matters only for side effects such as drawing random
    numbers.)

    >>> import minigrad as mg
    >>> from minigrad.func import vmap
    >>> dot = lambda a, b: (a * b).sum()
    >>> vmap(dot)(mg.tensor([[1.0, 2.0], [3.0, 4.0]]), mg.tensor([[1.0, 1.0], [0.0, 1.0]]))
    Tensor([3., 4.], dtype=float32)
    >>> vmap(dot, in_dims=(0, None))(mg.tensor([[1.0, 2.0], [3.0, 4.0]]), mg.tensor([1.0, 0.0]))
    Tensor([1., 3.], dtype=float32)
    """
    return VmapTransform(func, in_dims, out_dims, fast_path)
