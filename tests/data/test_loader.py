import numpy as np
import pytest

from minigrad.data import DataLoader


def make_arrays(n=10, d=3):
    X = np.arange(n * d, dtype=np.float64).reshape(n, d)
    y = np.arange(n) % 3
    return X, y


def test_batches_have_the_promised_dtypes_and_cover_every_sample_once():
    X, y = make_arrays(10)
    loader = DataLoader(X, y, batch_size=4, shuffle=True, seed=1)
    batches = list(loader)
    assert [len(yb) for _, yb in batches] == [4, 4, 2]
    assert len(loader) == 3
    for xb, yb in batches:
        assert xb.dtype == np.float32 and yb.dtype == np.int64
        assert xb.flags.c_contiguous
    rows = np.concatenate([xb for xb, _ in batches])
    # Each feature row still sits with its own label, and every sample appears exactly once.
    labels = np.concatenate([yb for _, yb in batches])
    sample_ids = (rows[:, 0] / 3).astype(int)
    assert sorted(sample_ids) == list(range(10))
    np.testing.assert_array_equal(labels, y[sample_ids])


def test_same_seed_same_order_and_each_epoch_reshuffles():
    X, y = make_arrays(50)
    first = DataLoader(X, y, batch_size=8, seed=7)
    second = DataLoader(X, y, batch_size=8, seed=7)
    epoch_a = np.concatenate([yb for _, yb in first])
    epoch_b = np.concatenate([yb for _, yb in second])
    np.testing.assert_array_equal(epoch_a, epoch_b)
    order_1 = np.concatenate([xb[:, 0] for xb, _ in first])
    order_2 = np.concatenate([xb[:, 0] for xb, _ in first])
    assert not np.array_equal(order_1, order_2)
    other_seed = np.concatenate([xb[:, 0] for xb, _ in DataLoader(X, y, batch_size=8, seed=8)])
    assert not np.array_equal(other_seed, np.concatenate([xb[:, 0] for xb, _ in DataLoader(X, y, batch_size=8, seed=7)]))


def test_without_shuffle_batches_are_in_order():
    X, y = make_arrays(7)
    loader = DataLoader(X, y, batch_size=3, shuffle=False)
    np.testing.assert_array_equal(np.concatenate([xb for xb, _ in loader]), X.astype(np.float32))


def test_drop_last_skips_the_short_batch():
    X, y = make_arrays(10)
    loader = DataLoader(X, y, batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert [len(yb) for _, yb in loader] == [4, 4]


def test_state_dict_restores_the_shuffle_order():
    X, y = make_arrays(40)
    loader = DataLoader(X, y, batch_size=5, seed=3)
    list(loader)
    state = loader.state_dict()
    expected = [yb.copy() for _, yb in loader]
    fresh = DataLoader(X, y, batch_size=5, seed=99)
    fresh.load_state_dict(state)
    for (_, got), want in zip(fresh, expected):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    "X, y, batch_size, error, match",
    [
        (np.zeros((4, 2)), np.zeros(5, dtype=int), 2, ValueError, "4 and 5"),
        (np.zeros(4), np.zeros(4, dtype=int), 2, ValueError, "2-D"),
        (np.zeros((4, 2)), np.zeros((4, 1), dtype=int), 2, ValueError, "1-D"),
        (np.zeros((4, 2)), np.zeros(4), 2, TypeError, "float64"),
        (np.zeros((4, 2)), np.zeros(4, dtype=int), 0, ValueError, "0"),
        (np.zeros((0, 2)), np.zeros(0, dtype=int), 2, ValueError, "0 samples"),
    ],
)
def test_bad_input_is_rejected_with_the_values_named(X, y, batch_size, error, match):
    with pytest.raises(error, match=match):
        DataLoader(X, y, batch_size=batch_size)
