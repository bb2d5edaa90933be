"""The optimizer lab with sliders, for a notebook: move a slider, the runs are redone and redrawn.

``interactive_lab()`` shows the function, the optimizers to compare and, for each optimizer,
its learning rate and the numbers its update uses (momentum; RMSProp's decay; Adam's betas;
eps, and whether it goes under the square root as in the slides or outside as in PyTorch;
Adam's bias correction), the start point and the number of steps. Every change reruns
``lab.run`` for each chosen optimizer with the real optimizer class, and redraws
``lab.plot_trajectories`` (contours and paths, value per step) as a PNG image widget, with one
line per run below it (where it ended, or where it diverged).

It needs ipywidgets (the ``notebook`` extra: ``pip install 'minigrad-np[notebook]'``), imported
only when a lab is made: ``import minigrad.lab`` does not need it. The logic lives in
``InteractiveLab`` (``settings()``, ``update()``, ``runs``, ``figure``), so it runs and is
tested without a browser: set a control's ``value`` and the runs and the image follow.

A notebook shows the live widget; a page without a widget manager (a rendered notebook in the
docs, nbviewer) shows the same object's last picture as a PNG instead (``_repr_mimebundle_``).
"""
from __future__ import annotations

import contextlib
import html
from typing import Any, Sequence

from minigrad.lab.functions import FUNCTIONS, get_function
from minigrad.lab.run import DISPLAY_NAMES, Trajectory, run
from minigrad.optim import registry

EXTRA_HINT = "pip install 'minigrad-np[notebook]'"
# The slides' optimizers, whose controls the panel has (AdamW is Adam with decoupled weight
# decay: nothing to see here); lab.run and the step tables take every registry optimizer.
LAB_OPTIMIZERS = registry.CLASSIC
LR_RANGE = (-5.0, 1.5)              # the lr sliders go from 10^-5 to 10^1.5, log-spaced
EPS_RANGE = (-10.0, -1.0)
EPS_PLACES = {"outside the root (PyTorch)": False, "inside the root (the slides)": True}
# Which runs each shared control changes (RMSProp also takes a momentum, but its slider is
# the momentum run's: the lab compares the slides' methods, not their combinations).
APPLIES_TO = {"momentum": {"momentum"}, "alpha": {"rmsprop"}, "betas": {"adam"},
              "eps": {"adagrad", "rmsprop", "adam"}, "eps_inside_sqrt": {"adagrad", "rmsprop", "adam"},
              "bias_correction": {"adam"}}


def _ipywidgets():
    try:
        import ipywidgets
    except ImportError as error:
        raise ImportError(f"the interactive lab needs ipywidgets, part of the notebook extra: {EXTRA_HINT}"
                          ) from error
    return ipywidgets


