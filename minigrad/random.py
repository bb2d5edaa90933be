"""Random numbers, PyTorch's way: ``Generator``, ``manual_seed`` and the sampling functions.

``Generator`` *is* a ``numpy.random.Generator`` (PCG64) with PyTorch's methods added
(``manual_seed``, ``initial_seed``, ``get_state``, ``set_state``), so one object serves
both worlds: ``mg.rand(3, generator=g)`` and ``nn.Linear(2, 3, rng=g)``.

Every sampling function takes ``generator=``; without one it draws from the default
generator, which ``manual_seed`` reseeds. The default generator starts from a fixed seed
(``DEFAULT_SEED``), so a program that never seeds still gives the same numbers on every
run (the project's rule: the same seed, the same run, bit for bit).

    >>> import minigrad as mg
    >>> _ = mg.manual_seed(0)
    >>> a = mg.rand(2)
    >>> _ = mg.manual_seed(0)
    >>> bool((mg.rand(2) == a).all())
    True
"""
from __future__ import annotations

import copy
import operator

import numpy as np

from minigrad import dtypes
from minigrad.tensor import Tensor

__all__ = [
    "Generator", "DEFAULT_SEED", "default_generator", "manual_seed", "seed", "initial_seed",
    "get_rng_state", "set_rng_state", "rand", "randn", "randint", "randperm", "rand_like",
    "randn_like", "randint_like", "normal", "bernoulli", "multinomial",
]

DEFAULT_SEED = 0
_SEED_SPACE = 2 ** 64


def _seed_value(seed) -> int:
    """A seed as PyTorch takes it: any int (negative ones wrap around 2**64)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"a seed must be an int, got {type(seed).__name__}: {seed!r:.40}")
    return int(seed) % _SEED_SPACE


class Generator(np.random.Generator):
    """A seeded source of random numbers, as ``torch.Generator``; also a NumPy Generator.

    >>> g = Generator().manual_seed(42)
    >>> g.initial_seed()
    42
    """

    def __init__(self, device: str = "cpu", seed: int | None = None):
        if device not in ("cpu", None):
            raise ValueError(f"minigrad runs on the CPU only; got device {device!r}")
        start = _fresh_seed() if seed is None else _seed_value(seed)
        super().__init__(np.random.PCG64(start))
        self._initial_seed = start

    @property
    def device(self) -> str:
        return "cpu"

    def manual_seed(self, seed: int) -> "Generator":
        """Restart the stream from ``seed``; returns the generator (as PyTorch)."""
        value = _seed_value(seed)
        self.bit_generator.state = np.random.PCG64(value).state
        self._initial_seed = value
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; returns the new seed."""
        value = _fresh_seed()
        self.manual_seed(value)
        return value

    def initial_seed(self) -> int:
        """The seed the current stream started from."""
        return self._initial_seed

    def get_state(self) -> dict:
        """A copy of the state (NumPy's PCG64 state dict), to restore with ``set_state``."""
        return {"bit_generator": copy.deepcopy(self.bit_generator.state), "initial_seed": self._initial_seed}

    def set_state(self, state: dict) -> "Generator":
        if not isinstance(state, dict) or "bit_generator" not in state:
            raise TypeError("set_state takes a state returned by get_state()")
        self.bit_generator.state = copy.deepcopy(state["bit_generator"])
        self._initial_seed = state.get("initial_seed", self._initial_seed)
        return self

    def __repr__(self) -> str:
        return f"Generator(initial_seed={self._initial_seed})"


def _fresh_seed() -> int:
    return int(np.random.SeedSequence().entropy % _SEED_SPACE)


default_generator = Generator(seed=DEFAULT_SEED)


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (what sampling uses without ``generator=``); returns it."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator from the operating system's entropy; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    return default_generator.get_state()


def set_rng_state(state: dict) -> None:
    default_generator.set_state(state)


