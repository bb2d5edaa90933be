"""Per-sample gradients in one batched pass: vmap's fast path for ``grad``, and BackPACK-style
statistics (the per-sample gradients, their sum of squares and their variance).

For ``vmap(grad(loss), in_dims=(None, 0, 0))(params, X, y)`` the loop would run ``loss`` and a
backward pass once per sample. Instead:

1. **Trace one sample.** ``loss`` runs once, on sample 0, with fresh leaves for the
   parameters; the engine records its graph.
2. **Check the graph's form.** Every node must be an operation whose batched form is known
   and keeps the samples apart (linear and MLP layers, elementwise functions, reductions
   within a sample, reshapes and basic indexing, softmax, the losses); the parameters must
   enter only as the weights and biases of linear and MLP layers; every other input must
   come from the mapped arguments or be a Python number. Anything else: the loop runs.
3. **Replay it on the whole batch** with the batch as a leading axis, the same operations
   on the same parameters. Sample i's rows are computed from sample i alone, so the replayed
   per-sample losses are the loop's losses, and one backward pass of their sum gives, at the
   output z of every linear layer, ``d_i = dl_i/dz_i`` for every sample at once (the sum's
   other terms do not depend on sample i's rows).
4. **Per-sample gradients from factors.** A linear layer's weight gradient for sample i is
   the outer product ``d_i h_i^T`` of the rows of that sample (its input ``h``), its bias
   gradient ``d_i``; a parameter used by several layers sums them. These are exactly the
   chain rule for ``l_i``, so the result equals the loop's up to rounding (tests hold it to
   the loop and to ``torch.func.vmap(torch.func.grad(...))`` at rtol 1e-8 in float64).
   The sum of squares over the batch needs no per-sample gradient at all:
   ``sum_i (d_i h_i^T)**2 = (d**2)^T (h**2)``, one matrix product.

What a trace cannot see is Python deciding something from a sample's *values* (``if
y.item() == 0``): the replay would repeat sample 0's decision for every sample. The mapped
arguments are therefore traced as tensors that refuse to give up their values (``item``,
``float``, ``bool``, comparisons, ``numpy``, ``np.asarray``, even ``repr``), and so are the tensors derived
from them by their methods and a module's outputs through ``functional_call``: reading one
makes the loop run. The raw ``.data`` attribute, and values read from tensors that other
functions made from the samples (the loss itself), are not guarded: a per-sample function
must not branch on them, the same rule torch.func.vmap states for data-dependent control
flow. ``vmap(..., fast_path=False)`` runs the loop regardless. (Floating-point samples
require grad during the trace, so that what is computed from them is recorded: a function
that detaches them or turns grad mode off leaves constants in the graph, and gets the loop.)
"""
from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple

import numpy as np

from minigrad import autograd
from minigrad.func.call import functional_call, trace_state
from minigrad.func.pytree import tree_flatten, tree_unflatten
from minigrad.func.transforms import GradTransform, argnum_positions, grad
from minigrad.nn import functional as F
from minigrad.nn.module import Module
from minigrad.tensor import Tensor

__all__ = ["per_sample_grads", "batch_grad_stats", "BatchGradStats"]


class NotBatchable(BaseException):
    """The function is not of the form the fast path handles; the message says why.

    A BaseException, like KeyboardInterrupt: a function that catches ``Exception`` around
    a read of a sample's values must not swallow the refusal and carry on down a branch the
    loop would not take. (The tracer also notes every refusal, for a bare ``except:``.)"""


def _refuse(name: str, what: str):
    base = getattr(Tensor, name)

    def refused(self, *args, **kwargs):
        tracer = trace_state.tracer
        if tracer is None:  # a traced sample kept after its trace is an ordinary tensor
            return base(self, *args, **kwargs)
        tracer.refusal = f"the function reads a sample's values in Python ({what})"
        raise NotBatchable(tracer.refusal)
    refused.__name__ = name
    return refused


# NumPy functions that are a Tensor's own operators (recorded as ops): the others read values.
_OPERATOR_UFUNCS = (np.add, np.subtract, np.multiply, np.true_divide, np.power, np.matmul)


class TracedSample(Tensor):
    """One sample of a mapped argument (or a tensor derived from it) while the fast path
    traces the function: a Tensor whose values cannot be read in Python, so that no decision
    taken on sample 0's values is silently repeated for the others."""

    __slots__ = ()

    item = _refuse("item", "item")
    tolist = _refuse("tolist", "tolist")
    numpy = _refuse("numpy", "numpy")
    __array__ = _refuse("__array__", "np.asarray")
    __bool__ = _refuse("__bool__", "bool")
    __float__ = _refuse("__float__", "float")
    __int__ = _refuse("__int__", "int")
    __eq__ = _refuse("__eq__", "==")
    __ne__ = _refuse("__ne__", "!=")
    __lt__ = _refuse("__lt__", "<")
    __le__ = _refuse("__le__", "<=")
    __gt__ = _refuse("__gt__", ">")
    __ge__ = _refuse("__ge__", ">=")
    __and__ = _refuse("__and__", "&")
    __rand__ = _refuse("__rand__", "&")
    __or__ = _refuse("__or__", "|")
    __ror__ = _refuse("__ror__", "|")
    __xor__ = _refuse("__xor__", "^")
    __rxor__ = _refuse("__rxor__", "^")
    __invert__ = _refuse("__invert__", "~")
    all = _refuse("all", "all")
    any = _refuse("any", "any")
    __format__ = _refuse("__format__", "format")  # f"{y}" can become a dict key
    __repr__ = _refuse("__repr__", "repr")
    __hash__ = Tensor.__hash__

    def __array_ufunc__(self, ufunc, method, *args, **kwargs):
        if trace_state.tracer is not None and not (ufunc in _OPERATOR_UFUNCS and method == "__call__" and not kwargs):
            trace_state.tracer.refusal = f"the function reads a sample's values in Python (np.{ufunc.__name__})"
            raise NotBatchable(trace_state.tracer.refusal)
        return Tensor.__array_ufunc__(self, ufunc, method, *args, **kwargs)


