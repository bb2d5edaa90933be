"""What the trajectory plot can draw on top of the paths, to explain a run and not only show it.

- gradient arrows: at x_t, -g_t, the direction the gradient pulls (with ``noise``, the noisy
  gradient the step really used);
- momentum arrows: at x_t, minus the velocity the run carries into x_t (SGD's momentum
  buffer b_t, Adam's first moment m_t). The step from x_t mixes the two: for SGD with
  momentum it is -lr (mu b_t + g_t). In a narrow valley the gradient arrows point across it
  and the momentum arrows along it: the zig-zag averages out;
- the squared-gradient accumulators per coordinate (AdaGrad's sum s_t, RMSProp's average
  s_t, Adam's v_t): the denominators that give each coordinate its own step size.

Arrows of one run share one scale (a gradient and a velocity have the same units, so their
lengths compare); lengths are capped at 2.5 times the run's typical (median) arrow so that
one huge early gradient does not hide the rest, and arrows are spread along the path (at
most 16 per kind and run, a twentieth of the view apart).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from minigrad.lab.functions import Objective
from minigrad.lab.run import DISPLAY_NAMES, Trajectory

ARROWS = ("gradient", "momentum")
VELOCITY_BUFFERS = ("momentum_buffer", "exp_avg")  # SGD with momentum; Adam, AdamW
SQUARED_GRADIENT_BUFFERS = {"sum": "s_t (sum of g^2)", "square_avg": "s_t (average of g^2)",
                            "exp_avg_sq": "v_t (average of g^2)"}
MAX_ARROWS = 16  # per run and kind: enough to read the trend, few enough to see the path
GRADIENT_COLOR = "#222222"
_CAP = 2.5  # an arrow is at most this many times the run's typical (median) arrow


def check_arrows(arrows) -> tuple[str, ...]:
    """``arrows`` as a tuple of known kinds (one name alone is accepted too)."""
    kinds = (arrows,) if isinstance(arrows, str) else tuple(arrows)
    unknown = [kind for kind in kinds if kind not in ARROWS]
    if unknown:
        raise ValueError(f"unknown arrows {', '.join(map(repr, unknown))}; choose from: {', '.join(ARROWS)}")
    return kinds


def velocity_buffer(trajectory: Trajectory) -> str | None:
    """The name of the run's velocity buffer, if its optimizer keeps one."""
    return next((name for name in VELOCITY_BUFFERS if name in trajectory.states[-1]), None)


def accumulator_buffer(trajectory: Trajectory) -> str | None:
    """The name of the run's squared-gradient accumulator, if its optimizer keeps one."""
    return next((name for name in SQUARED_GRADIENT_BUFFERS if name in trajectory.states[-1]), None)


