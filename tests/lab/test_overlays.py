"""The trajectory plot explains: gradient and momentum arrows along a path, accumulator panels."""
import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.quiver import Quiver  # noqa: E402

from minigrad import lab  # noqa: E402
from minigrad.lab.overlays import MAX_ARROWS, arrow_vectors  # noqa: E402


def quivers(figure) -> list[Quiver]:
    return [c for c in figure.axes[0].collections if isinstance(c, Quiver)]


def unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_gradient_arrows_point_downhill_at_the_points_of_the_path():
    trajectory = lab.run("elongated", "sgd", None, 30)
    figure = lab.plot_trajectories(trajectory, arrows="gradient")
    (arrows,) = quivers(figure)
    anchors = arrows.get_offsets()
    assert 2 <= len(anchors) <= MAX_ARROWS
    # Each arrow starts at some x_t and points along -f'(x_t) (lengths are scaled, not directions).
    steps = [int(np.argmin(np.linalg.norm(trajectory.points - anchor, axis=1))) for anchor in anchors]
    assert np.allclose(trajectory.points[steps], anchors)
    drawn = np.column_stack([arrows.U, arrows.V])
    assert np.allclose(unit(drawn), unit(-trajectory.grads[steps]), atol=1e-9)


def test_momentum_arrows_are_minus_the_velocity_carried_into_each_point():
    trajectory = lab.run("rosenbrock", "momentum", None, 200)
    steps, vectors = arrow_vectors(trajectory, "momentum")
    assert steps[0] == 1 and np.array_equal(vectors[0], -trajectory.states[1]["momentum_buffer"])
    # SGD with momentum: x_{t+1} = x_t - lr (mu b_t + g_t), the two arrows' mix.
    t, lr, mu = 5, trajectory.hyperparameters["lr"], trajectory.hyperparameters["momentum"]
    step = trajectory.points[t + 1] - trajectory.points[t]
    assert np.allclose(step, lr * (mu * vectors[t - 1] - trajectory.grads[t]), rtol=1e-12)
    figure = lab.plot_trajectories(trajectory, arrows=("gradient", "momentum"))
    gradient_arrows, momentum_arrows = quivers(figure)
    assert np.allclose(momentum_arrows.get_facecolor()[0][:3], [1.0, 0x7F / 255, 0x0E / 255])  # Momentum's colour
    # Along the valley floor the velocity is about g / (1 - mu) = 10 g: its arrows are longer.
    assert np.median(np.hypot(momentum_arrows.U, momentum_arrows.V)) > np.median(np.hypot(gradient_arrows.U, gradient_arrows.V))
    legend = [text.get_text() for text in figure.legends[0].get_texts()]
    assert "-g_t, the gradient's pull at x_t" in legend and "-velocity carried into x_t (run's colour)" in legend


def test_adams_momentum_arrows_use_its_first_moment_and_runs_without_one_get_none():
    adam = lab.run("bowl", "adam", None, 20)
    steps, vectors = arrow_vectors(adam, "momentum")
    assert np.array_equal(vectors[3], -adam.states[steps[3]]["exp_avg"])
    sgd = lab.run("bowl", "sgd", None, 20)
    assert arrow_vectors(sgd, "momentum")[0].size == 0
    figure = lab.plot_trajectories([sgd, adam], arrows="momentum")
    assert len(quivers(figure)) == 1  # Adam's only


def test_noisy_runs_show_the_gradient_the_step_used():
    noisy = lab.run("bowl", "sgd", None, 15, lr=0.1, noise=3.0, seed=0)
    steps, vectors = arrow_vectors(noisy, "gradient")
    assert np.array_equal(vectors, -noisy.step_grads)
    lab.plot_trajectories(noisy, arrows="gradient")


def test_arrows_in_one_dimension_lie_along_x_on_the_curve():
    trajectory = lab.run("square", "momentum", (9.0,), 20, lr=0.1)
    figure = lab.plot_trajectories(trajectory, arrows=["gradient", "momentum"])
    for arrows in quivers(figure):
        assert np.all(arrows.V == 0)
        anchors = arrows.get_offsets()
        assert np.allclose(anchors[:, 1], anchors[:, 0] ** 2)  # (x_t, f(x_t))


def test_accumulator_panels_show_each_adaptive_runs_state_per_coordinate():
    runs = [lab.run("elongated", name, None, 25) for name in ("sgd", "adagrad", "rmsprop", "adam")]
    figure = lab.plot_trajectories(runs, accumulators=True)
    assert len(figure.axes) == 4  # space, loss, one panel per coordinate
    for coordinate, axes in enumerate(figure.axes[2:]):
        assert axes.get_yscale() == "log"
        lines = axes.get_lines()
        assert len(lines) == 3  # SGD keeps no accumulator
        for line, trajectory, name in zip(lines, runs[1:], ("sum", "square_avg", "exp_avg_sq")):
            expected = [state[name][coordinate] for state in trajectory.states[1:]]
            assert np.allclose(line.get_ydata(), expected, rtol=0, atol=0)
            assert list(line.get_xdata()) == list(range(1, 26))
    adagrad_sum = figure.axes[2].get_lines()[0].get_ydata()
    assert (np.diff(adagrad_sum) >= 0).all()  # AdaGrad's sum only grows
    one_d = lab.plot_trajectories(lab.run("square", "rmsprop", (9.0,), 5, lr=0.1), accumulators=True)
    assert len(one_d.axes) == 3


def test_bad_overlay_requests_are_named():
    sgd = lab.run("bowl", "sgd", None, 5)
    with pytest.raises(ValueError, match="unknown arrows 'velocity'; choose from: gradient, momentum"):
        lab.plot_trajectories(sgd, arrows=("gradient", "velocity"))
    with pytest.raises(ValueError, match=r"none of these runs keeps one \(Momentum, SGD\)"):
        lab.plot_trajectories([sgd, lab.run("bowl", "momentum", None, 5)], accumulators=True)
