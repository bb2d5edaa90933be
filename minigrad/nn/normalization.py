"""Normalization: LayerNorm and BatchNorm1d, and the functions behind them.

Both standardize their input over some axes, x_hat = (x - mean) / sqrt(var + eps) with the
biased variance, then scale and shift it per feature (``weight``, ``bias``). The
standardization is one primitive, ``standardize``, whose gradient

    dx = rstd * (g - mean(g) - x_hat * mean(g * x_hat))      (means over the same axes)

is written in the array namespace ``xp`` (it recomputes the moments from x rather than
keeping them), so it is twice differentiable. LayerNorm standardizes each sample over its
last dims; BatchNorm1d standardizes each channel over the batch (and length) in training,
and keeps running estimates of the mean and the unbiased variance for evaluation, updated as
PyTorch does: ``running = (1 - momentum) * running + momentum * batch_statistic``
(a cumulative average when ``momentum`` is None).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from minigrad import ops
from minigrad.nn.module import Module, Parameter
from minigrad.ops import Primitive
from minigrad.tensor import Tensor

__all__ = ["layer_norm", "batch_norm", "LayerNorm", "BatchNorm1d"]


def _array(x) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


# ---- the primitive ---------------------------------------------------------------------------
def _floating(x, what: str) -> None:
    if _array(x).dtype.kind != "f":
        raise TypeError(f"{what} needs a floating-point input, got dtype {_array(x).dtype}")


def _count(shape: tuple, axes: tuple) -> int:
    return math.prod(shape[axis] for axis in axes)


def _standardize_forward(a, axes, eps):
    if a.size == 0:
        return a.copy()
    mean = a.mean(axis=axes, keepdims=True)
    centered = a - mean
    var = (centered * centered).mean(axis=axes, keepdims=True)
    centered /= np.sqrt(var + eps)
    return centered


def _standardize_grad(xp, g, out, a, axes, eps):
    n = _count(a.shape, axes)
    if n == 0:
        return g * 0
    mean = a.sum(axis=axes, keepdims=True) / n
    centered = a - mean
    rstd = xp.power((centered * centered).sum(axis=axes, keepdims=True) / n + eps, -0.5)
    g_mean = g.sum(axis=axes, keepdims=True) / n
    projection = (g * out).sum(axis=axes, keepdims=True) / n
    return rstd * (g - g_mean - out * projection)


standardize = Primitive("standardize", _standardize_forward, _standardize_grad)


def _affine(x_hat, weight, bias, shape: tuple):
    """x_hat * weight + bias with both reshaped to ``shape`` (to broadcast along a channel axis)."""
    if weight is not None:
        if _array(weight).shape != shape:
            weight = ops.reshape(weight, shape=shape)
        x_hat = ops.mul(x_hat, weight)
    if bias is not None:
        if _array(bias).shape != shape:
            bias = ops.reshape(bias, shape=shape)
        x_hat = ops.add(x_hat, bias)
    return x_hat


def _in_dtype(x, module: Module):
    """The input cast to the dtype of the module's floating-point state (as Linear: a float64
    batch into a float32 model computes in float32); unchanged if the module has none."""
    for tensor in (*module._parameters.values(), *module._buffers.values()):
        if tensor is not None and tensor.data.dtype.kind == "f":
            if _array(x).dtype != tensor.data.dtype:
                return ops.astype(x, dtype=tensor.data.dtype)
            break
    return x


# ---- layer norm ------------------------------------------------------------------------------
def _normalized_shape(normalized_shape) -> tuple:
    if isinstance(normalized_shape, (int, np.integer)) and not isinstance(normalized_shape, bool):
        return (int(normalized_shape),)
    try:
        shape = tuple(int(n) for n in normalized_shape)
    except (TypeError, ValueError):
        raise TypeError(f"normalized_shape must be an int or a sequence of ints, got {normalized_shape!r}") from None
    return shape


def layer_norm(input, normalized_shape: int | Sequence[int], weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """Standardize each sample over its last ``len(normalized_shape)`` dims, then
    ``* weight + bias`` (both of ``normalized_shape``, optional). As ``F.layer_norm``."""
    shape = _normalized_shape(normalized_shape)
    _floating(input, "layer_norm")
    x_shape = _array(input).shape
    if not shape or x_shape[len(x_shape) - len(shape):] != shape or len(x_shape) < len(shape):
        raise ValueError(f"layer_norm: normalized_shape={shape} needs an input of shape (*, "
                         f"{', '.join(map(str, shape))}), got an input of shape {x_shape}")
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None and _array(value).shape != shape:
            raise ValueError(f"layer_norm: {name} must have shape normalized_shape={shape}, got {_array(value).shape}")
    axes = tuple(range(len(x_shape) - len(shape), len(x_shape)))
    return _affine(standardize(input, axes=axes, eps=float(eps)), weight, bias, shape)


# ---- batch norm ------------------------------------------------------------------------------
def _channel_layout(x_shape: tuple, what: str) -> tuple[tuple, tuple]:
    """For (N, C) or (N, C, L...) inputs: the axes a channel's statistics run over, and the
    shape a per-channel vector takes to broadcast against the input."""
    if len(x_shape) < 2:
        raise ValueError(f"{what}: expected an input of shape (N, C) or (N, C, L), got shape {x_shape}")
    axes = (0,) + tuple(range(2, len(x_shape)))
    return axes, (x_shape[1],) + (1,) * (len(x_shape) - 2)


def _check_values_per_channel(x_shape: tuple, axes: tuple) -> None:
    if _count(x_shape, axes) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {x_shape}")


def _update_running(running, statistic: np.ndarray, factor: float) -> None:
    """running <- (1 - factor) running + factor statistic, in place (the buffer's array is kept)."""
    data = running.data if isinstance(running, Tensor) else running
    data *= 1 - factor
    data += factor * statistic.astype(data.dtype, copy=False)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalization of an (N, C) or (N, C, L) input, as ``F.batch_norm``.

    Training: each channel is standardized with its batch mean and biased variance, and
    ``running_mean``/``running_var`` (Tensors or arrays of C values, or None) are updated in
    place with the batch mean and the unbiased variance. Evaluation: the running statistics
    are used instead, ``(x - running_mean) / sqrt(running_var + eps) * weight + bias``.
    """
    _floating(input, "batch_norm")
    x_shape = _array(input).shape
    axes, channel_shape = _channel_layout(x_shape, "batch_norm")
    channels = x_shape[1]
    for name, value in (("running_mean", running_mean), ("running_var", running_var),
                        ("weight", weight), ("bias", bias)):
        if value is not None and _array(value).shape != (channels,):
            raise ValueError(f"batch_norm: {name} must have one value per channel, shape ({channels},), "
                             f"got shape {_array(value).shape} for an input of shape {x_shape}")
    if training:
        _check_values_per_channel(x_shape, axes)
        n = _count(x_shape, axes)
        if n and (running_mean is not None or running_var is not None):
            data = _array(input)
            mean = data.mean(axis=axes)
            if running_mean is not None:
                _update_running(running_mean, mean, momentum)
            if running_var is not None:
                centered = data - mean.reshape(channel_shape)
                unbiased = (centered * centered).sum(axis=axes) / (n - 1)
                _update_running(running_var, unbiased, momentum)
        return _affine(standardize(input, axes=axes, eps=float(eps)), weight, bias, channel_shape)
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm: running_mean and running_var are needed when not training "
                         "(pass training=True to use the batch's own statistics)")
    dtype = _array(input).dtype
    mean = _array(running_mean).astype(dtype, copy=False)
    inverse_std = 1.0 / np.sqrt(_array(running_var).astype(dtype, copy=False) + eps)
    # x * scale + shift with scale = weight / std and shift = bias - mean * scale (what PyTorch
    # computes too); the gradient reaches weight and bias through scale and shift.
    scale = inverse_std if weight is None else ops.mul(weight, inverse_std)
    shift = ops.mul(scale, -mean) if bias is None else ops.sub(bias, ops.mul(scale, mean))
    return ops.add(ops.mul(input, ops.reshape(scale, shape=channel_shape)), ops.reshape(shift, shape=channel_shape))


# ---- the modules -------------------------------------------------------------------------------
class LayerNorm(Module):
    """Normalize each sample over its last dims (``normalized_shape``), then scale and shift.

    ``LayerNorm(C)`` on (N, C) or (N, L, C) inputs standardizes every C-vector to mean 0 and
    variance 1, then applies ``weight`` (ones) and ``bias`` (zeros), learned per element of
    ``normalized_shape`` when ``elementwise_affine`` (``bias=False`` drops the shift).
    Statistics are the sample's own: the same in training and evaluation.
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, *, dtype=np.float32):
        super().__init__()
        self.normalized_shape = _normalized_shape(normalized_shape)
        if not self.normalized_shape or min(self.normalized_shape) < 1:
            raise ValueError(f"LayerNorm: normalized_shape must be positive sizes, got {normalized_shape!r}")
        self.eps = float(eps)
        self.elementwise_affine = bool(elementwise_affine)
        if self.elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype))
            self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype)) if bias else None
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            self.weight.data[...] = 1
        if self.bias is not None:
            self.bias.data[...] = 0

    def forward(self, x) -> Tensor:
        return layer_norm(_in_dtype(x, self), self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
                + ("" if not self.elementwise_affine else f", bias={self.bias is not None}"))


