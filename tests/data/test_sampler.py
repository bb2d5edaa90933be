import numpy as np
import pytest

import minigrad as mg
from minigrad.data import (BatchSampler, DataLoader, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                           TensorDataset, WeightedRandomSampler)

DATA = TensorDataset(mg.arange(10))


def test_sequential_and_batch_samplers_match_pytorchs_groupings():
    assert list(SequentialSampler(DATA)) == list(range(10))
    for drop_last in (False, True):
        batches = list(BatchSampler(SequentialSampler(DATA), 4, drop_last))
        assert batches == ([[0, 1, 2, 3], [4, 5, 6, 7]] + ([] if drop_last else [[8, 9]]))
        assert len(BatchSampler(SequentialSampler(DATA), 4, drop_last)) == len(batches)
    torch = pytest.importorskip("torch")
    theirs = list(torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(10)), 3, False))
    assert list(BatchSampler(SequentialSampler(DATA), 3, False)) == theirs


def test_random_sampler_is_a_seeded_permutation_each_epoch():
    sampler = RandomSampler(DATA, generator=mg.Generator().manual_seed(0))
    first, second = list(sampler), list(sampler)
    assert sorted(first) == list(range(10)) and first != second
    again = RandomSampler(DATA, generator=mg.Generator().manual_seed(0))
    assert list(again) == first
    longer = list(RandomSampler(DATA, num_samples=25, generator=mg.Generator().manual_seed(1)))
    assert len(longer) == 25 and sorted(longer[:10]) == list(range(10))  # whole permutations first
    drawn = list(RandomSampler(DATA, replacement=True, num_samples=50, generator=mg.Generator().manual_seed(2)))
    assert len(drawn) == 50 and set(drawn) <= set(range(10))


def test_subset_random_sampler_permutes_only_the_given_indices():
    sampler = SubsetRandomSampler([7, 2, 9], generator=mg.Generator().manual_seed(0))
    assert sorted(sampler) == [2, 7, 9] and len(sampler) == 3


def test_weighted_sampler_follows_the_weights():
    sampler = WeightedRandomSampler([0.0, 1.0, 3.0], num_samples=4000, generator=mg.Generator().manual_seed(0))
    counts = np.bincount(list(sampler), minlength=3)
    assert counts[0] == 0 and 0.70 < counts[2] / 4000 < 0.80
    unique = list(WeightedRandomSampler([1, 1, 1, 1], 4, replacement=False, generator=mg.Generator().manual_seed(1)))
    assert sorted(unique) == [0, 1, 2, 3]


def test_samplers_drive_a_dataloader():
    loader = DataLoader(DATA, batch_size=5, sampler=RandomSampler(DATA, generator=mg.Generator().manual_seed(3)))
    seen = np.concatenate([b.data for (b,) in loader])
    assert sorted(seen.tolist()) == list(range(10))
    batched = DataLoader(DATA, batch_sampler=BatchSampler(SequentialSampler(DATA), 4, drop_last=True))
    assert [b.tolist() for (b,) in batched] == [[0, 1, 2, 3], [4, 5, 6, 7]]


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: BatchSampler(SequentialSampler(DATA), 0, False), ValueError,
         "batch_size must be a positive integer, got 0"),
        (lambda: BatchSampler(SequentialSampler(DATA), 2, None), TypeError, "drop_last must be True or False"),
        (lambda: RandomSampler(DATA, generator="seed"), TypeError, "generator must be a minigrad.Generator"),
        (lambda: RandomSampler(DATA, num_samples=0), ValueError, "num_samples must be a positive integer, got 0"),
        (lambda: WeightedRandomSampler([1.0, -1.0], 2), ValueError, r"non-negative .*\[1.0, -1.0\]"),
        (lambda: WeightedRandomSampler([1.0, 0.0], 2, replacement=False), ValueError,
         "cannot draw 2 samples without replacement from 1"),
        (lambda: iter(Sampler()), NotImplementedError, "Sampler must define __iter__"),
    ],
)
def test_bad_sampler_arguments_are_named(make, error, match):
    with pytest.raises(error, match=match):
        make()
