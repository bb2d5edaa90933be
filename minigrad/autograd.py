"""The backward pass: grad mode, anomaly mode, the graph node, and reverse-mode accumulation.

A Tensor made by a primitive while grad mode is on keeps a ``Node``: the primitive, its
inputs, the arrays the forward saw, and what the forward saved. ``backward`` collects the
graph's nodes with an explicit stack (no recursion, so a 10,000-op chain works), visits them
newest first (each node is numbered when made, so that is a topological order), calls each
primitive's vector-Jacobian rules, and sums the gradients of tensors used more than once.

The rules are written once, against an array namespace ``xp`` (see ``ops.py``). On the
ordinary path ``xp`` is NumPy and the gradients are plain arrays: nothing is recorded.
With ``create_graph=True`` the same rules run on Tensors through minigrad's own NumPy-named
ops, so the gradients are themselves Tensors with a graph, and can be differentiated again
(Hessian-vector products, ``gradgradcheck``, ``minigrad.func``).

``grad(outputs, inputs)`` returns the gradients instead of accumulating them in ``.grad``;
``Function`` is the PyTorch-style way to write an op's backward by hand.
"""
from __future__ import annotations

import contextlib
import itertools
import threading
from typing import Any, Callable, Sequence

import numpy as np

from minigrad import versions


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


class set_grad_enabled(_GradModeSwitch):
    """Grad mode on or off as ``mode`` says (``torch.set_grad_enabled``), for a block."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)


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


def check_finite(array, op_name: str, where: str) -> None:
    """Raise FloatingPointError if a float array holds NaN or inf (used by detect_anomaly)."""
    array = getattr(array, "data", array) if not isinstance(array, np.ndarray) else array
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

    def input_gradients(self, upstream: np.ndarray, needs: tuple) -> list:
        """The vector-Jacobian products on arrays for the inputs where ``needs`` is True, each
        shaped and typed like its input (None for the others): this node's part of a backward
        pass taken alone (the lab shows it). The engine's walk calls the rules itself."""
        raws = self.primitive.vjps(needs, upstream, self.saved, self.arrays, self.params)
        return [fit_gradient(raw, like) if need else None for raw, like, need in zip(raws, self.arrays, needs)]


