"""minigrad: a small, readable, fast autograd and deep-learning framework on NumPy."""
from minigrad.autograd import detect_anomaly, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from minigrad.gradcheck import GradcheckError, gradcheck, gradgradcheck
from minigrad.ops import (
    PRIMITIVES,
    broadcast_to,
    sign,
    clip,
    concatenate,
    exp,
    log,
    maximum,
    minimum,
    relu,
    sigmoid,
    sqrt,
    stack,
    tanh,
    where,
)
from minigrad.tensor import Tensor, tensor

__version__ = "0.1.0"

from minigrad import autograd, nn, optim  # noqa: E402  (they build on the names above)
from minigrad.nn.serialization import load, save  # noqa: E402

_LAZY_SUBMODULES = ("data", "train", "lab", "viz", "io", "sklearn", "sweep", "func")


def __getattr__(name: str):
    """``mg.viz``, ``mg.lab``, ... import on first use: matplotlib and scikit-learn stay
    out of ``import minigrad`` until something needs them."""
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"minigrad.{name}")
    raise AttributeError(f"module 'minigrad' has no attribute {name!r}")

__all__ = [
    "Tensor", "tensor", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "detect_anomaly",
    "gradcheck", "gradgradcheck", "GradcheckError", "PRIMITIVES", "autograd", "broadcast_to", "sign",
    "clip", "concatenate", "exp", "log", "maximum", "minimum", "relu", "sigmoid", "sqrt",
    "stack", "tanh", "where", "nn", "optim", "save", "load",
]
