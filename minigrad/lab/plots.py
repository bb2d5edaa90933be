"""Pictures of optimizer runs: contour plots with trajectories, the 1-D curve with the steps on
it, the loss per step, and animations of the same.

Every function returns the picture as an object: a ``Figure`` (shown inline in a notebook) or
an ``Animation`` (a player inline in a notebook, a GIF on disk); ``path=`` also saves it.
matplotlib is imported only inside the functions that draw, with the Agg canvas: no display
is needed and pyplot's global state is left alone.

Each optimizer keeps one colour in every figure; each run in a figure also gets its own dash
pattern and marker, later runs drawn on top and with gaps, so curves that coincide (AdaGrad
and RMSProp on the double well) both stay visible. The start is a black dot, the minima are white
stars (a neutral no optimizer's colour resembles) and one legend under the panels names
everything, so it never covers data.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from minigrad.lab.functions import Objective
from minigrad.lab.run import Trajectory

COLORS = {"sgd": "#1f77b4", "momentum": "#ff7f0e", "adagrad": "#2ca02c", "rmsprop": "#d62728",
          "adam": "#9467bd", "adamw": "#8c564b"}
_SPARE_COLORS = ["#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#393b79", "#637939", "#8c6d31", "#843c39"]
# The first run is solid; every later one has gaps, and is drawn above the earlier ones.
_DASHES = ["-", (0, (6, 2.5)), (0, (6, 2, 1.5, 2)), (0, (1.2, 1.6)), (0, (9, 2, 1.5, 2, 1.5, 2)),
           (0, (3, 3)), (0, (12, 3))]
_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "<", ">", "h"]
MINIMUM_COLOR = "white"  # neutral: no optimizer colour (COLORS, spares) is near it


@dataclass(frozen=True)
class RunStyle:
    """How one run is drawn in every panel: colour (its optimizer's), dashes, marker, layer."""

    color: str
    dashes: str | tuple
    marker: str
    number: int  # the run's place in the figure (0 = first, drawn lowest)
    runs: int  # how many runs share the figure

    @property
    def zorder(self) -> float:
        return 3 + 0.01 * self.number

    def markevery(self, length: int) -> tuple[int, int]:
        """Markers a tenth of the run apart, each run's shifted by its share of the gap: on
        curves that coincide the markers of the runs alternate instead of hiding each other."""
        spacing = max(1, length // 10)
        return (spacing * self.number // self.runs, spacing)


def styles_for(trajectories: Sequence[Trajectory]) -> list[RunStyle]:
    """Colour per run label (see ``colors_for``), dashes and marker per run, later runs on top."""
    colors = colors_for(trajectories)
    return [RunStyle(color, _DASHES[number % len(_DASHES)], _MARKERS[number % len(_MARKERS)], number, len(colors))
            for number, color in enumerate(colors)]


def _figure(width: float = 12.5, height: float = 5.2):
    try:
        from minigrad.lab.figure import new_figure
    except ImportError as error:
        raise ImportError("plotting needs matplotlib: pip install 'minigrad-np[plot]'") from error
    return new_figure(width, height)


def colors_for(trajectories: Sequence[Trajectory]) -> list[str]:
    """One colour per run label: the first run of each optimizer gets that optimizer's own
    colour (the same in every figure), further runs of it (another lr, say) get spare ones."""
    by_label: dict[str, str] = {}
    result = []
    for trajectory in trajectories:
        if trajectory.label not in by_label:
            taken = set(by_label.values())
            color = COLORS.get(trajectory.optimizer)
            if color is None or color in taken:
                free = [c for c in _SPARE_COLORS if c not in taken]
                color = free[0] if free else _SPARE_COLORS[len(by_label) % len(_SPARE_COLORS)]
            by_label[trajectory.label] = color
        result.append(by_label[trajectory.label])
    return result


def _check_same_function(trajectories: Sequence[Trajectory]) -> Objective:
    if not trajectories:
        raise ValueError("nothing to plot: no trajectories given")
    names = {t.function.name for t in trajectories}
    if len(names) > 1:
        raise ValueError(f"trajectories on different functions cannot share a plot: {sorted(names)}")
    return trajectories[0].function


def _view(objective: Objective, trajectories: Sequence[Trajectory]) -> list[tuple[float, float]]:
    """The function's window, widened to show the runs (not further than 3 windows: a
    diverged run leaves the picture instead of shrinking everything else to a dot), or
    zoomed onto the runs when they use less than a quarter of the window on every axis."""
    extents = []
    for axis, (low, high) in enumerate(objective.window):
        span = high - low
        points = np.concatenate([t.points[:, axis] for t in trajectories])
        points = points[np.isfinite(points) & (points > low - span) & (points < high + span)]
        marks = [m[axis] for m in objective.minima + objective.saddle_points]
        extents.append((low, high, points, marks))
    zoom = all(p.size and p.max() - p.min() < 0.25 * (high - low) for low, high, p, _ in extents)
    view = []
    for low, high, points, marks in extents:
        if zoom:
            inside = [m for m in marks if low <= m <= high]
            low, high = min([points.min(), *inside]), max([points.max(), *inside])
            if high - low < 1e-9:
                low, high = low - 1.0, high + 1.0
        elif points.size:
            low, high = min(low, points.min()), max(high, points.max())
        pad = 0.06 * (high - low)
        view.append((float(low - pad), float(high + pad)))
    return view


def _legend_label(trajectory: Trajectory) -> str:
    return trajectory.label + ("  (diverged)" if trajectory.diverged else "")


# ---- static figures ---------------------------------------------------------------------------

def _draw_still_parts(figure, objective, trajectories, accumulator_panels: bool = False):
    """The panels, the colours, the view, and what does not move: the function (curve or
    contours) and the marks (minimum, start). Shared by the still figure and the animation.
    With ``accumulator_panels`` a third column holds one panel per coordinate."""
    if accumulator_panels:
        grid = figure.add_gridspec(objective.dim, 3, width_ratios=[1.25, 1, 0.95])
        space_axes = figure.add_subplot(grid[:, 0])
        loss_axes = figure.add_subplot(grid[:, 1])
        extra_axes = [figure.add_subplot(grid[row, 2]) for row in range(objective.dim)]
        for axes in extra_axes[1:]:
            axes.sharex(extra_axes[0])
    else:
        space_axes, loss_axes = figure.subplots(1, 2, width_ratios=[1.25, 1])
        extra_axes = []
    styles = styles_for(trajectories)
    view = _view(objective, trajectories)
    if objective.dim == 1:
        _draw_curve(space_axes, objective, view)
    else:
        _draw_contours(space_axes, objective, view)
    marks = _draw_marks(space_axes, objective, trajectories)
    return space_axes, loss_axes, styles, view, marks, extra_axes


def plot_trajectories(trajectories: Trajectory | Sequence[Trajectory], path: str | os.PathLike | None = None,
                      title: str | None = None, *, arrows: str | Sequence[str] = (), accumulators: bool = False):
    """Left: the function (contours in 2-D, the curve in 1-D) with every run's steps on it;
    right: f(x_t) per step. Returns the Figure (inline in a notebook); with ``path`` it is
    also written there (atomically; the format follows the extension, PNG without one).

    To explain the runs (see ``minigrad.lab.overlays``): ``arrows=("gradient", "momentum")``
    draws along each path -g_t and minus the velocity carried into x_t (runs whose optimizer
    has one); ``accumulators=True`` adds a panel per coordinate with each adaptive run's
    squared-gradient accumulator (AdaGrad's s_t, RMSProp's s_t, Adam's v_t) per step.
    """
    from minigrad.lab import overlays

    trajectories = _as_list(trajectories)
    objective = _check_same_function(trajectories)
    kinds = overlays.check_arrows(arrows)
    if objective.dim > 2 and accumulators:
        raise ValueError(f"accumulator panels are drawn for 1-D and 2-D functions, {objective.name} has {objective.dim}")
    figure = _figure(17.5 if accumulators else 12.5, 5.6 if accumulators else 5.2)
    space_axes, loss_axes, styles, view, marks, extra_axes = _draw_still_parts(
        figure, objective, trajectories, accumulator_panels=accumulators)
    loss_view = _loss_view(objective, trajectories)
    for trajectory, style in zip(trajectories, styles):
        _draw_path(space_axes, objective, trajectory, style, len(trajectory.points))
        _draw_loss(loss_axes, trajectory, style, len(trajectory.points), loss_view)
        overlays.draw_arrows(space_axes, objective, trajectory, style.color, kinds, view)
    if accumulators:
        overlays.draw_accumulators(extra_axes, trajectories, styles)
    _decorate(space_axes, loss_axes, objective, trajectories, view, loss_view)
    _legend(figure, trajectories, styles, marks, extra=overlays.arrow_legend_handles(kinds))
    figure.suptitle(title or _title(objective, trajectories), fontsize=14)
    if path is not None:
        _save(figure, path)
    return figure


def _as_list(trajectories: Trajectory | Sequence[Trajectory]) -> list[Trajectory]:
    """One run or several: a single Trajectory is drawn alone."""
    return [trajectories] if isinstance(trajectories, Trajectory) else list(trajectories)


def _title(objective: Objective, trajectories: Sequence[Trajectory]) -> str:
    start = ", ".join(f"{v:g}" for v in trajectories[0].points[0])
    return f"{objective.latex} from ({start})"


def _draw_curve(axes, objective: Objective, view) -> None:
    (low, high), = view
    xs = np.linspace(low, high, 600)
    axes.plot(xs, objective.on_grid(xs), color="#444444", linewidth=1.6, zorder=1)


def _draw_contours(axes, objective: Objective, view, resolution: int = 240) -> None:
    (x_low, x_high), (y_low, y_high) = view
    grid_x, grid_y = np.meshgrid(np.linspace(x_low, x_high, resolution), np.linspace(y_low, y_high, resolution))
    values = objective.on_grid(grid_x, grid_y)
    finite = values[np.isfinite(values)]
    # Levels at quantiles of the values: evenly spread lines on a bowl, and still lines near
    # the valley floor of Rosenbrock or Beale, where evenly spaced levels would show none.
    levels = np.unique(np.quantile(finite, np.linspace(0, 1, 18) ** 1.6))
    shade = np.searchsorted(np.sort(finite), values) / finite.size  # the same idea for the colours
    shade = np.floor(shade * 14) / 14  # flat bands, like filled contours (and small GIFs)
    # One image, not filled polygons: it renders fast, which keeps the animation quick.
    axes.imshow(shade, extent=(x_low, x_high, y_low, y_high), origin="lower", aspect="auto",
                cmap="Blues", vmin=-0.15, vmax=1.6, interpolation="bilinear", zorder=0)
    axes.contour(grid_x, grid_y, values, levels=levels, colors="#5b6b7c", linewidths=0.6, alpha=0.7, zorder=1)
    axes.set_xlim(x_low, x_high)
    axes.set_ylim(y_low, y_high)


def _xy(objective: Objective, points: np.ndarray, values: np.ndarray):
    if objective.dim == 1:
        return points[:, 0], values
    return points[:, 0], points[:, 1]


def _draw_marks(axes, objective: Objective, trajectories: Sequence[Trajectory]) -> list:
    """The minima, saddle points and start points; returns one artist of each kind, for the legend."""
    first_of_each = []
    for number, minimum in enumerate(objective.minima):
        x, y = (minimum[0], objective.value(minimum)) if objective.dim == 1 else minimum
        (star,) = axes.plot(x, y, marker="*", markersize=24, color=MINIMUM_COLOR, markeredgecolor="black",
                            markeredgewidth=1.5, linestyle="none", zorder=5, label="minimum")
        first_of_each += [star] if number == 0 else []
    for number, saddle in enumerate(objective.saddle_points):
        (cross,) = axes.plot(*saddle, marker="X", markersize=13, color="white", markeredgecolor="black",
                             linestyle="none", zorder=5, label="saddle point")
        first_of_each += [cross] if number == 0 else []
    starts = list(dict.fromkeys(tuple(t.points[0]) for t in trajectories))
    for number, start in enumerate(starts):
        x, y = (start[0], objective.value(start)) if objective.dim == 1 else start
        (dot,) = axes.plot(x, y, marker="o", markersize=9, color="black", linestyle="none", zorder=6, label="start")
        first_of_each += [dot] if number == 0 else []
    return first_of_each


def _draw_path(axes, objective: Objective, trajectory: Trajectory, style: RunStyle, count: int):
    x, y = _xy(objective, trajectory.points[:count], trajectory.values[:count])
    marker = style.marker if len(trajectory.points) <= 120 else None
    # No label: the figure's legend names the runs.
    lines = axes.plot(x, y, color=style.color, linestyle=style.dashes, linewidth=2.0, marker=marker,
                      markersize=3.5, alpha=0.95, zorder=style.zorder)
    if count > 1:  # where the run is now: its end, or in an animation the moving head
        lines += axes.plot(x[-1], y[-1], marker=style.marker, markersize=8, color=style.color,
                           markeredgecolor="black", zorder=4)
    return lines


@dataclass(frozen=True)
class _LossView:
    """How the loss panel shows the values: f(x_t) itself, or its gap to the lowest minimum."""

    scale: str
    offset: float = 0.0
    label: str = "f(x_t)"


def _loss_view(objective: Objective, trajectories: Sequence[Trajectory]) -> _LossView:
    """A log axis when the values fall over decades, a linear one otherwise: never symlog,
    whose squeezed band around 0 turns a smooth pass through f = 0 into a cliff.

    Values of both signs fall over decades as a gap to the minimum: with a known lowest
    minimum f(x*), the panel shows f(x_t) - f(x*) on a log axis (while every value stays
    above it); without one (a saddle, a function of your own) the axis is linear.
    """
    values = np.concatenate([t.values[np.isfinite(t.values)] for t in trajectories])
    if values.size and values.min() > 0:
        return _LossView("log" if values.max() / values.min() > 30 else "linear")
    if values.size and objective.minima:
        lowest = min(objective.value(m) for m in objective.minima)
        gaps = values - lowest
        if gaps.min() > 0 and gaps.max() / gaps.min() > 30:
            return _LossView("log", lowest, "f(x_t) - f(x*)")
    return _LossView("linear")


def _draw_loss(axes, trajectory: Trajectory, style: RunStyle, count: int, view: _LossView):
    steps = np.arange(count)
    return axes.plot(steps, trajectory.values[:count] - view.offset, color=style.color, linestyle=style.dashes,
                     linewidth=2.0, marker=style.marker, markersize=5, markevery=style.markevery(len(trajectory.points)),
                     zorder=style.zorder, label=_legend_label(trajectory))


def _decorate(space_axes, loss_axes, objective: Objective, trajectories, view, loss_view: _LossView) -> None:
    space_axes.set_xlabel("x", fontsize=12)
    space_axes.set_ylabel("f(x)" if objective.dim == 1 else "y", fontsize=12)
    space_axes.set_title("steps on the function" if objective.dim == 1 else "trajectories on the contours of f",
                         fontsize=12)
    space_axes.set_xlim(*view[0])
    if objective.dim == 1:
        values = np.concatenate([t.values for t in trajectories] + [objective.on_grid(np.linspace(*view[0], 200))])
        values = values[np.isfinite(values)]
        pad = 0.05 * (values.max() - values.min() + 1e-12)
        space_axes.set_ylim(values.min() - pad, values.max() + pad)
    else:
        space_axes.set_ylim(*view[1])
    loss_axes.set_title(f"f(x_t) - f(x*) per step, f(x*) = {loss_view.offset:.4g}" if loss_view.offset
                        else "f(x_t) per step", fontsize=12)
    loss_axes.set_xlabel("step t", fontsize=12)
    loss_axes.set_ylabel(loss_view.label, fontsize=12)
    loss_axes.set_yscale(loss_view.scale)
    loss_axes.grid(True, alpha=0.3)


def _legend(figure, trajectories: Sequence[Trajectory], styles: Sequence[RunStyle], marks: list,
            extra: Sequence = ()) -> None:
    """One legend for all panels, under them: it never covers a line or a contour."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=style.color, linestyle=style.dashes, linewidth=2.2, marker=style.marker,
                      markersize=6, label=_legend_label(trajectory))
               for trajectory, style in zip(trajectories, styles)]
    handles += [Line2D([], [], linestyle="none", marker=mark.get_marker(), markersize=min(mark.get_markersize(), 14),
                       markerfacecolor=mark.get_markerfacecolor(), markeredgecolor=mark.get_markeredgecolor(),
                       label=mark.get_label()) for mark in marks]
    handles += list(extra)
    longest = max(len(handle.get_label()) for handle in handles)
    columns = min(len(handles), 5 if longest <= 22 else 3 if longest <= 34 else 2)
    figure.legend(handles=handles, loc="outside lower center", ncol=columns, fontsize=10, frameon=False,
                  handlelength=3.2)


def _save(figure, path: str | os.PathLike, dpi: int = 110) -> str:
    from minigrad.lab.figure import save_figure

    return save_figure(figure, path, dpi)


# ---- animation --------------------------------------------------------------------------------

def animate_trajectories(trajectories: Trajectory | Sequence[Trajectory], path: str | os.PathLike | None = None,
                         fps: int = 8, max_frames: int = 60, title: str | None = None, dpi: int = 80):
    """The runs advancing together, step by step (at most ``max_frames`` frames; the last
    one is held for half a second). Returns an ``Animation``: a player inline in a notebook,
    ``.save("file.gif")`` for a GIF; with ``path`` (a ``.gif``) it is saved at once."""
    from minigrad.lab.figure import Animation

    trajectories = _as_list(trajectories)
    objective = _check_same_function(trajectories)
    if path is not None and not os.fspath(path).lower().endswith(".gif"):
        raise ValueError(f"an animation is written as a .gif file, got {os.fspath(path)!r}")
    if isinstance(max_frames, bool) or not isinstance(max_frames, int) or max_frames < 1:
        raise ValueError(f"max_frames must be an integer >= 1, got {max_frames!r}")
    longest = max(len(t.points) for t in trajectories)
    frames = np.unique(np.linspace(1, longest, min(max_frames, longest)).round().astype(int))
    counts = list(frames) + [frames[-1]] * max(1, fps // 2)
    figure = _figure(11, 4.9)
    figure.set_dpi(dpi)  # the frames are drawn at this dpi: the background below must match
    space_axes, loss_axes, styles, view, marks, _ = _draw_still_parts(figure, objective, trajectories)
    loss_view = _loss_view(objective, trajectories)
    # The full loss curves fix the loss axis' limits; they are hidden before any frame.
    for trajectory, style in zip(trajectories, styles):
        for artist in _draw_loss(loss_axes, trajectory, style, len(trajectory.points), loss_view):
            artist.set_visible(False)
    _decorate(space_axes, loss_axes, objective, trajectories, view, loss_view)
    _legend(figure, trajectories, styles, marks)
    loss_axes.set_xlim(0, longest - 1 if longest > 1 else 1)
    base_title = title or _title(objective, trajectories)
    heading = figure.suptitle(f"{base_title}   step {longest - 1}", fontsize=13)
    _freeze_background(figure, heading)
    live: list = []

    def draw_frame(number: int) -> None:
        count = counts[number]
        for artist in live:
            artist.remove()
        live.clear()
        for trajectory, style in zip(trajectories, styles):
            shown = min(count, len(trajectory.points))
            live.extend(_draw_path(space_axes, objective, trajectory, style, shown))
            live.extend(_draw_loss(loss_axes, trajectory, style, shown, loss_view))
        heading.set_text(f"{base_title}   step {min(count, longest) - 1}")

    names = ", ".join(t.label for t in trajectories)
    animation = Animation(figure, draw_frame, len(counts), fps=fps, dpi=dpi,
                          description=f"{names} on {objective.name}")
    if path is not None:
        animation.save(path)
    return animation


def _freeze_background(figure, heading) -> None:
    """Draw everything that does not move once, as one image behind the figure, and hide it.

    Lay the figure out once (for its widest title), freeze the layout, render it without the
    title text, put that picture behind everything and make the axes draw nothing of their
    own: they keep their place and scales, so each frame draws only the moving lines and the
    step counter. That is many times faster than redrawing contours, ticks and legends.
    """
    figure.canvas.draw()
    figure.set_layout_engine("none")
    text = heading.get_text()
    heading.set_text("")
    figure.canvas.draw()
    background = np.asarray(figure.canvas.buffer_rgba()).copy()
    heading.set_text(text)
    for axes in figure.axes:
        for artist in axes.get_children():
            artist.set_visible(False)
    for legend in figure.legends:  # in the picture already
        legend.set_visible(False)
    figure.figimage(background, origin="upper", zorder=-10)


def save_comparison(trajectories: Sequence[Trajectory], path: str | os.PathLike, **options) -> str:
    """A ``.gif`` path gets the animation, any other image path the static figure; returns
    the path written."""
    if os.fspath(path).lower().endswith(".gif"):
        animate_trajectories(trajectories, path, **options)
    else:
        plot_trajectories(trajectories, path, **options)
    return os.fspath(path)