def unbroadcast(grad, shape: tuple):
    """Sum ``grad`` down to ``shape``: undo NumPy broadcasting of an input of that shape.

    Broadcasting prepends axes and stretches size-1 axes; the gradient of a broadcast is the
    sum over the axes it created or stretched. Every binary primitive relies on this one
    helper. It works on arrays and on Tensors alike (``sum`` means the same on both).
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
        if grad.shape != like.shape:  # a rule may return a broadcastable constant
            grad = np.broadcast_to(grad, like.shape)
    if grad.dtype != like.dtype:
        grad = grad.astype(like.dtype)
    return grad


def fit_gradient_tensor(grad, like: np.ndarray):
    """``fit_gradient`` on the differentiable path: the same steps as recorded ops."""
    from minigrad.tensor import Tensor
    from minigrad import ops

    if not isinstance(grad, Tensor):
        grad = Tensor._from_op(np.asarray(grad, dtype=like.dtype))
    if grad.shape != like.shape:
        grad = unbroadcast(grad, like.shape)
        if grad.shape != like.shape:
            grad = ops.broadcast_to(grad, like.shape)
    if grad.dtype != like.dtype:
        grad = grad.astype(like.dtype)
    return grad


def _released_error(node) -> RuntimeError:
    return RuntimeError(
        f"Trying to use the graph a second time: the graph below '{node.primitive.name}' was "
        f"freed by backward(). Pass retain_graph=True to the first backward() to keep it."
    )


def made_tensors(roots) -> tuple[list, dict[int, Any]]:
    """The tensors of the roots' graph made by an op, newest first: every one comes after
    all the ones that use it. (An explicit stack: no recursion limit.) Also the leaves that
    require grad and are an input of those ops, by id. The backward pass walks this order;
    the lab draws it."""
    found = []
    seen = set()
    for root in roots:
        if root._node is not None and id(root) not in seen:
            seen.add(id(root))
            found.append(root)
    leaves: dict[int, Any] = {}
    stack = list(found)
    last_write = versions.last_write
    while stack:
        node = stack.pop()._node
        if node.inputs is None:
            raise _released_error(node)
        if node.number < last_write:  # an in-place write since this node was made
            versions.check_node(node)
        for parent in node.inputs:
            if getattr(parent, "_node", None) is not None:
                if id(parent) not in seen:
                    seen.add(id(parent))
                    found.append(parent)
                    stack.append(parent)
            elif getattr(parent, "_requires_grad", False):
                leaves[id(parent)] = parent
    if len(found) > 1:
        found.sort(key=_node_number, reverse=True)
    if found and found[-1]._node.number < versions.last_tracked_write:
        versions.check_views(found, roots)
    return found, leaves


def _buffer_for(parent, given: set[int]) -> np.ndarray | None:
    """Where a joint rule may write ``parent``'s gradient: its gradient buffer, if it is a
    leaf with no gradient yet whose buffer still fits its data and was not already given to
    a rule in this pass (a second use then gets an array of its own, and the two are added)."""
    buffer = getattr(parent, "_grad_buffer", None)
    if buffer is None or parent._grad is not None or id(parent) in given:
        return None
    data = parent.data
    if buffer.shape != data.shape or buffer.dtype != data.dtype:
        return None
    given.add(id(parent))
    return buffer


def _node_number(tensor) -> int:
    return tensor._node.number


def _leading_to(order: list, targets: set[int]) -> set[int]:
    """The ids of the op-made tensors (of ``order``, newest first) from which one of
    ``targets`` can be reached: only their gradients are worth computing."""
    useful: set[int] = set()
    for tensor in reversed(order):  # oldest first: inputs are decided before their users
        if id(tensor) in targets or any(id(p) in targets or id(p) in useful for p in tensor._node.inputs):
            useful.add(id(tensor))
    return useful


TraceFn = Callable[[Any, int, Any, Any], None]


def run_backward(roots, grads, retain_graph: bool = False, create_graph: bool = False,
                 inputs: Sequence | None = None, accumulate: bool = True,
                 trace: TraceFn | None = None) -> dict[int, Any]:
    """Reverse-mode accumulation from ``roots`` (a Tensor or a sequence), contracted with
    ``grads`` (one ndarray, or one Tensor under ``create_graph``, per root).

    The op-made tensors are visited newest first (each after everything that uses it),
    their contributions summed per input. With ``accumulate`` the leaves (or only
    ``inputs``, when given) get their sums added to ``.grad``; the sums that reached
    ``inputs`` are also returned, keyed by id (what ``grad()`` hands back).
    ``trace(tensor, input_index, upstream, input_grad)``, if given, is called for each
    vector-Jacobian product, in the order they are computed (the backprop trace uses it).
    """
    if not isinstance(roots, (list, tuple)):
        roots, grads = (roots,), (grads,)
    if create_graph:
        from minigrad.tensor import Tensor

        grads = tuple(g if isinstance(g, Tensor) else Tensor._from_op(g) for g in grads)
        with _GradSwitchTo(True):
            return backpropagate(roots, grads, retain_graph, True, inputs, accumulate, trace)
    return backpropagate(roots, grads, retain_graph, False, inputs, accumulate, trace)


class _GradSwitchTo(_GradModeSwitch):
    def __init__(self, mode: bool):
        self.mode = mode


def backpropagate(roots: tuple, grads: tuple, retain_graph: bool, create_graph: bool, inputs: Sequence | None,
                  accumulate: bool, trace: TraceFn | None) -> dict[int, Any]:
    """``run_backward``'s walk itself, every argument given and already in its final form:
    ``roots`` and ``grads`` tuples, the grads arrays (Tensors, with grad mode on, under
    ``create_graph``). ``Tensor.backward`` calls it directly for the usual ``loss.backward()``,
    where ``run_backward``'s argument handling is a measurable part of a small step."""
    pending: dict[int, Any] = {}
    for root, grad in zip(roots, grads):
        key = id(root)
        pending[key] = grad if key not in pending else pending[key] + grad
    order, leaves = made_tensors(roots)
    for root in roots:
        if root._node is None:
            leaves[id(root)] = root
    targets = None if inputs is None else {id(t) for t in inputs}
    useful = None if targets is None else _leading_to(order, targets)
    results: dict[int, Any] = {}
    # The ids of the leaves whose gradient buffer a joint rule was given to write into: only
    # on the ordinary accumulating pass, where the gradient ends up in that buffer anyway.
    buffers_given = set() if not create_graph and accumulate and targets is None else None
    fit = fit_gradient_tensor if create_graph else fit_gradient
    anomaly = modes.anomaly
    for tensor in order:
        key = id(tensor)
        upstream = pending.pop(key, None)
        if upstream is None:
            continue
        if tensor._hooks is not None:
            upstream = _run_hooks(tensor, upstream)
        if targets is not None and key in targets:
            results[key] = upstream
        if accumulate and tensor._retains_grad:
            _accumulate(tensor, upstream, owned=False)
        node = tensor._node
        parents = node.inputs
        if useful is None:
            needs = tuple([getattr(parent, "_requires_grad", False) for parent in parents])
        else:
            needs = tuple([getattr(parent, "_requires_grad", False)
                           and (id(parent) in targets or id(parent) in useful) for parent in parents])
        into = None
        if create_graph:
            raws = node.primitive.graph_vjps(node, needs, upstream, tensor)
        else:
            if buffers_given is not None and node.primitive.joint_rule is not None:
                into = tuple([_buffer_for(parent, buffers_given) for parent in parents])
            raws = node.primitive.vjps(needs, upstream, node.saved, node.arrays, node.params, into)
        arrays = node.arrays
        for index, parent in enumerate(parents):
            if needs[index]:
                input_grad = raws[index]
                if into is None or input_grad is not into[index]:  # (a buffer given is already a fit)
                    input_grad = fit(input_grad, arrays[index])
                if anomaly:
                    check_finite(input_grad, node.primitive.name, f"gradient for input {index}")
                if trace is not None:
                    trace(tensor, index, upstream, input_grad)
                parent_key = id(parent)
                previous = pending.get(parent_key)
                pending[parent_key] = input_grad if previous is None else previous + input_grad
        if not retain_graph:
            node.release()
    _deliver_to_leaves(leaves, pending, targets, accumulate, create_graph, grads, results)
    return results


