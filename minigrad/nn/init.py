"""Weight initializers: each fills a tensor in place from an explicit random Generator.

Names and formulas follow ``torch.nn.init`` (the trailing underscore means "in place"):

- ``uniform_(t, low, high, rng)``, ``normal_(t, mean, std, rng)``, ``zeros_(t)``, ``ones_(t)``
- ``xavier_uniform_(t, rng, gain=1)``: U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out))
- ``xavier_normal_(t, rng, gain=1)``: N(0, std), std = gain * sqrt(2 / (fan_in + fan_out))
- ``kaiming_uniform_(t, rng, a=0, mode="fan_in", nonlinearity="leaky_relu")``:
  U(-b, b), b = gain * sqrt(3 / fan)
- ``kaiming_normal_(t, rng, a=0, mode="fan_in", nonlinearity="leaky_relu")``:
  N(0, std), std = gain / sqrt(fan)

``rng`` is a ``numpy.random.Generator`` (or an int seed, turned into one), always passed
explicitly: the same seed gives the same weights, bit for bit. For a weight of shape
(out, in) the fans are fan_in = in and fan_out = out (times the receptive field size for
higher-dimensional weights). Each function returns the tensor it filled.
"""
from __future__ import annotations

import math

import numpy as np

from minigrad.tensor import Tensor

__all__ = [
    "calculate_gain", "uniform_", "normal_", "zeros_", "ones_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
]

Seed = np.random.Generator | int


def _generator(rng: Seed) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be a numpy.random.Generator or an int seed, got {type(rng).__name__}")


def _fill(tensor: Tensor, values: np.ndarray) -> Tensor:
    tensor.data[...] = values  # in place: views of the array (optimizer buffers) stay valid
    return tensor


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain that keeps activations' variance steady through ``nonlinearity`` (as PyTorch)."""
    if nonlinearity in ("linear", "identity", "sigmoid", "conv1d", "conv2d"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(
        f"unknown nonlinearity {nonlinearity!r}: choose from linear, identity, sigmoid, tanh, relu, leaky_relu, selu"
    )


def fans(shape: tuple) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of ``shape`` = (out, in, *receptive field)."""
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a weight of at least 2 dimensions, got shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _fan(shape: tuple, mode: str) -> int:
    fan_in, fan_out = fans(shape)
    if mode == "fan_in":
        return fan_in
    if mode == "fan_out":
        return fan_out
    raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")


def uniform_(tensor: Tensor, low: float, high: float, rng: Seed) -> Tensor:
    return _fill(tensor, _generator(rng).uniform(low, high, size=tensor.shape))


def normal_(tensor: Tensor, mean: float, std: float, rng: Seed) -> Tensor:
    return _fill(tensor, _generator(rng).normal(mean, std, size=tensor.shape))


def zeros_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 1)


def xavier_uniform_(tensor: Tensor, rng: Seed, gain: float = 1.0) -> Tensor:
    fan_in, fan_out = fans(tensor.shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, rng)


def xavier_normal_(tensor: Tensor, rng: Seed, gain: float = 1.0) -> Tensor:
    fan_in, fan_out = fans(tensor.shape)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng)


def kaiming_uniform_(tensor: Tensor, rng: Seed, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu") -> Tensor:
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(tensor.shape, mode))
    return uniform_(tensor, -bound, bound, rng)


def kaiming_normal_(tensor: Tensor, rng: Seed, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu") -> Tensor:
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor.shape, mode))
    return normal_(tensor, 0.0, std, rng)
