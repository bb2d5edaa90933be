"""Layers: Linear, the activations, Identity, Flatten, Dropout, and MLP.

Randomness (initial weights, dropout masks) comes from an explicit ``numpy.random.Generator``:
pass ``rng=`` to share one, or ``seed=`` to make one; the same seed gives the same model.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from minigrad import ops
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.module import Module, Parameter, Sequential
from minigrad.tensor import Tensor


def make_rng(seed: int | None = None, rng: np.random.Generator | None = None) -> np.random.Generator:
    """The Generator a layer draws from: ``rng`` itself, or a new one from ``seed``, or else
    a new one seeded from minigrad's default generator, so that ``mg.manual_seed(s)`` before
    making a model fixes its weights, as ``torch.manual_seed(s)`` does in PyTorch."""
    if rng is not None and seed is not None:
        raise ValueError("pass either seed= or rng=, not both")
    if rng is not None:
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        return rng
    if seed is None:
        from minigrad.random import default_generator

        seed = int(default_generator.integers(2 ** 63))
    return np.random.default_rng(seed)


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class Linear(Module):
    """``y = x @ weight.T + bias``, with ``weight`` of shape (out_features, in_features).

    Initialized as PyTorch's ``nn.Linear``: weight and bias uniform in ±1/sqrt(in_features)
    (weight first, then bias, from the same Generator). Parameters are float32 unless
    ``dtype`` says otherwise; the layer computes in that dtype.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 seed: int | None = None, rng: np.random.Generator | None = None, dtype=np.float32):
        super().__init__()
        self.in_features = _positive_int(in_features, "in_features")
        self.out_features = _positive_int(out_features, "out_features")
        generator = make_rng(seed, rng)
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dtype))
        self.bias = Parameter(np.empty(self.out_features, dtype=dtype)) if bias else None
        self.reset_parameters(generator)

    def reset_parameters(self, rng: np.random.Generator) -> None:
        """Draw fresh weights: U(-1/sqrt(in_features), 1/sqrt(in_features)) for weight and bias."""
        bound = 1.0 / math.sqrt(self.in_features)
        init.uniform_(self.weight, -bound, bound, rng)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound, rng)

    def forward(self, x) -> Tensor:
        return F.linear_op(self.checked_input(x), self.weight, self.bias)

    def checked_input(self, x):
        """``x`` as a Tensor or array with ``in_features`` on its last axis, or a ValueError."""
        if not isinstance(x, (Tensor, np.ndarray)):
            x = Tensor(x)  # a nested list, say; Tensors and arrays go straight through
        shape = x.shape
        if not shape or shape[-1] != self.in_features:
            raise ValueError(
                f"Linear expects inputs with {self.in_features} features (last axis), "
                f"got {shape[-1] if shape else 'a scalar'} (input shape {shape})"
            )
        return x

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class ReLU(Module):
    """max(x, 0).

    ``inplace`` (on every activation that PyTorch gives it) is accepted so that PyTorch code
    runs unchanged, and shown in the repr; the output is a new tensor either way: minigrad's
    activations never overwrite their input, which gives the same result as long as the
    input is not read again expecting the activated values."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = bool(inplace)

    def forward(self, x) -> Tensor:
        return ops.relu(x)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """x where positive, negative_slope * x elsewhere."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope = float(negative_slope)
        self.inplace = bool(inplace)

    def forward(self, x) -> Tensor:
        return F.leaky_relu_op(x, negative_slope=self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Tanh(Module):
    """tanh(x)."""

    def forward(self, x) -> Tensor:
        return ops.tanh(x)


class Sigmoid(Module):
    """1 / (1 + exp(-x)), computed without overflow."""

    def forward(self, x) -> Tensor:
        return ops.sigmoid(x)


class GELU(Module):
    """x Phi(x) (``approximate="none"``) or its tanh approximation (``"tanh"``); see ``F.gelu``."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x) -> Tensor:
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class _InplaceActivation(Module):
    """An activation without options but PyTorch's ``inplace`` flag (see ``ReLU``)."""

    function = None  # set by each subclass: the F function it applies

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = bool(inplace)

    def forward(self, x) -> Tensor:
        return type(self).function(x)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class SiLU(_InplaceActivation):
    """x * sigmoid(x)."""

    function = staticmethod(F.silu)


class Mish(_InplaceActivation):
    """x * tanh(softplus(x))."""

    function = staticmethod(F.mish)


class SELU(_InplaceActivation):
    """scale * elu(x, alpha) with the self-normalizing constants."""

    function = staticmethod(F.selu)


class ReLU6(_InplaceActivation):
    """min(max(x, 0), 6)."""

    function = staticmethod(F.relu6)


class ELU(Module):
    """x where x > 0, alpha (exp(x) - 1) elsewhere."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = float(alpha)
        self.inplace = bool(inplace)

    def forward(self, x) -> Tensor:
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(ELU):
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1))."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        if alpha == 0:
            raise ValueError("CELU: alpha must not be 0 (it divides x)")
        super().__init__(alpha, inplace)

    def forward(self, x) -> Tensor:
        return F.celu(x, self.alpha)


class Softplus(Module):
    """log(1 + exp(beta x)) / beta, linear where beta x > threshold."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = float(beta)
        self.threshold = float(threshold)

    def forward(self, x) -> Tensor:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """x clipped to [min_val, max_val]."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        if not max_val > min_val:
            raise ValueError(f"Hardtanh: max_val must be greater than min_val, got min_val={min_val}, max_val={max_val}")
        self.min_val = float(min_val)
        self.max_val = float(max_val)
        self.inplace = bool(inplace)

    def forward(self, x) -> Tensor:
        return F.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


class LogSigmoid(Module):
    """log(sigmoid(x))."""

    def forward(self, x) -> Tensor:
        return F.logsigmoid(x)


class Softmax(Module):
    """``F.softmax(x, dim)``: each slice along ``dim`` becomes a distribution."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, x) -> Tensor:
        return F.softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """``F.log_softmax(x, dim)``."""

    def forward(self, x) -> Tensor:
        return F.log_softmax(x, self.dim)


class Identity(Module):
    """Returns its input; takes (and ignores) any arguments, as PyTorch's, so that it can stand
    in for a layer that is switched off."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Flatten(Module):
    """Merge the dims ``start_dim`` .. ``end_dim`` into one (a reshape, no copy):
    (N, C, L) -> (N, C * L) with the defaults, which keep the batch dim."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x) -> Tensor:
        return flatten_dims(x, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


def flatten_dims(x, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """``x`` with dims ``start_dim`` .. ``end_dim`` merged, as ``torch.flatten``; a 0-d input
    becomes 1-D. Out-of-range dims raise IndexError, as in PyTorch."""
    shape = tuple(np.shape(x.data if isinstance(x, Tensor) else x))
    start = F.dim_index(start_dim, len(shape), "flatten")
    end = F.dim_index(end_dim, len(shape), "flatten")
    if start > end:
        raise RuntimeError(f"flatten() has invalid args: start_dim ({start_dim}) cannot come after end_dim ({end_dim})")
    if not shape:
        return ops.reshape(x, shape=(1,))
    merged = math.prod(shape[start:end + 1])
    return ops.reshape(x, shape=shape[:start] + (merged,) + shape[end + 1:])


class Dropout(Module):
    """In training mode, zero each element with probability ``p`` and scale the others by
    1/(1 - p), so the expected output is the input; in eval mode, the identity.

    Masks come from the layer's own Generator (``seed=`` or ``rng=``): two layers made with
    the same seed draw the same masks in the same order.
    """

    def __init__(self, p: float = 0.5, *, seed: int | None = None, rng: np.random.Generator | None = None):
        super().__init__()
        self.p = F.dropout_probability(p)
        self.rng = make_rng(seed, rng)

    def forward(self, x) -> Tensor:
        return F.dropout(x, self.p, self.training, self.rng)

    def extra_repr(self) -> str:
        return f"p={self.p}"


ACTIVATIONS: dict[str, Callable[[], Module]] = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "tanh": Tanh,
    "sigmoid": Sigmoid,
    "gelu": GELU,
    "silu": SiLU,
    "elu": ELU,
    "celu": CELU,
    "selu": SELU,
    "softplus": Softplus,
    "mish": Mish,
    "relu6": ReLU6,
    "hardtanh": Hardtanh,
}


class MLP(Sequential):
    """A multilayer perceptron: ``Linear`` layers of the given ``sizes`` with an activation
    (and Dropout, if ``dropout > 0``) between them and nothing after the last.

    ``MLP([64, 128, 10])`` is ``Sequential(Linear(64, 128), ReLU(), Linear(128, 10))``, with
    the same state-dict keys ("0.weight", "0.bias", "2.weight", ...) as that PyTorch
    ``nn.Sequential``. All weights (then the dropout masks) come from one Generator.

    With ReLU, Tanh or Sigmoid and no active dropout, the forward is one ``mlp`` node
    (``nn.functional.mlp``): the same numbers, bit for bit, as running the layers one by
    one, at a fraction of the bookkeeping. To see every layer as its own node in the graph
    (the backprop views), run them one by one: ``for layer in model: x = layer(x)``.
    """

    def __init__(self, sizes: Sequence[int], activation: str = "relu", dropout: float = 0.0, *,
                 seed: int | None = None, rng: np.random.Generator | None = None, dtype=np.float32):
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"MLP needs at least an input and an output size, got sizes={sizes}")
        for position, size in enumerate(sizes):
            _positive_int(size, f"sizes[{position}]")
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
        dropout = F.dropout_probability(dropout)
        generator = make_rng(seed, rng)
        layers: list[Module] = []
        for index, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(fan_in, fan_out, rng=generator, dtype=dtype))
            if index < len(sizes) - 2:
                layers.append(ACTIVATIONS[activation]())
                if dropout > 0:
                    layers.append(Dropout(dropout, rng=generator))
        super().__init__(*layers)
        self.sizes = sizes
        self.activation = activation
        self.dropout = dropout
        self._fusion = _FusionPlan(())

    def forward(self, x) -> Tensor:
        params = self._fused_parameters()
        if params is None:
            return super().forward(x)
        return F.mlp_op(self._modules["0"].checked_input(x), *params, activation=self.activation)

    def _fused_parameters(self) -> list | None:
        """The weights and biases in order when the layers are what ``F.mlp`` computes:
        Linear layers with biases of one dtype, this MLP's activation between them, and
        dropout only where it is the identity (p = 0 or eval mode), and no layer with a hook
        (hooks need each layer called, as PyTorch calls them). Else None."""
        layers = tuple(self._modules.values())
        if layers != self._fusion.layers:  # remade when a layer is replaced or added
            self._fusion = _FusionPlan(layers, self.activation)
        linears, dropouts = self._fusion.linears, self._fusion.dropouts
        if linears is None or any(d.training and d.p > 0 for d in dropouts):
            return None
        if any(layer.__dict__.get("_hooks") for layer in layers):
            return None
        params = []
        dtype = linears[0].weight.data.dtype
        for layer in linears:
            weight, bias = layer.weight, layer.bias
            if bias is None or weight.data.dtype != dtype or bias.data.dtype != dtype:
                return None
            params += (weight, bias)
        return params

    def extra_repr(self) -> str:
        return ""


_FUSED_ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}


class _FusionPlan:
    """Which of an MLP's layers ``F.mlp`` computes: ``linears`` and ``dropouts`` are lists if
    the layers read Linear, then (activation, Dropout*, Linear) repeated with an activation
    it fuses, else None. (A plain object, not a list: walkers of a module's attributes, like
    the checkpoint's search for random generators, do not see the layers twice.)"""

    __slots__ = ("layers", "linears", "dropouts")

    def __init__(self, layers: tuple, activation: str = "relu"):
        self.layers = layers
        self.linears = self.dropouts = None
        kind = _FUSED_ACTIVATIONS.get(activation)
        if kind is None or not layers or type(layers[0]) is not Linear:
            return
        linears, dropouts = [layers[0]], []
        expect_linear = False  # True after an activation (and its dropouts)
        for layer in layers[1:]:
            if expect_linear and type(layer) is Linear:
                linears.append(layer)
                expect_linear = False
            elif expect_linear and type(layer) is Dropout:
                dropouts.append(layer)
            elif not expect_linear and type(layer) is kind:
                expect_linear = True
            else:
                return
        if not expect_linear:
            self.linears, self.dropouts = linears, dropouts