def _tracing_method(name: str):
    base = getattr(Tensor, name)

    def method(self, *args, **kwargs):
        result = base(self, *args, **kwargs)
        tracer = trace_state.tracer
        return result if tracer is None else tracer.derived_tensor(result, self, name, args, kwargs)
    method.__name__ = name
    return method


# Results of a traced sample's own methods stay traced (x[None] is as much the sample as x).
for _name in ("__getitem__", "reshape", "flatten", "transpose", "astype", "float", "double", "sum", "mean",
              "max", "min", "exp", "log", "sqrt", "abs", "relu", "tanh", "sigmoid", "sign", "clip",
              "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
              "__rtruediv__", "__pow__", "__rpow__", "__matmul__", "__rmatmul__", "__neg__", "__abs__"):
    setattr(TracedSample, _name, _tracing_method(_name))
TracedSample.T = property(lambda self: self.transpose())


class _Derived(NamedTuple):
    """A tensor the engine did not record (an integer label's ``y[None]``) and how it was
    made from a traced sample: enough to make its batched version."""

    tensor: Tensor
    source: Tensor
    how: str
    argument: Any


class SampleTracer:
    """Keeps track, during the trace, of the samples and what their methods made."""

    def __init__(self):
        self.sources: dict[int, tuple[Tensor, Tensor]] = {}  # id(sample) -> (sample, batched data)
        self.derived: dict[int, _Derived] = {}
        self.refusal: str | None = None  # set when the function tried to read a sample's values

    def sample(self, batched: np.ndarray) -> TracedSample:
        """Sample 0 of ``batched`` (batch on axis 0), traced; floats require grad so that
        everything computed from them is recorded."""
        data = batched[0].copy()
        sample = Tensor._from_op(data)  # a mapped leaf's array: already a Tensor's, no checks needed
        sample.__class__ = TracedSample
        sample._requires_grad = data.dtype.kind == "f"
        self.sources[id(sample)] = (sample, Tensor._from_op(batched))
        return sample

    def tensor_of_array(self, array: np.ndarray) -> Tensor | None:
        """The traced sample, or tensor derived from one, whose data is ``array`` itself."""
        for tensor in [source for source, _ in self.sources.values()] + [d.tensor for d in self.derived.values()]:
            if tensor.data is array:
                return tensor
        return None

    def derived_tensor(self, result, source: Tensor, how: str, args: tuple, kwargs: dict):
        if type(result) is not Tensor:
            return result
        result.__class__ = TracedSample  # the same slots: only what reads values changes
        if result._node is None and how in ("__getitem__", "reshape", "flatten") and not kwargs:
            argument = args[0] if how == "__getitem__" else result.shape
            self.derived[id(result)] = _Derived(result, source, how, argument)
        return result

    def module_output(self, result):
        """A module's outputs in the trace (through ``functional_call``) are traced too."""
        if type(result) is Tensor:  # the usual output: one tensor
            if result._node is not None:
                result.__class__ = TracedSample
            return result
        leaves, spec = tree_flatten(result)
        for leaf in leaves:
            if type(leaf) is Tensor and leaf._node is not None:
                leaf.__class__ = TracedSample
        return tree_unflatten(spec, leaves)


# ---- the replay ----------------------------------------------------------------------------------
class LayerStack(NamedTuple):
    """Linear layers in the replay, each applied to the previous one's activated output: a
    linear node (one layer, no activation) or a fused MLP node. ``params`` holds each
    layer's (weight index, bias index or None); ``inputs`` the rows each layer received,
    (batch * rows, in), as the forward computed them; ``output`` the node's output."""

    params: list
    activation: str | None
    inputs: list
    output: Tensor


class _Param(NamedTuple):
    index: int
    tensor: Tensor


