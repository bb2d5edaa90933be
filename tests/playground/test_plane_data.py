"""The playground's 2-D datasets: seeded, stratified, standardized, projected on the train part."""
import numpy as np
import pytest

from minigrad.playground.config import DATASETS, GENERATED_DATASETS
from minigrad.playground.datasets import make_plane_data


@pytest.mark.parametrize("name", DATASETS)
def test_every_dataset_is_two_dimensional_and_split(name):
    data = make_plane_data(name, points=200, noise=0.2, split=0.25, seed=0)
    assert data.X_train.shape[1] == 2 and data.X_test.shape[1] == 2
    assert data.X_train.dtype == np.float32
    total = len(data.X_train) + len(data.X_test)
    assert len(data.X_test) == pytest.approx(0.25 * total, abs=len(data.class_names))
    assert set(np.unique(data.y_train)) == set(range(data.n_classes))
    # Standardized (or PCA-scaled) on the training part: zero mean, unit variance there.
    assert np.allclose(data.X_train.mean(axis=0), 0, atol=1e-5)
    assert np.allclose(data.X_train.std(axis=0), 1, atol=1e-4)


@pytest.mark.parametrize("name", GENERATED_DATASETS)
def test_generated_sets_follow_the_seed_points_and_noise(name):
    first = make_plane_data(name, points=120, noise=0.3, seed=5)
    again = make_plane_data(name, points=120, noise=0.3, seed=5)
    other_seed = make_plane_data(name, points=120, noise=0.3, seed=6)
    assert np.array_equal(first.X_train, again.X_train) and np.array_equal(first.y_test, again.y_test)
    assert not np.array_equal(first.X_train, other_seed.X_train)
    assert len(first.X_train) + len(first.X_test) == 120


def test_more_noise_spreads_the_points():
    # xor's points fill a square; noise pushes some beyond it (standardized, so in std units).
    def spread(noise):
        data = make_plane_data("xor", points=400, noise=noise, seed=1)
        return float(np.abs(data.X_train).max())
    assert spread(1.0) > spread(0.0)


@pytest.mark.parametrize("name, samples, classes", [("iris", 150, 3), ("wine", 178, 3),
                                                    ("breast_cancer", 569, 2), ("digits", 1797, 10)])
def test_bundled_sets_keep_their_samples_and_class_names(name, samples, classes):
    data = make_plane_data(name, points=0, noise=0.0, seed=0)
    assert len(data.X_train) + len(data.X_test) == samples
    assert data.n_classes == classes
    if name == "iris":
        assert data.class_names == ("setosa", "versicolor", "virginica")


def test_the_projection_is_fitted_on_the_training_part_only():
    # PCA axes fitted on the training part make its two coordinates uncorrelated with unit
    # variance; the test part, projected on the same axes, only comes close.
    data = make_plane_data("wine", split=0.3, seed=2)
    train_cov = np.cov(data.X_train.T.astype(np.float64), bias=True)
    test_cov = np.cov(data.X_test.T.astype(np.float64), bias=True)
    assert np.allclose(train_cov, np.eye(2), atol=1e-5)
    assert not np.allclose(test_cov, np.eye(2), atol=1e-3)
    again = make_plane_data("wine", split=0.3, seed=2)
    assert np.array_equal(data.X_test, again.X_test)  # the SVD's signs are fixed


def test_the_grid_covers_the_points_and_is_stored_as_an_image():
    data = make_plane_data("moons", seed=0)
    grid = data.grid(8)
    assert grid.shape == (64, 2)
    xmin, xmax, ymin, ymax = data.bounds()
    assert xmin < data.X_train[:, 0].min() and ymax > data.X_train[:, 1].max()
    assert grid[0, 1] > grid[-1, 1] and grid[0, 0] < grid[7, 0]  # first row on top
