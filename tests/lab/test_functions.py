"""The lab's test functions: gradients by backward match finite differences, minima are minima."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.lab import FUNCTIONS, Objective, get_function, objective


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_gradient_matches_finite_differences(name):
    function = FUNCTIONS[name]
    rng = np.random.default_rng(0)
    for _ in range(3):
        lows, highs = np.array(function.window).T
        point = rng.uniform(lows, highs) * 0.5  # stay where the values are moderate
        assert mg.gradcheck(lambda p: function(p), [mg.Tensor(point, requires_grad=True)])


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_minima_have_zero_gradient_and_are_lower_than_their_neighbourhood(name):
    function = FUNCTIONS[name]
    rng = np.random.default_rng(1)
    for minimum in function.minima:
        value, grad = function.value_and_grad(minimum)
        assert np.abs(grad).max() < 1e-4, (minimum, grad)
        nearby = np.asarray(minimum) + rng.normal(scale=1e-2, size=(20, function.dim))
        assert all(function.value(p) > value for p in nearby)


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_window_holds_the_start_and_the_minima(name):
    function = FUNCTIONS[name]
    for point in (function.start, *function.minima, *function.saddle_points):
        for coordinate, (low, high) in zip(point, function.window):
            assert low <= coordinate <= high


def test_saddle_has_no_minimum_but_a_saddle_point():
    saddle = FUNCTIONS["saddle"]
    assert saddle.minima == () and saddle.saddle_points == ((0.0, 0.0),)
    value, grad = saddle.value_and_grad((0.0, 0.0))
    assert value == 0 and not grad.any()
    assert saddle.value((0.0, 0.5)) < 0 < saddle.value((0.5, 0.0))


def test_values_match_the_formulas_written_in_numpy():
    x, y = 0.7, -1.3
    assert FUNCTIONS["rosenbrock"].value((x, y)) == pytest.approx((1 - x) ** 2 + 100 * (y - x * x) ** 2)
    assert FUNCTIONS["himmelblau"].value((x, y)) == pytest.approx((x * x + y - 11) ** 2 + (x + y * y - 7) ** 2)
    assert FUNCTIONS["log_square"].value((x,)) == pytest.approx(np.log(x * x + 0.01))
    assert FUNCTIONS["elongated"].value((x, y)) == pytest.approx(0.1 * x * x + 2 * y * y)


def test_on_grid_evaluates_elementwise():
    grid_x, grid_y = np.meshgrid(np.linspace(-1, 1, 4), np.linspace(-2, 2, 3))
    values = FUNCTIONS["bowl"].on_grid(grid_x, grid_y)
    np.testing.assert_allclose(values, grid_x**2 + grid_y**2)


def test_a_user_callable_becomes_an_objective():
    def shifted(x, y):
        return (x - 1) ** 2 + 3 * (y + 2) ** 2

    wrapped = objective(shifted, minima=[(1, -2)])
    assert wrapped.dim == 2 and wrapped.name == "shifted"
    value, grad = wrapped.value_and_grad((0.0, 0.0))
    assert value == pytest.approx(13.0)
    np.testing.assert_allclose(grad, [-2.0, 12.0])
    assert get_function(shifted).dim == 2
    assert get_function(wrapped) is wrapped


def test_bad_names_and_points_say_what_is_wrong():
    with pytest.raises(ValueError, match="unknown function 'parabola'.*rosenbrock"):
        get_function("parabola")
    with pytest.raises(ValueError, match=r"rosenbrock takes a point with 2 coordinates, got \[1.0, 2.0, 3.0\]"):
        FUNCTIONS["rosenbrock"].check_point([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="finite"):
        FUNCTIONS["square"].check_point([np.nan])
    with pytest.raises(ValueError, match="pass dim="):
        objective(lambda *xs: xs[0])
    assert isinstance(FUNCTIONS["square"], Objective)
