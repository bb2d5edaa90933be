"""The eigen-decomposition view of gradient descent and momentum on a quadratic.

On f(x) = 1/2 (x - x*)^T A (x - x*) + c the gradient is A (x - x*), so in the coordinates of
A's eigenvectors every direction i runs on its own, with its own curvature lambda_i:

- gradient descent multiplies the error along direction i by (1 - lr lambda_i) each step:
  it converges there when |1 - lr lambda_i| < 1, so the largest curvature sets the limit
  lr < 2 / lambda_max, and the smallest curvature, |1 - lr lambda_min| close to 1, the pace;
- with momentum mu (SGD with momentum as PyTorch writes it, which is the heavy ball
  x_{t+1} = x_t - lr g_t + mu (x_t - x_{t-1})) the error follows e_{t+1} = (1 + mu -
  lr lambda_i) e_t - mu e_{t-1}; its rate is the larger root of z^2 - (1 + mu - lr lambda_i)
  z + mu = 0 in size, never below sqrt(mu), and the limit is lr < 2 (1 + mu) / lambda_max.

A is found from gradients only (no second derivatives): for a quadratic the gradient is
linear, so A's columns are differences of gradients; the same gradients, checked at a few
more points, tell a quadratic from any other function.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

import numpy as np

from minigrad.lab.functions import Objective, get_function
from minigrad.lab.run import Trajectory, run

# Relative tolerance for "the gradient is linear": quadratics meet it to rounding (~1e-15).
LINEARITY_TOLERANCE = 1e-8


class NotQuadraticError(ValueError):
    """The function's gradient is not linear in x: it has no single eigen-decomposition."""


@dataclass(frozen=True)
class EigenView:
    """A quadratic function's curvatures and what they mean for GD and momentum.

    ``hessian`` is A; ``eigenvalues`` ascend, ``eigenvectors[:, i]`` belongs to
    ``eigenvalues[i]``; ``stationary_point`` is x*, where the gradient vanishes (a minimum
    when every eigenvalue is positive, a saddle when some are negative).
    """

    function: Objective
    hessian: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    stationary_point: np.ndarray

    @property
    def lr_limit(self) -> float:
        """2 / lambda_max: gradient descent converges for 0 < lr below it (inf if no lambda > 0)."""
        largest = float(self.eigenvalues.max())
        return 2.0 / largest if largest > 0 else float("inf")

    def momentum_lr_limit(self, momentum: float) -> float:
        """2 (1 + mu) / lambda_max: the heavy ball converges for 0 < lr below it (0 <= mu < 1)."""
        return (1.0 + _check_momentum(momentum)) * self.lr_limit

    @property
    def best_lr(self) -> float:
        """2 / (lambda_min + lambda_max): gradient descent's lr with the smallest worst rate,
        (kappa - 1) / (kappa + 1) with kappa = lambda_max / lambda_min (needs every lambda > 0)."""
        low, high = float(self.eigenvalues.min()), float(self.eigenvalues.max())
        if low <= 0:
            raise ValueError(f"{self.function.name} has a curvature {low:g} <= 0: no lr makes every direction converge")
        return 2.0 / (low + high)

    def gd_rates(self, lr) -> np.ndarray:
        """|1 - lr lambda_i| per direction (for an array of lrs: one row per lr)."""
        return np.abs(1.0 - np.multiply.outer(np.asarray(lr, dtype=np.float64), self.eigenvalues))

    def momentum_rates(self, lr, momentum: float) -> np.ndarray:
        """Per direction, the size of the larger root of z^2 - (1 + mu - lr lambda) z + mu."""
        mu = _check_momentum(momentum)
        b = 1.0 + mu - np.multiply.outer(np.asarray(lr, dtype=np.float64), self.eigenvalues)
        root = np.sqrt((b * b - 4.0 * mu).astype(np.complex128))
        return np.maximum(np.abs((b + root) / 2), np.abs((b - root) / 2))

    def components(self, trajectory: Trajectory) -> np.ndarray:
        """x_t - x* in the eigenvector coordinates: column i is the error along direction i."""
        if trajectory.function.name != self.function.name:
            raise ValueError(f"the run is on {trajectory.function.name}, the view of {self.function.name}")
        return (trajectory.points - self.stationary_point) @ self.eigenvectors

    def summary(self, lr: float | None = None, momentum: float | None = None) -> str:
        """The curvatures, the lr limits and (with lr) each direction's rate, as text."""
        lines = [f"{self.function.name}: curvatures (eigenvalues of A) "
                 + ", ".join(f"{v:.6g}" for v in self.eigenvalues)]
        negative = self.eigenvalues[self.eigenvalues < 0]
        if negative.size:
            lines.append(f"  a saddle: along the curvature {negative[0]:.6g} every lr > 0 moves away from x* "
                         "(rate above 1); the limits below hold for the other directions")
        lines.append(f"  gradient descent converges for lr < 2 / lambda_max = {self.lr_limit:.6g}")
        if momentum is not None:
            lines.append(f"  momentum {momentum:g} converges for lr < 2 (1 + mu) / lambda_max = "
                         f"{self.momentum_lr_limit(momentum):.6g}")
        if lr is not None:
            lines.append(f"  rates per step at lr {lr:g}, direction by direction: GD "
                         + ", ".join(f"{r:.4g}" for r in self.gd_rates(lr)))
            if momentum is not None:
                lines[-1] += ("; momentum " + ", ".join(f"{r:.4g}" for r in self.momentum_rates(lr, momentum)))
        return "\n".join(lines)