def _deliver_to_leaves(leaves: dict, pending: dict, targets: set | None, accumulate: bool, create_graph: bool,
                       seeds: tuple, results: dict) -> None:
    """The end of the walk: each leaf's summed gradient, after its hooks, goes into
    ``results`` (when it is one of ``targets``) and into its ``.grad`` (when accumulating).
    Done only after every node succeeded, so a rule that raises leaves the leaves' ``.grad`` as
    they were."""
    handed_to_leaves: set[int] = set()
    for key, leaf in leaves.items():
        leaf_grad = pending.get(key)
        if leaf_grad is None:
            continue
        if leaf._hooks is not None:
            leaf_grad = _run_hooks(leaf, leaf_grad)
        if targets is not None:
            if key in targets:
                results[key] = leaf_grad
            if not accumulate or key not in targets:
                continue
        if create_graph:
            leaf.grad = leaf_grad if leaf._grad is None else leaf._grad + leaf_grad
        elif leaf_grad is leaf._grad_buffer and leaf._grad is None:  # written in place by a joint rule
            leaf._grad = grad_buffer_tensor(leaf)
        else:
            _accumulate(leaf, leaf_grad, _owned(leaf_grad, handed_to_leaves, seeds))


def grad_buffer_tensor(leaf):
    """The Tensor around ``leaf``'s gradient buffer, made once and reused while it fits."""
    wrapper = leaf._grad_buffer_tensor
    if wrapper is None or wrapper.data is not leaf._grad_buffer:
        wrapper = leaf._grad_buffer_tensor = leaf._from_op(leaf._grad_buffer)  # (a plain Tensor)
    return wrapper


