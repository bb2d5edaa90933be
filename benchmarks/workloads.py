"""The benchmark workloads: the three MLP configurations, and the seeded weights and data
every implementation starts from, so all of them compute exactly the same step."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Config:
    """An MLP's layer sizes (input, hidden..., classes) and the batch size of one step."""

    sizes: tuple[int, ...]
    batch: int

    @property
    def name(self) -> str:
        return "-".join(map(str, self.sizes)) + f" b{self.batch}"


CONFIGS = (
    Config((2, 16, 16, 2), 32),
    Config((64, 128, 128, 10), 64),
    Config((784, 512, 512, 10), 256),
)
SMALL, MIDDLE, LARGE = CONFIGS


def init_weights(sizes: tuple[int, ...], seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """One ``(W, b)`` per layer, ``W`` of shape (in, out), float32, drawn like PyTorch's
    default Linear init: uniform in +-1/sqrt(in). Each implementation converts this
    layout to its own (PyTorch stores W as (out, in))."""
    rng = np.random.default_rng(seed)
    weights = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / np.sqrt(fan_in)
        W = rng.uniform(-bound, bound, size=(fan_in, fan_out)).astype(np.float32)
        b = rng.uniform(-bound, bound, size=fan_out).astype(np.float32)
        weights.append((W, b))
    return weights


def make_batch(config: Config, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A standard-normal float32 batch and integer labels covering the classes."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((config.batch, config.sizes[0]), dtype=np.float32)
    y = rng.integers(0, config.sizes[-1], size=config.batch).astype(np.int64)
    return X, y


def load_digits_scaled() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits (1797 x 64), pixels scaled to [0, 1], float32, int64 labels."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(np.float32), y.astype(np.int64)