def _check_momentum(momentum) -> float:
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum < 1:
        raise ValueError(f"momentum must be a number with 0 <= momentum < 1, got {momentum!r}")
    return float(momentum)


def eigen_view(function: str | Objective | Callable) -> EigenView:
    """The eigen-decomposition of a quadratic lab function (``"bowl"``, ``"elongated"``,
    ``"saddle"``, ``"square"``, ... or your own): its Hessian A found from minigrad's
    gradients, A's eigenvalues and eigenvectors, and the point where the gradient vanishes.

    Raises NotQuadraticError (a ValueError) when the gradient is not linear, naming where.
    """
    objective = get_function(function)
    steps = np.array([0.25 * (high - low) for low, high in objective.window])
    base = np.zeros(objective.dim)
    base_grad = _gradient(objective, base)
    hessian = np.column_stack([(_gradient(objective, base + step * unit) - base_grad) / step
                               for step, unit in zip(steps, np.eye(objective.dim))])
    _check_linear(objective, base, base_grad, hessian)
    hessian = (hessian + hessian.T) / 2  # symmetric to rounding already; exactly so for eigh
    eigenvalues, eigenvectors = np.linalg.eigh(hessian)
    eigenvectors = eigenvectors * np.where(eigenvectors.sum(axis=0) < 0, -1.0, 1.0)  # a fixed sign per vector
    if np.min(np.abs(eigenvalues)) <= 1e-12 * max(1.0, float(np.max(np.abs(eigenvalues)))):
        raise NotQuadraticError(f"{objective.name} has a flat direction (a curvature of 0): "
                                "no single point where the gradient vanishes")
    stationary = base - np.linalg.solve(hessian, base_grad)
    return EigenView(objective, hessian, eigenvalues, eigenvectors, stationary)


def _gradient(objective: Objective, point: np.ndarray) -> np.ndarray:
    return objective.value_and_grad(point)[1]


def _check_linear(objective: Objective, base, base_grad, hessian) -> None:
    """The gradient at other points (the start, the window's corners) must be the linear
    prediction base_grad + A (p - base); else the function is no quadratic."""
    corners = np.array(np.meshgrid(*objective.window)).reshape(objective.dim, -1).T
    for point in [np.asarray(objective.start, dtype=np.float64), *corners]:
        actual = _gradient(objective, point)
        predicted = base_grad + hessian @ (point - base)
        size = max(1.0, float(np.abs(actual).max()), float(np.abs(predicted).max()))
        if not np.all(np.abs(actual - predicted) <= LINEARITY_TOLERANCE * size):
            where = ", ".join(f"{v:g}" for v in point)
            raise NotQuadraticError(
                f"{objective.name} is not a quadratic: its gradient at ({where}) is "
                f"{np.round(actual, 6).tolist()}, a quadratic through the gradients at the origin would give "
                f"{np.round(predicted, 6).tolist()}; the eigen view needs f = 1/2 x^T A x + b^T x + c")


