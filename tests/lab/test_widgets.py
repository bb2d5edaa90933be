"""The interactive lab without a browser: set a control's value as the front end would, and the
runs are redone with the new settings and the picture redrawn."""
import subprocess
import sys

import numpy as np
import pytest
from conftest import missing_modules, require_installed

from minigrad import lab

require_installed(missing_modules("ipywidgets", "matplotlib"), "the lab's widget tests", 'pip install ".[notebook]"')

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def rosenbrock_lab():
    return lab.interactive_lab("rosenbrock", optimizers=("sgd", "momentum", "adam"), steps=20)


def test_the_lab_starts_with_the_functions_suggested_runs(rosenbrock_lab):
    shown = rosenbrock_lab
    assert [t.optimizer for t in shown.runs] == ["sgd", "momentum", "adam"]
    expected = lab.run("rosenbrock", "adam", steps=20, lr=0.05)      # the suggested lr
    assert np.array_equal(shown.runs[2].points, expected.points)
    assert shown.settings()["start"] == (-1.5, 2.0)
    assert bytes(shown.image.value).startswith(PNG)
    assert "Adam (lr=0.05) on rosenbrock: 20 steps" in shown.status.value


def test_moving_a_slider_reruns_once_and_redraws(rosenbrock_lab):
    shown = rosenbrock_lab
    before_updates, before_image, before_figure = shown.updates, bytes(shown.image.value), shown.figure
    shown.controls["lr_adam"].value = 0.2
    assert shown.updates == before_updates + 1
    adam = shown.runs[2]
    assert adam.hyperparameters["lr"] == pytest.approx(0.2)
    assert np.array_equal(adam.points, lab.run("rosenbrock", "adam", steps=20, lr=0.2).points)
    assert shown.figure is not before_figure and bytes(shown.image.value) != before_image
    assert bytes(shown.image.value).startswith(PNG)


def test_the_start_point_and_steps_sliders_move_every_run(rosenbrock_lab):
    shown = rosenbrock_lab
    with shown.holding():                   # two changes, one rerun
        shown.controls["x0"].value = 0.5
        shown.controls["steps"].value = 7
    shown.update()
    assert all(t.steps_taken == 7 and t.points[0][0] == 0.5 for t in shown.runs)


def test_eps_placement_and_bias_correction_reach_adam(rosenbrock_lab):
    shown = rosenbrock_lab
    updates = shown.updates
    with shown.holding():
        shown.controls["eps_place"].value = "inside the root (the slides)"
        shown.controls["bias_correction"].value = False
    assert shown.updates == updates                 # nothing reran while held
    shown.update()
    adam = shown.runs[2]
    assert adam.hyperparameters["eps_inside_sqrt"] is True
    assert adam.hyperparameters["bias_correction"] is False
    start, lr = adam.points[0], adam.hyperparameters["lr"]
    g = adam.grads[0]
    # the slides' simpler Adam: m_1 = 0.1 g, v_1 = 0.001 g^2, step lr m_1 / sqrt(v_1 + eps)
    expected = start - lr * 0.1 * g / np.sqrt(0.001 * g**2 + adam.hyperparameters["eps"])
    assert np.allclose(adam.points[1], expected, rtol=1e-12)
    assert "momentum" not in shown.runs[0].hyperparameters or shown.runs[0].hyperparameters["momentum"] == 0


def test_momentum_slider_changes_only_the_momentum_run(rosenbrock_lab):
    shown = rosenbrock_lab
    sgd_before = shown.runs[0].points.copy()
    shown.controls["momentum"].value = 0.5
    assert shown.runs[1].hyperparameters["momentum"] == 0.5
    assert np.array_equal(shown.runs[0].points, sgd_before)


def test_choosing_another_function_resets_start_and_lrs_with_one_update():
    shown = lab.interactive_lab("rosenbrock", optimizers=("sgd", "rmsprop"), steps=10)
    updates = shown.updates
    shown.controls["function"].value = "square"
    assert shown.updates == updates + 1
    settings = shown.settings()
    assert settings["start"] == (70.0,)
    assert settings["optimizers"]["sgd"] == {"lr": 0.1}
    assert settings["optimizers"]["rmsprop"]["lr"] == pytest.approx(5.0)
    assert shown.controls["y0"].layout.display == "none"                # a 1-D function
    assert shown.controls["x0"].layout.display is None
    assert shown.controls["beta1"].layout.display == "none"             # no Adam chosen
    assert shown.controls["alpha"].layout.display is None
    assert shown.runs[0].points[1][0] == pytest.approx(56.0)             # the slides' x_1


def test_no_optimizer_chosen_says_so_instead_of_drawing():
    shown = lab.interactive_lab("bowl", optimizers=("adam",), steps=5)
    shown.controls["optimizers"].value = ()
    assert shown.runs == [] and shown.figure is None
    assert "choose at least one optimizer" in shown.status.value


def test_the_displayed_bundle_has_the_widget_and_a_static_picture():
    shown = lab.interactive_lab("saddle", optimizers=("sgd",), steps=5)
    bundle = shown._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["image/png"].startswith(PNG)
    assert bundle["text/plain"].startswith("SGD (lr=0.05) on saddle: 5 steps")


@pytest.mark.parametrize("arguments, message", [
    (dict(function="nowhere"), "unknown function 'nowhere'"),
    (dict(optimizers=("sgd", "lbfgs")), "optimizers must be some of"),
    (dict(optimizers=()), "optimizers must be some of"),
    (dict(steps=0), "steps must be an integer from 1 to 2000, got 0"),
    (dict(lr={"nadam": 0.1}), "unknown optimizers ['nadam']"),
])
def test_bad_arguments_are_refused_by_name(arguments, message):
    with pytest.raises(ValueError, match=__import__("re").escape(message)):
        lab.interactive_lab(**arguments)


def test_without_ipywidgets_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)        # import ipywidgets fails
    with pytest.raises(ImportError, match=r"pip install 'minigrad-np\[notebook\]'"):
        lab.interactive_lab()


def test_importing_the_lab_does_not_import_ipywidgets():
    code = "import sys, minigrad.lab; print('ipywidgets' in sys.modules, 'matplotlib' in sys.modules)"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.split() == ["False", "False"]
