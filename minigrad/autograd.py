"""The backward pass: grad mode, anomaly mode, the graph node, and reverse-mode accumulation.

A Tensor made by a primitive while grad mode is on keeps a ``Node``: the primitive, its
inputs, the arrays the forward saw, and what the forward saved. ``backward`` collects the
graph's nodes with an explicit stack (no recursion, so a 10,000-op chain works), visits them
newest first (each node is numbered when made, so that is a topological order), calls each
primitive's vector-Jacobian rules, and sums the gradients of tensors used more than once.
"""
from __future__ import annotations

import contextlib
import itertools
import threading
from typing import Any, Callable

import numpy as np


class _Modes(threading.local):
    grad_enabled = True
    anomaly = False


modes = _Modes()


class _GradModeSwitch(contextlib.ContextDecorator):
    """Sets grad mode inside a ``with`` block or a decorated function, then restores it."""

    mode: bool

    def __enter__(self):
        self._previous = modes.grad_enabled
        modes.grad_enabled = self.mode

    def __exit__(self, *exc):
        modes.grad_enabled = self._previous
        return False


class no_grad(_GradModeSwitch):
    """Record no graph inside: results do not require grad, and no node is kept alive."""

    mode = False


class enable_grad(_GradModeSwitch):
    """Turn graph recording back on, e.g. inside a ``no_grad`` block."""

    mode = True


def is_grad_enabled() -> bool:
    return modes.grad_enabled


class detect_anomaly(contextlib.ContextDecorator):
    """Inside it, a primitive whose forward output or input gradient holds NaN or inf raises
    ``FloatingPointError`` naming the primitive. It costs a finiteness check per op, so it is
    off by default."""

    def __enter__(self):
        self._previous = modes.anomaly
        modes.anomaly = True

    def __exit__(self, *exc):
        modes.anomaly = self._previous
        return False


def check_finite(array: np.ndarray, op_name: str, where: str) -> None:
    """Raise FloatingPointError if a float array holds NaN or inf (used by detect_anomaly)."""
    if array.dtype.kind not in "fc" or np.isfinite(array).all():
        return
    n_nan = int(np.isnan(array).sum())
    n_inf = int(np.isinf(array).sum())
    raise FloatingPointError(
        f"{op_name} produced non-finite values in its {where} "
        f"({n_nan} NaN, {n_inf} inf, shape {array.shape})"
    )


# Nodes are numbered as they are made. A node's inputs were all made before it, so walking
# the nodes from the newest to the oldest visits every node after all the nodes that use it:
# a topological order for free, found by sorting instead of a second graph search.
_node_numbers = itertools.count()