# ---- the figure ---------------------------------------------------------------------------------

_DIRECTION_COLORS = ["#8c510a", "#01665e", "#762a83", "#b35806"]  # not optimizer colours


def plot_eigen_view(function: str | Objective | Callable, lr: float, momentum: float = 0.9, steps: int | None = None,
                    start=None, path: str | os.PathLike | None = None):
    """The eigen view of a quadratic with GD and momentum at ``lr`` (PyTorch's SGD, with and
    without ``momentum``, run by the lab from ``start`` for ``steps`` steps).

    Panels: (2-D functions) the contours with A's eigen-directions through x* and both
    paths; each direction's rate against lr for GD and momentum, the lr limits 2 / lambda_max
    and 2 (1 + mu) / lambda_max marked and the chosen lr; the error along each direction per
    step in both runs, with the predicted rate^t. Returns the Figure; ``path`` also saves it.
    """
    from minigrad.lab.plots import COLORS, _draw_contours, _figure, _save

    view = eigen_view(function)
    objective = view.function
    steps = objective.steps if steps is None else steps
    runs = [run(objective, "sgd", start, steps, lr=lr, label=f"GD (lr={lr:g})"),
            run(objective, "momentum", start, steps, lr=lr, momentum=momentum,
                label=f"Momentum (lr={lr:g}, mu={momentum:g})")]
    plane = objective.dim == 2
    figure = _figure(17.5 if plane else 12.5, 5.4)
    axes = figure.subplots(1, 3 if plane else 2, width_ratios=[1.1, 1, 1] if plane else [1, 1])
    if plane:
        _draw_directions(axes[0], view, runs, [COLORS["sgd"], COLORS["momentum"]], _draw_contours)
    _draw_rates(axes[-2], view, lr, momentum)
    _draw_errors(axes[-1], view, runs, lr, momentum)
    curvatures = f"{objective.latex}: curvatures " + ", ".join(f"{v:.3g}" for v in view.eigenvalues)
    if view.eigenvalues.min() < 0:
        verdict = f"; a saddle: along curvature {view.eigenvalues.min():.3g} no lr converges"
    else:
        verdict = rf"; gradient descent needs lr < $2/\lambda_{{\max}}$ = {view.lr_limit:.3g}"
    figure.suptitle(curvatures + verdict, fontsize=13)
    if path is not None:
        _save(figure, path)
    return figure


def _direction_label(view: EigenView, number: int) -> str:
    return rf"direction {number + 1} ($\lambda$ = {view.eigenvalues[number]:.3g})"


def _draw_directions(axes, view: EigenView, runs, colors, draw_contours) -> None:
    objective = view.function
    window = [tuple(w) for w in objective.window]
    draw_contours(axes, objective, window)
    reach = 0.45 * min(high - low for low, high in window)
    for number, vector in enumerate(view.eigenvectors.T):
        ends = view.stationary_point + np.outer([-reach, reach], vector)
        axes.plot(ends[:, 0], ends[:, 1], color=_DIRECTION_COLORS[number], linewidth=2.5, linestyle=(0, (5, 2)),
                  label=_direction_label(view, number), zorder=2)
    for trajectory, color, dashes in zip(runs, colors, ["-", (0, (6, 2.5))]):
        axes.plot(trajectory.points[:, 0], trajectory.points[:, 1], color=color, linestyle=dashes, marker="o",
                  markersize=3, linewidth=1.8, label=trajectory.label, zorder=3)
    axes.plot(*runs[0].points[0], "o", color="black", markersize=8, zorder=4, label="start")
    saddle = view.eigenvalues.min() < 0
    axes.plot(*view.stationary_point, marker="X" if saddle else "*", markersize=13 if saddle else 20, color="white",
              markeredgecolor="black", markeredgewidth=1.5, linestyle="none", zorder=5,
              label="x*, a saddle" if saddle else "x*, the minimum")
    axes.set_xlim(*window[0])
    axes.set_ylim(*window[1])
    axes.set_title("eigen-directions of A through x*", fontsize=12)
    axes.set_xlabel("x", fontsize=12)
    axes.set_ylabel("y", fontsize=12)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=9.5, frameon=False)


