"""run(): the real optimizer on a test function, every step recorded; divergence reported."""
from fractions import Fraction

import numpy as np
import pytest

from minigrad import optim
from minigrad.lab import FUNCTIONS, objective, run, step_table
from minigrad.optim import lr_scheduler

ROSENBROCK_START = (-1.5, 2.0)
ROSENBROCK_TOLERANCE = 1e-3  # distance to (1, 1) after 3000 steps


def test_records_points_values_gradients_and_lr_per_step():
    trajectory = run("bowl", "sgd", (6.0, 9.0), 4, lr=0.1)
    assert trajectory.points.shape == (5, 2) and trajectory.steps_taken == 4
    np.testing.assert_allclose(trajectory.points[:3], [[6, 9], [4.8, 7.2], [3.84, 5.76]])
    np.testing.assert_allclose(trajectory.values, (trajectory.points**2).sum(axis=1))
    np.testing.assert_allclose(trajectory.grads, 2 * trajectory.points)
    assert trajectory.lrs == [None, 0.1, 0.1, 0.1, 0.1]
    assert not trajectory.diverged and trajectory.message == ""


def test_states_are_the_optimizer_buffers_step_by_step():
    trajectory = run("square", "adam", (9.0,), 3, lr=0.1)
    grads = trajectory.grads[:, 0]
    m = v = 0.0
    for t in range(1, 4):
        m = 0.9 * m + 0.1 * grads[t - 1]
        v = 0.999 * v + 0.001 * grads[t - 1] ** 2
        state = trajectory.states[t]
        assert state["step"] == t
        assert state["exp_avg"][0] == pytest.approx(m)
        assert state["exp_avg_sq"][0] == pytest.approx(v)
        assert trajectory.traces[t]["m_hat"][0] == pytest.approx(m / (1 - 0.9**t))
        assert trajectory.traces[t]["v_hat"][0] == pytest.approx(v / (1 - 0.999**t))
        assert trajectory.traces[t]["update"][0] == pytest.approx(trajectory.points[t, 0] - trajectory.points[t - 1, 0])
    assert trajectory.states[0]["step"] == 0 and not trajectory.states[0]["exp_avg"].any()


def test_keras_adagrad_start_is_visible_at_step_zero():
    trajectory = run("square", "adagrad", (3.0,), 2, lr=0.5, initial_accumulator_value=0.1)
    assert trajectory.states[0]["sum"][0] == pytest.approx(0.1)
    assert trajectory.states[1]["sum"][0] == pytest.approx(0.1 + 36.0)


def test_same_points_as_stepping_the_optimizer_by_hand():
    trajectory = run("rosenbrock", "rmsprop", ROSENBROCK_START, 25, lr=0.01, momentum=0.5, centered=True)
    import minigrad as mg
    point = mg.Tensor(np.array(ROSENBROCK_START), requires_grad=True)
    opt = optim.RMSProp([point], lr=0.01, momentum=0.5, centered=True)
    for t in range(25):
        opt.zero_grad()
        FUNCTIONS["rosenbrock"](point).backward()
        opt.step()
        np.testing.assert_array_equal(point.data, trajectory.points[t + 1])
    assert all(trace is not None for trace in trajectory.traces[1:])


def test_a_custom_optimizer_subclass_runs_without_a_trace_it_does_not_have():
    class HalfStepSGD(optim.SGD):
        def _update(self, param, grad, state, group, scratch):
            param -= 0.5 * group["lr"] * grad

    trajectory = run("square", HalfStepSGD, (10.0,), 2, lr=0.1)
    np.testing.assert_allclose(trajectory.points[:, 0], [10.0, 9.0, 8.1])
    assert trajectory.traces[1:] == [None, None]


def test_schedule_changes_the_lr_each_step():
    trajectory = run("square", "sgd", (-1.5,), 5, lr=0.2,
                     schedule=lambda opt: lr_scheduler.StepLR(opt, step_size=2, gamma=0.5))
    assert trajectory.lrs == [None, 0.2, 0.2, 0.1, 0.1, 0.05]
    x = -1.5
    for lr, recorded in zip(trajectory.lrs[1:], trajectory.points[1:, 0]):
        x -= lr * 2 * x
        assert recorded == pytest.approx(x)


