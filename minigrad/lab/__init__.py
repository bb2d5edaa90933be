"""The optimizer lab and the backprop views: study what backprop and each optimizer do.

- ``functions``: test functions written with Tensors (the slides' 1-D examples, x^2 + y^2,
  an elongated bowl, a saddle, Rosenbrock, Beale, Himmelblau, or your own callable);
- ``run``: any optimizer (and schedule) on one of them, every step recorded;
- ``rules``: which update of ``optim.functional`` each optimizer runs (the step tables replay
  it), ``with_closure`` for L-BFGS, ``lookahead`` around any optimizer, and
  ``evaluation_trajectory``: the average that schedule-free, ASGD and Lookahead evaluate;
- ``table``: the slides' step tables (t, x_t, f'(x_t), the optimizer's state);
- ``plots``: contours with trajectories, loss per step, 1-D curves, animations: each returns a
  Figure or an Animation that shows itself inline in a notebook (``path=`` also saves it);
- ``quadratic``: the eigen view of a quadratic: each curvature's rate for gradient descent and
  momentum, the lr limit 2 / lambda_max, with a figure;
- ``overlays``: gradient and momentum arrows and accumulator panels for the trajectory plot;
- ``averaging``: the slides' moving and exponential averages of a series, with a step table
  and a plot: the bridge from averaging to momentum;
- ``curvature``: the top Hessian eigenvalue of a model's loss (power iteration on
  Hessian-vector products), along a training run next to 2 / lr, and 1-D/2-D slices of the
  loss landscape along filter-normalized random directions;
- ``backprop``: the graph drawn (SVG inline in a notebook, DOT for Graphviz) and a
  step-by-step backprop trace;
- ``widgets``: ``interactive_lab()``, sliders over ``run`` and ``plot_trajectories`` in a
  notebook (needs ipywidgets, the ``notebook`` extra; imported only when a lab is made).
"""
from minigrad.lab.averaging import (
    averaging_table, ema_weights, exponential_average, plot_averages, simple_moving_average,
)
from minigrad.lab.backprop import BackpropTrace, backprop_trace, draw_graph, render_graph
from minigrad.lab.curvature import (
    CurvatureRun, Landscape, curvature_along_training, loss_landscape, plot_curvature, plot_landscape,
    top_hessian_eigenvalue,
)
from minigrad.lab.functions import FUNCTIONS, Objective, get_function, objective
from minigrad.lab.plots import animate_trajectories, plot_trajectories
from minigrad.lab.quadratic import EigenView, NotQuadraticError, eigen_view, plot_eigen_view
from minigrad.lab.rules import evaluation_trajectory, lookahead, with_closure
from minigrad.lab.run import OPTIMIZERS, Trajectory, run
from minigrad.lab.table import Table, step_table
from minigrad.lab.widgets import InteractiveLab, interactive_lab

__all__ = [
    "FUNCTIONS", "Objective", "get_function", "objective",
    "OPTIMIZERS", "Trajectory", "run", "with_closure", "lookahead", "evaluation_trajectory", "Table", "step_table", "plot_trajectories", "animate_trajectories",
    "simple_moving_average", "exponential_average", "ema_weights", "averaging_table", "plot_averages",
    "EigenView", "NotQuadraticError", "eigen_view", "plot_eigen_view",
    "BackpropTrace", "backprop_trace", "draw_graph", "render_graph",
    "InteractiveLab", "interactive_lab",
    "CurvatureRun", "Landscape", "curvature_along_training", "loss_landscape", "plot_curvature",
    "plot_landscape", "top_hessian_eigenvalue",
]
