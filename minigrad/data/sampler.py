"""Samplers, as ``torch.utils.data``'s: the order in which a DataLoader visits a dataset.

A sampler is an iterable of indices with a length; a batch sampler an iterable of lists
of indices. ``DataLoader(shuffle=True)`` is ``RandomSampler`` in effect (drawn in one
permutation per epoch); pass a sampler as ``sampler=`` for any other order.
"""
from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np


def _generator(generator) -> np.random.Generator:
    from minigrad.random import generator_or_default

    return generator_or_default(generator)


def _count(value, name: str, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class Sampler:
    """The base class: subclass it with ``__iter__`` (indices) and ``__len__``."""

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__, yielding indices")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A new random order every epoch (a permutation), or with ``replacement=True``
    ``num_samples`` independent draws; from ``generator`` (default: minigrad's default
    generator, at each epoch)."""

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None, generator=None):
        if not isinstance(replacement, (bool, np.bool_)):
            raise TypeError(f"replacement must be True or False, got {replacement!r}")
        self.data_source = data_source
        self.replacement = bool(replacement)
        self._num_samples = _count(num_samples, "num_samples", allow_none=True)
        if generator is not None:
            _generator(generator)  # checked now, not at the first epoch
        self.generator = generator

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n, rng = len(self.data_source), _generator(self.generator)
        if self.replacement:
            return iter(rng.integers(0, n, size=self.num_samples).tolist())
        rounds = -(-self.num_samples // n) if n else 0
        order = np.concatenate([rng.permutation(n) for _ in range(rounds)]) if rounds else np.zeros(0, np.int64)
        return iter(order[:self.num_samples].tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a new random order every epoch."""

    def __init__(self, indices: Sequence[int], generator=None):
        self.indices = list(indices)
        if generator is not None:
            _generator(generator)
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        order = _generator(self.generator).permutation(len(self.indices))
        return iter([self.indices[i] for i in order])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights`` (with
    replacement by default), e.g. to balance classes."""

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True, generator=None):
        values = np.asarray(weights, dtype=np.float64)
        if values.ndim != 1 or not len(values):
            raise ValueError(f"weights must be a non-empty 1-D sequence, got shape {values.shape}")
        if not np.isfinite(values).all() or (values < 0).any() or values.sum() <= 0:
            raise ValueError(f"weights must be finite, non-negative and not all zero, got {values.tolist()[:8]}")
        self.weights = values
        self.num_samples = _count(num_samples, "num_samples")
        if not replacement and self.num_samples > int((values > 0).sum()):
            raise ValueError(f"cannot draw {self.num_samples} samples without replacement from "
                             f"{int((values > 0).sum())} with a non-zero weight")
        self.replacement = bool(replacement)
        if generator is not None:
            _generator(generator)
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        p = self.weights / self.weights.sum()
        drawn = _generator(self.generator).choice(len(p), size=self.num_samples, replace=self.replacement, p=p)
        return iter(drawn.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter
    unless ``drop_last``); pass it to a DataLoader as ``batch_sampler=``."""

    def __init__(self, sampler, batch_size: int, drop_last: bool):
        self.sampler = sampler
        self.batch_size = _count(batch_size, "batch_size")
        if not isinstance(drop_last, (bool, np.bool_)):
            raise TypeError(f"drop_last must be True or False, got {drop_last!r}")
        self.drop_last = bool(drop_last)

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(int(index))
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return -(-len(self.sampler) // self.batch_size)
