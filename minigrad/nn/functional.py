"""Functions of the nn package, as ``torch.nn.functional`` names them: activations, softmax,
the fused linear map and MLP, normalization, and the losses.

The ones that matter for speed or stability are primitives of their own, defined here with
``minigrad.ops.Primitive`` (forward and gradient rules side by side, as in ``ops.py``):

- ``linear``: ``x @ W.T + b`` in one node; gradients ``g @ W``, ``g.T @ x`` and ``g.sum(0)``.
- ``mlp``: a whole stack of linear layers with an activation between them in one node, its
  backward the layer-by-layer recursion of the backprop page; ``nn.MLP`` runs through it.
- ``cross_entropy``: log-sum-exp forward, gradient ``(softmax - target) / n`` from the
  softmax the forward saved; no chain of small ops, no overflow for huge logits. It takes
  (N, C) scores with class indices or probabilities; with a class ``weight``, ignored
  labels or (N, C, d1, ...) scores the loss is composed of ``log_softmax`` and ``nll_loss``.
- ``log_softmax``, ``softmax``, ``leaky_relu``, ``nll_loss`` (with per-sample weights),
  ``binary_cross_entropy``, ``binary_cross_entropy_with_logits``.
- The activations of ``nn.activations`` (``gelu``, ``silu``, ``elu``, ``softplus``, ...) and
  the ``standardize`` of ``nn.normalization`` (behind ``layer_norm`` and ``batch_norm``).

The fused ``mlp`` and ``cross_entropy`` keep raw arrays for their fast backward; each also
has a composite form (the same function op by op), which the engine differentiates when a
gradient of the gradient is wanted. Every other rule is written in the array namespace, so
every function here is twice differentiable. ``linear_op`` and ``mlp_op`` are the primitives
behind ``linear`` and ``mlp`` without their argument checks, for layers that checked already.

Every loss takes ``reduction="mean" | "sum" | "none"`` (``kl_div`` also ``"batchmean"``) and
PyTorch's deprecated ``size_average``/``reduce``, as in ``torch.nn.functional``, and returns
a tensor of the input's dtype (the loss of a float32 model is float32). Class weights and
element weights are constants of the loss (no gradient), as in PyTorch.
"""
from __future__ import annotations

import warnings

import numpy as np

from minigrad import ops
from minigrad.functions import normalize, one_hot, pad  # PyTorch has these in nn.functional too
from minigrad.nn.activations import celu, elu, gelu, hardtanh, logsigmoid, mish, relu6, selu, silu, softplus
from minigrad.nn.normalization import batch_norm, layer_norm
from minigrad.ops import Primitive
from minigrad.tensor import Tensor

__all__ = [
    "linear", "mlp", "relu", "leaky_relu", "tanh", "sigmoid", "softmax", "log_softmax", "dropout",
    "gelu", "silu", "elu", "celu", "selu", "softplus", "mish", "hardtanh", "relu6", "logsigmoid",
    "layer_norm", "batch_norm", "binary_cross_entropy", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div",
    "cross_entropy", "nll_loss", "mse_loss", "binary_cross_entropy_with_logits",
    "normalize", "one_hot", "pad",
]

REDUCTIONS = ("mean", "sum", "none")


def _array(x) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


# ---- linear ------------------------------------------------------------------------------
def _linear_forward(x, weight, bias):
    # The layer computes in its parameters' dtype, so a float64 batch into a float32
    # model gives float32 outputs (and a float32 loss) instead of promoting everything.
    if x.dtype != weight.dtype:
        x = x.astype(weight.dtype)
    out = x @ weight.T
    if bias is not None:
        out += bias
    return out


def _rows(a):
    """Collapse the leading (batch) axes: (..., k) -> (n, k)."""
    return a if a.ndim == 2 else a.reshape(-1, a.shape[-1])