def _draw_rates(axes, view: EigenView, lr: float, momentum: float) -> None:
    positive = view.eigenvalues[view.eigenvalues > 0]
    low = 0.01 * (2.0 / positive.max() if positive.size else 1.0)
    high = 1.6 * view.momentum_lr_limit(momentum) if positive.size else 100 * low
    lrs = np.geomspace(min(low, lr / 3), max(high, lr * 1.5), 400)
    for number in range(len(view.eigenvalues)):
        color = _DIRECTION_COLORS[number]
        axes.plot(lrs, view.gd_rates(lrs)[:, number], color=color, linewidth=2,
                  label=f"GD, {_direction_label(view, number)}")
        axes.plot(lrs, view.momentum_rates(lrs, momentum)[:, number], color=color, linewidth=2,
                  linestyle=(0, (6, 2.5)), label=f"momentum {momentum:g}, direction {number + 1}")
    axes.axhline(1.0, color="black", linewidth=1)
    axes.text(lrs[0], 1.02, "above 1: the error grows", fontsize=9, va="bottom")
    if np.isfinite(view.lr_limit):
        axes.axvline(view.lr_limit, color="#444444", linestyle=":", linewidth=1.5)
        axes.text(view.lr_limit, 1.45, r" $2/\lambda_{\max}$", fontsize=11, ha="left", va="top")
        axes.axvline(view.momentum_lr_limit(momentum), color="#888888", linestyle=":", linewidth=1.5)
        axes.text(view.momentum_lr_limit(momentum), 1.3, r" $2(1+\mu)/\lambda_{\max}$", fontsize=11, ha="left",
                  va="top")
    axes.axvline(lr, color="#d62728", linewidth=1.5, alpha=0.7)
    axes.text(lr, 0.03, f"lr = {lr:g} ", color="#d62728", fontsize=9.5, ha="right")
    axes.set_xscale("log")
    axes.set_ylim(0, 1.5)
    axes.set_xlabel("learning rate", fontsize=12)
    axes.set_ylabel("error factor per step (rate)", fontsize=12)
    axes.set_title("each direction's rate: GD solid, momentum dashed", fontsize=12)
    axes.grid(True, alpha=0.3)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=9, frameon=False)


def _draw_errors(axes, view: EigenView, runs, lr: float, momentum: float) -> None:
    from matplotlib.lines import Line2D

    rates = [view.gd_rates(lr), view.momentum_rates(lr, momentum)]
    markers = ["o", "s"]
    for trajectory, rate, marker, dashes in zip(runs, rates, markers, ["-", (0, (6, 2.5))]):
        errors = np.abs(view.components(trajectory))
        t = np.arange(len(errors))
        for number in range(errors.shape[1]):
            shown = np.where(errors[:, number] > 0, errors[:, number], np.nan)
            axes.plot(t, shown, color=_DIRECTION_COLORS[number], linestyle=dashes, marker=marker, markersize=3.5,
                      markevery=max(1, len(t) // 12), linewidth=2)
            axes.plot(t, errors[0, number] * rate[number] ** t, color="black", linewidth=0.8, linestyle=":")
    axes.set_yscale("log")
    axes.set_xlabel("step t", fontsize=12)
    axes.set_ylabel("|error along the direction|", fontsize=12)
    axes.set_title(f"the runs at lr {lr:g}, direction by direction", fontsize=12)
    axes.grid(True, alpha=0.3)
    handles = [Line2D([], [], color="#555555", marker="o", linewidth=2, label=runs[0].label),
               Line2D([], [], color="#555555", marker="s", linestyle=(0, (6, 2.5)), linewidth=2, label=runs[1].label),
               Line2D([], [], color="black", linestyle=":", linewidth=0.8, label="predicted: |e_0| rate^t")]
    handles += [Line2D([], [], color=_DIRECTION_COLORS[n], linewidth=4, label=f"direction {n + 1}")
                for n in range(len(view.eigenvalues))]
    axes.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=9, frameon=False)