class Replay:
    """The traced graph computed again on the whole batch, batch on axis 0."""

    def __init__(self, tracer: SampleTracer, params: list[Tensor], param_name: Callable[[int], str], batch_size: int):
        self.tracer = tracer
        self.params = {id(p): _Param(i, p) for i, p in enumerate(params)}
        self.param_name = param_name  # the path of parameter i, for messages
        self.batch_size = batch_size
        self.values: dict[int, Tensor] = {}
        self.stacks: list[LayerStack] = []

    def run(self, output: Tensor) -> Tensor:
        order, leaves = autograd.made_tensors([output])
        for key in leaves:
            if key not in self.params and key not in self.tracer.sources:
                raise NotBatchable("the function uses a tensor that requires grad and is neither a "
                                   "differentiated argument nor mapped (a weight from outside?)")
        for tensor in reversed(order):  # oldest first: every input before its users
            node = tensor._node
            rule = RULES.get(node.primitive.name)
            if rule is None:
                raise NotBatchable(f"no batched form is known for '{node.primitive.name}'")
            for name, value in node.params.items():
                if isinstance(value, (np.ndarray, Tensor)):
                    raise NotBatchable(f"'{node.primitive.name}' has an array for its {name}= (it may come "
                                       f"from a sample's values)")
            inputs = [self.batched(value, node.primitive.name) for value in node.inputs]
            self.values[id(tensor)] = rule(self, node, inputs, tensor)
        if output._node is None:
            raise NotBatchable("the function returns one of its arguments")
        return self.values[id(output)]

    def batched(self, value, op: str):
        """A node input in the replay: the batched Tensor, a _Param, a number, or None."""
        # Most inputs are earlier nodes' outputs or parameters: looked up first. (Both dicts
        # are keyed by the ids of tensors the traced graph keeps alive, so an id found there
        # is that very tensor's.)
        key = id(value)
        found = self.values.get(key)
        if found is not None:
            return found
        found = self.params.get(key)
        if found is not None:
            return found
        if value is None or type(value) in (int, float, bool):
            return value
        if isinstance(value, np.ndarray):
            # A function may pass a tensor's raw array on (nll_loss hands its labels' array
            # to its primitive): the very array of a traced tensor stands for that tensor.
            found = self.tracer.tensor_of_array(value)
            value = value if found is None else found
        if not isinstance(value, Tensor):
            raise NotBatchable(f"'{op}' has a constant {type(value).__name__} input; only parameters, mapped "
                               f"arguments and Python numbers can be batched")
        key = id(value)
        if key in self.values:
            return self.values[key]
        if key in self.params:
            return self.params[key]
        source = self.tracer.sources.get(key)
        if source is not None and source[0] is value:
            return source[1]
        derived = self.tracer.derived.get(key)
        if derived is not None and derived.tensor is value:
            # Made on the arrays: a derived tensor is one the engine did not record, so
            # nothing in its making requires grad (its batched source is mapped data).
            base = self.batched(derived.source, op).data
            if derived.how == "__getitem__":
                made = Tensor._from_op(base[_batched_index(derived.argument)])
            else:
                made = Tensor._from_op(base.reshape((self.batch_size,) + tuple(derived.argument)))
            self.values[key] = made
            return made
        raise NotBatchable(f"'{op}' uses a tensor of shape {value.shape} that is neither a parameter nor made "
                           f"from the mapped arguments by minigrad operations")

    def data(self, value, op: str) -> Tensor:
        """An input that must be batched data (not a parameter)."""
        if isinstance(value, _Param):
            raise NotBatchable(f"parameter {self.param_name(value.index)} is used by '{op}'; parameters "
                               f"may only be the weights and biases of linear and MLP layers")
        if not isinstance(value, Tensor):
            raise NotBatchable(f"'{op}' is applied to a constant")
        return value

    def param(self, value, op: str) -> Tensor | None:
        if value is None:
            return None
        if not isinstance(value, _Param):
            raise NotBatchable(f"'{op}' has a weight or bias that is not a differentiated argument")
        return value

    def layers(self, h: Tensor, layers: list, activation: str | None) -> Tensor:
        """Linear layers ((weight, bias) _Params) on the batched ``h``, as one linear or
        fused MLP node, recorded for the per-sample gradients."""
        tensors = [None if p is None else p.tensor for layer in layers for p in layer]
        if activation is None:
            z = F.linear_op(h, *tensors)
            rows = h.data if h.dtype == tensors[0].dtype else h.data.astype(tensors[0].dtype)
            inputs = [rows.reshape(-1, rows.shape[-1])]
        else:
            z = F.mlp_op(h, *tensors, activation=activation)
            inputs = list(z._node.saved)  # each layer's input rows, as the forward kept them
        indices = [(None if weight is None else weight.index, None if bias is None else bias.index)
                   for weight, bias in layers]
        self.stacks.append(LayerStack(indices, activation, inputs, z))
        return z


def _batched_index(index) -> tuple:
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if not isinstance(part, (int, np.integer, slice, type(None), type(Ellipsis))) or isinstance(part, bool):
            raise NotBatchable(f"indexing with {type(part).__name__} (only ints, slices, None and ... are batched)")
    return (slice(None),) + parts


def _per_sample_ndim(node, position: int) -> int:
    return np.ndim(node.arrays[position])


def _aligned(value, ndim: int):
    """A batched input given ``ndim`` per-sample dimensions (size-1 axes after the batch
    axis), so that NumPy broadcasting lines up each sample's axes as in the trace."""
    if not isinstance(value, Tensor):
        return value
    missing = ndim - (value.ndim - 1)
    if missing <= 0:
        return value
    return value.reshape((value.shape[0],) + (1,) * missing + value.shape[1:])


def _shifted_axes(axis, ndim: int):
    """A reduction's axes within a sample of ``ndim`` dimensions, as axes of the batch."""
    if axis is None:
        return tuple(range(1, ndim + 1))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    span = max(ndim, 1)
    return tuple(int(ax) % span + 1 for ax in axes) if ndim else ()


