import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad.data import DataLoader, Dataset, TensorDataset


def make_arrays(n=10, d=3):
    X = np.arange(n * d, dtype=np.float64).reshape(n, d)
    y = np.arange(n) % 3
    return X, y


def sample_ids(batches):
    """Which samples the batches hold, in order (make_arrays' rows start at 3 * index)."""
    return np.concatenate([np.asarray(xb)[:, 0] / 3 for xb, _ in batches]).astype(int)


# ---- the array form, as it always worked ----------------------------------------------------
def test_batches_have_the_promised_dtypes_and_cover_every_sample_once():
    X, y = make_arrays(10)
    loader = DataLoader(X, y, batch_size=4, shuffle=True, seed=1)
    batches = list(loader)
    assert [len(yb) for _, yb in batches] == [4, 4, 2]
    assert len(loader) == 3
    for batch in batches:
        xb, yb = batch
        assert isinstance(batch, list) and isinstance(xb, mg.Tensor) and isinstance(yb, mg.Tensor)
        assert xb.dtype == np.float32 and yb.dtype == np.int64
        assert xb.data.flags.c_contiguous and not xb.requires_grad
    ids = sample_ids(batches)
    labels = np.concatenate([np.asarray(yb) for _, yb in batches])
    # Each feature row still sits with its own label, and every sample appears exactly once.
    assert sorted(ids) == list(range(10))
    np.testing.assert_array_equal(labels, y[ids])


def test_same_seed_same_order_and_each_epoch_reshuffles():
    X, y = make_arrays(50)
    first = DataLoader(X, y, batch_size=8, shuffle=True, seed=7)
    second = DataLoader(X, y, batch_size=8, shuffle=True, seed=7)
    epoch_1 = sample_ids(first)
    np.testing.assert_array_equal(epoch_1, sample_ids(second))
    assert not np.array_equal(epoch_1, sample_ids(first))  # the next epoch
    other_seed = sample_ids(DataLoader(X, y, batch_size=8, shuffle=True, seed=8))
    assert not np.array_equal(other_seed, epoch_1)


def test_a_seed_draws_the_permutations_numpy_default_rng_draws():
    # So runs made before the PyTorch defaults (seed=0 meant default_rng(0)) keep their order.
    X, y = make_arrays(20)
    loader = DataLoader(X, y, batch_size=5, shuffle=True, seed=3)
    rng = np.random.default_rng(3)
    for _ in range(2):
        np.testing.assert_array_equal(sample_ids(loader), rng.permutation(20))


def test_defaults_are_pytorchs_in_order_batches_of_one():
    X, y = make_arrays(7)
    loader = DataLoader(X, y)
    assert (loader.batch_size, loader.shuffle, loader.drop_last, len(loader)) == (1, False, False, 7)
    np.testing.assert_array_equal(sample_ids(loader), np.arange(7))
    in_threes = DataLoader(X, y, batch_size=3)
    np.testing.assert_array_equal(np.concatenate([np.asarray(xb) for xb, _ in in_threes]), X.astype(np.float32))


def test_unshuffled_batches_are_views_of_the_data_no_copy():
    data = TensorDataset(mg.zeros(6, 2), mg.arange(6))
    xb, _ = next(iter(DataLoader(data, batch_size=4)))
    assert np.shares_memory(xb.data, data.tensors[0].data)