def _run_hooks(tensor, grad):
    """Call ``tensor``'s hooks in the order registered; a hook's non-None result replaces
    the gradient. Hooks see Tensors on both paths."""
    from minigrad.tensor import Tensor

    graph = isinstance(grad, Tensor)
    current = grad if graph else Tensor._from_op(grad)
    for hook in list(tensor._hooks.values()):
        result = hook(current)
        if result is not None:
            result = result if isinstance(result, Tensor) else Tensor._from_op(np.asarray(result))
            if result.shape != tensor.shape:
                raise RuntimeError(
                    f"a hook returned a gradient of shape {result.shape} for a tensor of shape {tensor.shape}"
                )
            current = result
    return current if graph else current.data.astype(tensor.dtype, copy=False)


def _owned(grad: np.ndarray, handed_to_leaves: set, callers: tuple) -> bool:
    """Whether a leaf may keep ``grad`` itself instead of a copy.

    A rule may hand the same array to several inputs (add passes its upstream through) or
    return a view; a leaf's ``.grad`` is later updated in place, so it must own its array.
    A writeable array that owns its memory, was not given to another leaf and is not the
    caller's own gradient array is safe, and skipping the copy matters for large weights.
    """
    if grad.base is not None or not grad.flags.writeable or id(grad) in handed_to_leaves:
        return False
    if any(grad is given for given in callers):
        return False
    handed_to_leaves.add(id(grad))
    return True


def _accumulate(tensor, grad, owned: bool) -> None:
    # No import of Tensor here (this runs for leaves on every step, and an import statement
    # costs about 0.6 us each time): the ordinary path's gradients are arrays (or NumPy
    # scalars, the sum of two 0-d arrays), and the tensor's own _from_op makes a plain Tensor.
    if not isinstance(grad, (np.ndarray, np.generic)):  # a Tensor: the differentiable path
        tensor.grad = grad if tensor._grad is None else tensor._grad + grad
        return
    current = tensor._grad
    if current is None:
        array = grad if owned and grad.dtype == tensor.data.dtype else np.array(grad, dtype=tensor.data.dtype)
        tensor._grad = tensor._from_op(array)
    elif current._node is not None or current._requires_grad:
        tensor._grad = current + grad  # a gradient with a graph is never changed in place
    else:
        current.data += grad


# ---- the functional interface -------------------------------------------------------------

def tensor_sequence(value, what: str) -> tuple:
    from minigrad.tensor import Tensor

    if isinstance(value, Tensor):
        return (value,)
    if isinstance(value, (list, tuple)):
        bad = [type(v).__name__ for v in value if not isinstance(v, Tensor)]
        if bad:
            raise TypeError(f"{what} must be Tensors, got {', '.join(bad)}")
        return tuple(value)
    raise TypeError(f"{what} must be a Tensor or a sequence of Tensors, got {type(value).__name__}")


def seed_gradients(outputs: tuple, grad_outputs, create_graph: bool) -> tuple:
    """The gradient each output starts with: given, or 1 for a one-element output."""
    from minigrad.tensor import Tensor

    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    elif isinstance(grad_outputs, (Tensor, np.ndarray)) or np.isscalar(grad_outputs):
        grad_outputs = (grad_outputs,)
    grad_outputs = tuple(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad_outputs has {len(grad_outputs)} entries for {len(outputs)} outputs")
    seeds = []
    for number, (output, given) in enumerate(zip(outputs, grad_outputs)):
        if given is None:
            if output.data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; output {number} has "
                    f"shape {output.data.shape}: pass a gradient of that shape"
                )
            seeds.append(np.ones(output.data.shape, dtype=output.data.dtype))
            continue
        seeds.append(_checked_seed(given, output, f"the gradient for output {number}", create_graph))
    return tuple(seeds)