@pytest.mark.parametrize("start", [ROSENBROCK_START, (-1.2, 1.0)])
@pytest.mark.parametrize("name, lr", [("adam", 0.05), ("momentum", 1e-3)])
def test_adam_and_momentum_reach_the_rosenbrock_minimum(name, lr, start):
    trajectory = run("rosenbrock", name, start, 3000, lr=lr)
    assert not trajectory.diverged
    assert trajectory.distance_to_minimum() < ROSENBROCK_TOLERANCE, trajectory.summary()
    assert trajectory.final_value < 1e-6


def test_sgd_with_a_too_large_lr_diverges_and_says_so():
    trajectory = run("rosenbrock", "sgd", ROSENBROCK_START, 100, lr=0.01)
    assert trajectory.diverged
    assert trajectory.steps_taken < 100
    assert "diverged at step" in trajectory.message and "lr=0.01" in trajectory.message
    assert "DIVERGED" in trajectory.summary()


def test_divergence_to_overflow_is_reported_not_raised():
    trajectory = run("square20", "sgd", (2.0,), 2000, lr=0.1)
    assert trajectory.diverged and trajectory.steps_taken < 2000
    np.testing.assert_allclose(trajectory.points[1:5, 0], [-6, 18, -54, 162])


def test_running_off_a_saddle_is_blamed_on_the_function_not_the_lr():
    trajectory = run("saddle", "sgd", None, 400, lr=0.05)
    assert trajectory.diverged and "saddle has no minimum to stop at" in trajectory.message
    assert abs(trajectory.final_point[0]) < 1e-3  # x settled, y ran off


def test_user_callable_runs():
    trajectory = run(lambda x: (x - 3) ** 2, "sgd", (0.0,), 50, lr=0.1)
    assert trajectory.final_point[0] == pytest.approx(3.0, abs=1e-4)
    custom = objective(lambda x, y: x**2 + 4 * y**2, name="custom", minima=[(0, 0)])
    assert run(custom, "adam", (1.0, 1.0), 300, lr=0.05).distance_to_minimum() < 1e-2


def test_default_start_and_suggested_lr():
    trajectory = run("rosenbrock", "adam", steps=1)
    np.testing.assert_array_equal(trajectory.points[0], FUNCTIONS["rosenbrock"].start)
    assert trajectory.hyperparameters["lr"] == FUNCTIONS["rosenbrock"].suggested_lr["adam"]


@pytest.mark.parametrize("kwargs, message", [
    (dict(function="nope"), "unknown function 'nope'; choose one of: square"),
    (dict(optimizer="lionx"), "unknown optimizer 'lionx'; choose one of: sgd, momentum, adagrad, rmsprop, adam"),
    (dict(start=(1.0,)), r"bowl takes a point with 2 coordinates, got \[1.0\]"),
    (dict(start=(1.0, 2.0, 3.0)), "bowl takes a point with 2 coordinates"),
    (dict(steps=0), "steps must be an integer > 0, got 0"),
    (dict(steps=-3), "got -3"),
    (dict(steps=2.5), "got 2.5"),
    (dict(alpha=0.9), "SGD has no hyperparameter 'alpha'; it takes: lr, momentum"),
])
def test_bad_input_raises_value_error_naming_it(kwargs, message):
    arguments = dict(function="bowl", optimizer="sgd", start=None, steps=3) | kwargs
    with pytest.raises(ValueError, match=message):
        run(**arguments)