def arrow_vectors(trajectory: Trajectory, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(steps t, vectors) for the arrows of ``kind`` at x_t, t = 0 .. steps - 1, before scaling:
    -g_t (the gradient the step used) or minus the velocity carried into x_t (t >= 1)."""
    steps = trajectory.steps_taken
    if kind == "gradient":
        used = trajectory.step_grads if trajectory.step_grads is not None else trajectory.grads[:steps]
        return np.arange(steps), -np.asarray(used, dtype=np.float64)
    name = velocity_buffer(trajectory)
    if name is None or steps < 2:
        return np.arange(0), np.zeros((0, trajectory.function.dim))
    velocities = np.array([np.atleast_1d(trajectory.states[t][name]) for t in range(1, steps)], dtype=np.float64)
    return np.arange(1, steps), -velocities


def _spread(anchors: np.ndarray, spans: Sequence[float]) -> np.ndarray:
    """Indices of anchors at least a twentieth of the view apart (in each axis' own units), at
    most MAX_ARROWS: a run that slows down near the minimum does not pile arrows there."""
    scale = np.array(spans, dtype=np.float64)
    kept: list[int] = []
    for index, anchor in enumerate(anchors):
        if len(kept) == MAX_ARROWS:
            break
        if not kept or np.hypot(*((anchor - anchors[kept[-1]]) / scale)) >= 0.05:
            kept.append(index)
    return np.array(kept, dtype=int)


def draw_arrows(axes, objective: Objective, trajectory: Trajectory, color: str, kinds: Sequence[str],
                view: list[tuple[float, float]]) -> list:
    """Arrows of ``kinds`` along the run (2-D: in the plane; 1-D: along x at (x_t, f(x_t)))."""
    spans = [high - low for low, high in view]
    ylim = axes.get_ylim() if objective.dim == 1 else view[1]
    spans_2d = [spans[0], ylim[1] - ylim[0]] if objective.dim == 1 else spans
    chosen = {}
    for kind in kinds:
        steps, vectors = arrow_vectors(trajectory, kind)
        finite = np.isfinite(vectors).all(axis=1) & np.isfinite(trajectory.points[steps]).all(axis=1)
        steps, vectors = steps[finite], vectors[finite]
        anchors = np.column_stack(_anchor(objective, trajectory, steps))
        keep = _spread(anchors, spans_2d) if steps.size else steps
        chosen[kind] = (steps[keep], vectors[keep])
    lengths = np.concatenate([np.linalg.norm(v, axis=1) for _, v in chosen.values()] + [np.zeros(0)])
    lengths = lengths[lengths > 0]
    if lengths.size == 0:
        return []
    target = 0.045 * (spans[0] if objective.dim == 1 else float(np.hypot(*spans)))
    scale = target / float(np.median(lengths))
    artists = []
    for kind, (steps, vectors) in chosen.items():
        if not steps.size:
            continue
        drawn = vectors * scale
        size = np.linalg.norm(drawn, axis=1, keepdims=True)
        drawn = np.where(size > _CAP * target, drawn * (_CAP * target / np.maximum(size, 1e-300)), drawn)
        x, y = _anchor(objective, trajectory, steps)
        u = drawn[:, 0]
        v = np.zeros_like(u) if objective.dim == 1 else drawn[:, 1]
        gradient = kind == "gradient"
        artists.append(axes.quiver(
            x, y, u, v, angles="xy", scale_units="xy", scale=1.0, color=GRADIENT_COLOR if gradient else color,
            width=0.003 if gradient else 0.005, headwidth=4, headlength=4.5, headaxislength=4, zorder=4.5,
            edgecolor="black", linewidth=0 if gradient else 0.5, label=f"{kind} arrows of {trajectory.label}"))
    return artists


def _anchor(objective: Objective, trajectory: Trajectory, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the arrows at x_t start: the point in 2-D, (x_t, f(x_t)) on the curve in 1-D."""
    x = trajectory.points[steps, 0]
    return (x, trajectory.values[steps]) if objective.dim == 1 else (x, trajectory.points[steps, 1])


def arrow_legend_handles(kinds: Sequence[str]) -> list:
    """Legend entries for the arrow kinds drawn (the momentum arrows take their run's colour)."""
    from matplotlib.lines import Line2D

    labels = {"gradient": "-g_t, the gradient's pull at x_t",
              "momentum": "-velocity carried into x_t (run's colour)"}
    colors = {"gradient": GRADIENT_COLOR, "momentum": "#888888"}
    return [Line2D([], [], color=colors[kind], linestyle="none", marker=r"$\rightarrow$", markersize=16,
                   label=labels[kind]) for kind in kinds]


def draw_accumulators(axes_per_coordinate, trajectories: Sequence[Trajectory], styles) -> None:
    """One panel per coordinate: each adaptive run's accumulator s_t against t (log axis)."""
    shown = [(t, s) for t, s in zip(trajectories, styles) if accumulator_buffer(t)]
    if not shown:
        names = sorted({DISPLAY_NAMES.get(t.optimizer, t.optimizer) for t in trajectories})
        raise ValueError(f"accumulators=True draws the squared-gradient accumulators of AdaGrad, RMSProp or Adam; "
                         f"none of these runs keeps one ({', '.join(names)})")
    coordinates = "xy" if len(axes_per_coordinate) == 2 else "x"
    for number, axes in enumerate(axes_per_coordinate):
        for trajectory, style in shown:
            name = accumulator_buffer(trajectory)
            values = np.array([np.atleast_1d(state[name])[number] for state in trajectory.states[1:]])
            steps = np.arange(1, len(values) + 1)
            axes.plot(steps, np.where(values > 0, values, np.nan), color=style.color, linestyle=style.dashes,
                      linewidth=2, zorder=style.zorder,
                      label=f"{SQUARED_GRADIENT_BUFFERS[name]}, {trajectory.label}")
        axes.set_yscale("log")
        axes.grid(True, alpha=0.3)
        axes.set_title(f"squared-gradient accumulator, coordinate {coordinates[number]}", fontsize=11)
        axes.set_ylabel("s_t (Adam: v_t), log", fontsize=11)
    axes_per_coordinate[-1].set_xlabel("step t", fontsize=12)
