"""Functions of the nn package: activations, softmax, the fused linear map, and the losses.

The ones that matter for speed or stability are primitives of their own, defined here with
``minigrad.ops.Primitive`` (forward and gradient rules side by side, as in ``ops.py``):

- ``linear``: ``x @ W.T + b`` in one node; gradients ``g @ W``, ``g.T @ x`` and ``g.sum(0)``.
- ``mlp``: a whole stack of linear layers with an activation between them in one node, its
  backward the layer-by-layer recursion of the backprop page; ``nn.MLP`` runs through it.
- ``cross_entropy``: log-sum-exp forward, gradient ``(softmax - target) / n`` from the
  softmax the forward saved; no chain of small ops, no overflow for huge logits.
- ``log_softmax``, ``softmax``, ``leaky_relu``, ``nll_loss``,
  ``binary_cross_entropy_with_logits``.

The fused ``mlp`` and ``cross_entropy`` keep raw arrays for their fast backward; each also
has a composite form (the same function op by op), which the engine differentiates when a
gradient of the gradient is wanted. ``linear_op`` and ``mlp_op`` are the primitives behind
``linear`` and ``mlp`` without their argument checks, for layers that checked already.

Every loss takes ``reduction="mean" | "sum" | "none"``, as in ``torch.nn.functional``, and
returns a tensor of the input's dtype (the loss of a float32 model is float32).
"""
from __future__ import annotations

import numpy as np

from minigrad import ops
from minigrad.nn.activations import celu, elu, gelu, hardtanh, logsigmoid, mish, relu6, selu, silu, softplus
from minigrad.nn.normalization import batch_norm, layer_norm
from minigrad.ops import Primitive
from minigrad.tensor import Tensor

