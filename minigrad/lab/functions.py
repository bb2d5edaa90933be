"""Test functions for the optimizer lab, written with minigrad Tensors.

Each ``Objective`` is a formula in its coordinates (``f(x)`` or ``f(x, y)``) built from Tensor
operations, so minigrad's own backward computes every gradient the lab shows. Each one also
knows its minima (to mark them and to measure how close a run got), a plotting window and a
start point that makes a good first picture.

The 1-D functions are the slides' (seeds/002): x^2 (gradient descent from 70 with lr 0.1),
9x^2 (the same lr now overshoots), 20x^2 (the same lr diverges from 2), ln(x^2 + 0.01)
(vanishing gradient far from the minimum: from 9 with lr 10 it reproduces the slide's
6.77, 3.82, -1.39, 12.89) and a tilted double well (a local and a global minimum).
The 2-D ones are x^2 + y^2, an elongated bowl, the saddle x^2 - y^2, Rosenbrock, Beale and
Himmelblau. ``objective(callable)`` wraps a function of your own.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from minigrad import no_grad
from minigrad.tensor import Tensor

Formula = Callable[..., Tensor]


@dataclass(frozen=True)
class Objective:
    """A function to minimize: ``formula(*coordinates) -> scalar Tensor`` and what to know about it.

    ``window`` is one ``(low, high)`` per coordinate; ``minima`` lists the minimizers (empty
    when there is none, as for the saddle, whose ``saddle_points`` are marked instead).
    """

    name: str
    formula: Formula
    dim: int
    latex: str
    window: tuple[tuple[float, float], ...]
    start: tuple[float, ...]
    minima: tuple[tuple[float, ...], ...] = ()
    saddle_points: tuple[tuple[float, ...], ...] = ()
    description: str = ""
    suggested_lr: dict[str, float] = field(default_factory=dict)
    steps: int = 50  # enough steps for a telling comparison with the suggested lrs

    def __call__(self, point: Tensor) -> Tensor:
        """f at ``point``, a Tensor of shape ``(dim,)``: differentiable with respect to it."""
        coordinates = [point[i] for i in range(self.dim)]
        return self.formula(*coordinates)

    def value(self, point) -> float:
        """f at a point given as numbers (no graph recorded)."""
        point = self.check_point(point)
        with no_grad(), np.errstate(all="ignore"):
            return float(self(Tensor(point)).item())

    def value_and_grad(self, point) -> tuple[float, np.ndarray]:
        """f and its gradient at a point, the gradient computed by minigrad's backward."""
        param = Tensor(self.check_point(point), requires_grad=True)
        with np.errstate(all="ignore"):
            loss = self(param)
            loss.backward()
        return float(loss.item()), np.array(param.grad, dtype=np.float64, copy=True)

    def on_grid(self, *axes: np.ndarray) -> np.ndarray:
        """f evaluated elementwise over coordinate arrays (e.g. a meshgrid), for plotting."""
        with no_grad(), np.errstate(all="ignore"):
            return np.asarray(self.formula(*[Tensor(np.asarray(a, dtype=np.float64)) for a in axes]).data)

    def check_point(self, point) -> np.ndarray:
        """``point`` as a float64 array of shape ``(dim,)``, or a ValueError naming what is wrong."""
        array = np.atleast_1d(np.asarray(point, dtype=np.float64))
        if array.shape != (self.dim,):
            raise ValueError(
                f"{self.name} takes a point with {self.dim} coordinate{'s' if self.dim > 1 else ''}, "
                f"got {np.asarray(point).tolist()!r} ({array.size} value{'s' if array.size != 1 else ''})"
            )
        if not np.isfinite(array).all():
            raise ValueError(f"a start point must be finite, got {array.tolist()!r}")
        return array

    def distance_to_minimum(self, point) -> float:
        """Euclidean distance from ``point`` to the nearest listed minimum (inf if none)."""
        if not self.minima:
            return float("inf")
        point = np.asarray(point, dtype=np.float64)
        return float(min(np.linalg.norm(point - np.asarray(m)) for m in self.minima))


