"""The eigen view of a quadratic: curvatures from gradients, each direction's rate, the lr limits,
and the lab's real optimizers following them."""
import numpy as np
import pytest

from minigrad import lab
from minigrad.lab.quadratic import NotQuadraticError


def rotated_quadratic():
    """1/2 (x - c)^T A (x - c) with A's eigenvectors at 30 degrees: not along the axes."""
    angle = np.pi / 6
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    matrix = rotation @ np.diag([1.0, 10.0]) @ rotation.T
    centre = np.array([0.5, -1.0])

    def formula(x, y):
        dx, dy = x - centre[0], y - centre[1]
        return 0.5 * (matrix[0, 0] * dx * dx + 2 * matrix[0, 1] * dx * dy + matrix[1, 1] * dy * dy)

    function = lab.objective(formula, name="rotated", window=((-3, 3), (-3, 3)), start=(-2.5, 2.0),
                             minima=(tuple(centre),))
    return function, matrix, rotation, centre


def test_the_curvatures_of_the_lab_quadratics():
    elongated = lab.eigen_view("elongated")  # 0.1 x^2 + 2 y^2: curvatures 0.2 and 4
    assert np.allclose(elongated.eigenvalues, [0.2, 4.0], rtol=1e-12)
    assert np.allclose(elongated.eigenvectors, np.eye(2)) and np.allclose(elongated.stationary_point, 0)
    assert np.isclose(elongated.lr_limit, 0.5) and np.isclose(elongated.momentum_lr_limit(0.9), 0.95)
    assert np.isclose(elongated.best_lr, 2 / 4.2)
    assert np.allclose(lab.eigen_view("square9").eigenvalues, [18.0])
    saddle = lab.eigen_view("saddle")
    assert np.allclose(saddle.eigenvalues, [-2.0, 2.0])
    assert "a saddle" in saddle.summary() and "every lr > 0 moves away" in saddle.summary()
    with pytest.raises(ValueError, match="curvature -2 <= 0"):
        saddle.best_lr


def test_a_rotated_quadratic_gives_its_own_directions_and_centre():
    function, matrix, rotation, centre = rotated_quadratic()
    view = lab.eigen_view(function)
    assert np.allclose(view.hessian, matrix, atol=1e-12)
    assert np.allclose(view.eigenvalues, [1.0, 10.0])
    assert np.allclose(np.abs(view.eigenvectors.T @ rotation), np.eye(2), atol=1e-12)  # up to sign
    assert np.allclose(view.stationary_point, centre, atol=1e-12)


def test_gradient_descent_multiplies_each_directions_error_by_one_minus_lr_lambda():
    function, *_ = rotated_quadratic()
    view = lab.eigen_view(function)
    trajectory = lab.run(function, "sgd", None, 30, lr=0.15)
    errors = view.components(trajectory)
    assert np.allclose(errors[1:], errors[:-1] * (1 - 0.15 * view.eigenvalues), rtol=1e-9, atol=1e-12)
    assert np.allclose(view.gd_rates(0.15), [0.85, 0.5])
    assert view.gd_rates([0.1, 0.15]).shape == (2, 2)


def test_momentum_follows_the_heavy_ball_recurrence_and_its_rate():
    function, *_ = rotated_quadratic()
    view = lab.eigen_view(function)
    lr, mu = 0.05, 0.6
    trajectory = lab.run(function, "momentum", None, 60, lr=lr, momentum=mu)
    errors = view.components(trajectory)
    predicted = (1 + mu - lr * view.eigenvalues) * errors[1:-1] - mu * errors[:-2]
    assert np.allclose(errors[2:], predicted, rtol=1e-9, atol=1e-12)
    rates = view.momentum_rates(lr, mu)
    for lam, rate in zip(view.eigenvalues, rates):
        assert np.isclose(rate, max(abs(np.roots([1.0, -(1 + mu - lr * lam), mu]))))
    assert np.isclose(rates[1], np.sqrt(mu))  # complex roots: |z| = sqrt(mu)
    # Over many steps the error shrinks at that rate (the slowest direction decides).
    late = np.linalg.norm(errors[-1]) / np.linalg.norm(errors[-11])
    assert np.isclose(late ** 0.1, rates.max(), rtol=0.05)


@pytest.mark.parametrize("optimizer, options, limit", [
    ("sgd", {}, 2 / 18),
    ("momentum", {"momentum": 0.5}, 2 * 1.5 / 18),
])
def test_the_lr_limit_separates_convergence_from_divergence_in_real_runs(optimizer, options, limit):
    view = lab.eigen_view("square9")
    assert np.isclose(view.lr_limit * (1 + options.get("momentum", 0)), limit)
    below = lab.run("square9", optimizer, None, 300, lr=0.97 * limit, **options)
    above = lab.run("square9", optimizer, None, 300, lr=1.03 * limit, **options)
    assert not below.diverged and abs(below.final_point[0]) < abs(below.points[0, 0])
    assert above.diverged


def test_functions_that_are_not_quadratics_are_named():
    with pytest.raises(NotQuadraticError, match=r"rosenbrock is not a quadratic: its gradient at \(-1.5, 2\)"):
        lab.eigen_view("rosenbrock")
    with pytest.raises(ValueError, match="double_well is not a quadratic"):
        lab.eigen_view("double_well")
    flat = lab.objective(lambda x, y: x * x, name="valley")
    with pytest.raises(NotQuadraticError, match="valley has a flat direction"):
        lab.eigen_view(flat)
    with pytest.raises(ValueError, match="momentum must be a number with 0 <= momentum < 1, got 1.0"):
        lab.eigen_view("bowl").momentum_rates(0.1, 1.0)
    with pytest.raises(ValueError, match="the run is on bowl, the view of elongated"):
        lab.eigen_view("elongated").components(lab.run("bowl", "sgd", None, 2))


def test_the_figure_marks_the_limits_and_shows_both_runs(tmp_path):
    pytest.importorskip("matplotlib")
    figure = lab.plot_eigen_view("elongated", lr=0.4, momentum=0.5, path=tmp_path / "eigen.png")
    directions, rates, errors = figure.axes
    vertical = [line.get_xdata()[0] for line in rates.get_lines() if len(set(line.get_xdata())) == 1]
    assert any(np.isclose(x, 0.5) for x in vertical) and any(np.isclose(x, 0.75) for x in vertical)
    assert any(np.isclose(x, 0.4) for x in vertical)
    assert rates.get_xscale() == "log" and errors.get_yscale() == "log"
    labels = [line.get_label() for line in directions.get_lines()]
    assert "GD (lr=0.4)" in labels and "Momentum (lr=0.4, mu=0.5)" in labels
    assert (tmp_path / "eigen.png").read_bytes()[:4] == b"\x89PNG"
    one_dimensional = lab.plot_eigen_view("square9", lr=0.1)
    assert len(one_dimensional.axes) == 2