__all__ = [
    "linear", "mlp", "relu", "leaky_relu", "tanh", "sigmoid", "softmax", "log_softmax", "dropout",
    "gelu", "silu", "elu", "celu", "selu", "softplus", "mish", "hardtanh", "relu6", "logsigmoid",
    "layer_norm", "batch_norm",
    "cross_entropy", "nll_loss", "mse_loss", "binary_cross_entropy_with_logits",
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
    total = exp.sum(axis=1, keepdims=True)
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


def _class_indices(target: np.ndarray, logits_shape: tuple, what: str) -> np.ndarray:
    """Validate integer class labels for (n, C) scores; raise naming the offending values."""
    n, classes = logits_shape
    if target.dtype.kind not in "iu":
        raise TypeError(
            f"{what}: class labels must be integers, got dtype {target.dtype}"
            + (" (for probability targets pass an array of the logits' shape)" if target.dtype.kind == "f" else "")
        )
    if target.ndim != 1:
        raise ValueError(f"{what}: class labels must be 1-D of length {n}, got shape {target.shape}")
    if target.shape[0] != n:
        raise ValueError(f"{what}: batch size mismatch: {n} rows of scores but {target.shape[0]} labels")
    # Seen as unsigned, a negative label is a huge number: one max() checks both bounds.
    if n and target.view(f"u{target.itemsize}").max() >= classes:
        bad = np.unique(target[(target < 0) | (target >= classes)])
        raise ValueError(f"{what}: class labels must be in [0, {classes - 1}], got {bad.tolist()}")
    return target


def _check_scores(scores: np.ndarray, what: str, name: str = "logits") -> None:
    if scores.ndim != 2:
        raise ValueError(f"{what}: {name} must be 2-D (batch, classes), got shape {scores.shape}")
    if scores.dtype.kind != "f":
        raise TypeError(f"{what}: {name} must be floating point, got dtype {scores.dtype}")


def cross_entropy(logits, target, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy between (n, C) ``logits`` and ``target``, as ``torch.nn.functional.cross_entropy``.

    ``target`` is either n integer class indices, or (n, C) class probabilities. With
    ``label_smoothing`` = eps the target becomes (1 - eps) * target + eps / C. One fused,
    stable node: the forward uses log-sum-exp, the gradient with respect to the logits is
    ``(softmax * sum(q) - q) / n`` for the mean (``softmax - onehot`` without smoothing).
    """
    scores = _array(logits)
    labels = _array(target)
    _check_scores(scores, "cross_entropy")
    check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    class_indices = not (labels.dtype.kind == "f" and labels.ndim == 2)
    if class_indices:
        _class_indices(labels, scores.shape, "cross_entropy")
    else:
        if labels.shape != scores.shape:
            raise ValueError(
                f"cross_entropy: probability targets must have the logits' shape {scores.shape}, "
                f"got {labels.shape}"
            )
        if labels.dtype != scores.dtype and not isinstance(target, Tensor):
            target = labels.astype(scores.dtype)
    return _cross_entropy(logits, target, reduction=reduction, label_smoothing=float(label_smoothing),
                          class_indices=class_indices)


# ---- negative log-likelihood --------------------------------------------------------------
def _nll_forward(log_probs, target, reduction):
    per_sample = -log_probs[np.arange(log_probs.shape[0]), target]
    return _reduce(per_sample, reduction)


def _nll_grad(xp, g, out, log_probs, target, reduction):
    n = log_probs.shape[0]
    return xp.put_add(-_spread_upstream(g, reduction, n), log_probs.shape, (np.arange(n), target))


_nll_loss = Primitive("nll_loss", _nll_forward, _nll_grad)  # integer labels have no gradient


def nll_loss(log_probs, target, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of integer class labels given (n, C) log-probabilities:
    ``-log_probs[i, target[i]]``, reduced. ``cross_entropy(x, t) == nll_loss(log_softmax(x), t)``."""
    scores = _array(log_probs)
    _check_scores(scores, "nll_loss", "log_probs")
    check_reduction(reduction)
    labels = _class_indices(_array(target), scores.shape, "nll_loss")
    return _nll_loss(log_probs, labels, reduction=reduction)


# ---- regression and binary losses ---------------------------------------------------------
def _same_shape(a: np.ndarray, b: np.ndarray, what: str) -> None:
    if a.shape != b.shape:
        raise ValueError(
            f"{what}: input shape {a.shape} and target shape {b.shape} differ "
            f"(broadcasting them is almost always a bug; reshape one of them)"
        )


def mse_loss(input, target, reduction: str = "mean") -> Tensor:
    """Mean (or summed, or per-element) squared error ``(input - target) ** 2``; shapes must match."""
    x, y = _array(input), _array(target)
    _same_shape(x, y, "mse_loss")
    check_reduction(reduction)
    if y.dtype != x.dtype and x.dtype.kind == "f" and not isinstance(target, Tensor):
        target = y.astype(x.dtype)  # float64 data against a float32 model: a float32 loss
    diff = input - target
    squared = diff * diff
    if reduction == "mean":
        return squared.mean()
    if reduction == "sum":
        return squared.sum()
    return squared


def _bce_logits_forward(x, y, reduction):
    # -[y log s(x) + (1 - y) log(1 - s(x))] = max(x, 0) - x y + log(1 + exp(-|x|)):
    # only exp of non-positive numbers, so finite for any x.
    per_element = np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))
    return _reduce(per_element, reduction)


def _bce_upstream(g, x, reduction):
    return _spread_upstream(g, reduction, x.size)


_bce_with_logits = Primitive(
    "binary_cross_entropy_with_logits", _bce_logits_forward,
    lambda xp, g, out, x, y, reduction: (xp.sigmoid(x) - y) * _bce_upstream(g, x, reduction),
    lambda xp, g, out, x, y, reduction: -x * _bce_upstream(g, x, reduction),
)


def binary_cross_entropy_with_logits(logits, target, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of ``sigmoid(logits)`` against ``target`` in [0, 1], computed from the
    logits directly (stable for any magnitude); gradient ``sigmoid(logits) - target``."""
    x, y = _array(logits), _array(target)
    _same_shape(x, y, "binary_cross_entropy_with_logits")
    check_reduction(reduction)
    if x.dtype.kind != "f":
        raise TypeError(f"binary_cross_entropy_with_logits: logits must be floating point, got dtype {x.dtype}")
    if y.dtype != x.dtype and not isinstance(target, Tensor):
        target = y.astype(x.dtype)
    return _bce_with_logits(logits, target, reduction=reduction)
