import numpy as np
import pytest

from minigrad.data import DATASETS, load_dataset


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_every_named_dataset_loads_split_and_typed(name):
    data = load_dataset(name)
    n_total = len(data.y_train) + len(data.y_test)
    assert len(data.y_test) == pytest.approx(0.25 * n_total, abs=1)
    assert data.X_train.dtype == np.float32 and data.X_test.dtype == np.float32
    assert data.y_train.dtype == np.int64
    assert set(np.unique(data.y_train)) == set(range(data.n_classes))
    assert data.X_train.shape[1] == data.X_test.shape[1] == data.n_features


def test_split_is_stratified_and_seeded():
    data = load_dataset("iris", seed=3)
    # iris has 50 samples per class; a stratified 25% test part keeps 12 or 13 of each.
    assert set(np.bincount(data.y_test)) <= {12, 13}
    again = load_dataset("iris", seed=3)
    np.testing.assert_array_equal(data.X_test, again.X_test)
    other = load_dataset("iris", seed=4)
    assert not np.array_equal(data.X_test, other.X_test)


def test_standardization_is_fitted_on_the_training_part_only():
    rng = np.random.default_rng(0)
    X = rng.normal(5.0, 3.0, size=(200, 4))
    y = np.repeat([0, 1], 100)
    data = load_dataset((X, y), seed=0)
    np.testing.assert_allclose(data.X_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(data.X_train.std(axis=0), 1, atol=1e-5)
    # The test part uses the training statistics, so its mean is not exactly zero.
    assert np.abs(data.X_test.mean(axis=0)).max() > 1e-3
    np.testing.assert_allclose(data.transform(X), (X - data.mean) / data.scale, rtol=1e-5)


def test_constant_features_do_not_become_nan():
    data = load_dataset("digits")  # digits has pixels that are always blank
    assert np.isfinite(data.X_train).all() and np.isfinite(data.X_test).all()


def test_without_standardization_features_are_untouched():
    X = np.arange(40, dtype=float).reshape(20, 2)
    y = np.arange(20) % 2
    data = load_dataset((X, y), standardize=False)
    assert set(map(tuple, np.concatenate([data.X_train, data.X_test]))) == set(map(tuple, X.astype(np.float32)))


def test_arbitrary_labels_are_encoded_and_remembered():
    X = np.arange(24, dtype=float).reshape(12, 2)
    y = np.array(["cat", "dog", "emu"] * 4)
    data = load_dataset((X, y), test_size=0.5)
    assert list(data.classes) == ["cat", "dog", "emu"]
    assert data.y_train.dtype == np.int64 and set(data.y_train) == {0, 1, 2}


def test_unknown_name_lists_the_choices():
    with pytest.raises(ValueError, match="unknown dataset 'mnist'.*digits.*iris.*moons"):
        load_dataset("mnist")


def test_length_mismatch_names_both_lengths():
    with pytest.raises(ValueError, match="10 and 9"):
        load_dataset((np.zeros((10, 2)), np.zeros(9)))


def test_non_finite_features_are_counted():
    X = np.ones((20, 3))
    X[0, 0] = np.nan
    X[1, 1] = np.nan
    X[2, 2] = np.inf
    y = np.arange(20) % 2
    with pytest.raises(ValueError, match="2 NaN and 1 inf"):
        load_dataset((X, y))


def test_a_class_with_one_sample_cannot_be_stratified():
    X = np.zeros((9, 2))
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 7])
    with pytest.raises(ValueError, match=r"\[7\]"):
        load_dataset((X, y))


@pytest.mark.parametrize("seed", [-1, 2.5, 2**32])
def test_bad_seed_is_rejected_naming_it(seed):
    with pytest.raises(ValueError, match=f"seed must be an integer in \\[0, 2\\*\\*32\\), got {seed!r}"):
        load_dataset("iris", seed=seed)


def test_bad_test_size_is_rejected():
    with pytest.raises(ValueError, match="1.5"):
        load_dataset("iris", test_size=1.5)