def _elementwise(replay, node, inputs, out):
    data = [replay.data(x, node.primitive.name) if isinstance(x, (Tensor, _Param)) else x for x in inputs]
    ndim = out.ndim
    return node.primitive(*[_aligned(x, ndim) for x in data], **node.params)


def _reduction(replay, node, inputs, out):
    x = replay.data(inputs[0], node.primitive.name)
    params = dict(node.params)
    params["axis"] = _shifted_axes(params.get("axis"), _per_sample_ndim(node, 0))
    return node.primitive(x, **params)


def _reshape(replay, node, inputs, out):
    return node.primitive(replay.data(inputs[0], "reshape"), shape=(replay.batch_size,) + out.shape)


def _transpose(replay, node, inputs, out):
    ndim = _per_sample_ndim(node, 0)
    axes = node.params.get("axes")
    axes = tuple(reversed(range(ndim))) if axes is None else tuple(int(a) % ndim for a in axes)
    return node.primitive(replay.data(inputs[0], "transpose"), axes=(0,) + tuple(a + 1 for a in axes))


def _getitem(replay, node, inputs, out):
    return node.primitive(replay.data(inputs[0], "getitem"), index=_batched_index(node.params["index"]))


def _broadcast_to(replay, node, inputs, out):
    x = _aligned(replay.data(inputs[0], "broadcast_to"), len(node.params["shape"]))
    return node.primitive(x, shape=(replay.batch_size,) + tuple(node.params["shape"]))


def _softmax_like(replay, node, inputs, out):
    ndim = _per_sample_ndim(node, 0)
    axis = int(node.params["axis"]) % ndim + 1
    return node.primitive(replay.data(inputs[0], node.primitive.name), axis=axis)


def _matmul(replay, node, inputs, out):
    a, b = (replay.data(x, "matmul") for x in inputs)
    if _per_sample_ndim(node, 0) < 2 or _per_sample_ndim(node, 1) < 2:
        raise NotBatchable("matmul of one-dimensional samples")
    ndim = max(_per_sample_ndim(node, 0), _per_sample_ndim(node, 1))
    return node.primitive(_aligned(a, ndim), _aligned(b, ndim))


def _joined(replay, node, inputs, out):
    """stack and concatenate: every input batched, the axis counted within a sample."""
    parts = [replay.data(x, node.primitive.name) for x in inputs]
    ndim = out.ndim if node.primitive.name == "stack" else _per_sample_ndim(node, 0)
    axis = int(node.params.get("axis", 0)) % ndim + 1
    return node.primitive(*[_aligned(p, _per_sample_ndim(node, 0)) for p in parts], axis=axis)


def _linear(replay, node, inputs, out):
    x = replay.data(inputs[0], "linear")
    return replay.layers(x, [(replay.param(inputs[1], "linear"), replay.param(inputs[2], "linear"))], None)


def _mlp(replay, node, inputs, out):
    x = replay.data(inputs[0], "mlp")
    params = [replay.param(p, "mlp") for p in inputs[1:]]
    return replay.layers(x, list(zip(params[0::2], params[1::2])), node.params["activation"])


def _per_sample_reduction(losses: Tensor, reduction: str, batch: int, shape: tuple) -> Tensor:
    """Unreduced losses, ``shape`` of them per sample, sample after sample, reduced within
    each sample as ``reduction`` says. (The mean or the sum of one number is that number.)"""
    if reduction != "none" and math.prod(shape) == 1:
        return losses if losses.shape == (batch,) else losses.reshape(batch)
    if losses.shape != (batch,) + shape:
        losses = losses.reshape((batch,) + shape)
    if reduction == "none":
        return losses
    axes = tuple(range(1, losses.ndim))
    return losses.mean(axis=axes) if reduction == "mean" else losses.sum(axis=axes)


def _cross_entropy(replay, node, inputs, out):
    """Each sample's (n, C) logits as n rows of one (batch * n, C) call, reduced per sample."""
    logits = replay.data(inputs[0], "cross_entropy")
    target = replay.data(inputs[1], "cross_entropy")
    batch, rows, classes = logits.shape
    flat_target = _labels_in_a_row(target, batch * rows) if node.params["class_indices"] \
        else target.reshape((batch * rows, classes))
    losses = F.cross_entropy(logits.reshape(batch * rows, classes), flat_target, reduction="none",
                             label_smoothing=node.params["label_smoothing"])
    return _per_sample_reduction(losses, node.params["reduction"], batch, (rows,))


def _labels_in_a_row(labels: Tensor, count: int) -> Tensor:
    """Integer class labels (batch, rows) as (count,): reshaped on the array, as integers
    never require grad (no op to record)."""
    return Tensor._from_op(labels.data.reshape(count))


def _nll_loss(replay, node, inputs, out):
    log_probs = replay.data(inputs[0], "nll_loss")
    target = replay.data(inputs[1], "nll_loss")
    batch, rows, classes = log_probs.shape
    losses = F.nll_loss(log_probs.reshape(batch * rows, classes), _labels_in_a_row(target, batch * rows),
                        reduction="none")
    return _per_sample_reduction(losses, node.params["reduction"], batch, (rows,))


def _bce_with_logits(replay, node, inputs, out):
    logits, target = (replay.data(x, "binary_cross_entropy_with_logits") for x in inputs)
    losses = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    return _per_sample_reduction(losses, node.params["reduction"], replay.batch_size, logits.shape[1:])


