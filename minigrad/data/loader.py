"""DataLoader: mini-batches over in-memory arrays, shuffled with an explicit seed.

It sits on the training loop's hot path, so each epoch costs one permutation and each
batch one fancy-index of the features and one of the labels; nothing else is copied.
"""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np


def check_samples(features: np.ndarray, labels: np.ndarray | None = None) -> None:
    """X must be (samples, features); y, if given, one label per sample. The one place these
    shape rules and their messages live (datasets, loaders and evaluation share it)."""
    if features.ndim != 2:
        raise ValueError(f"X must be 2-D (samples, features), got shape {features.shape}")
    if labels is None:
        return
    if labels.ndim != 1:
        raise ValueError(f"y must be 1-D (one label per sample), got shape {labels.shape}")
    if len(features) != len(labels):
        raise ValueError(f"X and y must have the same length, got {len(features)} and {len(labels)} samples")


def check_class_indices(labels: np.ndarray) -> None:
    """Class labels must be integers (or booleans): float labels would be truncated into
    other classes without a word."""
    if labels.dtype.kind not in "iub":
        raise TypeError(f"y must hold integer class indices, got dtype {labels.dtype}")


def check_seed(seed: Any) -> None:
    """None (fresh entropy) or a non-negative integer, as numpy.random.default_rng takes."""
    if seed is None:
        return
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")


class DataLoader:
    """Iterate over ``(features, labels)`` mini-batches of arrays.

    Features become a C-contiguous float32 array and labels an int64 array, once, here;
    batches are plain ndarrays of those dtypes. With ``shuffle=True`` every epoch (every
    ``iter()``) draws a new permutation from a ``numpy.random.Generator`` seeded by ``seed``,
    so the same seed gives the same order, epoch after epoch. ``drop_last=True`` skips the
    final batch when it is smaller than ``batch_size``.

        >>> loader = DataLoader(np.zeros((10, 3)), np.arange(10), batch_size=4, drop_last=True)
        >>> [xb.shape for xb, yb in loader]
        [(4, 3), (4, 3)]
    """

    def __init__(self, X: Any, y: Any, batch_size: int = 64, shuffle: bool = True,
                 seed: int | None = 0, drop_last: bool = False):
        features = np.ascontiguousarray(X, dtype=np.float32)
        labels = np.ascontiguousarray(y)
        check_samples(features, labels)
        check_class_indices(labels)
        check_seed(seed)
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        if len(features) == 0:
            raise ValueError("cannot make a DataLoader over 0 samples")
        self.X = features
        self.y = labels.astype(np.int64, copy=False)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.rng = np.random.default_rng(seed)

    @property
    def n_samples(self) -> int:
        return len(self.X)

    def __len__(self) -> int:
        """The number of batches in one epoch."""
        if self.drop_last:
            return max(self.n_samples // self.batch_size, 0)
        return -(-self.n_samples // self.batch_size)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        n, size = self.n_samples, self.batch_size
        stop = n - n % size if self.drop_last else n
        if not self.shuffle:
            # Slices are views: no copy at all.
            for start in range(0, stop, size):
                yield self.X[start:start + size], self.y[start:start + size]
            return
        order = self.rng.permutation(n)
        for start in range(0, stop, size):
            batch = order[start:start + size]
            yield self.X[batch], self.y[batch]

    # The shuffling generator is the loader's only state; checkpoints save it so that a
    # resumed run draws the same permutations as an uninterrupted one.
    def state_dict(self) -> dict:
        return {"rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        """Restore the shuffling generator saved by ``state_dict``; checked whole first, so a
        bad state raises (TypeError or ValueError, naming it) and changes nothing."""
        if not isinstance(state, dict):
            raise TypeError(f"a loader state is a dict from DataLoader.state_dict(), got {state!r:.80}")
        if "rng" not in state:
            raise ValueError(f"a loader state has an 'rng' entry, this one has {sorted(map(str, state))}")
        rng_state = state["rng"]
        if not isinstance(rng_state, dict):
            raise TypeError(f"the loader state's 'rng' must be a bit-generator state dict, got {rng_state!r:.80}")
        expected = type(self.rng.bit_generator)
        if rng_state.get("bit_generator") != expected.__name__:
            raise ValueError(f"loader state is for a {rng_state.get('bit_generator')!r} generator, "
                             f"this loader uses {expected.__name__!r}")
        trial = expected()  # tried on a spare generator: a bad state must not reach ours half set
        try:
            trial.state = rng_state
        except (KeyError, TypeError, ValueError, OverflowError) as error:
            raise ValueError(f"the loader state's 'rng' is not a valid {expected.__name__} state "
                             f"({type(error).__name__}: {error})") from None
        self.rng.bit_generator.state = trial.state

    def __repr__(self) -> str:
        return (f"DataLoader({self.n_samples} samples, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, {len(self)} batches)")
