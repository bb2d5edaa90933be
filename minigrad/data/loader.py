"""DataLoader: mini-batches over a dataset, with PyTorch's arguments and defaults.

It sits on the training loop's hot path. Over a ``TensorDataset`` (or arrays) each batch is
one fancy-index per tensor (a slice, so no copy at all, when not shuffled), and an epoch
costs one permutation; only other datasets go sample by sample through ``collate_fn``.
"""
from __future__ import annotations

import warnings
from typing import Any, Iterator

import numpy as np

from minigrad.data.dataset import TensorDataset, default_collate
from minigrad.tensor import Tensor, as_array


def check_samples(features: np.ndarray, labels: np.ndarray | None = None) -> None:
    """X must be (samples, features); y, if given, one label per sample. The one place these
    shape rules and their messages live (datasets and evaluation share it)."""
    if features.ndim != 2:
        raise ValueError(f"X must be 2-D (samples, features), got shape {features.shape}")
    if labels is None:
        return
    if labels.ndim != 1:
        raise ValueError(f"y must be 1-D (one label per sample), got shape {labels.shape}")
    if len(features) != len(labels):
        raise ValueError(f"X and y must have the same length, got {len(features)} and {len(labels)} samples")


def is_class_indices(targets: np.ndarray) -> bool:
    """Integer (or boolean) targets are class indices; float ones are regression targets."""
    return targets.dtype.kind in "iub"


def check_seed(seed: Any) -> None:
    """None (fresh entropy) or a non-negative integer, as numpy.random.default_rng takes."""
    if seed is None:
        return
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")


class _Default:
    """A keyword's default that remembers it was not given (so that the same option given
    positionally and by keyword is caught); its repr is the value, for help()."""

    def __init__(self, value: Any):
        self.value = value

    def __repr__(self) -> str:
        return repr(self.value)


# PyTorch's positional order after the dataset (options past drop_last are keyword-only here).
_POSITIONAL = ("batch_size", "shuffle", "sampler", "batch_sampler", "num_workers", "collate_fn",
               "pin_memory", "drop_last")