RULES: dict[str, Callable] = {
    **{name: _elementwise for name in ("neg", "exp", "log", "sqrt", "abs", "relu", "tanh", "sigmoid", "sign",
                                       "clip", "leaky_relu", "astype", "add", "sub", "mul", "div", "power",
                                       "maximum", "minimum")},
    **{name: _reduction for name in ("sum", "mean", "max", "min")},
    "reshape": _reshape, "transpose": _transpose, "getitem": _getitem, "broadcast_to": _broadcast_to,
    "softmax": _softmax_like, "log_softmax": _softmax_like, "matmul": _matmul,
    "stack": _joined, "concatenate": _joined,
    "linear": _linear, "mlp": _mlp,
    "cross_entropy": _cross_entropy, "nll_loss": _nll_loss,
    "binary_cross_entropy_with_logits": _bce_with_logits,
}


# ---- per-sample gradients from the factors -------------------------------------------------------
class PerSampleGradients:
    """The per-sample gradients of every parameter, kept as factors until asked for."""

    def __init__(self, params: list[Tensor], stacks: list[LayerStack], upstreams: list, losses: Tensor):
        self.params = params
        self.losses = losses
        self.batch_size = losses.shape[0]
        # For each parameter, its (kind, d, h) pieces: d (batch, rows, out) the gradient at a
        # layer's output, h (batch, rows, in) that layer's input (None for a bias).
        self.pieces: list[list[tuple[str, np.ndarray, np.ndarray | None]]] = [[] for _ in params]
        for stack, upstream in zip(stacks, upstreams):
            if upstream is not None:  # else these layers do not reach the loss
                dtype = stack.output.dtype
                self._backpropagate(stack, upstream if upstream.dtype == dtype else upstream.astype(dtype))

    def _backpropagate(self, stack: LayerStack, upstream: np.ndarray) -> None:
        """From a stack's output down through its layers (the MLP node's own recursion, with
        its own activation derivatives), keeping every layer's d instead of summing d^T h
        over the rows."""
        batch = self.batch_size
        d = upstream.reshape(-1, upstream.shape[-1])
        for layer in reversed(range(len(stack.params))):
            weight, bias = stack.params[layer]
            h = stack.inputs[layer]
            d_per_sample = d.reshape(batch, -1, d.shape[-1])
            self.pieces[weight].append(("weight", d_per_sample, h.reshape(batch, -1, h.shape[-1])))
            if bias is not None:
                self.pieces[bias].append(("bias", d_per_sample, None))
            if layer:
                d = d @ self.params[weight].data  # a fresh array: the pieces above keep the old d
                F.scale_by_mlp_activation_derivative(stack.activation)(d, h)

    def per_sample(self, index: int) -> np.ndarray:
        """Parameter ``index``'s gradient for every sample: shape (batch,) + its shape.

        Most of the fast path's time goes into writing these (64 copies of the model for a
        batch of 64), so each is written straight into its final array in the parameter's
        dtype, no temporary, no cast, no copy: the outer products by ``_outer_products``,
        several rows per sample by einsum."""
        param = self.params[index]
        pieces = self.pieces[index]
        result = np.empty((self.batch_size,) + param.shape, dtype=param.dtype)
        if not pieces:  # the parameter does not reach the loss
            result.fill(0)
            return result
        scratch = None
        for count, (kind, d, h) in enumerate(pieces):
            target = result if count == 0 else scratch if scratch is not None else np.empty_like(result)
            if kind == "bias":
                np.add.reduce(d, axis=1, out=target, dtype=target.dtype)  # np.sum's own call, less its wrapper
            elif d.shape[1] == 1:  # one row per sample: an outer product
                _outer_products(d[:, 0], h[:, 0], target)
            else:
                np.einsum("bro,bri->boi", d, h, out=target, casting="same_kind")
            if count:  # a parameter used by several layers: the sum of their terms
                scratch = target
                result += scratch
        return result

    def total(self, index: int) -> np.ndarray:
        """The sum over the samples of parameter ``index``'s gradient."""
        param = self.params[index]
        total = np.zeros(param.shape, dtype=param.dtype)
        for kind, d, h in self.pieces[index]:
            rows = d.reshape(-1, d.shape[-1])
            total += rows.sum(axis=0) if kind == "bias" else rows.T @ h.reshape(-1, h.shape[-1])
        return total

    def sum_squared(self, index: int) -> np.ndarray:
        """sum over samples of the squared gradient, elementwise. With one layer using the
        parameter and one row per sample, sum_i (d_i h_i^T)**2 = (d**2)^T (h**2): no
        per-sample gradient is made."""
        pieces = self.pieces[index]
        if len(pieces) == 1 and pieces[0][1].shape[1] == 1:
            kind, d, h = pieces[0]
            d_squared = np.square(d[:, 0])
            return d_squared.sum(axis=0) if kind == "bias" else d_squared.T @ np.square(h[:, 0])
        per_sample = self.per_sample(index)
        return np.einsum("b...,b...->...", per_sample, per_sample)


