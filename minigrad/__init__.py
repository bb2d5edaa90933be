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
from minigrad.dtypes import (  # noqa: A004  (torch's names: mg.float32, mg.bool, ...)
    bool,
    double,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    result_type,
    set_default_dtype,
    short,
    uint8,
)
from minigrad.creation import (
    arange,
    as_tensor,
    asarray,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    ones,
    ones_like,
    zeros,
    zeros_like,
)
from minigrad.random import (
    Generator,
    bernoulli,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    multinomial,
    normal,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    seed,
    set_rng_state,
)
from minigrad.functions import (  # noqa: A004  (torch's names: mg.sum, mg.max, ...)
    amax,
    amin,
    argmax,
    argmin,
    clone,
    flatten,
    gather,
    max,
    mean,
    min,
    movedim,
    moveaxis,
    numel,
    permute,
    reshape,
    squeeze,
    sum,
    swapaxes,
    swapdims,
    t,
    tile,
    transpose,
    unflatten,
    unsqueeze,
)

__version__ = "0.1.0"

from minigrad import autograd, nn, optim  # noqa: E402  (they build on the names above)

_LAZY_SUBMODULES = ("data", "train", "lab", "viz", "io", "sklearn", "sweep", "func")


def __getattr__(name: str):
    """``mg.viz``, ``mg.lab``, ... import on first use: matplotlib and scikit-learn stay
    out of ``import minigrad`` until something needs them."""
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"minigrad.{name}")
    raise AttributeError(f"module 'minigrad' has no attribute {name!r}")


def is_tensor(obj) -> "bool":
    """Whether ``obj`` is a minigrad Tensor (``torch.is_tensor``)."""
    return isinstance(obj, Tensor)


def is_floating_point(input) -> "bool":
    """Whether a Tensor's dtype is a float dtype (``torch.is_floating_point``)."""
    return input.is_floating_point()


__all__ = [
    "Tensor", "tensor", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "detect_anomaly",
    "gradcheck", "gradgradcheck", "GradcheckError", "PRIMITIVES", "autograd", "broadcast_to", "sign",
    "clip", "concatenate", "exp", "log", "maximum", "minimum", "relu", "sigmoid", "sqrt",
    "stack", "tanh", "where", "nn", "optim",
    # dtypes (mg.bool, mg.int and mg.float exist too, but stay out of a star import,
    # which would shadow the builtins; so do mg.sum, mg.max, mg.min, mg.all, mg.any, ...)
    "double", "float16", "float32", "float64", "half", "int8", "int16",
    "int32", "int64", "long", "short", "uint8", "get_default_dtype", "set_default_dtype",
    "promote_types", "result_type", "is_tensor", "is_floating_point",
    # creation and randomness
    "arange", "as_tensor", "asarray", "empty", "empty_like", "eye", "from_numpy", "full", "full_like",
    "linspace", "logspace", "ones", "ones_like", "zeros", "zeros_like",
    "Generator", "bernoulli", "default_generator", "get_rng_state", "initial_seed", "manual_seed",
    "multinomial", "normal", "rand", "rand_like", "randint", "randint_like", "randn", "randn_like",
    "randperm", "seed", "set_rng_state",
    # functions with PyTorch's names
    "amax", "amin", "argmax", "argmin", "clone", "flatten", "gather", "mean",
    "movedim", "moveaxis", "numel", "permute", "reshape", "squeeze", "swapaxes", "swapdims",
    "t", "tile", "transpose", "unflatten", "unsqueeze",
]