class InteractiveLab:
    """Controls, the runs they make and the picture of them. Build it with
    ``interactive_lab(...)``; ``widget`` is what a notebook shows."""

    def __init__(self, function: str = "rosenbrock", optimizers: Sequence[str] = ("sgd", "momentum", "adam"),
                 steps: int = 150, start: Sequence[float] | None = None, lr: dict[str, float] | None = None):
        widgets = _ipywidgets()
        if function not in FUNCTIONS:
            raise ValueError(f"unknown function {function!r}; choose one of: {', '.join(FUNCTIONS)}")
        unknown = [name for name in optimizers if name not in LAB_OPTIMIZERS]
        if unknown or not optimizers:
            raise ValueError(f"optimizers must be some of {', '.join(LAB_OPTIMIZERS)}, got {list(optimizers)!r}")
        if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 2000:
            raise ValueError(f"steps must be an integer from 1 to 2000, got {steps!r}")
        unknown_lr = [name for name in (lr or {}) if name not in LAB_OPTIMIZERS]
        if unknown_lr:
            raise ValueError(f"lr is given for unknown optimizers {unknown_lr}; choose from {', '.join(LAB_OPTIMIZERS)}")
        self.runs: list[Trajectory] = []
        self.figure = None
        self.updates = 0              # how many times the runs were redone (the tests count them)
        self._holding = False
        self.controls = self._make_controls(widgets, function, optimizers, steps)
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="100%"))
        self.status = widgets.HTML()
        with self.holding():
            self._reset_to_function(function, start, lr or {})
        self.widget = self._layout(widgets)
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.update()

    # ---- the controls ------------------------------------------------------------------

    def _make_controls(self, widgets, function: str, optimizers: Sequence[str], steps: int) -> dict[str, Any]:
        style = {"description_width": "9em"}

        def wide():  # one Layout per control: hiding one must not hide the others
            return widgets.Layout(width="30em")

        def slider(kind, description, **options):
            return kind(description=description, continuous_update=False, style=style, layout=wide(), **options)

        controls: dict[str, Any] = {
            "function": widgets.Dropdown(options=list(FUNCTIONS), value=function, description="function",
                                         style=style, layout=wide()),
            "optimizers": widgets.SelectMultiple(options=[(DISPLAY_NAMES[n], n) for n in LAB_OPTIMIZERS],
                                                 value=tuple(optimizers), description="optimizers",
                                                 rows=len(LAB_OPTIMIZERS), style=style, layout=wide()),
            "steps": slider(widgets.IntSlider, "steps", min=1, max=2000, value=steps),
            "x0": slider(widgets.FloatSlider, "start x", min=-1.0, max=1.0, step=0.01),
            "y0": slider(widgets.FloatSlider, "start y", min=-1.0, max=1.0, step=0.01),
        }
        for name in LAB_OPTIMIZERS:
            controls[f"lr_{name}"] = slider(widgets.FloatLogSlider, f"lr {DISPLAY_NAMES[name]}", base=10,
                                            min=LR_RANGE[0], max=LR_RANGE[1], step=0.05, value=0.01,
                                            readout_format=".3g")
        controls["momentum"] = slider(widgets.FloatSlider, "momentum", min=0.0, max=0.99, step=0.01, value=0.9)
        controls["alpha"] = slider(widgets.FloatSlider, "RMSProp rho", min=0.0, max=0.999, step=0.001, value=0.99,
                                   readout_format=".3f")
        controls["beta1"] = slider(widgets.FloatSlider, "Adam beta1", min=0.0, max=0.999, step=0.001, value=0.9,
                                   readout_format=".3f")
        controls["beta2"] = slider(widgets.FloatSlider, "Adam beta2", min=0.0, max=0.9999, step=0.0001,
                                   value=0.999, readout_format=".4f")
        controls["eps"] = slider(widgets.FloatLogSlider, "eps", base=10, min=EPS_RANGE[0], max=EPS_RANGE[1],
                                 step=0.5, value=1e-8, readout_format=".0e")
        controls["eps_place"] = widgets.ToggleButtons(options=list(EPS_PLACES), value=list(EPS_PLACES)[0],
                                                      description="eps", style=style)
        controls["bias_correction"] = widgets.Checkbox(value=True, description="Adam bias correction",
                                                       style=style)
        return controls

    def _layout(self, widgets):
        c = self.controls
        optimizers = widgets.VBox([c["function"], c["optimizers"], c["steps"], c["x0"], c["y0"]])
        numbers = widgets.VBox([c[f"lr_{name}"] for name in LAB_OPTIMIZERS]
                               + [c["momentum"], c["alpha"], c["beta1"], c["beta2"], c["eps"], c["eps_place"],
                                  c["bias_correction"]])
        return widgets.VBox([widgets.HBox([optimizers, numbers]), self.image, self.status])

    @contextlib.contextmanager
    def holding(self):
        """Changes made inside do not rerun anything; one update follows if asked for."""
        before, self._holding = self._holding, True
        try:
            yield
        finally:
            self._holding = before

    def _on_change(self, change) -> None:
        if self._holding:
            return
        if change["owner"] is self.controls["function"]:
            with self.holding():
                self._reset_to_function(change["new"], None, {})
        self._show_relevant_controls()
        self.update()

    def _reset_to_function(self, name: str, start, lr: dict[str, float]) -> None:
        """The start sliders span the function's window and sit on its start point (or
        ``start``); each lr slider takes the function's suggested lr (or ``lr[name]``)."""
        objective = get_function(name)
        point = objective.start if start is None else objective.check_point(start)
        for axis, key in enumerate(("x0", "y0")):
            slider = self.controls[key]
            if axis < objective.dim:
                low, high = objective.window[axis]
                slider.min, slider.max = -1e9, 1e9           # never let the old range clip the new one
                slider.min, slider.max = float(low), float(high)
                slider.step = (high - low) / 400
                slider.value = float(point[axis])
        for optimizer in LAB_OPTIMIZERS:
            value = lr.get(optimizer, objective.suggested_lr.get(optimizer, 0.01))
            self.controls[f"lr_{optimizer}"].value = float(value)
        self._show_relevant_controls()

    def _show_relevant_controls(self) -> None:
        """Only the sliders that change one of the chosen runs are shown."""
        c = self.controls
        chosen = set(c["optimizers"].value)
        visible = {"y0": get_function(c["function"].value).dim > 1,
                   "momentum": "momentum" in chosen, "alpha": "rmsprop" in chosen,
                   "beta1": "adam" in chosen, "beta2": "adam" in chosen, "bias_correction": "adam" in chosen,
                   "eps": bool(chosen & APPLIES_TO["eps"]), "eps_place": bool(chosen & APPLIES_TO["eps"])}
        visible.update({f"lr_{name}": name in chosen for name in LAB_OPTIMIZERS})
        for key, shown in visible.items():
            c[key].layout.display = None if shown else "none"

    # ---- the runs ----------------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        """What the controls say: function, start, steps and ``{optimizer: hyperparameters}``."""
        c = self.controls
        objective = get_function(c["function"].value)
        start = tuple(float(c[key].value) for key in ("x0", "y0")[:objective.dim])
        shared = {"momentum": c["momentum"].value, "alpha": c["alpha"].value,
                  "betas": (c["beta1"].value, c["beta2"].value), "eps": c["eps"].value,
                  "eps_inside_sqrt": EPS_PLACES[c["eps_place"].value],
                  "bias_correction": c["bias_correction"].value}
        per_optimizer = {}
        for name in c["optimizers"].value:
            hyper = {"lr": float(c[f"lr_{name}"].value)}
            hyper.update({k: v for k, v in shared.items() if name in APPLIES_TO[k]})
            per_optimizer[name] = hyper
        return {"function": objective.name, "start": start, "steps": int(c["steps"].value),
                "optimizers": per_optimizer}

    def update(self) -> None:
        """Redo every run with the controls' settings and redraw the picture."""
        settings = self.settings()
        self.updates += 1
        if not settings["optimizers"]:
            self.runs, self.figure = [], None
            self.image.value = b""
            self.status.value = "<i>choose at least one optimizer</i>"
            return
        self.runs = [run(settings["function"], name, start=settings["start"], steps=settings["steps"], **hyper)
                     for name, hyper in settings["optimizers"].items()]
        from minigrad.lab.plots import plot_trajectories

        self.figure = plot_trajectories(self.runs)
        self.image.value = self.figure._repr_png_()
        self.status.value = "<br>".join(html.escape(t.summary()).replace("\n", "<br>") for t in self.runs)

    # ---- display -----------------------------------------------------------------------

    def __repr__(self) -> str:
        settings = self.settings()
        runs = ", ".join(repr(t) for t in self.runs)
        return f"<InteractiveLab on {settings['function']}: {runs or 'no runs'}>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        """The live widget where a widget manager runs; elsewhere the last picture (PNG) and
        the runs as text, so a rendered notebook still shows what the lab drew."""
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude) or {})
        if self.figure is not None:
            bundle["image/png"] = self.figure._repr_png_()
        bundle["text/plain"] = "\n".join(t.summary() for t in self.runs) or repr(self)
        return bundle


def interactive_lab(function: str = "rosenbrock", optimizers: Sequence[str] = ("sgd", "momentum", "adam"),
                    steps: int = 150, start: Sequence[float] | None = None,
                    lr: dict[str, float] | None = None) -> InteractiveLab:
    """Sliders over ``lab.run``: pick a function and optimizers, move lr, momentum, betas, eps
    (and where it goes), bias correction, the start point or the steps, and see the runs
    redone. ``lr`` sets some optimizers' starting lr (``{"adam": 0.1}``; the others start at
    the function's suggested lr). Show the returned object as a cell's last value.

    Raises ImportError naming the ``notebook`` extra if ipywidgets is missing, ValueError for
    an unknown function or optimizer or a bad number of steps.
    """
    return InteractiveLab(function, optimizers, steps, start, lr)