def _checked_seed(given, output, what: str, create_graph: bool):
    from minigrad.tensor import Tensor

    if isinstance(given, Tensor):
        if given.shape != output.shape:
            raise ValueError(f"{what} has shape {given.shape}, but the output has shape {output.shape}")
        if create_graph:
            return given if given.dtype == output.dtype else given.astype(output.dtype)
        given = given.data
    try:
        array = np.asarray(given)
    except Exception as error:  # noqa: BLE001 - anything unreadable is a bad gradient
        raise TypeError(f"{what} must be numeric, got {given!r:.60}") from error
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{what} must be numeric, got {type(given).__name__} {given!r:.60}")
    if array.shape != output.shape:
        raise ValueError(f"{what} has shape {array.shape}, but the output has shape {output.shape}")
    return np.array(array, dtype=output.dtype)  # a copy: the engine may keep it as a leaf's .grad


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple:
    """The gradients of ``outputs`` with respect to ``inputs``, as ``torch.autograd.grad``.

    Returns a tuple of Tensors, one per input (None for an input the outputs do not depend
    on, when ``allow_unused=True``); ``.grad`` attributes are not touched. With
    ``create_graph=True`` the gradients carry a graph and can be differentiated again.
    ``retain_graph`` defaults to ``create_graph``.

    >>> import minigrad as mg
    >>> x = mg.tensor(3.0, requires_grad=True)
    >>> (dx,) = grad(x ** 3, x, create_graph=True)
    >>> (dxx,) = grad(dx, x)
    >>> float(dx), float(dxx)
    (27.0, 18.0)
    """
    from minigrad.tensor import Tensor

    outputs = tensor_sequence(outputs, "outputs")
    inputs = tensor_sequence(inputs, "inputs")
    for number, tensor in enumerate(inputs):
        if not tensor.requires_grad:
            raise RuntimeError(f"input {number} (shape {tensor.shape}) does not require grad")
    for number, output in enumerate(outputs):
        if not output.requires_grad:
            raise RuntimeError(f"output {number} (shape {output.shape}) does not require grad and has no graph")
    seeds = seed_gradients(outputs, grad_outputs, create_graph)
    retain = create_graph if retain_graph is None else retain_graph
    found = run_backward(outputs, seeds, retain_graph=retain, create_graph=create_graph,
                         inputs=inputs, accumulate=False)
    result = []
    for number, tensor in enumerate(inputs):
        value = found.get(id(tensor))
        if value is None:
            if not allow_unused:
                raise RuntimeError(
                    f"input {number} (shape {tensor.shape}) is not used in the graph of the outputs; "
                    f"pass allow_unused=True to get None for it"
                )
            result.append(None)
            continue
        if not isinstance(value, Tensor):
            value = Tensor._from_op(value if value.dtype == tensor.dtype else value.astype(tensor.dtype))
        result.append(value)
    return tuple(result)


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None, create_graph: bool = False,
             inputs=None) -> None:
    """``torch.autograd.backward``: accumulate the gradients of several outputs at once."""
    outputs = tensor_sequence(tensors, "tensors")
    for number, output in enumerate(outputs):
        if not output.requires_grad:
            raise RuntimeError(f"output {number} (shape {output.shape}) does not require grad and has no graph")
    seeds = seed_gradients(outputs, grad_tensors, create_graph)
    chosen = None if inputs is None else tensor_sequence(inputs, "inputs")
    retain = create_graph if retain_graph is None else retain_graph
    run_backward(outputs, seeds, retain_graph=retain, create_graph=create_graph, inputs=chosen)


# ---- custom operations, the PyTorch way ------------------------------------------------------

class FunctionCtx:
    """What ``forward`` leaves for ``backward``: ``save_for_backward(*tensors)`` and
    ``saved_tensors``, ``needs_input_grad`` (one bool per input), and any attribute."""

    def __init__(self, needs_input_grad: tuple):
        self.needs_input_grad = needs_input_grad
        self.saved_tensors: tuple = ()

    def save_for_backward(self, *tensors) -> None:
        from minigrad.tensor import Tensor

        bad = [type(t).__name__ for t in tensors if t is not None and not isinstance(t, Tensor)]
        if bad:
            raise TypeError(f"save_for_backward takes Tensors (or None), got {', '.join(bad)}")
        self.saved_tensors = tensors