class BatchNorm1d(Module):
    """Batch normalization over (N, C) or (N, C, L) inputs, C = ``num_features``.

    In training mode each channel is standardized with the batch's mean and (biased)
    variance, and the running estimates ``running_mean`` and ``running_var`` (buffers, in the
    state dict with ``num_batches_tracked``) move towards the batch's mean and unbiased
    variance by ``momentum`` (None: a cumulative average over the batches seen). In eval mode
    the running estimates are used, so one sample at a time gives the same answer as in a
    batch. ``affine`` adds a learned per-channel ``weight`` and ``bias`` (``bias=False``
    drops the shift); ``track_running_stats=False`` keeps no estimates and uses the batch
    statistics in both modes. As PyTorch's, a training batch must hold more than one value
    per channel.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, *, bias: bool = True, dtype=np.float32):
        super().__init__()
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)) or num_features < 1:
            raise ValueError(f"BatchNorm1d: num_features must be a positive integer, got {num_features!r}")
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError(f"BatchNorm1d: momentum must be in [0, 1] or None, got {momentum!r}")
        self.num_features = int(num_features)
        self.eps = float(eps)
        self.momentum = None if momentum is None else float(momentum)
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        if self.affine:
            self.weight = Parameter(np.ones(self.num_features, dtype=dtype))
            self.bias = Parameter(np.zeros(self.num_features, dtype=dtype)) if bias else None
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if self.track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(self.num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(self.num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.weight is not None:
            self.weight.data[...] = 1
        if self.bias is not None:
            self.bias.data[...] = 0

    def forward(self, x) -> Tensor:
        shape = _array(x).shape
        if len(shape) not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {len(shape)}D input of shape {shape})")
        if shape[1] != self.num_features:
            raise ValueError(f"BatchNorm1d({self.num_features}) expects {self.num_features} channels (dim 1), "
                             f"got {shape[1]} (input shape {shape})")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            _check_values_per_channel(shape, _channel_layout(shape, "BatchNorm1d")[0])  # before counting
            self.num_batches_tracked.data += 1
            if self.momentum is None:  # a cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.data)
        # Without running estimates, the batch's statistics serve in eval mode too.
        use_batch_statistics = self.training or not self.track_running_stats
        return batch_norm(_in_dtype(x, self), self.running_mean, self.running_var, self.weight, self.bias,
                          use_batch_statistics, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"
                + (f", bias={self.bias is not None}" if self.affine else "")
                + f", track_running_stats={self.track_running_stats}")