def _outer_products(d: np.ndarray, h: np.ndarray, out: np.ndarray) -> None:
    """``out[b] = outer(d[b], h[b])`` for every b, each element one product ``d[b, o] * h[b, i]``.

    Written as a batched matrix product whose inner dimension is 2, ``[d, 0] @ [h; 0]``: its
    second term is ``0 * 0``, which adds an exact zero, so every element is the rounded
    product itself, the same bits einsum('bo,bi->boi') writes (which also adds the product
    to a zero: a zero product is +0 in both; infinities and NaNs come out the same; tests
    compare the bits, products that underflow included. A BLAS that added the 0 * 0 term
    first with a fused multiply-add could keep the sign of a product that underflows, -0
    for +0: equal, not the same bits; the test would say so.) A matrix product with an inner
    dimension of 1 is not handed to BLAS by NumPy, one of 2 is: BLAS clears each sample's
    block (its pass for beta = 0) and writes the products over it while the block is in
    cache, where einsum zeroes the whole output first and then adds the products into it
    with an inner loop of one row (2.5 times as long). Other
    dtypes, or operands whose dtype is not the output's, take einsum."""
    if not (d.dtype == h.dtype == out.dtype and out.dtype in _BLAS_DTYPES and out.flags.c_contiguous):
        np.einsum("bo,bi->boi", d, h, out=out, casting="same_kind")
        return
    batch, rows = d.shape
    left = np.zeros((batch, rows, 2), dtype=d.dtype)
    left[:, :, 0] = d
    right = np.zeros((batch, 2, h.shape[1]), dtype=h.dtype)
    right[:, 0] = h
    np.matmul(left, right, out=out)


_BLAS_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def trace_and_replay(func: Callable, kwargs: dict, positions: tuple[int, ...], plan) -> PerSampleGradients:
    """Per-sample gradients of the scalar ``func`` with respect to the arguments at
    ``positions`` (unmapped), the others mapped as ``plan`` (vmap's BatchPlan) says.
    Raises NotBatchable when the function is not of the form the replay handles."""
    params, trace_args = [], []
    tracer = SampleTracer()
    grad_enabled = autograd.is_grad_enabled()
    for position, (leaves, arg_dims, spec) in enumerate(zip(plan.leaves, plan.dims, plan.specs)):
        if position in positions:
            made = []
            for number, (leaf, dim) in enumerate(zip(leaves, arg_dims)):
                if dim is not None:
                    raise NotBatchable(f"the differentiated {plan.paths[position][number]} is mapped")
                if not isinstance(leaf, Tensor) or leaf.data.dtype.kind != "f":
                    raise NotBatchable(f"the differentiated {plan.paths[position][number]} is not a floating-point "
                                       f"Tensor")
                if leaf._requires_grad and grad_enabled:
                    raise NotBatchable(f"the differentiated {plan.paths[position][number]} requires grad (an "
                                       f"enclosing computation may differentiate the per-sample gradients)")
                made.append(_variable(leaf.data))
            params += made
        else:
            for number, (leaf, dim) in enumerate(zip(leaves, arg_dims)):
                if dim is not None and leaf._requires_grad and grad_enabled:
                    raise NotBatchable(f"the mapped {plan.paths[position][number]} requires grad (an enclosing "
                                       f"computation may differentiate the per-sample gradients with respect to it)")
            made = [leaf if dim is None else tracer.sample(leaf.data if dim == 0 else np.moveaxis(leaf.data, dim, 0))
                    for leaf, dim in zip(leaves, arg_dims)]
        trace_args.append(tree_unflatten(spec, made))
    previous, trace_state.tracer = trace_state.tracer, tracer
    try:
        with autograd.enable_grad():
            output = func(*trace_args, **kwargs)
    except Exception as error:  # the loop will raise it again, for the sample it concerns
        raise NotBatchable(f"the function raised {type(error).__name__} on sample 0: {error}") from error
    finally:
        trace_state.tracer = previous
    if tracer.refusal is not None:  # refused, and the refusal caught by the function itself
        raise NotBatchable(tracer.refusal)
    if not isinstance(output, Tensor) or output.ndim != 0 or output.dtype.kind != "f" or not output.requires_grad:
        raise NotBatchable("the function does not return a scalar float Tensor that depends on the differentiated "
                           "arguments")
    replay = Replay(tracer, params, lambda index: _parameter_path(plan, positions, index), plan.batch_size)
    try:
        losses = replay.run(output)
    except NotBatchable:
        raise
    except Exception as error:  # e.g. a label out of range in another sample: the loop says which
        raise NotBatchable(f"the batched replay raised {type(error).__name__}: {error}") from error
    _confirm_last_sample(func, kwargs, plan, losses)
    return PerSampleGradients(params, replay.stacks, _upstreams(losses, replay.stacks), losses.detach())


def _parameter_ranges(plan, positions: tuple[int, ...]):
    """(argument position, index of its first parameter, its number of leaves) for each
    differentiated argument: trace_and_replay numbers the parameters argument after argument,
    in the order of the arguments (not of ``positions``)."""
    start = 0
    for position in sorted(positions):
        count = len(plan.leaves[position])
        yield position, start, count
        start += count


def _parameter_path(plan, positions: tuple[int, ...], index: int) -> str:
    """The path of parameter ``index``, for messages."""
    for position, start, count in _parameter_ranges(plan, positions):
        if index < start + count:
            return plan.paths[position][index - start]
    raise IndexError(index)


