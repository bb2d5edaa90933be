"""PyTorch's map-style datasets: ``Dataset``, ``TensorDataset``, and the default collate.

A map-style dataset is anything with ``__getitem__(index)`` and ``__len__()``: the
``DataLoader`` asks it for samples by index and stacks them into a batch with
``default_collate``. ``TensorDataset`` is the common case (samples are rows of tensors of
equal length); the loader recognizes it and cuts each batch with one fancy-index per
tensor instead of a Python loop over samples.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from minigrad.tensor import Tensor, as_array


class Dataset:
    """The base of map-style datasets, as ``torch.utils.data.Dataset``: subclass it and
    define ``__getitem__(index)`` (one sample) and ``__len__()`` (the number of samples).

        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 4
        ...     def __getitem__(self, index):
        ...         return float(index), float(index) ** 2
        >>> Squares()[3]
        (3.0, 9.0)
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index), returning one sample")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__(), the number of samples")

    def __add__(self, other: "Dataset") -> "ConcatDataset":
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the rows of ``tensors``: ``dataset[i]`` is ``(t[i] for t in tensors)``.

    The tensors (minigrad Tensors, NumPy arrays or nested lists, each made a Tensor as
    ``mg.as_tensor`` makes it, dtypes kept) must agree on their first dim, else ValueError
    naming every size. ``dataset.tensors`` holds them, as in PyTorch.

        >>> import minigrad as mg
        >>> data = TensorDataset(mg.zeros(5, 2), mg.arange(5))
        >>> len(data), data[1][1].item()
        (5, 1)
    """

    def __init__(self, *tensors: Any):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        converted = tuple(_as_data_tensor(t, index) for index, t in enumerate(tensors))
        sizes = [len(t.data) for t in converted]
        if len(set(sizes)) != 1:
            shapes = ", ".join(f"tensors[{i}] {tuple(t.shape)}" for i, t in enumerate(converted))
            raise ValueError(f"TensorDataset: every tensor must have the same size in dim 0, got sizes "
                             f"{sizes} ({shapes})")
        self.tensors = converted

    def __getitem__(self, index):
        return tuple(Tensor._from_op(t.data[index]) for t in self.tensors)

    def __len__(self) -> int:
        return len(self.tensors[0].data)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{tuple(t.shape)} {t.dtype}" for t in self.tensors)
        return f"TensorDataset({len(self)} samples: {shapes})"


class ConcatDataset(Dataset):
    """The samples of several datasets, one after the other (``torch.utils.data.ConcatDataset``)."""

    def __init__(self, datasets: Sequence[Dataset]):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset needs at least one dataset")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        index = _checked_index(index, len(self))
        part = int(np.searchsorted(self.cumulative_sizes, index, side="right"))
        start = self.cumulative_sizes[part - 1] if part else 0
        return self.datasets[part][index - start]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order (``torch.utils.data.Subset``)."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]):
        self.dataset = dataset
        self.indices = [int(i) for i in indices]

    def __getitem__(self, index):
        return self.dataset[self.indices[_checked_index(index, len(self))]]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset: Dataset, lengths: Sequence[int | float], generator=None) -> list[Subset]:
    """Split ``dataset`` into random, non-overlapping ``Subset``s of the given lengths, as
    ``torch.utils.data.random_split``: whole numbers summing to ``len(dataset)``, or
    fractions summing to 1 (the remainder then goes one by one to the first parts)."""
    from minigrad.random import generator_or_default

    total = len(dataset)
    sizes = _split_sizes(list(lengths), total)
    order = generator_or_default(generator).permutation(total)
    parts, start = [], 0
    for size in sizes:
        parts.append(Subset(dataset, order[start:start + size].tolist()))
        start += size
    return parts


def _split_sizes(lengths: list, total: int) -> list[int]:
    if lengths and all(isinstance(x, float) for x in lengths) and abs(sum(lengths) - 1.0) < 1e-9:
        if any(not 0.0 <= x <= 1.0 for x in lengths):
            raise ValueError(f"random_split: fractions must lie in [0, 1], got {lengths}")
        sizes = [int(np.floor(total * x)) for x in lengths]
        for i in range(total - sum(sizes)):
            sizes[i % len(sizes)] += 1
        return sizes
    if any(isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < 0 for x in lengths) \
            or sum(lengths) != total:
        raise ValueError(f"random_split: lengths must be non-negative ints summing to the dataset's "
                         f"{total} samples (or fractions summing to 1), got {lengths}")
    return [int(x) for x in lengths]


def default_collate(samples: list) -> Any:
    """Stack a list of samples into a batch, as PyTorch's default collate does: Tensors and
    arrays are stacked along a new first dim; Python ints, floats and bools become int64,
    float64 and bool Tensors; tuples and lists are collated position by position (into a
    list), dicts key by key; strings are kept as a list."""
    first = samples[0]
    if isinstance(first, Tensor):
        return Tensor._from_op(np.stack([s.data for s in samples]))
    if isinstance(first, (np.ndarray, np.generic)):
        return Tensor._from_op(np.stack([np.asarray(s) for s in samples]))
    if isinstance(first, (bool, int, float)):
        return Tensor._from_op(_python_numbers(samples, type(first)))
    if isinstance(first, (str, bytes)):
        return list(samples)
    if isinstance(first, dict):
        return {key: default_collate([s[key] for s in samples]) for key in first}
    if isinstance(first, (tuple, list)):
        widths = {len(s) for s in samples}
        if len(widths) != 1:
            raise ValueError(f"default_collate: every sample must have the same number of fields, got {sorted(widths)}")
        return [default_collate(list(field)) for field in zip(*samples)]
    raise TypeError(f"default_collate: cannot batch samples of type {type(first).__name__}; "
                    f"pass a collate_fn to the DataLoader")


def _python_numbers(samples: list, kind: type) -> np.ndarray:
    dtype = {bool: np.bool_, int: np.int64, float: np.float64}[kind]
    return np.asarray(samples, dtype=dtype)


def _as_data_tensor(value: Any, index: int) -> Tensor:
    tensor = value if isinstance(value, Tensor) else Tensor._from_op(as_array(value))
    if tensor.data.ndim == 0:
        raise ValueError(f"TensorDataset: tensors[{index}] is 0-dimensional; each tensor needs a first dim "
                         f"of samples")
    return tensor


def _checked_index(index, length: int) -> int:
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise TypeError(f"dataset indices must be integers, got {type(index).__name__}")
    if not -length <= index < length:
        raise IndexError(f"index {index} is out of range for a dataset of {length} samples")
    return int(index) % length