def test_against_torch_adam_on_rosenbrock():
    torch = pytest.importorskip("torch")
    trajectory = run("rosenbrock", "adam", ROSENBROCK_START, 30, lr=0.05)
    point = torch.tensor(ROSENBROCK_START, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([point], lr=0.05)
    for t in range(30):
        opt.zero_grad()
        x, y = point[0], point[1]
        ((1 - x) ** 2 + 100 * (y - x**2) ** 2).backward()
        opt.step()
        np.testing.assert_allclose(trajectory.points[t + 1], point.detach().numpy(), rtol=1e-10, atol=1e-12)


# ---- noisy gradients: minibatch noise, from an explicit seed -------------------------------------

def test_noise_is_added_to_each_gradient_from_the_seed_and_the_same_seed_repeats_the_run():
    noisy = run("bowl", "sgd", None, 20, lr=0.1, noise=0.5, seed=3)
    draws = np.random.default_rng(3).standard_normal((20, 2))
    assert noisy.noise == 0.5 and noisy.step_grads.shape == (20, 2)
    assert np.array_equal(noisy.step_grads, noisy.grads[:-1] + 0.5 * draws)  # grads: the true f'(x_t)
    # SGD used them: x - 0.1 g, rounded once (as PyTorch's add with alpha), computed exactly here
    fused = [[float(Fraction(x) - Fraction(0.1) * Fraction(g)) for x, g in zip(row, grad)]
             for row, grad in zip(noisy.points[:-1].tolist(), noisy.step_grads.tolist())]
    assert np.array_equal(noisy.points[1:], np.array(fused))
    again = run("bowl", "sgd", None, 20, lr=0.1, noise=0.5, seed=3)
    assert np.array_equal(again.points, noisy.points) and np.array_equal(again.step_grads, noisy.step_grads)
    other = run("bowl", "sgd", None, 20, lr=0.1, noise=0.5, seed=4)
    assert not np.array_equal(other.points, noisy.points)


def test_a_generator_is_drawn_from_in_order_and_no_noise_changes_nothing():
    generator = np.random.default_rng(7)
    first = run("elongated", "adam", None, 10, noise=0.2, rng=generator)
    second = run("elongated", "adam", None, 10, noise=0.2, rng=generator)  # continues the stream
    expected = np.random.default_rng(7).standard_normal((20, 2))
    assert np.array_equal(first.step_grads, first.grads[:-1] + 0.2 * expected[:10])
    assert np.array_equal(second.step_grads, second.grads[:-1] + 0.2 * expected[10:])
    clean = run("elongated", "adam", None, 10)
    silent = run("elongated", "adam", None, 10, noise=0.0, seed=1)
    assert clean.step_grads is None and silent.step_grads is None and clean.noise == 0
    assert np.array_equal(clean.points, silent.points)


def test_the_traced_state_follows_the_noisy_gradient():
    noisy = run("square", "rmsprop", (9.0,), 3, lr=0.1, alpha=0.9, noise=1.0, seed=0)
    g = noisy.step_grads[:, 0]
    assert np.isclose(noisy.states[1]["square_avg"][0], 0.1 * g[0] ** 2, rtol=1e-15)
    assert noisy.traces[1] is not None  # the replay with the noisy gradient lands where step() did
    table = step_table(noisy)
    assert "gradient noise 1" in table and "g_t (noisy)" in table
    assert f"{g[0]:.6g}" in table


@pytest.mark.parametrize("options, error, message", [
    ({"noise": 0.5}, ValueError, "noise=0.5 needs seed= or rng="),
    ({"noise": -1.0, "seed": 0}, ValueError, "noise must be a finite number >= 0, got -1.0"),
    ({"noise": float("inf"), "seed": 0}, ValueError, "got inf"),
    ({"noise": "0.1", "seed": 0}, ValueError, "got '0.1'"),
    ({"noise": 0.1, "seed": 0, "rng": np.random.default_rng(0)}, ValueError, "either seed= or rng="),
    ({"noise": 0.1, "rng": 0}, TypeError, "rng must be a numpy.random.Generator, got int"),
    ({"noise": 0.1, "seed": -2}, ValueError, "seed must be an integer >= 0, got -2"),
])
def test_bad_noise_requests_are_named(options, error, message):
    with pytest.raises(error, match=message):
        run("bowl", "sgd", None, 3, **options)


def test_each_recorded_state_keeps_its_own_lbfgs_history():
    trajectory = run("rosenbrock", "lbfgs", steps=4, max_iter=1, max_eval=25, line_search_fn="strong_wolfe")
    sizes = [len(state.get("old_dirs", [])) for state in trajectory.states]
    assert sizes == sorted(sizes) and sizes[1] < sizes[-1]  # the history grew, step by step
