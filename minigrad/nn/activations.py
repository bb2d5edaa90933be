"""The activation functions beyond relu/tanh/sigmoid, as ``torch.nn.functional`` names them.

Each smooth one is a primitive (forward on arrays, gradient rule beside it, as in
``ops.py``), so a layer costs one node, and each rule is written against the array
namespace ``xp``: it runs on arrays on the ordinary path and records a graph under
``create_graph=True``, so every activation is twice differentiable. The gradients at
the kinks (0 for hardtanh at its bounds, ``alpha`` for ELU at 0, ...) are PyTorch's.

The exact GELU needs the standard normal CDF, Phi(x) = (1 + erf(x / sqrt 2)) / 2, which
NumPy lacks: it comes from SciPy (a dependency of scikit-learn, hence of minigrad),
imported on first use, and ``normal_cdf`` is its primitive, so that the GELU rule, which
contains Phi, is differentiable too.
"""
from __future__ import annotations

import math

import numpy as np

from minigrad.ops import Primitive, stable_sigmoid
from minigrad.tensor import Tensor

__all__ = ["gelu", "silu", "elu", "celu", "selu", "softplus", "mish", "hardtanh", "relu6", "logsigmoid"]

# SELU's constants (Klambauer et al. 2017), as PyTorch spells them.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)  # Python floats: a float32 input stays float32
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715


def _ndtr(a: np.ndarray) -> np.ndarray:
    from scipy.special import ndtr  # imported on first use: SciPy is slow to import

    return ndtr(a).astype(a.dtype, copy=False)


def _normal_pdf(xp, a):
    with np.errstate(over="ignore"):  # a * a = inf for huge |a| gives exp(-inf) = 0, as it should
        return xp.exp(-0.5 * a * a) * _INV_SQRT_2PI


normal_cdf = Primitive("normal_cdf", _ndtr, lambda xp, g, out, a: g * _normal_pdf(xp, a))


def _floating(input, what: str) -> None:
    """The smooth activations are defined on real numbers: an integer tensor is a mistake
    (PyTorch refuses it too), not something to round the result back into."""
    dtype = input.data.dtype if isinstance(input, Tensor) else np.asarray(input).dtype
    if dtype.kind != "f":
        raise TypeError(f"{what} needs a floating-point input, got dtype {dtype}")


def _cdf(a):
    """Phi(a) on either path: a recorded primitive for a Tensor, SciPy for an array."""
    return normal_cdf(a) if isinstance(a, Tensor) else _ndtr(a)


# ---- GELU ----------------------------------------------------------------------------------
def _gelu_forward(a, approximate):
    if approximate == "tanh":
        with np.errstate(over="ignore"):  # a^3 = +-inf for huge |a|: tanh gives +-1, as it should
            inner = _SQRT_2_OVER_PI * (a + _GELU_CUBIC * a * a * a)
        return 0.5 * a * (1 + np.tanh(inner))
    return a * _ndtr(a)


def _gelu_grad(xp, g, out, a, approximate):
    if approximate == "tanh":
        # d/dx of x (1 + t) / 2 with t = tanh(k (x + c x^3)): (1 + t) / 2 + x (1 - t^2) k (1 + 3 c x^2) / 2
        # (NaN where x^3 overflows, |x| > 1e12 or so in float32, as in PyTorch).
        with np.errstate(over="ignore", invalid="ignore"):
            t = xp.tanh(_SQRT_2_OVER_PI * (a + _GELU_CUBIC * a * a * a))
            slope = _SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * a * a)
            return g * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * slope)
    return g * (_cdf(a) + a * _normal_pdf(xp, a))  # d/dx x Phi(x) = Phi(x) + x phi(x)


_gelu = Primitive("gelu", _gelu_forward, _gelu_grad)


def gelu(input, approximate: str = "none") -> Tensor:
    """x Phi(x), Phi the standard normal CDF; with ``approximate="tanh"``,
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). As ``torch.nn.functional.gelu``."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    _floating(input, "gelu")
    return _gelu(input, approximate=approximate)


# ---- SiLU ----------------------------------------------------------------------------------
def _silu_grad(xp, g, out, a):
    s = xp.sigmoid(a)
    return g * s * (1 + a * (1 - s))  # d/dx x s(x) = s + x s (1 - s)


_silu = Primitive("silu", lambda a: a * stable_sigmoid(a), _silu_grad)


def silu(input, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish). ``inplace`` is accepted for PyTorch's signature;
    the result is a new tensor either way (see ``nn.ReLU``)."""
    _floating(input, "silu")
    return _silu(input)