# ---- the formulas -------------------------------------------------------------------------

def _square(x):
    return x**2


def _square9(x):
    return 9 * x**2


def _square20(x):
    return 20 * x**2


def _log_square(x):
    return (x**2 + 0.01).log()


def _double_well(x):
    return x**4 - 3 * x**2 + x


def _bowl(x, y):
    return x**2 + y**2


def _elongated(x, y):
    return 0.1 * x**2 + 2 * y**2


def _saddle(x, y):
    return x**2 - y**2


def _rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def _beale(x, y):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def _himmelblau(x, y):
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def _double_well_minima() -> tuple[tuple[float], ...]:
    # f'(x) = 4x^3 - 6x + 1: the two roots where f'' = 12x^2 - 6 > 0 are the minima.
    roots = np.roots([4.0, 0.0, -6.0, 1.0]).real
    return tuple((float(r),) for r in sorted(roots) if 12 * r * r - 6 > 0)


FUNCTIONS: dict[str, Objective] = {
    o.name: o
    for o in [
        Objective("square", _square, 1, r"$x^2$", ((-100.0, 100.0),), (70.0,), ((0.0,),),
                  description="the slides' square: gradient descent from 70 with lr 0.1 gives 56, 44.8, 35.84",
                  suggested_lr={"sgd": 0.1, "momentum": 0.1, "adagrad": 20.0, "rmsprop": 5.0, "adam": 5.0}),
        Objective("square9", _square9, 1, r"$9x^2$", ((-100.0, 100.0),), (70.0,), ((0.0,),),
                  description="a steeper square: lr 0.1 overshoots, x flips sign each step",
                  suggested_lr={"sgd": 0.1, "momentum": 0.01, "adagrad": 20.0, "rmsprop": 5.0, "adam": 5.0}),
        Objective("square20", _square20, 1, r"$20x^2$", ((-5.0, 5.0),), (2.0,), ((0.0,),),
                  description="steeper still: lr 0.1 diverges from 2 (-6, 18, -54, 162)",
                  suggested_lr={"sgd": 0.01, "momentum": 0.005, "adagrad": 0.5, "rmsprop": 0.1, "adam": 0.1}),
        Objective("log_square", _log_square, 1, r"$\ln(x^2 + 0.01)$", ((-15.0, 15.0),), (9.0,), ((0.0,),),
                  description="non-convex, tiny gradient far from 0: from 9 with lr 10, 6.77, 3.82, -1.39, 12.89",
                  suggested_lr={"sgd": 1.0, "momentum": 0.5, "adagrad": 2.0, "rmsprop": 0.3, "adam": 0.5}),
        Objective("double_well", _double_well, 1, r"$x^4 - 3x^2 + x$", ((-2.5, 2.5),), (2.0,),
                  _double_well_minima(),
                  description="non-convex: a local minimum near 1.13 and the global one near -1.30",
                  suggested_lr={"sgd": 0.01, "momentum": 0.01, "adagrad": 0.5, "rmsprop": 0.05, "adam": 0.1}),
        Objective("bowl", _bowl, 2, r"$x^2 + y^2$", ((-10.0, 10.0), (-10.0, 10.0)), (6.0, 9.0), ((0.0, 0.0),),
                  description="the slides' 2-D square: from (6, 9) with lr 0.1, (4.8, 7.2), (3.84, 5.76)",
                  suggested_lr={"sgd": 0.1, "momentum": 0.05, "adagrad": 3.0, "rmsprop": 0.5, "adam": 1.0}),
        Objective("elongated", _elongated, 2, r"$0.1x^2 + 2y^2$", ((-8.0, 8.0), (-4.0, 4.0)), (-7.0, 2.0),
                  ((0.0, 0.0),),
                  description="an ill-conditioned bowl (curvatures 0.2 and 4): plain descent zig-zags",
                  suggested_lr={"sgd": 0.4, "momentum": 0.1, "adagrad": 2.0, "rmsprop": 0.3, "adam": 0.5}),
        Objective("saddle", _saddle, 2, r"$x^2 - y^2$", ((-2.0, 2.0), (-2.0, 2.0)), (-1.5, 0.01),
                  saddle_points=((0.0, 0.0),),
                  description="a saddle at the origin, no minimum: who escapes along y, and how fast",
                  suggested_lr={"sgd": 0.05, "momentum": 0.02, "adagrad": 0.3, "rmsprop": 0.05, "adam": 0.1}),
        Objective("rosenbrock", _rosenbrock, 2, r"$(1-x)^2 + 100(y-x^2)^2$", ((-2.0, 2.0), (-1.0, 3.0)),
                  (-1.5, 2.0), ((1.0, 1.0),),
                  description="a curved narrow valley; minimum at (1, 1)",
                  suggested_lr={"sgd": 1e-3, "momentum": 1e-3, "adagrad": 0.5, "rmsprop": 0.01, "adam": 0.05},
                  steps=1000),
        Objective("beale", _beale, 2, "Beale", ((-4.5, 4.5), (-4.5, 4.5)), (1.0, 1.5), ((3.0, 0.5),),
                  description="flat plateaus and steep walls; minimum at (3, 0.5)",
                  suggested_lr={"sgd": 1e-3, "momentum": 5e-4, "adagrad": 0.5, "rmsprop": 0.01, "adam": 0.05}),
        Objective("himmelblau", _himmelblau, 2, r"$(x^2+y-11)^2 + (x+y^2-7)^2$", ((-5.0, 5.0), (-5.0, 5.0)),
                  (0.0, 0.0),
                  ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)),
                  description="four minima with the same value 0: the start decides which one",
                  suggested_lr={"sgd": 0.01, "momentum": 2e-3, "adagrad": 1.0, "rmsprop": 0.05, "adam": 0.1}),
    ]
}