def _upstreams(losses: Tensor, stacks: list[LayerStack]) -> list:
    """d(sum of the losses)/d(each stack's output), as ``autograd.grad(..., allow_unused=True)``
    computes it (None where a stack does not reach the losses), left as arrays: one backward
    pass of the replay's graph down to the layers' outputs."""
    if not (losses.requires_grad and stacks):
        return [None] * len(stacks)
    outputs = [stack.output for stack in stacks]
    found = autograd.run_backward((losses,), (np.ones(losses.shape, dtype=losses.dtype),), inputs=outputs,
                                  accumulate=False)
    return [found.get(id(output)) for output in outputs]


def _variable(data: np.ndarray) -> Tensor:
    """A fresh leaf that requires grad around a differentiated argument's (floating-point) data."""
    variable = Tensor._from_op(data)
    variable._requires_grad = True
    return variable


def _confirm_last_sample(func: Callable, kwargs: dict, plan, losses: Tensor) -> None:
    """The replay runs sample 0's operations on every sample. A function whose operations
    depend on its data (a branch on ``.data``, say) breaks that without the tracer seeing
    it, so the real function is run on the last sample too and its loss must be the
    replay's; otherwise the loop runs. (One more forward pass of one sample.)"""
    last = plan.batch_size - 1
    if last < 1:
        return
    sample_args = plan.sample(last, graph=False)
    try:
        with autograd.no_grad():
            value = func(*sample_args, **kwargs)
        value = float(np.asarray(value.data if isinstance(value, Tensor) else value))
    except Exception as error:  # the loop will raise it again, for the sample it concerns
        raise NotBatchable(f"the function raised {type(error).__name__} on sample {last}: {error}") from error
    replayed = float(losses.data.reshape(-1)[last]) if losses.ndim else float(losses.data)
    tolerance = 1e-4 if losses.dtype == np.float32 else 1e-9
    # np.isclose's test, on two Python floats (a NaN on either side is never close)
    if not (value == replayed or abs(value - replayed) <= tolerance * 1e-3 + tolerance * abs(replayed)):
        raise NotBatchable(f"sample {last}'s loss is {value!r} run alone but {replayed!r} in the batched replay: "
                           f"the function's operations depend on its data")


def vmapped_grad(grad_fn: GradTransform, args: tuple, kwargs: dict, plan) -> tuple[Any, str | None]:
    """``vmap(grad_fn)(*args)`` through the batched replay: (result, None), or (None, the
    reason it does not apply)."""
    if grad_fn.has_aux:
        return None, "has_aux=True (the aux of one traced sample is not per-sample)"
    try:
        positions = argnum_positions(grad_fn.argnums, len(args), "grad")
        gradients = trace_and_replay(grad_fn.func, kwargs, positions, plan)
    except (NotBatchable, IndexError, ValueError) as reason:
        return None, str(reason)
    per_sample = [Tensor._from_op(gradients.per_sample(i)) for i in range(len(gradients.params))]
    pieces = {position: tree_unflatten(plan.specs[position], per_sample[start:start + count])
              for position, start, count in _parameter_ranges(plan, positions)}
    grads = pieces[positions[0]] if isinstance(grad_fn.argnums, int) else tuple(pieces[p] for p in positions)
    return ((grads, gradients.losses) if grad_fn.with_value else grads), None


# ---- BackPACK-style statistics --------------------------------------------------------------------
class BatchGradStats(NamedTuple):
    """What ``batch_grad_stats`` returns, each a dict of parameter name -> Tensor (names as in
    ``model.named_parameters()``), for per-sample losses ``l_i`` and gradients
    ``g_i = dl_i/dparam``:

    - ``grad_sum``: sum_i g_i (divide by the batch size for the gradient of the mean loss);
    - ``sum_grad_squared``: sum_i g_i**2, elementwise (BackPACK's name);
    - ``variance``: (1/N) sum_i (g_i - mean g)**2, elementwise, the spread of the per-sample
      gradients around their mean (computed as ``sum_grad_squared/N - (grad_sum/N)**2``,
      rounding below zero clipped to zero; BackPACK's ``Variance`` for a mean-reduced loss);
    - ``grad_batch``: the g_i themselves, shape (N,) + the parameter's (BackPACK's name), or
      None unless ``keep_per_sample=True`` (they take N times the model's memory);
    - ``losses``: the l_i, shape (N,);
    - ``path``: "per-sample" (one batched pass) or "loop" (one pass per sample), and
      ``fallback_reason``: why the batched pass did not apply (None when it did).

    The g_i are the gradients of each sample's own loss, as ``torch.func.vmap(grad(...))``
    gives them and as the slides' Adam sums their squares. (BackPACK's ``BatchGrad`` and
    ``SumGradSquared`` are those of the terms of the batch loss: for a mean over N samples,
    g_i / N and sum_grad_squared / N**2.)
    """

    grad_sum: dict
    sum_grad_squared: dict
    variance: dict
    grad_batch: dict | None
    losses: Tensor
    path: str
    fallback_reason: str | None = None


def _sample_loss(model: Module, loss_fn: Callable) -> Callable:
    def sample_loss(params, x, target):
        return loss_fn(functional_call(model, params, (x[None],)), target[None])
    sample_loss.__name__ = f"sample_loss({getattr(loss_fn, '__name__', type(loss_fn).__name__)})"
    return sample_loss