class DataLoader:
    """Iterate over mini-batches of ``dataset``, as ``torch.utils.data.DataLoader``.

    ``DataLoader(dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
    num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, *, generator=None,
    seed=None)``: PyTorch's arguments, order and defaults. ``dataset`` is a map-style
    ``Dataset`` (``__getitem__`` and ``__len__``), a ``TensorDataset``, or arrays:

    - ``DataLoader(X, y, batch_size=64, shuffle=True, seed=0)`` (minigrad's array form; a
      second positional *array* is the labels, a second positional *int* the batch size as
      in PyTorch) is ``TensorDataset(X, y)`` with NumPy features made float32 and labels
      int64 class indices (integers) or float32 targets (floats, for regression); Tensors
      keep their dtype;
    - ``DataLoader(X)`` batches the rows of one array or Tensor.

    A batch of a ``TensorDataset`` is a list of Tensors, one per tensor, cut by one
    fancy-index each (a view of the data when not shuffled: write into a copy, not into
    it); another dataset's samples are fetched one by one and joined by ``collate_fn``
    (``default_collate``: stacked). ``batch_size=None`` yields single samples.

    With ``shuffle=True`` every epoch (every ``iter()``) draws a new permutation from
    ``generator`` (a ``minigrad.Generator`` or NumPy Generator, used as is: the same seed,
    the same order, bit for bit), or from a Generator seeded with ``seed``, or else from one
    seeded once, here, by minigrad's default generator (``mg.manual_seed`` fixes it).
    ``sampler`` (an iterable of indices with a length) or ``batch_sampler`` (of lists of
    indices) choose the order instead. ``num_workers`` and ``pin_memory`` are accepted for
    ported scripts and change nothing: loading happens in this process, in order.
    ``state_dict()`` holds the shuffling generator's state, for checkpoints.

        >>> loader = DataLoader(np.zeros((10, 3)), np.arange(10), batch_size=4, drop_last=True)
        >>> [tuple(xb.shape) for xb, yb in loader]
        [(4, 3), (4, 3)]
    """

    def __init__(self, dataset: Any, *args: Any, batch_size: Any = _Default(1), shuffle: Any = _Default(False),
                 sampler: Any = _Default(None), batch_sampler: Any = _Default(None), num_workers: Any = _Default(0),
                 collate_fn: Any = _Default(None), pin_memory: Any = _Default(False),
                 drop_last: Any = _Default(False), generator: Any = None, seed: int | None = None):
        given = {"batch_size": batch_size, "shuffle": shuffle, "sampler": sampler, "batch_sampler": batch_sampler,
                 "num_workers": num_workers, "collate_fn": collate_fn, "pin_memory": pin_memory,
                 "drop_last": drop_last}
        labels, args = _split_labels(args)
        options = _merge_positional(args, given)
        self.dataset = _as_dataset(dataset, labels)
        self.batch_size = _checked_batch_size(options["batch_size"])
        self.shuffle = _checked_flag(options["shuffle"], "shuffle")
        self.drop_last = _checked_flag(options["drop_last"], "drop_last")
        self.pin_memory = _checked_flag(options["pin_memory"], "pin_memory")
        self.num_workers = _checked_workers(options["num_workers"])
        self.collate_fn = options["collate_fn"]
        if self.collate_fn is not None and not callable(self.collate_fn):
            raise TypeError(f"collate_fn must be a function of a list of samples, got {self.collate_fn!r:.80}")
        self.sampler, self.batch_sampler = options["sampler"], options["batch_sampler"]
        self._check_samplers(given)
        check_seed(seed)
        _check_generator(generator)
        if generator is not None and seed is not None:
            raise ValueError(f"give generator= or seed=, not both (got generator={generator!r} and seed={seed!r})")
        if seed is not None and not self.shuffle:
            warnings.warn(f"DataLoader(seed={seed}) has no effect without shuffle=True: like PyTorch's, "
                          f"minigrad's DataLoader shuffles only when asked", UserWarning, stacklevel=2)
        self.generator = generator if generator is not None else _own_generator(seed, self.shuffle)

    # ---- what an epoch is -----------------------------------------------------------------------
    def _check_samplers(self, given: dict) -> None:
        if self.sampler is not None:
            if self.shuffle:
                raise ValueError("sampler and shuffle=True are mutually exclusive: the sampler chooses the order")
            _check_sized_iterable(self.sampler, "sampler")
        if self.batch_sampler is not None:
            _check_sized_iterable(self.batch_sampler, "batch_sampler")
            clashing = [name for name in ("sampler", "drop_last", "shuffle")
                        if options_given(given, name) and getattr(self, name) not in (None, False)]
            if clashing or self.batch_size != 1:
                raise ValueError(f"batch_sampler chooses whole batches: it is mutually exclusive with batch_size, "
                                 f"shuffle, sampler and drop_last (got batch_size={self.batch_size}"
                                 + "".join(f", {name}={getattr(self, name)!r}" for name in clashing) + ")")
            self.batch_size = None

    def __len__(self) -> int:
        """The number of batches in one epoch."""
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        if self.batch_size is None:
            return n
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)

    def _indices(self) -> Iterator[Any]:
        """Each batch's indices: slices when in order, index arrays otherwise."""
        if self.batch_sampler is not None:
            for batch in self.batch_sampler:
                yield np.asarray(batch, dtype=np.intp)
            return
        if self.sampler is not None:
            order = np.fromiter((int(i) for i in self.sampler), dtype=np.intp)
        elif self.shuffle:
            order = self.generator.permutation(len(self.dataset))
        else:
            order = None
        n = len(order) if order is not None else len(self.dataset)
        if self.batch_size is None:
            yield from (range(n) if order is None else order.tolist())
            return
        size = self.batch_size
        stop = n - n % size if self.drop_last else n
        for start in range(0, stop, size):
            yield slice(start, start + size) if order is None else order[start:start + size]

    def __iter__(self) -> Iterator[Any]:
        dataset, collate = self.dataset, self.collate_fn
        if collate is None and isinstance(dataset, TensorDataset):
            arrays = [t.data for t in dataset.tensors]
            for index in self._indices():
                yield [Tensor._from_op(array[index]) for array in arrays]
        elif collate is None and isinstance(dataset, Tensor):
            for index in self._indices():
                yield Tensor._from_op(dataset.data[index])
        elif self.batch_size is None and self.batch_sampler is None:
            for index in self._indices():
                yield dataset[index] if collate is None else collate(dataset[index])
        else:
            collate = collate or default_collate
            for index in self._indices():
                positions = range(len(dataset))[index] if isinstance(index, slice) else index.tolist()
                yield collate([dataset[i] for i in positions])

    # ---- checkpoints --------------------------------------------------------------------------
    # The shuffling generator is the loader's only state; checkpoints save it so that a
    # resumed run draws the same permutations as an uninterrupted one.
    def state_dict(self) -> dict:
        return {"rng": None if self.generator is None else self.generator.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        """Restore the shuffling generator saved by ``state_dict``; checked whole first, so a
        bad state raises (TypeError or ValueError, naming it) and changes nothing."""
        if not isinstance(state, dict):
            raise TypeError(f"a loader state is a dict from DataLoader.state_dict(), got {state!r:.80}")
        if "rng" not in state:
            raise ValueError(f"a loader state has an 'rng' entry, this one has {sorted(map(str, state))}")
        rng_state = state["rng"]
        if rng_state is None or self.generator is None:
            if rng_state is None and self.generator is None:
                return
            saved = "no shuffling generator" if rng_state is None else "a shuffling generator's state"
            mine = "has none (it does not shuffle)" if self.generator is None else "has one"
            raise ValueError(f"the loader state holds {saved}, but this loader {mine}: make the loader "
                             f"as the saved run made it (shuffle=, generator=, seed=)")
        if not isinstance(rng_state, dict):
            raise TypeError(f"the loader state's 'rng' must be a bit-generator state dict, got {rng_state!r:.80}")
        expected = type(self.generator.bit_generator)
        if rng_state.get("bit_generator") != expected.__name__:
            raise ValueError(f"loader state is for a {rng_state.get('bit_generator')!r} generator, "
                             f"this loader uses {expected.__name__!r}")
        trial = expected()  # tried on a spare generator: a bad state must not reach ours half set
        try:
            trial.state = rng_state
        except (KeyError, TypeError, ValueError, OverflowError) as error:
            raise ValueError(f"the loader state's 'rng' is not a valid {expected.__name__} state "
                             f"({type(error).__name__}: {error})") from None
        self.generator.bit_generator.state = trial.state

    def __repr__(self) -> str:
        return (f"DataLoader({len(self.dataset)} samples, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, {len(self)} batches)")


def options_given(given: dict, name: str) -> bool:
    return name in given and not isinstance(given[name], _Default)


def _split_labels(args: tuple) -> tuple[Any, tuple]:
    """minigrad's ``DataLoader(X, y, ...)``: a second positional argument that is an array
    (not an int) is the labels; the options after it must then be given by keyword."""
    if not args or _is_batch_size_like(args[0]):
        return None, args
    if len(args) > 1:
        raise TypeError(f"DataLoader(X, y, ...): after the labels give the options by keyword "
                        f"(batch_size=..., shuffle=...), got {len(args) - 1} more positional argument(s)")
    return args[0], ()


def _is_batch_size_like(value: Any) -> bool:
    return value is None or isinstance(value, (int, np.integer))


def _merge_positional(args: tuple, given: dict) -> dict:
    if len(args) > len(_POSITIONAL):
        raise TypeError(f"DataLoader takes at most {len(_POSITIONAL) + 1} positional arguments "
                        f"(dataset, {', '.join(_POSITIONAL)}), got {len(args) + 1}")
    options = {name: value.value if isinstance(value, _Default) else value for name, value in given.items()}
    for name, value in zip(_POSITIONAL, args):
        if options_given(given, name):
            raise TypeError(f"DataLoader got multiple values for argument {name!r}")
        options[name] = value
        given[name] = value
    return options


def _as_dataset(dataset: Any, labels: Any) -> Any:
    if labels is not None:
        return TensorDataset(_features(dataset), _targets(labels))
    if isinstance(dataset, Tensor):
        return dataset
    if isinstance(dataset, (np.ndarray, list)):
        return Tensor._from_op(as_array(dataset))  # its dtype kept, as PyTorch keeps a tensor's
    if not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
        raise TypeError(f"DataLoader needs a map-style dataset (with __getitem__ and __len__), a TensorDataset "
                        f"or arrays, got {type(dataset).__name__}")
    return dataset


def _features(X: Any) -> Any:
    """NumPy features become C-contiguous float32 (a float32 model then computes in float32,
    as it always did here); a Tensor is taken as it is, as PyTorch takes it."""
    if isinstance(X, Tensor):
        return X
    try:
        features = np.ascontiguousarray(X, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise TypeError(f"X must be numeric, got {type(X).__name__} ({error})") from None
    if features.ndim == 0:
        raise ValueError(f"X must have a first dim of samples, got a 0-dimensional {type(X).__name__}")
    return features


def _targets(y: Any) -> Any:
    """Integer (or boolean) labels become int64 class indices; float ones float32 targets."""
    if isinstance(y, Tensor):
        return y
    targets = np.ascontiguousarray(y)
    if targets.dtype.kind in "iub":
        return targets.astype(np.int64, copy=False)
    if targets.dtype.kind == "f":
        return targets.astype(np.float32, copy=False)
    raise TypeError(f"y must hold integer class indices or float targets, got dtype {targets.dtype}")


def _checked_batch_size(batch_size: Any) -> int | None:
    if batch_size is None:
        return None
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer (or None for single samples), got {batch_size!r}")
    return int(batch_size)


def _checked_flag(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r:.80}")
    return bool(value)


def _checked_workers(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"num_workers must be a non-negative integer, got {value!r}")
    return int(value)


def _check_sized_iterable(value: Any, name: str) -> None:
    if not (hasattr(value, "__iter__") and hasattr(value, "__len__")):
        raise TypeError(f"{name} must be an iterable with a length (of indices), got {type(value).__name__}")


def _check_generator(generator: Any) -> None:
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"generator must be a minigrad.Generator (or a numpy.random.Generator), got "
                        f"{type(generator).__name__}: {generator!r:.60}")


def _own_generator(seed: int | None, shuffle: bool):
    """The loader's own shuffling generator: from ``seed``, else seeded once from minigrad's
    default generator (so ``mg.manual_seed`` fixes it, as ``torch.manual_seed`` fixes
    PyTorch's shuffling); none when nothing shuffles."""
    from minigrad.random import Generator, default_generator

    if seed is not None:
        return Generator(seed=int(seed))
    if not shuffle:
        return None
    return Generator(seed=int(default_generator.integers(2 ** 63)))