class Node:
    """How a tensor was made: ``primitive(*inputs, **params)``.

    ``arrays`` are the inputs' ndarrays (constants as given), ``saved`` is what the forward
    kept for the gradient (by default its output), ``number`` its place in the order nodes
    were made. ``release()`` drops all of it after a backward pass so the graph's memory goes
    at once.
    """

    __slots__ = ("primitive", "inputs", "arrays", "saved", "params", "number")

    def __init__(self, primitive, inputs: tuple, arrays: tuple, saved: Any, params: dict):
        self.primitive = primitive
        self.inputs = inputs
        self.arrays = arrays
        self.saved = saved
        self.params = params
        self.number = next(_node_numbers)

    @property
    def released(self) -> bool:
        return self.inputs is None

    def release(self) -> None:
        self.inputs = self.arrays = self.saved = self.params = None

    def input_gradients(self, upstream: np.ndarray, needs: tuple, into: tuple | None = None) -> list:
        """The vector-Jacobian products for the inputs where ``needs`` is True, each shaped
        and typed like its input (None for the others); ``into`` as for ``Primitive.vjps``."""
        raws = self.primitive.vjps(needs, upstream, self.saved, self.arrays, self.params, into)
        return [fit_gradient(raw, like) if need else None for raw, like, need in zip(raws, self.arrays, needs)]

    def input_gradient(self, index: int, upstream: np.ndarray) -> np.ndarray:
        """The vector-Jacobian product for input ``index`` alone."""
        needs = tuple(i == index for i in range(len(self.arrays)))
        return self.input_gradients(upstream, needs)[index]


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` down to ``shape``: undo NumPy broadcasting of an input of that shape.

    Broadcasting prepends axes and stretches size-1 axes; the gradient of a broadcast is the
    sum over the axes it created or stretched. Every binary primitive relies on this one helper.
    """
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def fit_gradient(grad, like: np.ndarray) -> np.ndarray:
    """Give a raw rule result the shape and dtype of the input it is the gradient of."""
    if type(grad) is not np.ndarray:
        grad = np.asarray(grad)
    if grad.shape != like.shape:
        grad = unbroadcast(grad, like.shape)
    if grad.dtype != like.dtype:
        grad = grad.astype(like.dtype)
    return grad


def _needs_grad(value) -> bool:
    return getattr(value, "_requires_grad", False)


def post_order(root, include: Callable[[Any], bool] = _needs_grad) -> list:
    """The tensors of root's graph for which ``include`` holds, each after all its inputs.

    Iterative depth-first search with an explicit stack, so depth is not limited by Python's
    recursion limit. Raises RuntimeError on a node whose graph an earlier backward freed.
    """
    order = []
    visited = set()
    stack = [(root, False)]
    while stack:
        tensor, inputs_done = stack.pop()
        if inputs_done:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        node = tensor._node
        if node is None:
            continue
        if node.released:
            raise _released_error(node)
        for parent in reversed(node.inputs):  # reversed: the first input is visited first
            if include(parent) and id(parent) not in visited:
                stack.append((parent, False))
    return order


def _released_error(node) -> RuntimeError:
    return RuntimeError(
        f"Trying to use the graph a second time: the graph below '{node.primitive.name}' was "
        f"freed by backward(). Pass retain_graph=True to the first backward() to keep it."
    )


def _made_tensors(root) -> tuple[list, dict[int, int]]:
    """The tensors of root's graph made by an op that need a gradient, newest first: every
    one comes after all the ones that use it. (An explicit stack: no recursion limit.) Also
    how many times each leaf is an input of those ops."""
    found = [root]
    seen = {id(root)}
    leaf_uses: dict[int, int] = {}
    stack = [root]
    while stack:
        node = stack.pop()._node
        if node.inputs is None:
            raise _released_error(node)
        for parent in node.inputs:
            if getattr(parent, "_node", None) is not None:
                if id(parent) not in seen:
                    seen.add(id(parent))
                    found.append(parent)
                    stack.append(parent)
            elif getattr(parent, "_requires_grad", False):
                leaf_uses[id(parent)] = leaf_uses.get(id(parent), 0) + 1
    found.sort(key=_node_number, reverse=True)
    return found, leaf_uses


def _buffer_for(parent, leaf_uses: dict[int, int]) -> np.ndarray | None:
    """Where a joint rule may write ``parent``'s gradient: its gradient buffer, if it is a
    leaf used once in this graph with no gradient yet, and the buffer still fits its data."""
    buffer = getattr(parent, "_grad_buffer", None)
    if (buffer is None or parent.grad is not None or leaf_uses.get(id(parent)) != 1
            or buffer.shape != parent.data.shape or buffer.dtype != parent.data.dtype):
        return None
    return buffer


def _node_number(tensor) -> int:
    return tensor._node.number


TraceFn = Callable[[Any, int, np.ndarray, np.ndarray], None]


def run_backward(root, grad: np.ndarray, retain_graph: bool = False, trace: TraceFn | None = None) -> None:
    """Accumulate d(root)/d(leaf), contracted with ``grad``, into every leaf's ``.grad``.

    The op-made tensors are visited newest first (each after everything that uses it),
    their contributions summed per input; the leaves get their sums at the end.
    ``trace(tensor, input_index, upstream, input_grad)``, if given, is called for each
    vector-Jacobian product, in the order they are computed (the backprop trace uses it).
    """
    if root._node is None:
        _accumulate(root, grad, owned=False)
        return
    pending = {id(root): grad}
    leaves = {}
    anomaly = modes.anomaly
    order, leaf_uses = _made_tensors(root)
    for tensor in order:
        upstream = pending.pop(id(tensor), None)
        if upstream is None:
            continue
        if tensor._retains_grad:
            _accumulate(tensor, upstream, owned=False)
        node = tensor._node
        needs = tuple([getattr(parent, "_requires_grad", False) for parent in node.inputs])
        into = None
        if node.primitive.joint_rule is not None:
            into = tuple([_buffer_for(parent, leaf_uses) for parent in node.inputs])
        input_grads = node.input_gradients(upstream, needs, into)
        for index, parent in enumerate(node.inputs):
            if not needs[index]:
                continue
            input_grad = input_grads[index]
            if anomaly:
                check_finite(input_grad, node.primitive.name, f"gradient for input {index}")
            if trace is not None:
                trace(tensor, index, upstream, input_grad)
            key = id(parent)
            if parent._node is None:
                leaves[key] = parent
            previous = pending.get(key)
            pending[key] = input_grad if previous is None else previous + input_grad
        if not retain_graph:
            node.release()
    handed_to_leaves: set[int] = set()
    for key, leaf in leaves.items():
        leaf_grad = pending[key]
        if leaf_grad is leaf._grad_buffer and leaf.grad is None:
            leaf.grad = leaf_grad  # written in place by a joint rule
            continue
        _accumulate(leaf, leaf_grad, leaf_grad is not grad and _owned(leaf_grad, handed_to_leaves))


def _owned(grad: np.ndarray, handed_to_leaves: set) -> bool:
    """Whether a leaf may keep ``grad`` itself instead of a copy.

    A rule may hand the same array to several inputs (add passes its upstream through) or
    return a view; a leaf's ``.grad`` is later updated in place, so it must own its array.
    A writeable array that owns its memory and was not given to another leaf is safe, and
    skipping the copy matters for large weight matrices.
    """
    if grad.base is not None or not grad.flags.writeable or id(grad) in handed_to_leaves:
        return False
    handed_to_leaves.add(id(grad))
    return True


def _accumulate(tensor, grad: np.ndarray, owned: bool) -> None:
    if tensor.grad is None:
        tensor.grad = grad if owned and grad.dtype == tensor.data.dtype else np.array(grad, dtype=tensor.data.dtype)
    else:
        tensor.grad += grad