def generator_or_default(generator) -> np.random.Generator:
    """``generator`` itself (a minigrad or NumPy Generator), or the default generator."""
    if generator is None:
        return default_generator
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"generator must be a minigrad.Generator (or a numpy Generator), "
                        f"got {type(generator).__name__}")
    return generator


# ---- sampling --------------------------------------------------------------------------------
def _float_dtype(dtype, what: str) -> np.dtype:
    wanted = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
    if wanted.kind != "f":
        raise TypeError(f"{what}: samples are floating point; dtype {wanted} is not")
    return wanted


def _sampled(values: np.ndarray, dtype: np.dtype, requires_grad: bool) -> Tensor:
    return Tensor(values.astype(dtype, copy=False), requires_grad=requires_grad)


def _numpy_float(dtype: np.dtype):
    """NumPy draws float32 or float64 directly; other floats are drawn in float32 and cast."""
    return dtype if dtype in (dtypes.float32, dtypes.float64) else dtypes.float32


def rand(*size, generator=None, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Uniform samples in [0, 1) of shape ``size``."""
    from minigrad.creation import shape_from_args, check_device

    check_device(device)
    shape = shape_from_args(size, "rand")
    wanted = _float_dtype(dtype, "rand")
    values = generator_or_default(generator).random(shape, dtype=_numpy_float(wanted))
    return _sampled(values, wanted, requires_grad)


def randn(*size, generator=None, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Standard normal samples of shape ``size``."""
    from minigrad.creation import shape_from_args, check_device

    check_device(device)
    shape = shape_from_args(size, "randn")
    wanted = _float_dtype(dtype, "randn")
    values = generator_or_default(generator).standard_normal(shape, dtype=_numpy_float(wanted))
    return _sampled(values, wanted, requires_grad)


def randint(*args, size=None, generator=None, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Integers uniform in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``,
    int64 unless ``dtype`` says otherwise (as ``torch.randint``)."""
    from minigrad.creation import shape_from_args, check_device

    check_device(device)
    if size is None and args and isinstance(args[-1], (tuple, list)):
        args, size = args[:-1], args[-1]
    if size is None or len(args) not in (1, 2):
        raise TypeError("randint takes (high, size) or (low, high, size), size a tuple")
    low, high = (0, args[0]) if len(args) == 1 else args
    low, high = operator.index(low), operator.index(high)
    if low >= high:
        raise ValueError(f"randint: low ({low}) must be below high ({high})")
    shape = shape_from_args((size,), "randint")
    wanted = dtypes.int64 if dtype is None else dtypes.as_dtype(dtype)
    values = generator_or_default(generator).integers(low, high, size=shape, dtype=np.int64)
    return Tensor(values.astype(wanted, copy=False), requires_grad=requires_grad)


def randperm(n: int, generator=None, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A random permutation of 0..n-1 (int64 unless ``dtype`` says otherwise)."""
    from minigrad.creation import check_device

    check_device(device)
    count = operator.index(n)
    if count < 0:
        raise ValueError(f"randperm: n must be non-negative, got {count}")
    wanted = dtypes.int64 if dtype is None else dtypes.as_dtype(dtype)
    values = generator_or_default(generator).permutation(count)
    return Tensor(values.astype(wanted, copy=False), requires_grad=requires_grad)


def _like(input) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"expected a Tensor, got {type(input).__name__}")
    return input


def rand_like(input, generator=None, dtype=None, requires_grad: bool = False) -> Tensor:
    like = _like(input)
    dtype = dtype if dtype is not None else (like.dtype if like.dtype.kind == "f" else None)
    return rand(like.shape, generator=generator, dtype=dtype, requires_grad=requires_grad)


def randn_like(input, generator=None, dtype=None, requires_grad: bool = False) -> Tensor:
    like = _like(input)
    dtype = dtype if dtype is not None else (like.dtype if like.dtype.kind == "f" else None)
    return randn(like.shape, generator=generator, dtype=dtype, requires_grad=requires_grad)


def randint_like(input, *args, generator=None, dtype=None, requires_grad: bool = False) -> Tensor:
    """``randint(low, high, size=input.shape)`` in ``input``'s dtype."""
    like = _like(input)
    return randint(*args, size=like.shape, generator=generator, dtype=dtype or like.dtype,
                   requires_grad=requires_grad)


def normal(mean=0.0, std=1.0, size=None, generator=None, dtype=None, requires_grad: bool = False) -> Tensor:
    """Normal samples: ``mean`` and ``std`` numbers with ``size``, or Tensors (broadcast)."""
    rng = generator_or_default(generator)
    mean_data = mean.data if isinstance(mean, Tensor) else np.asarray(mean)
    std_data = std.data if isinstance(std, Tensor) else np.asarray(std)
    if np.any(std_data < 0):
        raise ValueError(f"normal: std must be non-negative, got {std_data.min()}")
    if size is None:
        shape = np.broadcast_shapes(mean_data.shape, std_data.shape)
    else:
        from minigrad.creation import shape_from_args

        shape = shape_from_args((size,), "normal")
    tensors = [t.dtype for t in (mean, std) if isinstance(t, Tensor) and t.dtype.kind == "f"]
    wanted = _float_dtype(dtype if dtype is not None else (tensors[0] if tensors else None), "normal")
    values = mean_data + std_data * rng.standard_normal(shape)
    return _sampled(np.asarray(values), wanted, requires_grad)


def bernoulli(input, p=None, generator=None) -> Tensor:
    """1 with probability ``input`` (or ``p``), else 0, in ``input``'s dtype."""
    probabilities = _like(input).data if p is None else np.broadcast_to(np.asarray(p, dtype=np.float64), input.shape)
    if probabilities.size and (np.nanmin(probabilities) < 0 or np.nanmax(probabilities) > 1 or np.isnan(probabilities).any()):
        raise ValueError("bernoulli: probabilities must be in [0, 1]")
    draws = generator_or_default(generator).random(probabilities.shape) < probabilities
    return Tensor(draws.astype(input.dtype))


def multinomial(input, num_samples: int, replacement: bool = False, generator=None) -> Tensor:
    """Sample ``num_samples`` category indices per row of non-negative weights ``input``
    (1-D or 2-D), with or without replacement, as ``torch.multinomial`` (int64)."""
    weights = np.asarray(_like(input).data, dtype=np.float64)
    if weights.ndim not in (1, 2):
        raise ValueError(f"multinomial: input must be 1-D or 2-D, got shape {weights.shape}")
    rows = weights.reshape(-1, weights.shape[-1])
    count = operator.index(num_samples)
    if count <= 0:
        raise ValueError(f"multinomial: num_samples must be positive, got {count}")
    if rows.size and (rows.min() < 0 or not np.isfinite(rows).all()):
        raise ValueError("multinomial: weights must be finite and non-negative")
    totals = rows.sum(axis=1)
    if (totals <= 0).any():
        raise ValueError("multinomial: every row needs a positive total weight")
    if not replacement and count > rows.shape[1]:
        raise ValueError(f"multinomial: cannot draw {count} samples without replacement from "
                         f"{rows.shape[1]} categories")
    rng = generator_or_default(generator)
    if replacement:
        cumulative = np.cumsum(rows / totals[:, None], axis=1)
        uniforms = rng.random((rows.shape[0], count))
        picks = np.stack([np.searchsorted(c, u, side="right") for c, u in zip(cumulative, uniforms)])
        picks = np.minimum(picks, rows.shape[1] - 1)
    else:
        # Gumbel top-k: the k largest of log w + Gumbel noise are a draw without replacement.
        with np.errstate(divide="ignore"):
            keys = np.log(rows) + rng.gumbel(size=rows.shape)
        picks = np.argsort(-keys, axis=1, kind="stable")[:, :count]
    return Tensor(picks.reshape(weights.shape[:-1] + (count,)).astype(np.int64))