def get_function(name_or_objective: str | Objective | Callable) -> Objective:
    """An Objective by name (see ``FUNCTIONS``), an Objective itself, or a wrapped callable."""
    if isinstance(name_or_objective, Objective):
        return name_or_objective
    if isinstance(name_or_objective, str):
        try:
            return FUNCTIONS[name_or_objective]
        except KeyError:
            raise ValueError(
                f"unknown function {name_or_objective!r}; choose one of: {', '.join(FUNCTIONS)}"
            ) from None
    if callable(name_or_objective):
        return objective(name_or_objective)
    raise TypeError(f"a function must be a name, an Objective or a callable, got {name_or_objective!r:.60}")


def objective(formula: Formula, *, name: str | None = None, dim: int | None = None,
              window: tuple[tuple[float, float], ...] | None = None, start: tuple[float, ...] | None = None,
              minima: tuple[tuple[float, ...], ...] = ()) -> Objective:
    """Wrap your own ``formula(x)`` or ``formula(x, y)`` (Tensor arithmetic) as an Objective.

    ``dim`` defaults to the number of the formula's parameters; the window to [-5, 5] per
    coordinate; the start to the window's upper-right quarter point.
    """
    if dim is None:
        dim = _count_parameters(formula)
    if dim < 1:
        raise ValueError(f"a function needs at least one coordinate, got dim={dim}")
    window = tuple(tuple(map(float, w)) for w in (window or [(-5.0, 5.0)] * dim))
    if len(window) != dim:
        raise ValueError(f"window has {len(window)} ranges for a function of {dim} coordinates")
    if start is None:
        start = tuple(low + 0.75 * (high - low) for low, high in window)
    label = name or getattr(formula, "__name__", "f")
    return Objective(label, formula, dim, label, window, tuple(map(float, start)),
                     tuple(tuple(map(float, m)) for m in minima))


def _count_parameters(formula: Formula) -> int:
    try:
        parameters = inspect.signature(formula).parameters.values()
    except (TypeError, ValueError):
        raise ValueError("cannot tell how many coordinates the function takes: pass dim=") from None
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        raise ValueError("a function taking *args has no fixed number of coordinates: pass dim=")
    return sum(1 for p in parameters if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))
