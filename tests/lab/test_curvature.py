"""The lab's curvature views: lambda_max by power iteration, along training, and landscapes."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import lab, nn, optim


def quadratic_model(a):
    """A 'model' whose loss is 0.5 w^T A w: a Linear layer without input, its Hessian is A."""
    model = nn.Linear(a.shape[0], 1, bias=False, dtype=np.float64, seed=0)
    matrix = mg.Tensor(a)

    def loss_fn(_output, _target):
        w = model.weight.reshape(-1)
        return 0.5 * (w @ (matrix @ w))

    return model, loss_fn


def test_top_eigenvalue_of_a_quadratic_is_the_largest_eigenvalue_of_its_matrix():
    rng = np.random.default_rng(0)
    m = rng.standard_normal((5, 5))
    a = m @ m.T + np.eye(5)
    model, loss_fn = quadratic_model(a)
    x = mg.Tensor(np.zeros((1, 5)))
    value = lab.top_hessian_eigenvalue(model, loss_fn, x, None, iterations=200, tol=1e-12)
    assert value == pytest.approx(np.linalg.eigvalsh(a)[-1], rel=1e-6)
    assert model.weight.grad is None  # nothing of the model changed


def test_top_eigenvalue_of_an_mlp_loss_matches_the_dense_hessian():
    rng = np.random.default_rng(1)
    model = nn.MLP([3, 4, 2], activation="tanh", seed=0, dtype=np.float64)
    X, y = mg.Tensor(rng.standard_normal((12, 3))), rng.integers(0, 2, 12)
    params = list(model.parameters())
    grads = mg.autograd.grad(nn.functional.cross_entropy(model(X), y), params, create_graph=True)
    size = sum(p.data.size for p in params)
    columns = []
    for k in range(size):
        unit = np.zeros(size)
        unit[k] = 1
        pieces, start = [], 0
        for p in params:
            pieces.append(unit[start:start + p.data.size].reshape(p.shape))
            start += p.data.size
        hv = mg.autograd.grad(grads, params, pieces, retain_graph=True)
        columns.append(np.concatenate([h.data.ravel() for h in hv]))
    eigenvalues = np.linalg.eigvalsh(np.array(columns))
    largest = eigenvalues[np.argmax(np.abs(eigenvalues))]
    value = lab.top_hessian_eigenvalue(model, nn.functional.cross_entropy, X, y, iterations=500, tol=1e-12)
    assert value == pytest.approx(largest, rel=1e-4)


def test_curvature_along_training_records_lambda_max_and_two_over_lr():
    rng = np.random.default_rng(2)
    model = nn.MLP([2, 8, 2], seed=0, dtype=np.float64)
    X, y = mg.Tensor(rng.standard_normal((32, 2))), (rng.random(32) > 0.5).astype(np.int64)
    run = lab.curvature_along_training(model, optim.SGD(model.parameters(), lr=0.5),
                                       nn.functional.cross_entropy, X, y, steps=20, every=5, iterations=10)
    assert run.steps == [0, 5, 10, 15, 20] and run.stability_limit == 4.0
    assert run.losses[-1] < run.losses[0] and all(v > 0 for v in run.top_eigenvalues)
    assert "2/lr 4" in repr(run)
    figure = lab.plot_curvature(run)
    assert len(figure.axes) == 2
    with pytest.raises(ValueError, match="every must be at least 1"):
        lab.curvature_along_training(model, optim.SGD(model.parameters(), lr=0.5),
                                     nn.functional.cross_entropy, X, y, steps=2, every=0)


@pytest.mark.parametrize("dimensions", [1, 2])
def test_the_landscape_has_the_trained_loss_at_its_centre_and_restores_the_weights(dimensions):
    rng = np.random.default_rng(3)
    model = nn.MLP([2, 6, 2], seed=0, dtype=np.float64)
    X, y = mg.Tensor(rng.standard_normal((20, 2))), rng.integers(0, 2, 20)
    before = [p.data.copy() for p in model.parameters()]
    landscape = lab.loss_landscape(model, nn.functional.cross_entropy, X, y, dimensions=dimensions,
                                   points=5, span=0.5, seed=1)
    centre = landscape.losses[(2,) * dimensions]
    assert centre == pytest.approx(float(nn.functional.cross_entropy(model(X), y)), rel=1e-12)
    assert landscape.losses.shape == (5,) * dimensions
    assert all(np.array_equal(p.data, b) for p, b in zip(model.parameters(), before))
    again = lab.loss_landscape(model, nn.functional.cross_entropy, X, y, dimensions=dimensions,
                               points=5, span=0.5, seed=1)
    np.testing.assert_array_equal(again.losses, landscape.losses)  # same seed, same directions
    assert lab.plot_landscape(landscape).axes
    with pytest.raises(ValueError, match="dimensions must be 1 or 2, got 3"):
        lab.loss_landscape(model, nn.functional.cross_entropy, X, y, dimensions=3)