# ---- the ELU family: one primitive, PyTorch's (alpha, scale, input_scale) form ---------------
def _elu_forward(a, alpha, scale, input_scale):
    negative = alpha * np.expm1(np.minimum(a, 0) * input_scale)
    return np.where(a > 0, a * scale if scale != 1 else a, negative * scale if scale != 1 else negative)


def _elu_grad(xp, g, out, a, alpha, scale, input_scale):
    # The exponential only sees the non-positive part: no overflow warning for large x.
    slope = (alpha * scale * input_scale) * xp.exp(xp.where(a > 0, 0.0, a) * input_scale)
    return xp.where(a > 0, g * scale, g * slope)


_elu = Primitive("elu", _elu_forward, _elu_grad)


def elu(input, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, alpha (exp(x) - 1) elsewhere; gradient alpha at 0, as PyTorch."""
    _floating(input, "elu")
    return _elu(input, alpha=float(alpha), scale=1.0, input_scale=1.0)


def celu(input, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1)): ELU made continuously differentiable."""
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0 (it divides x)")
    _floating(input, "celu")
    return _elu(input, alpha=float(alpha), scale=1.0, input_scale=1.0 / float(alpha))


def selu(input, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with SELU's fixed constants (self-normalizing networks)."""
    _floating(input, "selu")
    return _elu(input, alpha=SELU_ALPHA, scale=SELU_SCALE, input_scale=1.0)


# ---- Softplus, Mish, LogSigmoid -------------------------------------------------------------
def _softplus_forward(a, beta, threshold):
    scaled = a * beta
    # log(1 + exp(z)) as logaddexp(0, z): finite for any z. Linear above the threshold.
    return np.where(scaled > threshold, a, np.logaddexp(0, scaled) / beta)


def _softplus_grad(xp, g, out, a, beta, threshold):
    scaled = a * beta
    return xp.where(scaled > threshold, g, g * xp.sigmoid(scaled))


_softplus = Primitive("softplus", _softplus_forward, _softplus_grad)


def softplus(input, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (as PyTorch)."""
    _floating(input, "softplus")
    return _softplus(input, beta=float(beta), threshold=float(threshold))


def _tanh_of_softplus(xp, a):
    # tanh(log(1 + e^x)) = (1 - q^2) / (1 + q^2) with q = sigmoid(-x) = 1 - s, and
    # 1 - q^2 = s (1 + q): no overflow for large x, no cancellation for very negative x.
    s, q = xp.sigmoid(a), xp.sigmoid(-a)
    return s * (1 + q) / (1 + q * q), s


def _mish_grad(xp, g, out, a):
    t, s = _tanh_of_softplus(xp, a)
    return g * (t + a * s * (1 - t * t))


_mish = Primitive("mish", lambda a: a * np.tanh(np.logaddexp(0, a)), _mish_grad)


def mish(input, inplace: bool = False) -> Tensor:
    """x tanh(softplus(x))."""
    _floating(input, "mish")
    return _mish(input)


def _logsigmoid_forward(a):
    # log s(x) = min(x, 0) - log(1 + exp(-|x|)): only exp of non-positive numbers.
    return np.minimum(a, 0) - np.log1p(np.exp(-np.abs(a)))


_logsigmoid = Primitive("logsigmoid", _logsigmoid_forward, lambda xp, g, out, a: g * xp.sigmoid(-a))


def logsigmoid(input) -> Tensor:
    """log(sigmoid(x)), computed without overflow or log(0) for any x."""
    _floating(input, "logsigmoid")
    return _logsigmoid(input)


# ---- Hardtanh and ReLU6 -----------------------------------------------------------------------
_hardtanh = Primitive(
    "hardtanh",
    # (an integer input stays integer, as in PyTorch)
    lambda a, min_val, max_val: np.clip(a, min_val, max_val).astype(a.dtype, copy=False),
    # PyTorch's: the gradient passes strictly inside the bounds (0 at min_val and max_val).
    lambda xp, g, out, a, min_val, max_val: g * ((a > min_val) & (a < max_val)),
)


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """x clipped to [min_val, max_val]; gradient 1 strictly inside, 0 elsewhere."""
    if not max_val > min_val:
        raise ValueError(f"hardtanh: max_val must be greater than min_val, got min_val={min_val}, max_val={max_val}")
    return _hardtanh(input, min_val=float(min_val), max_val=float(max_val))


def relu6(input, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6), as ``hardtanh(x, 0, 6)`` (PyTorch computes it so: gradient 0 at 0 and 6)."""
    return _hardtanh(input, min_val=0.0, max_val=6.0)