def batch_grad_stats(model: Module, loss_fn: Callable, inputs: Tensor, targets: Tensor, *,
                     keep_per_sample: bool = False) -> BatchGradStats:
    """Per-sample gradient statistics of ``model``'s parameters over one batch, in one call
    (BackPACK's ``BatchGrad``, ``SumGradSquared`` and ``Variance``).

    Sample i's loss is ``loss_fn(model(inputs[i:i+1]), targets[i:i+1])``: ``loss_fn`` takes
    a batch of one, e.g. ``nn.functional.cross_entropy`` or ``nn.MSELoss()``. For networks of
    linear and MLP layers the sums come from one batched pass, and ``sum_grad_squared``
    without making any per-sample gradient (``(d**2)^T (h**2)`` per layer); other models
    fall back to one pass per sample. The model's parameters and ``.grad`` are not touched.

    >>> import numpy as np, minigrad as mg
    >>> from minigrad import nn
    >>> from minigrad.func import batch_grad_stats
    >>> model = nn.MLP([3, 4, 2], seed=0)
    >>> X = mg.tensor(np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))
    >>> stats = batch_grad_stats(model, nn.functional.cross_entropy, X, mg.tensor([0, 1, 1, 0, 1]))
    >>> stats.path, stats.sum_grad_squared["0.weight"].shape, stats.losses.shape
    ('per-sample', (4, 3), (5,))
    """
    named = list(model.named_parameters())
    params = {name: param.detach() for name, param in named}
    inputs, targets = _as_tensor(inputs, "inputs"), _as_tensor(targets, "targets")
    if inputs.ndim == 0 or targets.ndim == 0 or inputs.shape[0] != targets.shape[0]:
        raise ValueError(f"batch_grad_stats: inputs of shape {inputs.shape} and targets of shape {targets.shape} "
                         f"must have the same number of samples along dim 0")
    from minigrad.func.vmap import BatchPlan

    sample_loss = _sample_loss(model, loss_fn)
    count = inputs.shape[0]
    try:
        plan = BatchPlan((params, inputs, targets), (None, 0, 0), "batch_grad_stats")
        gradients = trace_and_replay(sample_loss, {}, (0,), plan)
    except NotBatchable as reason:
        return _stats_by_loop(sample_loss, params, inputs, targets, keep_per_sample)._replace(fallback_reason=str(reason))
    names = list(params)
    grad_sum = {name: gradients.total(i) for i, name in enumerate(names)}
    squared = {name: gradients.sum_squared(i) for i, name in enumerate(names)}
    batch = {name: Tensor(gradients.per_sample(i)) for i, name in enumerate(names)} if keep_per_sample else None
    return _stats(grad_sum, squared, batch, gradients.losses, count, "per-sample")


def _stats_by_loop(sample_loss, params, inputs, targets, keep_per_sample: bool) -> BatchGradStats:
    from minigrad.func.vmap import vmap
    from minigrad.func.transforms import grad_and_value

    grads, losses = vmap(grad_and_value(sample_loss), in_dims=(None, 0, 0), fast_path=False)(params, inputs, targets)
    grad_sum = {name: g.data.sum(axis=0) for name, g in grads.items()}
    squared = {name: np.einsum("b...,b...->...", g.data, g.data) for name, g in grads.items()}
    return _stats(grad_sum, squared, grads if keep_per_sample else None, losses.detach(), inputs.shape[0], "loop")


def _stats(grad_sum: dict, squared: dict, batch, losses: Tensor, count: int, path: str) -> BatchGradStats:
    variance = {name: np.maximum(squared[name] / count - np.square(grad_sum[name] / count), 0) for name in grad_sum}
    wrap = lambda arrays: {name: Tensor(np.asarray(a)) for name, a in arrays.items()}  # noqa: E731
    return BatchGradStats(wrap(grad_sum), wrap(squared), wrap(variance), batch, losses, path)


def _as_tensor(value, name: str) -> Tensor:
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray):
        return Tensor(value)
    raise TypeError(f"batch_grad_stats: {name} must be a Tensor or an ndarray, got {type(value).__name__}")


def per_sample_grads(model: Module, loss_fn: Callable, inputs: Tensor, targets: Tensor) -> dict:
    """The gradient of each sample's loss with respect to each parameter of ``model``: a dict
    of parameter name -> Tensor of shape (N,) + the parameter's shape, where sample i's loss
    is ``loss_fn(model(inputs[i:i+1]), targets[i:i+1])``. The same as
    ``vmap(grad(sample_loss), in_dims=(None, 0, 0))`` with ``functional_call`` inside (and as
    ``torch.func``'s recipe), one batched pass for networks of linear and MLP layers.

    >>> import numpy as np, minigrad as mg
    >>> from minigrad import nn
    >>> from minigrad.func import per_sample_grads
    >>> model = nn.Linear(3, 2, seed=0)
    >>> X = mg.tensor(np.ones((4, 3), dtype=np.float32))
    >>> per_sample_grads(model, nn.functional.mse_loss, X, mg.tensor(np.zeros((4, 2), dtype=np.float32)))["weight"].shape
    (4, 2, 3)
    """
    from minigrad.func.vmap import vmap

    params = {name: param.detach() for name, param in model.named_parameters()}
    return vmap(grad(_sample_loss(model, loss_fn)), in_dims=(None, 0, 0))(params, inputs, targets)