class _FunctionNode:
    """The ``primitive`` of a node made by ``Function.apply``: the engine calls the user's
    ``backward`` through it, on arrays or, under ``create_graph``, on Tensors."""

    joint_rule = None

    def __init__(self, function: type):
        self.function = function
        self.name = function.__name__

    def __repr__(self) -> str:
        return f"<function node {self.name}>"

    def _call_backward(self, ctx, g) -> tuple:
        grads = self.function.backward(ctx, g)
        grads = grads if isinstance(grads, tuple) else (grads,)
        if len(grads) != len(ctx.needs_input_grad):
            raise RuntimeError(
                f"{self.name}.backward returned {len(grads)} gradients, but forward took "
                f"{len(ctx.needs_input_grad)} inputs (return None for an input without one)"
            )
        for number, (value, need) in enumerate(zip(grads, ctx.needs_input_grad)):
            if need and value is None:
                raise RuntimeError(f"{self.name}.backward returned None for input {number}, which requires grad")
        return grads

    def vjps(self, needs, g, ctx, arrays, params, into=None) -> list:
        from minigrad.tensor import Tensor

        with no_grad():
            grads = self._call_backward(ctx, Tensor._from_op(g))
        return [(value.data if isinstance(value, Tensor) else np.asarray(value)) if need else None
                for value, need in zip(grads, needs)]

    def graph_vjps(self, node, needs, g, output) -> list:
        from minigrad.ops import once_differentiable
        from minigrad.tensor import Tensor

        with enable_grad():
            grads = self._call_backward(node.saved, g)
        # A gradient computed on raw arrays has no graph: differentiating through it raises.
        tied = (g,) + tuple(node.inputs)
        return [(value if isinstance(value, Tensor) else once_differentiable(value, self.name, *tied)) if need else None
                for value, need in zip(grads, needs)]


class Function:
    """A custom differentiable operation with a hand-written backward, as ``torch.autograd.Function``.

    Subclass it with two static methods and call ``.apply``:

    >>> import minigrad as mg
    >>> class Cube(mg.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x * x
    ...
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (x,) = ctx.saved_tensors
    ...         return g * 3 * x * x

    ``forward`` runs without recording a graph and returns one Tensor. ``backward`` gets
    the gradient of the output and returns one gradient per forward input (None for inputs
    that need none). Written in minigrad ops, as above, the backward is itself
    differentiable; written on raw arrays (``.data``, ``np.``), it is once-differentiable
    and a second derivative through it raises, naming the Function. Defining the class
    again (a notebook cell run twice) simply makes a new Function.

    >>> x = mg.tensor(2.0, requires_grad=True)
    >>> Cube.apply(x).backward(create_graph=True)
    >>> float(x.grad), float(mg.autograd.grad(x.grad, x)[0])
    (12.0, 12.0)
    """

    @staticmethod
    def forward(ctx: FunctionCtx, *args, **kwargs):
        raise NotImplementedError("a Function subclass defines forward(ctx, *inputs)")

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs):
        raise NotImplementedError("a Function subclass defines backward(ctx, grad_output)")

    @classmethod
    def apply(cls, *args, **kwargs):
        from minigrad.tensor import Tensor

        needs = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        ctx = FunctionCtx(needs)
        with no_grad():
            result = cls.forward(ctx, *args, **kwargs)
        if not isinstance(result, Tensor):
            try:
                result = Tensor(result)
            except TypeError as error:
                raise TypeError(f"{cls.__name__}.forward must return a Tensor, got {type(result).__name__}") from error
        out = Tensor._from_op(result.data)
        if modes.grad_enabled and any(needs) and out.data.dtype.kind == "f":
            node_kind = cls.__dict__.get("_node_kind")
            if node_kind is None:
                node_kind = _FunctionNode(cls)
                type.__setattr__(cls, "_node_kind", node_kind)
            arrays = tuple(a.data if isinstance(a, Tensor) else a for a in args)
            out._requires_grad = True
            out._node = Node(node_kind, args, arrays, ctx, {})
        return out

