"""The playground's datasets: points in the plane, split and standardized like every minigrad run.

Five are generated from the seed (moons, circles and blobs by scikit-learn; spirals and xor
here, with a NumPy Generator); four are scikit-learn's bundled sets (iris, wine,
breast_cancer, digits), projected to 2-D by PCA so that their decision boundary can be drawn.
The split and the standardization are ``minigrad.data.load_dataset``'s (stratified, fitted
on the training part only); the PCA is fitted on the training part too.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from minigrad.data import load_dataset

# Noise is given in [0, 1]; each generator turns it into a spread that suits its geometry
# (at the default 0.2 every set is learnable, at 1 the classes overlap heavily).
_NOISE_SCALE = {"moons": 1.0, "circles": 0.4, "blobs": 5.0, "spirals": 0.4, "xor": 0.5}


@dataclass(frozen=True, eq=False)
class PlaneData:
    """Train and test points in 2-D (float32, standardized) with labels 0..n_classes-1."""

    name: str
    description: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def bounds(self, margin: float = 0.15) -> tuple[float, float, float, float]:
        """(xmin, xmax, ymin, ymax) around every point, widened by ``margin`` of the span."""
        points = np.concatenate([self.X_train, self.X_test])
        low, high = points.min(axis=0).astype(float), points.max(axis=0).astype(float)
        span = np.maximum(high - low, 1e-6)
        low, high = low - margin * span, high + margin * span
        return float(low[0]), float(high[0]), float(low[1]), float(high[1])

    def grid(self, resolution: int) -> np.ndarray:
        """Cell centres of a ``resolution`` x ``resolution`` grid over ``bounds()``, row by row
        from the top (largest y) down, as an image is stored."""
        xmin, xmax, ymin, ymax = self.bounds()
        xs = xmin + (np.arange(resolution) + 0.5) * (xmax - xmin) / resolution
        ys = ymax - (np.arange(resolution) + 0.5) * (ymax - ymin) / resolution
        gx, gy = np.meshgrid(xs, ys)
        return np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)


def make_plane_data(name: str, points: int = 400, noise: float = 0.2, split: float = 0.3,
                    seed: int = 0) -> PlaneData:
    """The dataset ``name`` as 2-D train/test points; ``points`` and ``noise`` apply to the
    generated sets only (the bundled ones have their own samples)."""
    if name in _GENERATORS:
        X, y = _GENERATORS[name](points, noise * _NOISE_SCALE[name], np.random.default_rng(seed), seed)
        description = f"{name}: {points} generated points, noise {noise:g}"
        class_names = tuple(str(c) for c in np.unique(y))
    elif name in _BUNDLED:
        X, y, class_names = _BUNDLED[name]()
        description = f"{name}: scikit-learn's {len(y)} samples of {X.shape[1]} features, PCA to 2-D"
    else:
        raise ValueError(f"unknown dataset {name!r}; choose one of: {', '.join((*_GENERATORS, *_BUNDLED))}")
    data = load_dataset((X, y), test_size=split, seed=seed)
    X_train, X_test = data.X_train, data.X_test
    if X_train.shape[1] > 2:
        X_train, X_test = _pca_2d(X_train, X_test)
    return PlaneData(name, description, X_train, data.y_train, X_test, data.y_test, class_names)


def _pca_2d(X_train: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both parts on the training part's first two principal axes, scaled to unit variance."""
    train = X_train.astype(np.float64)
    mean = train.mean(axis=0)
    _, _, axes = np.linalg.svd(train - mean, full_matrices=False)
    axes = axes[:2]
    # An SVD's axes are defined up to sign: fix it (largest loading positive), so the same
    # data always gives the same picture.
    signs = np.sign(axes[np.arange(2), np.abs(axes).argmax(axis=1)])
    axes = axes * signs[:, None]
    projected_train = (train - mean) @ axes.T
    scale = projected_train.std(axis=0)
    scale[scale == 0] = 1.0
    projected_test = (X_test.astype(np.float64) - mean) @ axes.T
    return (projected_train / scale).astype(np.float32), (projected_test / scale).astype(np.float32)


# ---- generators: (points, spread, rng, seed) -> (X, y) ----------------------------------------

def _moons(points, spread, rng, seed):
    from sklearn.datasets import make_moons
    return make_moons(n_samples=points, noise=spread, random_state=seed)


def _circles(points, spread, rng, seed):
    from sklearn.datasets import make_circles
    return make_circles(n_samples=points, noise=spread, factor=0.5, random_state=seed)


def _blobs(points, spread, rng, seed):
    from sklearn.datasets import make_blobs
    return make_blobs(n_samples=points, centers=3, cluster_std=max(spread, 0.3), random_state=seed)


def _spirals(points, spread, rng, seed):
    """Two arms winding one and a half turns around the origin, half the points each."""
    labels = np.arange(points) % 2
    t = rng.uniform(0.0, 1.0, points)
    radius = 0.1 + 0.9 * t
    angle = 3 * np.pi * t + np.pi * labels
    X = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    X += rng.normal(0.0, spread * 0.25, X.shape)
    return X, labels


def _xor(points, spread, rng, seed):
    """Uniform points in the square; the class is the sign of x*y (the quadrant's parity)."""
    X = rng.uniform(-1.0, 1.0, (points, 2))
    labels = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    X += rng.normal(0.0, spread * 0.25, X.shape)
    return X, labels


_GENERATORS = {"moons": _moons, "circles": _circles, "blobs": _blobs, "spirals": _spirals, "xor": _xor}


def _bundled(loader_name: str):
    def load():
        import sklearn.datasets

        bunch = getattr(sklearn.datasets, loader_name)()
        names = getattr(bunch, "target_names", None)
        classes = np.unique(bunch.target)
        class_names = tuple(str(names[c]) if names is not None else str(c) for c in classes)
        return bunch.data, bunch.target, class_names
    return load


_BUNDLED = {"iris": _bundled("load_iris"), "wine": _bundled("load_wine"),
            "breast_cancer": _bundled("load_breast_cancer"), "digits": _bundled("load_digits")}