def _sum_rows(g: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """The bias gradient: g summed over its rows. (``np.add.reduce`` is ``g.sum(axis=0)``
    without the Python wrapper, which costs as much as the sum at these sizes.)"""
    return np.add.reduce(_rows(g), axis=0, out=out)


def _linear_grad_bias(xp, g, out, x, weight, bias):
    rows = _rows(g)
    return _sum_rows(rows) if isinstance(rows, np.ndarray) else rows.sum(axis=0)


linear_op = Primitive(
    "linear", _linear_forward,
    lambda xp, g, out, x, weight, bias: g @ weight,
    lambda xp, g, out, x, weight, bias: xp.swapaxes(_rows(g), 0, 1) @ _rows(x),
    _linear_grad_bias,
)


def linear(x, weight, bias=None) -> Tensor:
    """``x @ weight.T + bias`` as one node: ``x`` is (..., in), ``weight`` (out, in), ``bias`` (out,)."""
    return linear_op(x, weight, bias)


# ---- a whole MLP in one node ------------------------------------------------------------------
# For each activation: its forward (in place on a fresh array) and, for the backward, the
# multiplication of an upstream gradient by its derivative written in terms of its output,
# which is all the node keeps. The arithmetic is the separate ops' own, in their order, so
# an MLP gives the same bits fused or layer by layer.
def _scale_by_relu_derivative(d, y):
    d *= y > 0


def _scale_by_tanh_derivative(d, y):
    d *= 1 - y * y


def _scale_by_sigmoid_derivative(d, y):
    d *= y
    d *= 1 - y


_MLP_ACTIVATIONS = {
    "relu": (lambda h: np.maximum(h, 0, out=h), _scale_by_relu_derivative),
    "tanh": (lambda h: np.tanh(h, out=h), _scale_by_tanh_derivative),
    "sigmoid": (ops.stable_sigmoid, _scale_by_sigmoid_derivative),
}


def scale_by_mlp_activation_derivative(activation: str):
    """The in-place ``d *= activation'(...)`` that ``mlp``'s backward uses, the derivative
    written in terms of the activation's output ``y``: ``scale(d, y)``. Shared so that code
    replaying an MLP's backward (per-sample gradients) keeps one copy of each derivative."""
    if activation not in _MLP_ACTIVATIONS:
        raise ValueError(f"mlp: activation must be one of {', '.join(_MLP_ACTIVATIONS)}, got {activation!r}")
    return _MLP_ACTIVATIONS[activation][1]


def _mlp_forward(x, *params, activation):
    """Layer i: h <- activation(h @ W_i.T + b_i), none after the last. Saves every layer's
    input (x as rows, then each hidden output): the backward needs nothing else."""
    activate = _MLP_ACTIVATIONS[activation][0]
    h = x.reshape(1, -1) if x.ndim == 1 else _rows(x)
    layer_inputs = []
    last = len(params) - 2
    for i in range(0, len(params), 2):
        weight, bias = params[i], params[i + 1]
        if h.dtype != weight.dtype:
            h = h.astype(weight.dtype)
        layer_inputs.append(h)
        h = h @ weight.T
        h += bias
        if i < last:
            h = activate(h)
    return h.reshape(x.shape[:-1] + h.shape[-1:]), layer_inputs


def _mlp_backward(g, layer_inputs, needs, into, x, *params, activation):
    """From the top layer down: dW_i = d.T @ h_i, db_i = sum of d's rows, and the gradient
    passed below is (d @ W_i) times the activation's derivative at h_i. Weight and bias
    gradients go straight into ``into``'s arrays where it has them."""
    scale_by_derivative = _MLP_ACTIVATIONS[activation][1]
    grads = [None] * len(needs)
    d = _rows(g) if g.ndim > 1 else g.reshape(1, -1)
    for layer in reversed(range(len(layer_inputs))):
        w, b = 1 + 2 * layer, 2 + 2 * layer
        if needs[w]:
            grads[w] = np.matmul(d.T, layer_inputs[layer], out=into[w])
        if needs[b]:
            grads[b] = _sum_rows(d, out=into[b])
        if not any(needs[:w]):
            break  # nothing below needs a gradient
        d = d @ params[w - 1]
        if layer:
            scale_by_derivative(d, layer_inputs[layer])
    if needs[0]:
        grads[0] = d.reshape(x.shape)
    return grads


def _mlp_composite(x, *params, activation):
    """The same network layer by layer in minigrad ops (what the engine differentiates when
    a graph of the gradient is wanted)."""
    activate = {"relu": ops.relu, "tanh": ops.tanh, "sigmoid": ops.sigmoid}[activation]
    h = x
    last = len(params) - 2
    for i in range(0, len(params), 2):
        h = linear_op(h, params[i], params[i + 1])
        if i < last:
            h = activate(h)
    return h


mlp_op = Primitive("mlp", _mlp_forward, joint_rule=_mlp_backward, saves=True, composite=_mlp_composite)


def mlp(x, layers, activation: str = "relu") -> Tensor:
    """A multilayer perceptron as one node: ``layers`` is a sequence of ``(weight, bias)``,
    ``weight`` of shape (out, in); ``activation`` ("relu", "tanh" or "sigmoid") between the
    layers, none after the last. The same numbers as ``linear`` and the activation op after
    op, with one node in the graph instead of two per layer, which is what makes a small
    MLP's step cheap (``nn.MLP`` computes through it)."""
    if activation not in _MLP_ACTIVATIONS:
        raise ValueError(f"mlp: activation must be one of {', '.join(_MLP_ACTIVATIONS)}, got {activation!r}")
    layers = list(layers)
    if not layers:
        raise ValueError("mlp needs at least one (weight, bias) layer")
    params = []
    features = _array(x).shape[-1:] or ("a scalar",)
    for index, layer in enumerate(layers):
        if not isinstance(layer, (tuple, list)) or len(layer) != 2:
            raise ValueError(f"mlp: layer {index} must be a (weight, bias) pair, got {layer!r:.60}")
        weight, bias = layer
        w_shape, b_shape = _array(weight).shape, _array(bias).shape
        if len(w_shape) != 2 or b_shape != w_shape[:1]:
            raise ValueError(f"mlp: layer {index} needs weight (out, in) and bias (out,), got shapes {w_shape} and {b_shape}")
        if features != w_shape[1:]:
            raise ValueError(f"mlp: layer {index} takes {w_shape[1]} features but gets {features[0]} "
                             f"({'the input' if index == 0 else f'layer {index - 1} gives {features[0]}'})")
        features = w_shape[:1]
        params += [weight, bias]
    return mlp_op(x, *params, activation=activation)


# ---- activations -------------------------------------------------------------------------
def relu(input, inplace: bool = False) -> Tensor:
    """max(x, 0). ``inplace`` is accepted for PyTorch's signature; the result is a new tensor
    either way (minigrad's activations never overwrite their input)."""
    return ops.relu(input)


def tanh(input) -> Tensor:
    return ops.tanh(input)


def sigmoid(input) -> Tensor:
    return ops.sigmoid(input)


leaky_relu_op = Primitive(
    "leaky_relu",
    lambda a, negative_slope: np.where(a > 0, a, a * negative_slope),
    lambda xp, g, out, a, negative_slope: xp.where(a > 0, g, g * negative_slope),
)


def leaky_relu(x, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` where positive, ``negative_slope * x`` elsewhere (gradient ``negative_slope`` at 0, as PyTorch)."""
    return leaky_relu_op(x, negative_slope=negative_slope)


def dropout_probability(p) -> float:
    """A dropout probability: a real number in [0, 1] (a bool or a string is a mistake)."""
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"dropout probability must be a real number, got {p!r}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    return float(p)


def dropout(x, p: float, training: bool = True, rng: np.random.Generator | None = None) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p); identity when
    not training or ``p == 0``. The mask comes from ``rng`` (seeded by the caller)."""
    p = dropout_probability(p)
    if not training or p == 0:
        return x
    if rng is None:
        raise ValueError("dropout needs an explicit numpy Generator (rng=) when training")
    data = _array(x)
    dtype = data.dtype if data.dtype.kind == "f" else np.float32
    keep = rng.random(data.shape) >= p
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    return ops.mul(x, (keep * scale).astype(dtype, copy=False))


# ---- softmax and log-softmax ---------------------------------------------------------------
def _log_softmax_forward(a, axis):
    if a.size == 0:  # an empty axis (or batch) gives an empty result, as PyTorch
        return a.copy()
    shifted = a - a.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _softmax_forward(a, axis):
    if a.size == 0:
        return a.copy()
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


_log_softmax = Primitive(
    "log_softmax", _log_softmax_forward,
    # d/dx of x - lse(x): g - softmax * sum(g)
    lambda xp, g, out, a, axis: g - xp.exp(out) * g.sum(axis=axis, keepdims=True),
)
_softmax = Primitive(
    "softmax", _softmax_forward,
    # Jacobian diag(s) - s s^T applied to g: s * (g - <g, s>)
    lambda xp, g, out, a, axis: out * (g - (g * out).sum(axis=axis, keepdims=True)),
)


def dim_index(dim, ndim: int, what: str) -> int:
    """``dim`` as a non-negative axis of an ``ndim``-dimensional input, or PyTorch's IndexError
    (a 0-d input takes dim 0 or -1, as in PyTorch)."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{what}: dim must be an int, got {dim!r}")
    span = max(ndim, 1)
    if not -span <= dim < span:
        raise IndexError(f"{what}: Dimension out of range (expected to be in range of [{-span}, {span - 1}], "
                         f"but got {dim})")
    return int(dim) % span


def _softmax_dim(dim, axis, ndim: int, what: str) -> int:
    """PyTorch's ``dim=`` or NumPy's ``axis=`` (an alias); -1 when neither is given.

    PyTorch's deprecated implicit choice for ``dim=None`` (0 for 0-, 1- and 3-D inputs, else
    1) agrees with -1 up to 2-D; minigrad takes the last dim for every rank, where the
    classes or features sit."""
    if axis is not None:
        if dim is not None and dim != axis:
            raise TypeError(f"{what}: got dim={dim} and axis={axis}; axis is an alias of dim, pass one")
        dim = axis
    return dim_index(-1 if dim is None else dim, ndim, what)


def _along(primitive, x, dim: int, dtype):
    if dtype is not None:
        x = ops.astype(x, dtype=np.dtype(dtype))
    elif _array(x).dtype.kind != "f":
        raise TypeError(f"{primitive.name} needs a floating-point input (or dtype=), got dtype {_array(x).dtype}")
    if _array(x).ndim == 0:  # a 0-d input is a one-element distribution
        return ops.reshape(primitive(ops.reshape(x, shape=(1,)), axis=0), shape=())
    return primitive(x, axis=dim)


def softmax(input, dim: int | None = None, _stacklevel: int = 3, dtype=None, *, axis: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim`` (``axis`` is an alias), computed after subtracting
    the maximum (no overflow). ``dtype`` casts the input first, as in PyTorch."""
    return _along(_softmax, input, _softmax_dim(dim, axis, _array(input).ndim, "softmax"), dtype)


def log_softmax(input, dim: int | None = None, _stacklevel: int = 3, dtype=None, *, axis: int | None = None) -> Tensor:
    """x - logsumexp(x) along ``dim`` (``axis`` is an alias), stable for any magnitude of x."""
    return _along(_log_softmax, input, _softmax_dim(dim, axis, _array(input).ndim, "log_softmax"), dtype)


# ---- reductions shared by the losses -------------------------------------------------------
def _reduce(per_sample: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":
        return per_sample.sum() / per_sample.size if per_sample.size else per_sample.sum() * np.nan
    if reduction == "sum":
        return per_sample.sum()
    return per_sample


def _reduce_tensor(per_sample: Tensor, reduction: str) -> Tensor:
    """``_reduce`` for a Tensor of per-sample losses (the composite forms use it)."""
    if reduction == "mean":
        return per_sample.sum() / per_sample.size if per_sample.size else per_sample.sum() * np.nan
    if reduction == "sum":
        return per_sample.sum()
    return per_sample


def _spread_upstream(g: np.ndarray, reduction: str, n: int) -> np.ndarray:
    """d(reduced)/d(per-sample loss) times g, shaped to broadcast against per-sample terms."""
    if reduction == "mean" and n:
        return g / n
    return g  # also for an empty batch, whose gradient is empty whatever g is (no 1/0 warning)


def check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


# ---- cross-entropy: one fused primitive ---------------------------------------------------
def _cross_entropy_forward(logits, target, reduction, label_smoothing, class_indices):
    """Per-sample loss -sum_c q_c log p_c with log p = logits - logsumexp(logits).

    ``q`` is the target distribution: one-hot (class indices) or given (probabilities),
    mixed with the uniform distribution by ``label_smoothing``. Saves the softmax for the
    backward pass, and log p when the target itself may need a gradient.
    """
    n, classes = logits.shape
    rows = np.arange(n)
    # Each row's maximum, gathered at its argmax: the same values as logits.max(axis=1) at
    # half the cost on short rows (a reduction along a short axis pays per row).
    shifted = logits - logits[rows, logits.argmax(axis=1)][:, None]
    exp = np.exp(shifted)
    total = np.add.reduce(exp, axis=1, keepdims=True)
    log_total = np.log(total)
    probs = exp
    probs /= total
    log_probs = None
    if class_indices:
        per_sample = log_total[:, 0] - shifted[rows, target]
        if label_smoothing:
            mean_nll = log_total[:, 0] - shifted.mean(axis=1)
            per_sample = (1 - label_smoothing) * per_sample + label_smoothing * mean_nll
    else:
        log_probs = shifted - log_total
        weights = target if not label_smoothing else (1 - label_smoothing) * target + label_smoothing / classes
        per_sample = -(weights * log_probs).sum(axis=1)
    per_sample = per_sample.astype(logits.dtype, copy=False)
    return _reduce(per_sample, reduction), (probs, log_probs)


def _cross_entropy_grad_logits(xp, g, saved, logits, target, reduction, label_smoothing, class_indices):
    probs, _ = saved
    n, classes = logits.shape
    if class_indices:
        # q = (1 - eps) onehot + eps / C sums to one, so the gradient is softmax - q.
        grad = probs - label_smoothing / classes if label_smoothing else probs.copy()
        grad[np.arange(n), target] -= 1 - label_smoothing
    else:
        # Targets need not sum to one: d/dlogits of -sum q log p is softmax * sum(q) - q.
        weights = target if not label_smoothing else (1 - label_smoothing) * target + label_smoothing / classes
        grad = probs * weights.sum(axis=1, keepdims=True) - weights
    upstream = _spread_upstream(g, reduction, n)
    if reduction == "none":
        upstream = upstream[:, None]
    grad *= upstream
    return grad


def _cross_entropy_grad_target(xp, g, saved, logits, target, reduction, label_smoothing, class_indices):
    _, log_probs = saved  # only probability targets can require a gradient
    upstream = _spread_upstream(g, reduction, logits.shape[0])
    if reduction == "none":
        upstream = upstream[:, None]
    return -(1 - label_smoothing) * log_probs * upstream


def _cross_entropy_composite(logits, target, reduction, label_smoothing, class_indices):
    """The same loss op by op: -sum_c q_c log_softmax(logits)_c, reduced."""
    log_probs = _log_softmax(logits, axis=1)
    n, classes = logits.shape
    if class_indices:
        weights = np.zeros((n, classes), dtype=logits.dtype)
        weights[np.arange(n), np.asarray(target)] = 1
        weights = (1 - label_smoothing) * weights + label_smoothing / classes
    else:
        weights = target if not label_smoothing else (1 - label_smoothing) * target + label_smoothing / classes
    per_sample = -(weights * log_probs).sum(axis=1)
    return _reduce_tensor(per_sample, reduction)


_cross_entropy = Primitive(
    "cross_entropy", _cross_entropy_forward, _cross_entropy_grad_logits, _cross_entropy_grad_target,
    saves=True, composite=_cross_entropy_composite,
)


# ---- the arguments every loss shares ------------------------------------------------------------
def legacy_reduction(size_average, reduce, reduction: str) -> str:
    """``reduction`` from PyTorch's deprecated ``size_average``/``reduce`` flags, as PyTorch
    folds them (with its warning); ``reduction`` itself when both are None."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    folded = "none" if not reduce else ("mean" if size_average else "sum")
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{folded}' instead.",
                  UserWarning, stacklevel=3)
    return folded


def _earlier_order(third, fourth):
    """minigrad's losses used to take ``(input, target, reduction, label_smoothing)``
    positionally; PyTorch's third argument is ``weight`` (or ``size_average``). A string there
    can only be a reduction: read the call in the earlier order, so such calls keep working.
    Returns (reduction or None, the fourth argument)."""
    if isinstance(third, str):
        return third, fourth
    return None, None


class ClassIndexError(ValueError, IndexError):
    """A class label outside [0, C) (and not ``ignore_index``). An IndexError, as PyTorch's
    "Target 5 is out of bounds", and a ValueError, as minigrad's label checks always were."""


def _float_scores(scores: np.ndarray, what: str, name: str = "input") -> None:
    if scores.dtype.kind != "f":
        raise TypeError(f"{what}: {name} must be floating point, got dtype {scores.dtype}")


def _class_weight(weight, classes: int, dtype, what: str) -> np.ndarray | None:
    """A per-class rescaling weight as an array of C values in the scores' dtype (a constant
    of the loss, as in PyTorch, where the weight gets no gradient)."""
    if weight is None:
        return None
    values = _array(weight)
    if values.shape != (classes,):
        raise ValueError(f"{what}: weight must have one value per class, shape ({classes},), "
                         f"got shape {values.shape}")
    return values.astype(dtype, copy=False)


def _index_layout(scores_shape: tuple, labels: np.ndarray, what: str) -> tuple[int, tuple]:
    """For class-index targets: the class axis of the scores and the targets' expected shape.
    (C,) scores take a 0-d target; (N, C, d1, ...) scores take (N, d1, ...) targets."""
    if len(scores_shape) == 0:
        raise ValueError(f"{what}: input must have a class dimension, got a 0-d input")
    if labels.dtype.kind not in "iu":
        raise TypeError(
            f"{what}: class labels must be integers, got dtype {labels.dtype}"
            + (" (for probability targets pass an array of the input's shape)" if labels.dtype.kind == "f" else "")
        )
    class_axis = 0 if len(scores_shape) == 1 else 1
    expected = scores_shape[:class_axis] + scores_shape[class_axis + 1:]
    if labels.shape != expected:
        if len(scores_shape) == 2 and labels.ndim == 1:
            raise ValueError(f"{what}: batch size mismatch: {scores_shape[0]} rows of scores but "
                             f"{labels.shape[0]} labels (input shape {scores_shape}, target shape {labels.shape})")
        raise ValueError(f"{what}: for input of shape {scores_shape} the class labels must have shape "
                         f"{expected}, got target shape {labels.shape}")
    return class_axis, expected


def _ignored(labels: np.ndarray, classes: int, ignore_index: int, what: str) -> np.ndarray | None:
    """The mask of labels equal to ``ignore_index`` (None when there are none); every other
    label must be a class, else ClassIndexError naming the bad ones."""
    flat = labels if labels.ndim == 1 else labels.reshape(-1)
    # Seen as unsigned, a negative label is a huge number: one max() checks both bounds.
    all_classes = flat.size == 0 or np.maximum.reduce(flat.view(f"u{flat.itemsize}")) < classes
    if all_classes and not 0 <= ignore_index < classes:
        return None
    ignored = labels == ignore_index
    bad = ~ignored & ((labels < 0) | (labels >= classes))
    if bad.any():
        allowed = f"[0, {classes - 1}]" + (f" (or ignore_index={ignore_index})" if ignore_index != -100 else "")
        raise ClassIndexError(f"{what}: class labels must be in {allowed}, got {np.unique(labels[bad]).tolist()}")
    return ignored if ignored.any() else None


def _rows_by_class(tensor, class_axis: int, classes: int):
    """(N, C, d1, ...) scores as (N * d1 * ..., C) rows, the class axis last (two differentiable
    ops; none for 2-D scores)."""
    if tensor.ndim == 2 and class_axis == 1:
        return tensor
    if tensor.ndim == 1:
        return ops.reshape(tensor, shape=(1, classes))
    order = (0,) + tuple(range(2, tensor.ndim)) + (1,)
    return ops.reshape(ops.transpose(tensor, axes=order), shape=(-1, classes))


# ---- cross-entropy and NLL: the fused fast path, and the general one ------------------------------
def cross_entropy(input, target, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy between the scores ``input`` and ``target``, as ``torch.nn.functional.cross_entropy``.

    ``input`` is (N, C), (C,) for one sample, or (N, C, d1, ...); ``target`` either integer
    class indices of shape (N,), (), (N, d1, ...), or class probabilities of the input's shape.
    ``weight`` (C values) rescales each class: with indices, the mean divides by the summed
    weights of the targets. Targets equal to ``ignore_index`` count for nothing (nor in the
    mean's denominator). With ``label_smoothing`` = eps the target mixes with the uniform
    distribution: (1 - eps) * target + eps / C, with ``weight`` and ``ignore_index`` applied
    as PyTorch applies them.

    (N, C) scores with class indices and no ``weight`` or ignored labels, or with
    probabilities and no ``weight``, go through one fused, stable node: log-sum-exp forward,
    gradient ``(softmax * sum(q) - q) / N`` for the mean (``softmax - onehot`` without
    smoothing). Other cases are composed of log_softmax and indexing (slower, as flexible).
    """
    if isinstance(weight, str):  # the earlier order (input, target, reduction, label_smoothing)
        reduction, weight = weight, None
        if size_average is not None:
            label_smoothing, size_average = size_average, None
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    scores, labels = _array(input), _array(target)
    check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    _float_scores(scores, "cross_entropy")
    label_smoothing = float(label_smoothing)
    if labels.dtype.kind == "f" and labels.ndim == scores.ndim and scores.ndim:
        if labels.shape != scores.shape:
            raise ValueError(f"cross_entropy: probability targets must have the input's shape {scores.shape}, "
                             f"got {labels.shape}")
        return _cross_entropy_probabilities(input, target, weight, ignore_index, reduction, label_smoothing)
    class_axis, _ = _index_layout(scores.shape, labels, "cross_entropy")
    classes = scores.shape[class_axis]
    ignored = _ignored(labels, classes, ignore_index, "cross_entropy")
    if weight is None and ignored is None and scores.ndim == 2:
        return _cross_entropy(input, labels, reduction=reduction, label_smoothing=label_smoothing, class_indices=True)
    weights = _class_weight(weight, classes, scores.dtype, "cross_entropy")
    log_probs = _log_softmax(input, axis=class_axis)
    loss = _weighted_nll(log_probs, labels, class_axis, weights, ignored, reduction)
    if not label_smoothing:
        return loss
    smooth = _smoothing_term(log_probs, labels, class_axis, weights, ignored, reduction)
    return ops.add(ops.mul(loss, 1.0 - label_smoothing), ops.mul(smooth, label_smoothing / classes))


def _cross_entropy_probabilities(input, target, weight, ignore_index, reduction, label_smoothing) -> Tensor:
    """Cross-entropy against class probabilities: the mean is over the N * d1 * ... positions
    (not over the weights), as in PyTorch."""
    scores, labels = _array(input), _array(target)
    if ignore_index != -100:
        raise ValueError(f"cross_entropy: ignore_index (here {ignore_index}) is only for class-index targets, "
                         f"not for probabilities")
    if labels.dtype != scores.dtype and not isinstance(target, Tensor):
        target = labels.astype(scores.dtype)
    class_axis = 0 if scores.ndim == 1 else 1
    classes = scores.shape[class_axis]
    weights = _class_weight(weight, classes, scores.dtype, "cross_entropy")
    if weights is None and scores.ndim == 2:
        return _cross_entropy(input, target, reduction=reduction, label_smoothing=label_smoothing,
                              class_indices=False)
    q = target
    if label_smoothing:
        q = ops.add(ops.mul(target, 1.0 - label_smoothing), label_smoothing / classes)
    terms = ops.mul(_log_softmax(input, axis=class_axis), q)
    if weights is not None:
        terms = ops.mul(terms, weights.reshape((classes,) + (1,) * (scores.ndim - class_axis - 1)))
    per_position = ops.neg(ops.sum(terms, axis=class_axis))
    return _reduce_tensor(per_position, reduction)


def _weighted_nll(log_probs, labels: np.ndarray, class_axis: int, weights, ignored, reduction: str) -> Tensor:
    """-weight[t] * log_probs[..., t, ...] at each position, zero where ignored; the mean
    divides by the summed weights of the positions that count."""
    classes = log_probs.shape[class_axis]
    rows = _rows_by_class(log_probs, class_axis, classes)
    flat = labels.reshape(-1)
    counted = None if ignored is None else ~ignored.reshape(-1)
    if counted is not None:
        flat = np.where(counted, flat, 0)  # any valid index: its weight is 0
    sample_weight = None
    if weights is not None or counted is not None:
        sample_weight = np.ones(flat.shape, rows.dtype) if weights is None else weights[flat]
        if counted is not None:
            sample_weight = sample_weight * counted
    loss = _nll_loss(rows, flat, reduction=reduction, sample_weight=sample_weight)
    if reduction == "none" and labels.shape != loss.shape:
        loss = ops.reshape(loss, shape=labels.shape)
    return loss


def _smoothing_term(log_probs, labels: np.ndarray, class_axis: int, weights, ignored, reduction: str) -> Tensor:
    """PyTorch's uniform part of label smoothing with class indices: -sum_c w_c log p_c at each
    position (0 where ignored), divided for the mean as the NLL part is (by the targets'
    summed weights, or by how many positions count)."""
    trailing = (1,) * (log_probs.ndim - class_axis - 1)
    terms = log_probs if weights is None else ops.mul(log_probs, weights.reshape(weights.shape + trailing))
    per_position = ops.neg(ops.sum(terms, axis=class_axis))
    counted = None if ignored is None else ~ignored
    if counted is not None:
        per_position = ops.mul(per_position, counted.astype(log_probs.dtype))
    if reduction == "none":
        return per_position
    total = ops.sum(per_position)
    if reduction == "sum":
        return total
    if weights is not None:
        denominator = (weights[np.where(counted, labels, 0)] * counted).sum() if counted is not None \
            else weights[labels].sum()
    else:
        denominator = labels.size if counted is None else int(counted.sum())
    if not denominator:  # nothing counted: a NaN loss with zero gradients, as PyTorch gives
        return ops.add(ops.mul(total, 0.0), np.asarray(np.nan, dtype=log_probs.dtype))
    return ops.div(total, np.asarray(denominator, dtype=log_probs.dtype))


def _nll_forward(log_probs, target, reduction, sample_weight=None):
    per_sample = -log_probs[np.arange(log_probs.shape[0]), target]
    if sample_weight is None:
        return _reduce(per_sample, reduction)
    per_sample *= sample_weight
    if reduction == "mean":
        with np.errstate(divide="ignore", invalid="ignore"):  # all ignored: 0 / 0 = NaN, as PyTorch
            return per_sample.sum() / sample_weight.sum()
    return _reduce(per_sample, reduction)


def _nll_grad(xp, g, out, log_probs, target, reduction, sample_weight=None):
    n = log_probs.shape[0]
    if sample_weight is None:
        upstream = _spread_upstream(g, reduction, n)
    else:
        total = sample_weight.sum() if reduction == "mean" else 1
        upstream = (g / total if total else g) * sample_weight
    return xp.put_add(-upstream, log_probs.shape, (np.arange(n), target))


# One row per sample: -log_probs[i, target[i]], times sample_weight[i] if given (the class
# weight of its target, 0 for an ignored one); the mean divides by the summed sample weights.
_nll_loss = Primitive("nll_loss", _nll_forward, _nll_grad)  # integer labels have no gradient


def nll_loss(input, target, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of integer class labels given log-probabilities, as
    ``torch.nn.functional.nll_loss``: ``-weight[t] * input[n, t]`` at each position, reduced
    (the mean divides by the summed weights of the targets). ``input`` is (N, C), (C,) or
    (N, C, d1, ...); targets equal to ``ignore_index`` are left out.
    ``cross_entropy(x, t) == nll_loss(log_softmax(x, dim=1), t)``."""
    earlier, _ = _earlier_order(weight, None)
    if earlier is not None:
        reduction, weight = earlier, None
    reduction = legacy_reduction(size_average, reduce, reduction)
    scores, labels = _array(input), _array(target)
    check_reduction(reduction)
    _float_scores(scores, "nll_loss")
    class_axis, _ = _index_layout(scores.shape, labels, "nll_loss")
    classes = scores.shape[class_axis]
    ignored = _ignored(labels, classes, ignore_index, "nll_loss")
    if weight is None and ignored is None and scores.ndim == 2:
        return _nll_loss(input, labels, reduction=reduction)
    weights = _class_weight(weight, classes, scores.dtype, "nll_loss")
    return _weighted_nll(input, labels, class_axis, weights, ignored, reduction)


# ---- regression losses ----------------------------------------------------------------------
def _same_shape(a: np.ndarray, b: np.ndarray, what: str) -> None:
    if a.shape != b.shape:
        raise ValueError(
            f"{what}: input shape {a.shape} and target shape {b.shape} differ "
            f"(broadcasting them is almost always a bug; reshape one of them)"
        )


def _regression_operands(input, target, what: str):
    """``target`` in the input's dtype (float64 data against a float32 model: a float32 loss)."""
    x, y = _array(input), _array(target)
    _same_shape(x, y, what)
    if y.dtype != x.dtype and x.dtype.kind == "f" and not isinstance(target, Tensor):
        target = y.astype(x.dtype)
    return target


def _elementwise_weight(weight, shape: tuple, dtype, what: str) -> np.ndarray | None:
    if weight is None:
        return None
    values = _array(weight)
    if values.shape != shape:
        raise ValueError(f"{what}: weight must have the input's shape {shape}, got {values.shape}")
    return values.astype(dtype, copy=False)


def _reduce_elementwise(per_element: Tensor, reduction: str, weight: np.ndarray | None = None,
                        mean_over_weights: bool = True) -> Tensor:
    """Reduce a per-element loss. With ``weight``, each element is scaled by it, and the
    mean divides by the weights' sum (PyTorch's mse_loss and l1_loss; its huber_loss
    divides by the number of elements instead: ``mean_over_weights=False``)."""
    if weight is not None:
        per_element = ops.mul(per_element, weight)
        if reduction == "mean" and mean_over_weights:
            return ops.div(ops.sum(per_element), np.asarray(weight.sum(), dtype=weight.dtype))
    if reduction == "mean":
        return ops.mean(per_element)
    if reduction == "sum":
        return ops.sum(per_element)
    return per_element


def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean", weight=None) -> Tensor:
    """Mean (or summed, or per-element) squared error ``(input - target) ** 2``; shapes must
    match. ``weight`` (of the input's shape) scales each element; the mean then divides by
    the weights' sum, as in PyTorch."""
    earlier, _ = _earlier_order(size_average, None)
    if earlier is not None:
        reduction, size_average = earlier, None
    reduction = legacy_reduction(size_average, reduce, reduction)
    target = _regression_operands(input, target, "mse_loss")
    check_reduction(reduction)
    weights = _elementwise_weight(weight, _array(input).shape, _array(input).dtype, "mse_loss")
    diff = ops.sub(input, target)
    return _reduce_elementwise(ops.mul(diff, diff), reduction, weights)


def l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean", weight=None) -> Tensor:
    """Mean (or summed, or per-element) absolute error ``|input - target|`` (gradient 0 where
    they are equal, as PyTorch); ``weight`` as in ``mse_loss``."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    target = _regression_operands(input, target, "l1_loss")
    check_reduction(reduction)
    weights = _elementwise_weight(weight, _array(input).shape, _array(input).dtype, "l1_loss")
    return _reduce_elementwise(ops.abs(ops.sub(input, target)), reduction, weights)


def _quadratic_then_linear(input, target, width: float, scale_quadratic: bool):
    """0.5 d^2 (/ width) where |d| < width, else |d| - 0.5 width (times width): the shared
    shape of the smooth L1 and Huber losses, composed of differentiable ops."""
    diff = ops.sub(input, target)
    size = ops.abs(diff)
    quadratic = diff * diff * (0.5 / width if scale_quadratic else 0.5)
    linear = (size - 0.5 * width) if scale_quadratic else (size - 0.5 * width) * width
    return ops.where(size.data < width, quadratic, linear)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta, with d = input - target; an L1
    loss when beta is 0. As ``torch.nn.functional.smooth_l1_loss``."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    target = _regression_operands(input, target, "smooth_l1_loss")
    check_reduction(reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)
    return _reduce_elementwise(_quadratic_then_linear(input, target, float(beta), True), reduction)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0, weight=None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta): ``smooth_l1_loss`` times delta.
    ``weight`` scales each element (the mean still divides by the number of elements, as in
    PyTorch). As ``torch.nn.functional.huber_loss``."""
    target = _regression_operands(input, target, "huber_loss")
    check_reduction(reduction)
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    weights = _elementwise_weight(weight, _array(input).shape, _array(input).dtype, "huber_loss")
    per_element = _quadratic_then_linear(input, target, float(delta), False)
    return _reduce_elementwise(per_element, reduction, weights, mean_over_weights=False)


def kl_div(input, target, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """The Kullback-Leibler divergence of ``target`` from the distribution whose log-probabilities
    are ``input``: target * (log target - input) at each element (0 where target is 0), or
    exp(target) * (target - input) with ``log_target``. As ``torch.nn.functional.kl_div``:
    ``reduction="batchmean"`` divides the sum by the batch size (the mathematical KL for a
    batch of distributions); ``"mean"`` divides by the number of elements, with PyTorch's
    warning."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction not in REDUCTIONS + ("batchmean",):
        raise ValueError(f"kl_div: reduction must be one of {REDUCTIONS + ('batchmean',)}, got {reduction!r}")
    target = _regression_operands(input, target, "kl_div")
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size. "
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition.",
                      UserWarning, stacklevel=2)
    if log_target:
        per_element = ops.mul(ops.exp(target), ops.sub(target, input))
    else:
        positive = _array(target) > 0
        # x log x -> 0 as x -> 0: the log sees 1 where the target is 0 (no -inf, no NaN gradient).
        safe = ops.where(positive, target, 1.0)
        per_element = ops.sub(ops.where(positive, ops.mul(target, ops.log(safe)), 0.0), ops.mul(target, input))
    if reduction == "batchmean":
        total = ops.sum(per_element)
        batch = _array(input).shape[0] if _array(input).ndim else 1
        return ops.div(total, np.asarray(batch, dtype=_array(input).dtype)) if batch else ops.mul(total, np.nan)
    return _reduce_elementwise(per_element, reduction)


# ---- binary cross-entropy ------------------------------------------------------------------------
def _binary_weight(weight, shape: tuple, dtype, what: str, name: str = "weight") -> np.ndarray | None:
    """A weight that broadcasts to the input's shape (a constant of the loss)."""
    if weight is None:
        return None
    values = _array(weight)
    try:
        broadcast = np.broadcast_shapes(values.shape, shape)
    except ValueError:
        broadcast = None
    if broadcast != shape:
        raise ValueError(f"{what}: {name} of shape {values.shape} does not broadcast to the input's shape {shape}")
    return values.astype(dtype, copy=False)


def _bce_forward(x, y, reduction, weight=None):
    # PyTorch clamps each log at -100, so that a certain wrong prediction costs 100, not inf.
    with np.errstate(divide="ignore"):
        log_x = np.maximum(np.log(x), -100)
        log_not_x = np.maximum(np.log1p(-x), -100)
    per_element = -(y * log_x + (1 - y) * log_not_x)
    if weight is not None:
        per_element = per_element * weight
    return _reduce(per_element, reduction)


def _bce_grad_input(xp, g, out, x, y, reduction, weight=None):
    # d/dx = (x - y) / (x (1 - x)), the denominator kept from 0 as PyTorch does (>= 1e-12).
    spread = x * (1 - x)
    grad = (x - y) / xp.where(spread < 1e-12, 1e-12, spread) * _spread_upstream(g, reduction, x.size)
    return grad if weight is None else grad * weight


def _clamped_log(xp, a):
    with np.errstate(divide="ignore"):
        logs = xp.log(a)
    return xp.where(logs < -100, -100.0, logs)


def _bce_grad_target(xp, g, out, x, y, reduction, weight=None):
    grad = (_clamped_log(xp, 1 - x) - _clamped_log(xp, x)) * _spread_upstream(g, reduction, x.size)
    return grad if weight is None else grad * weight


_binary_cross_entropy = Primitive("binary_cross_entropy", _bce_forward, _bce_grad_input, _bce_grad_target)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """-weight * [y log x + (1 - y) log(1 - x)] for probabilities ``input`` in [0, 1] and
    targets ``target`` of the same shape; each log is clamped at -100, as in PyTorch. For
    logits, ``binary_cross_entropy_with_logits`` is the stable choice."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    x = _array(input)
    target = _regression_operands(input, target, "binary_cross_entropy")
    check_reduction(reduction)
    _float_scores(x, "binary_cross_entropy")
    if x.size and not (x.min() >= 0 and x.max() <= 1):
        raise ValueError(f"binary_cross_entropy: all elements of input should be between 0 and 1, "
                         f"got values in [{x.min()}, {x.max()}]")
    weights = _binary_weight(weight, x.shape, x.dtype, "binary_cross_entropy")
    return _binary_cross_entropy(input, target, reduction=reduction, weight=weights)


def _softplus_of_negative(xp, x):
    """log(1 + exp(-x)) = max(-x, 0) + log(1 + exp(-|x|)): finite for any x."""
    return xp.where(x < 0, -x, 0.0) + xp.log(1 + xp.exp(-abs(x)))


def _bce_logits_forward(x, y, reduction, weight=None, pos_weight=None):
    if pos_weight is None:
        # -[y log s(x) + (1 - y) log(1 - s(x))] = max(x, 0) - x y + log(1 + exp(-|x|)):
        # only exp of non-positive numbers, so finite for any x.
        per_element = np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))
    else:
        # -[p y log s(x) + (1 - y) log(1 - s(x))] = (1 - y) x + (1 + (p - 1) y) log(1 + exp(-x))
        softplus_of_negative = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))
        per_element = (1 - y) * x + (1 + (pos_weight - 1) * y) * softplus_of_negative
    if weight is not None:
        per_element = per_element * weight
    return _reduce(per_element, reduction)


def _bce_logits_grad_input(xp, g, out, x, y, reduction, weight=None, pos_weight=None):
    if pos_weight is None:
        grad = xp.sigmoid(x) - y
    else:
        grad = (1 - y) - (1 + (pos_weight - 1) * y) * xp.sigmoid(-x)
    grad = grad * _spread_upstream(g, reduction, x.size)
    return grad if weight is None else grad * weight


def _bce_logits_grad_target(xp, g, out, x, y, reduction, weight=None, pos_weight=None):
    grad = -x if pos_weight is None else (pos_weight - 1) * _softplus_of_negative(xp, x) - x
    grad = grad * _spread_upstream(g, reduction, x.size)
    return grad if weight is None else grad * weight


_bce_with_logits = Primitive(
    "binary_cross_entropy_with_logits", _bce_logits_forward, _bce_logits_grad_input, _bce_logits_grad_target,
)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction: str = "mean", pos_weight=None) -> Tensor:
    """Binary cross-entropy of ``sigmoid(input)`` against ``target`` in [0, 1], computed from the
    logits directly (stable for any magnitude); gradient ``sigmoid(input) - target``.

    ``weight`` scales each element; ``pos_weight`` scales the positive term,
    -[pos_weight * y log s(x) + (1 - y) log(1 - s(x))], one value per class (broadcast along
    the last dim), to trade recall for precision: as ``torch.nn.functional`` does."""
    earlier, _ = _earlier_order(weight, None)
    if earlier is not None:
        reduction, weight = earlier, None
    reduction = legacy_reduction(size_average, reduce, reduction)
    x = _array(input)
    if x.dtype.kind != "f":
        raise TypeError(f"binary_cross_entropy_with_logits: logits must be floating point, got dtype {x.dtype}")
    target = _regression_operands(input, target, "binary_cross_entropy_with_logits")
    check_reduction(reduction)
    what = "binary_cross_entropy_with_logits"
    weights = _binary_weight(weight, x.shape, x.dtype, what)
    positive = _binary_weight(pos_weight, x.shape, x.dtype, what, "pos_weight")
    if weights is None and positive is None:
        return _bce_with_logits(input, target, reduction=reduction)
    return _bce_with_logits(input, target, reduction=reduction, weight=weights, pos_weight=positive)