def test_drop_last_skips_the_short_batch():
    X, y = make_arrays(10)
    loader = DataLoader(X, y, batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert [len(yb) for _, yb in loader] == [4, 4]


def test_a_seed_without_shuffle_warns_that_it_does_nothing():
    X, y = make_arrays(6)
    with pytest.warns(UserWarning, match=r"seed=0\) has no effect without shuffle=True"):
        loader = DataLoader(X, y, batch_size=2, seed=0)
    np.testing.assert_array_equal(sample_ids(loader), np.arange(6))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        DataLoader(X, y, batch_size=2, shuffle=True, seed=0)


def test_float_labels_are_float32_targets_for_regression():
    X = np.random.default_rng(0).normal(size=(8, 2))
    targets = X.sum(axis=1, keepdims=True)  # (N, 1) targets are fine too
    xb, yb = next(iter(DataLoader(X, targets, batch_size=8)))
    assert yb.dtype == np.float32 and yb.shape == (8, 1)
    np.testing.assert_allclose(np.asarray(yb), targets, rtol=1e-6)
    _, flags = next(iter(DataLoader(X, np.ones(8, dtype=bool), batch_size=8)))
    assert flags.dtype == np.int64


# ---- PyTorch's forms ---------------------------------------------------------------------------
def test_positional_arguments_follow_pytorchs_order():
    data = TensorDataset(mg.arange(10.0).reshape(5, 2), mg.arange(5))
    loader = DataLoader(data, 2, False, None, None, 0, None, False, True)
    assert (loader.batch_size, loader.shuffle, loader.drop_last, len(loader)) == (2, False, True, 2)
    with pytest.raises(TypeError, match="multiple values for argument 'batch_size'"):
        DataLoader(data, 2, batch_size=3)
    X, y = make_arrays(4)
    with pytest.raises(TypeError, match="after the labels give the options by keyword"):
        DataLoader(X, y, 2)


def test_tensor_dataset_batches_keep_the_tensors_dtypes():
    features = mg.randn(9, 4, generator=mg.Generator().manual_seed(0), dtype=mg.float64)
    data = TensorDataset(features, mg.arange(9), mg.ones(9, dtype=mg.bool))
    batches = list(DataLoader(data, batch_size=4))
    assert [len(b) for b in batches] == [3, 3, 3]
    assert [t.dtype for t in batches[0]] == [mg.float64, mg.int64, mg.bool]
    np.testing.assert_array_equal(np.concatenate([b[0].data for b in batches]), features.data)


def test_a_single_tensor_or_array_is_batched_into_tensors():
    batches = list(DataLoader(mg.arange(5), batch_size=2))
    assert [b.tolist() for b in batches] == [[0, 1], [2, 3], [4]]
    assert [b.dtype for b in DataLoader(np.arange(4.0), batch_size=4)] == [mg.float64]


class Squares(Dataset):
    """A map-style dataset of (x, x**2, name) samples: not a TensorDataset."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        return np.array([index], dtype=np.float32), index ** 2, f"s{index}"


def test_a_generic_dataset_is_fetched_sample_by_sample_and_stacked():
    loader = DataLoader(Squares(5), batch_size=2)
    x, square, names = next(iter(loader))
    assert x.shape == (2, 1) and x.dtype == mg.float32
    assert square.tolist() == [0, 1] and square.dtype == mg.int64
    assert names == ["s0", "s1"]
    assert len(loader) == 3


def test_a_collate_fn_gets_the_list_of_samples():
    seen = []
    loader = DataLoader(Squares(4), batch_size=3, collate_fn=lambda samples: seen.append(samples) or len(samples))
    assert list(loader) == [3, 1]
    assert [sample[1:] for sample in seen[0]] == [(0, "s0"), (1, "s1"), (4, "s2")]
    tensors = DataLoader(TensorDataset(mg.arange(4)), batch_size=4, collate_fn=lambda samples: len(samples))
    assert list(tensors) == [4]  # a collate_fn takes the per-sample path even for a TensorDataset


def test_batch_size_none_yields_single_samples():
    data = TensorDataset(mg.arange(6.0).reshape(3, 2), mg.arange(3))
    samples = list(DataLoader(data, batch_size=None))
    assert len(samples) == 3 and samples[1][0].tolist() == [2.0, 3.0] and samples[1][1].item() == 1
    assert list(DataLoader(Squares(2), batch_size=None))[1][1] == 1


def test_a_sampler_or_a_batch_sampler_chooses_the_order():
    X, y = make_arrays(6)
    loader = DataLoader(X, y, batch_size=2, sampler=[5, 4, 3, 0])
    assert len(loader) == 2
    np.testing.assert_array_equal(sample_ids(loader), [5, 4, 3, 0])
    by_batches = DataLoader(TensorDataset(mg.arange(6)), batch_sampler=[[0, 1, 2], [5]])
    assert [b.tolist() for (b,) in by_batches] == [[0, 1, 2], [5]]
    assert len(by_batches) == 2


# ---- generators --------------------------------------------------------------------------------
def test_the_same_generator_seed_gives_the_same_order_bit_for_bit():
    data = TensorDataset(mg.arange(40))

    def orders(seed):
        loader = DataLoader(data, batch_size=7, shuffle=True, generator=mg.Generator().manual_seed(seed))
        return [np.concatenate([b.data for (b,) in loader]) for _ in range(3)]

    first, again, other = orders(5), orders(5), orders(6)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1])  # each epoch its own permutation
    assert not np.array_equal(first[0], other[0])
    assert sorted(first[0].tolist()) == list(range(40))


def test_the_generator_is_used_as_is_as_pytorch_uses_it():
    generator = mg.Generator().manual_seed(1)
    loader = DataLoader(TensorDataset(mg.arange(10)), batch_size=10, shuffle=True, generator=generator)
    (batch,) = next(iter(loader))
    np.testing.assert_array_equal(batch.data, mg.Generator().manual_seed(1).permutation(10))
    numpy_generator = np.random.default_rng(2)  # a NumPy Generator serves too
    (batch,) = next(iter(DataLoader(TensorDataset(mg.arange(10)), batch_size=10, shuffle=True,
                                    generator=numpy_generator)))
    np.testing.assert_array_equal(batch.data, np.random.default_rng(2).permutation(10))


def test_without_generator_or_seed_manual_seed_fixes_the_order():
    data = TensorDataset(mg.arange(30))

    def first_epoch():
        return np.concatenate([b.data for (b,) in DataLoader(data, batch_size=30, shuffle=True)])

    mg.manual_seed(123)
    a = first_epoch()
    mg.manual_seed(123)
    np.testing.assert_array_equal(a, first_epoch())
    assert not np.array_equal(a, first_epoch())  # the default generator moved on


def test_an_unshuffled_loader_leaves_the_default_generator_alone():
    before = mg.get_rng_state()
    DataLoader(TensorDataset(mg.arange(3)), batch_size=2)
    assert mg.get_rng_state()["bit_generator"] == before["bit_generator"]


# ---- checkpoints ---------------------------------------------------------------------------
def test_state_dict_restores_the_shuffle_order():
    X, y = make_arrays(40)
    loader = DataLoader(X, y, batch_size=5, shuffle=True, seed=3)
    list(loader)
    state = loader.state_dict()
    expected = [np.asarray(yb).copy() for _, yb in loader]
    fresh = DataLoader(X, y, batch_size=5, shuffle=True, seed=99)
    fresh.load_state_dict(state)
    for (_, got), want in zip(fresh, expected):
        np.testing.assert_array_equal(np.asarray(got), want)


def test_state_dict_saves_and_restores_a_given_generator():
    data = TensorDataset(mg.arange(12))
    loader = DataLoader(data, batch_size=12, shuffle=True, generator=mg.Generator().manual_seed(4))
    state = loader.state_dict()
    (want,) = next(iter(loader))
    other = DataLoader(data, batch_size=12, shuffle=True, generator=mg.Generator().manual_seed(8))
    other.load_state_dict(state)
    (got,) = next(iter(other))
    np.testing.assert_array_equal(got.data, want.data)


def test_an_unshuffled_loader_has_no_generator_state_and_refuses_one():
    X, y = make_arrays(4)
    plain = DataLoader(X, y, batch_size=2)
    assert plain.state_dict() == {"rng": None}
    plain.load_state_dict({"rng": None})
    shuffled = DataLoader(X, y, batch_size=2, shuffle=True, seed=0)
    with pytest.raises(ValueError, match="holds a shuffling generator's state, but this loader has none"):
        plain.load_state_dict(shuffled.state_dict())
    before = shuffled.state_dict()
    with pytest.raises(ValueError, match="holds no shuffling generator, but this loader has one"):
        shuffled.load_state_dict({"rng": None})
    assert shuffled.state_dict() == before


# ---- bad input -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        ((np.zeros((4, 2)), np.zeros(5, dtype=int)), {}, ValueError, r"same size in dim 0, got sizes \[4, 5\]"),
        ((np.zeros((4, 2)), np.array(["a", "b", "c", "d"])), {}, TypeError, "got dtype <U1"),
        ((np.zeros((4, 2)), np.zeros(4, dtype=int)), {"batch_size": 0}, ValueError,
         "batch_size must be a positive integer .*got 0"),
        ((np.zeros((4, 2)), np.zeros(4, dtype=int)), {"batch_size": 2.5}, ValueError, "got 2.5"),
        ((np.zeros((4, 2)), np.zeros(4, dtype=int)), {"generator": 7}, TypeError,
         "generator must be a minigrad.Generator .*got int: 7"),
        ((np.zeros((4, 2)), np.zeros(4, dtype=int)), {"generator": np.random.RandomState(0)}, TypeError,
         "got RandomState"),
        ((np.zeros((4, 2)), np.zeros(4, dtype=int)), {"shuffle": True, "generator": mg.Generator(), "seed": 1},
         ValueError, "not both"),
        ((np.zeros((4, 2)), np.zeros(4, dtype=int)), {"seed": -1}, ValueError, "seed .* got -1"),
        ((np.zeros((4, 2)), np.zeros(4, dtype=int)), {"shuffle": "yes"}, TypeError,
         "shuffle must be True or False, got 'yes'"),
        ((np.zeros((4, 2)), np.zeros(4, dtype=int)), {"shuffle": True, "sampler": [0, 1]}, ValueError,
         "mutually exclusive"),
        ((TensorDataset(mg.arange(4)),), {"batch_sampler": [[0]], "batch_size": 2}, ValueError,
         r"batch_sampler .*\(got batch_size=2\)"),
        ((TensorDataset(mg.arange(4)),), {"num_workers": -1}, ValueError, "num_workers .* got -1"),
        ((TensorDataset(mg.arange(4)),), {"collate_fn": 3}, TypeError, "collate_fn .* got 3"),
        ((object(),), {}, TypeError, "map-style dataset .* got object"),
    ],
)
def test_bad_input_is_rejected_with_the_values_named(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        DataLoader(*args, **kwargs)


def test_pytorch_agrees_on_the_batches_of_an_unshuffled_loader():
    torch = pytest.importorskip("torch")
    X, y = make_arrays(10)
    ours = list(DataLoader(TensorDataset(mg.tensor(X), mg.tensor(y)), batch_size=4, drop_last=False))
    theirs = list(torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(y)),
                                              batch_size=4))
    assert type(ours[0]) is type(theirs[0]) is list
    assert len(ours) == len(theirs)
    for mine, reference in zip(ours, theirs):
        for a, b in zip(mine, reference):
            np.testing.assert_array_equal(a.data, b.numpy())
            assert a.dtype == b.numpy().dtype
    assert len(DataLoader(TensorDataset(mg.tensor(X)))) == len(torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.tensor(X))))
