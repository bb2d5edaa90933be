"""Every figure of the Optimizers page (docs/optimizers.md), drawn with the optimizer lab.

The runs are the page's own examples: the slides' functions, start points and learning rates,
each optimizer stepped by ``minigrad.lab.run`` (the real optimizer objects, the gradient from
minigrad's backward). Two figures that are not trajectories (the bias of a moving average
started at zero, and the learning-rate schedules) call ``optim.functional`` and the closed-form
schedules directly.

    python examples/optimizer_figures.py                       # ./optimizer_figures/*.png
    python examples/optimizer_figures.py --fast --out /tmp/x   # fewer steps, into /tmp/x
    python examples/optimizer_figures.py --only adam_bias_correction
    python examples/optimizer_figures.py --docs                # refresh docs/figures/optimizers/*.png

Only ``--docs`` writes into the repository's docs/figures/optimizers/, whose files are
tracked: running an example must not change them by accident.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

from minigrad import lab, optim
from minigrad.io import atomic_path
from minigrad.lab.plots import COLORS, plot_trajectories
from minigrad.optim import functional as F
from minigrad.optim import lr_scheduler as schedules

DOCS_FIGURES = Path(__file__).resolve().parents[1] / "docs" / "figures" / "optimizers"


def zoomed(name: str, low: float, high: float) -> lab.Objective:
    """One of the lab's 1-D functions with a narrower plotting window, so small steps show."""
    function = lab.get_function(name)
    return lab.objective(function.formula, name=name, window=((low, high),), start=function.start,
                         minima=function.minima)


def steps(full: int, fast: bool) -> int:
    """Fast mode keeps a fifth of the steps (at least 5): the same pictures, coarser."""
    return max(5, full // 5) if fast else full


# ---- trajectories on the slides' functions ------------------------------------------------------

def sgd_learning_rates(out: Path, fast: bool) -> str:
    """The slides' four pictures of x^2 from 99: lr 0.001 crawls, 0.1 converges, 0.8 overshoots
    but converges, 1.1 diverges (each step multiplies x by 1 - 2 lr)."""
    n = steps(30, fast)
    figure = _figure(15, 3.9)
    for axes, lr in zip(figure.subplots(1, 4), (0.001, 0.1, 0.8, 1.1)):
        run = lab.run("square", "sgd", start=99.0, steps=n, lr=lr)
        reach = 1.08 * float(np.abs(run.points).max())
        xs = np.linspace(-reach, reach, 400)
        axes.plot(xs, run.function.on_grid(xs), color="#444444", linewidth=1.5)
        axes.plot(run.points[:, 0], run.values, "-o", color=COLORS["sgd"], markersize=3.5, linewidth=1.2)
        axes.plot(run.points[0, 0], run.values[0], "o", color="black", markersize=8)
        axes.set_title(f"lr = {lr:g}:  x_{n} = {run.points[-1, 0]:.3g}", fontsize=12)
        axes.set_xlabel("x", fontsize=11)
        axes.grid(True, alpha=0.3)
    figure.suptitle(f"Gradient descent on $x^2$ from 99 (black dot), {n} steps: x_t = (1 - 2 lr) x_(t-1)",
                    fontsize=13)
    return _save(figure, out / "sgd_learning_rates.png")


def momentum_from_90(out: Path, fast: bool) -> str:
    """The slides' momentum table (x^2 from 90, m = 0.9, lr 0.1) and the same with lr 0.01,
    against plain gradient descent."""
    n = steps(40, fast)
    runs = [
        lab.run("square", "sgd", start=90.0, steps=n, lr=0.1, label="SGD lr=0.1"),
        lab.run("square", "momentum", start=90.0, steps=n, lr=0.1, momentum=0.9, label="Momentum lr=0.1, m=0.9"),
        lab.run("square", "momentum", start=90.0, steps=n, lr=0.01, momentum=0.9, label="Momentum lr=0.01, m=0.9"),
    ]
    return _plot(runs, out / "momentum_from_90.png",
                 title=r"Momentum on $x^2$ from 90: the ball overshoots and rolls back")


def momentum_rosenbrock(out: Path, fast: bool) -> str:
    """In Rosenbrock's curved valley the gradient points across the valley; momentum averages
    the zig-zag away and accelerates along it."""
    n = steps(1000, fast)
    runs = [
        lab.run("rosenbrock", "sgd", steps=n, lr=1e-3, label="SGD lr=0.001"),
        lab.run("rosenbrock", "momentum", steps=n, lr=1e-3, momentum=0.9, label="Momentum lr=0.001, m=0.9"),
    ]
    return _plot(runs, out / "momentum_rosenbrock.png",
                 title=f"Rosenbrock from (-1.5, 2), {n} steps: momentum follows the valley")


def adagrad_log_square(out: Path, fast: bool) -> str:
    """Far from its minimum ln(x^2 + 0.01) has tiny gradients: AdaGrad from s_0 = 0 still takes
    a first step of lr; the Keras start s_0 = 0.1 swamps them."""
    n = steps(50, fast)
    common = dict(start=9.0, steps=n, lr=0.5, eps=1e-7, eps_inside_sqrt=True)
    runs = [
        lab.run("log_square", "sgd", start=9.0, steps=n, lr=0.5, label="SGD lr=0.5"),
        lab.run("log_square", "adagrad", label="AdaGrad lr=0.5, s0=0", **common),
        lab.run("log_square", "adagrad", initial_accumulator_value=0.1, label="AdaGrad lr=0.5, s0=0.1", **common),
    ]
    return _plot(runs, out / "adagrad_log_square.png",
                 title=r"AdaGrad on $\ln(x^2 + 0.01)$ from 9: where $s_0$ matters")


def adagrad_vs_rmsprop(out: Path, fast: bool) -> str:
    """The slides' 2-D bowl from (6, 9): AdaGrad's sum only grows, so its steps die out;
    RMSProp forgets old gradients and keeps moving."""
    n = steps(50, fast)
    common = dict(start=(6.0, 9.0), steps=n, lr=0.5, eps=1e-7, eps_inside_sqrt=True)
    runs = [
        lab.run("bowl", "adagrad", label="AdaGrad lr=0.5", **common),
        lab.run("bowl", "rmsprop", alpha=0.9, label="RMSProp lr=0.5, rho=0.9", **common),
    ]
    return _plot(runs, out / "adagrad_vs_rmsprop.png",
                 title=r"$x^2 + y^2$ from (6, 9): AdaGrad's steps shrink, RMSProp's do not")


def rmsprop_from_9(out: Path, fast: bool) -> str:
    """The slides' RMSProp on x^2 from 9 (rho 0.9, eps 1e-7 under the root), lr 0.1 and 0.4."""
    n = steps(60, fast)
    square = zoomed("square", -10.0, 10.0)
    runs = [lab.run(square, "rmsprop", start=9.0, steps=n, lr=lr, alpha=0.9, eps=1e-7, eps_inside_sqrt=True,
                    label=f"RMSProp lr={lr:g}, rho=0.9") for lr in (0.1, 0.4)]
    runs.insert(0, lab.run(square, "sgd", start=9.0, steps=n, lr=0.1, label="SGD lr=0.1"))
    return _plot(runs, out / "rmsprop_from_9.png",
                 title=r"RMSProp on $x^2$ from 9: steps of about lr, whatever the gradient")


def adam_variants_rosenbrock(out: Path, fast: bool) -> str:
    """PyTorch's Adam against the slides' simpler Adam (no bias correction, eps under the root),
    both with lr 0.05 on Rosenbrock."""
    n = steps(600, fast)
    common = dict(steps=n, lr=0.05)
    runs = [
        lab.run("rosenbrock", "adam", label="Adam (both corrected)", **common),
        lab.run("rosenbrock", "adam", bias_correction=False, eps=1e-7, eps_inside_sqrt=True,
                label="simpler Adam (none)", **common),
    ]
    return _plot(runs, out / "adam_variants_rosenbrock.png",
                 title=f"Adam with and without bias correction on Rosenbrock, lr 0.05, {n} steps")


def compare_saddle(out: Path, fast: bool) -> str:
    """Every optimizer at its suggested lr near the saddle of x^2 - y^2 (the slides' animation)."""
    n = steps(50, fast)
    runs = [lab.run("saddle", name, steps=n) for name in ("sgd", "momentum", "adagrad", "rmsprop", "adam")]
    return _plot(runs, out / "compare_saddle.png",
                 title=r"Escaping the saddle of $x^2 - y^2$ from (-1.5, 0.01)")


def compare_rosenbrock(out: Path, fast: bool) -> str:
    """Every optimizer at its suggested lr on Rosenbrock."""
    n = steps(1000, fast)
    runs = [lab.run("rosenbrock", name, steps=n) for name in ("sgd", "momentum", "adagrad", "rmsprop", "adam")]
    return _plot(runs, out / "compare_rosenbrock.png",
                 title=f"Five optimizers on Rosenbrock, {n} steps")


def schedule_log_square(out: Path, fast: bool) -> str:
    """The slides' decay example: SGD on ln(x^2 + 0.01) from -1.5 with lr 0.2 keeps bouncing
    around the sharp minimum; the smooth decay 0.2 * 0.5^(s / 10) lets it settle."""
    n = steps(50, fast)
    log_square = zoomed("log_square", -2.0, 2.0)
    runs = [
        lab.run(log_square, "sgd", start=-1.5, steps=n, lr=0.2, label="SGD, constant lr 0.2"),
        lab.run(log_square, "sgd", start=-1.5, steps=n, lr=0.2, label="SGD, lr 0.2 * 0.5^(s/10)",
                schedule=lambda opt: schedules.ExponentialDecayLR(opt, decay_rate=0.5, decay_steps=10)),
    ]
    return _plot(runs, out / "schedule_log_square.png",
                 title=r"SGD on $\ln(x^2 + 0.01)$ from -1.5, lr 0.2: with and without decay")


# ---- the optimizers beyond the slides, each against Adam on the same function -------------------
# Adam runs with the same lr where the two take steps of the same scale (both divide by a root
# mean square), else at the lr the lab suggests for it on that function.

def nadam_vs_adam(out: Path, fast: bool) -> str:
    """NAdam's Nesterov look-ahead against Adam on Rosenbrock, both lr 0.05."""
    n = steps(600, fast)
    runs = [lab.run("rosenbrock", "adam", steps=n, lr=0.05), lab.run("rosenbrock", optim.NAdam, steps=n, lr=0.05)]
    return _small(runs, out / "nadam_vs_adam.png", f"NAdam and Adam on Rosenbrock, lr 0.05, {n} steps")


def radam_vs_adam(out: Path, fast: bool) -> str:
    """RAdam against Adam on Rosenbrock with lr 0.01: its first four steps are SGD with momentum,
    then the rectified adaptive step."""
    n = steps(600, fast)
    runs = [lab.run("rosenbrock", "adam", steps=n, lr=0.01), lab.run("rosenbrock", optim.RAdam, steps=n, lr=0.01)]
    return _small(runs, out / "radam_vs_adam.png", f"RAdam and Adam on Rosenbrock, lr 0.01, {n} steps")


def adamax_vs_adam(out: Path, fast: bool) -> str:
    """Adamax (the infinity norm of past gradients) against Adam on Himmelblau's function."""
    n = steps(200, fast)
    runs = [lab.run("himmelblau", "adam", steps=n, lr=0.1), lab.run("himmelblau", optim.Adamax, steps=n, lr=0.1)]
    return _small(runs, out / "adamax_vs_adam.png", f"Adamax and Adam on Himmelblau's function, lr 0.1, {n} steps")


def adabelief_vs_adam(out: Path, fast: bool) -> str:
    """AdaBelief (divides by the spread of g around m) against Adam on Rosenbrock."""
    n = steps(600, fast)
    runs = [lab.run("rosenbrock", "adam", steps=n, lr=0.05),
            lab.run("rosenbrock", optim.AdaBelief, steps=n, lr=0.05)]
    return _small(runs, out / "adabelief_vs_adam.png", f"AdaBelief and Adam on Rosenbrock, lr 0.05, {n} steps")


def yogi_vs_adam(out: Path, fast: bool) -> str:
    """Yogi (additive second moment) against Adam on Rosenbrock."""
    n = steps(600, fast)
    runs = [lab.run("rosenbrock", "adam", steps=n, lr=0.05), lab.run("rosenbrock", optim.Yogi, steps=n, lr=0.05)]
    return _small(runs, out / "yogi_vs_adam.png", f"Yogi and Adam on Rosenbrock, lr 0.05, {n} steps")


def lamb_vs_adam(out: Path, fast: bool) -> str:
    """LAMB's steps are lr times the parameter's norm: where Rosenbrock's valley passes the
    origin they shrink to almost nothing, and near (1, 1) they stay about lr * sqrt(2)."""
    n = steps(1500, fast)
    runs = [lab.run("rosenbrock", "adam", steps=n, lr=0.02), lab.run("rosenbrock", optim.LAMB, steps=n, lr=0.02)]
    return _small(runs, out / "lamb_vs_adam.png", f"LAMB and Adam on Rosenbrock, lr 0.02, {n} steps")


def lion_vs_adam(out: Path, fast: bool) -> str:
    """Lion moves every coordinate by exactly lr (the sign of an average) against Adam."""
    n = steps(600, fast)
    runs = [lab.run("rosenbrock", "adam", steps=n, lr=0.05),
            lab.run("rosenbrock", optim.Lion, steps=n, lr=0.01, weight_decay=0.0)]
    return _small(runs, out / "lion_vs_adam.png", f"Lion (lr 0.01) and Adam (lr 0.05) on Rosenbrock, {n} steps")


def adadelta_vs_adam(out: Path, fast: bool) -> str:
    """Adadelta at its lr 1: the steps start at sqrt(eps) and grow with the past steps."""
    n = steps(600, fast)
    runs = [lab.run("himmelblau", "adam", steps=n, lr=0.1), lab.run("himmelblau", optim.Adadelta, steps=n, lr=1.0)]
    return _small(runs, out / "adadelta_vs_adam.png",
                  f"Adadelta (lr 1) and Adam (lr 0.1) on Himmelblau's function, {n} steps")


def rprop_vs_adam(out: Path, fast: bool) -> str:
    """Rprop's per-coordinate step sizes, grown by 1.2 and halved on a sign flip."""
    n = steps(600, fast)
    runs = [lab.run("rosenbrock", "adam", steps=n, lr=0.05), lab.run("rosenbrock", optim.Rprop, steps=n, lr=0.01)]
    return _small(runs, out / "rprop_vs_adam.png",
                  f"Rprop (first step 0.01) and Adam (lr 0.05) on Rosenbrock, {n} steps")


NOISY = dict(noise=5.0, seed=0)  # a minibatch's scatter around the gradient, the same draws in every run


def asgd_vs_adam(out: Path, fast: bool) -> str:
    """With noisy gradients, ASGD's iterates keep jittering; their average (from t0 = 50 on)
    settles near the minimum."""
    n = steps(300, fast)
    asgd = lab.run("elongated", optim.ASGD, steps=n, lr=0.05, t0=min(50, n // 2), label="ASGD iterates (lr=0.05)",
                   **NOISY)
    runs = [lab.run("elongated", "adam", steps=n, lr=0.05, **NOISY), asgd,
            lab.evaluation_trajectory(asgd, label="ASGD average a_t")]
    return _small(runs, out / "asgd_vs_adam.png", f"Noisy gradients (sigma 5) on the elongated bowl, {n} steps")


def schedule_free_vs_adam(out: Path, fast: bool) -> str:
    """Schedule-free SGD with noisy gradients: y (where gradients are taken) and the average
    x (what eval() evaluates), against Adam."""
    n = steps(300, fast)
    free = lab.run("elongated", optim.ScheduleFreeSGD, steps=n, lr=0.05, label="ScheduleFreeSGD y (lr=0.05)",
                   **NOISY)
    runs = [lab.run("elongated", "adam", steps=n, lr=0.05, **NOISY), free,
            lab.evaluation_trajectory(free, label="ScheduleFreeSGD x (eval)")]
    return _small(runs, out / "schedule_free_vs_adam.png",
                  f"Noisy gradients (sigma 5) on the elongated bowl, {n} steps")


def lookahead_vs_adam(out: Path, fast: bool) -> str:
    """Lookahead(Adam) against Adam: every 5 steps the fast weights go back halfway."""
    n = steps(600, fast)
    runs = [lab.run("rosenbrock", "adam", steps=n, lr=0.05),
            lab.run("rosenbrock", lab.lookahead(optim.Adam, sync_period=5, slow_step_size=0.5), steps=n, lr=0.05)]
    return _small(runs, out / "lookahead_vs_adam.png", f"Lookahead (k 5, alpha 0.5) around Adam, lr 0.05, {n} steps")


def lbfgs_vs_adam(out: Path, fast: bool) -> str:
    """L-BFGS with a strong Wolfe line search, one iteration per point, against Adam."""
    rosenbrock = lab.get_function("rosenbrock")
    runs = [lab.run(rosenbrock, "adam", steps=steps(600, fast), lr=0.05),
            lab.run(rosenbrock, lab.with_closure(optim.LBFGS, rosenbrock), steps=steps(40, fast), max_iter=1,
                    max_eval=25, line_search_fn="strong_wolfe", label="L-BFGS (strong Wolfe)")]
    return _small(runs, out / "lbfgs_vs_adam.png", "L-BFGS (40 iterations) and Adam (lr 0.05) on Rosenbrock")


def _small(runs, path: Path, title: str) -> str:
    """The lab's trajectory figure as a small PNG (under 100 KB): 80 dpi, 128 colours."""
    import io

    from PIL import Image

    figure = plot_trajectories(runs, title=title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    buffer.seek(0)
    # A palette of 128 colours keeps the contours' gradient and every line; no dithering
    # keeps the file small and the same bytes on every run.
    image = Image.open(buffer).convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT,
                                                       dither=Image.Dither.NONE)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary:
        image.save(temporary, format="PNG", optimize=True)
    return str(path)


# ---- figures that are not trajectories ----------------------------------------------------------

def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _plot(runs, path: Path, title: str) -> str:
    """The lab's trajectory figure of ``runs``, written to ``path``; returns the path."""
    plot_trajectories(runs, path, title=title)
    return str(path)


def _save(figure, path: Path, dpi: int = 110) -> str:
    """Write whole or not at all, as every minigrad figure is (``minigrad.io.atomic_path``)."""
    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=dpi)
    return str(path)


def ema_from_zero(values: np.ndarray, beta: float) -> np.ndarray:
    """m_t = beta m_{t-1} + (1 - beta) g_t from m_0 = 0, with the optimizer's own EMA rule
    (SGD's ema=True buffer), one value per t = 1..len(values)."""
    probe = np.zeros(1)
    state = F.sgd_init(probe, momentum=beta)
    averages = []
    for value in values:
        F.sgd(probe, np.array([value]), state, lr=0.0, momentum=beta, ema=True)
        averages.append(float(state["momentum_buffer"][0]))
    return np.array(averages)


def adam_step_over_lr(bias_correction, count: int, eps_inside_sqrt: bool = True) -> np.ndarray:
    """|Adam's step| / lr under a constant gradient g = 1, for t = 1..count."""
    param, grad = np.zeros(1), np.ones(1)
    state = F.adam_init(param)
    ratios = []
    for _ in range(count):
        before = float(param[0])
        F.adam(param, grad, state, lr=1.0, eps=1e-7, bias_correction=bias_correction,
               eps_inside_sqrt=eps_inside_sqrt)
        ratios.append(abs(float(param[0]) - before))
    return np.array(ratios)


def adam_bias_correction(out: Path, fast: bool) -> str:
    """Left: an EMA from zero of noisy gradients with mean 1 starts near 0 (E[m_t] = (1 - beta^t)
    E[g]); dividing by 1 - beta^t removes that. Middle: the same for v with beta2 = 0.999,
    which stays biased for hundreds of steps. Right: what that does to Adam's step."""
    rng = np.random.default_rng(0)
    short, long = steps(40, fast), steps(1000, fast)
    grads = 1.0 + 0.5 * rng.standard_normal(long)
    t_short, t_long = np.arange(1, short + 1), np.arange(1, long + 1)

    figure = _figure(15, 4.6)
    first, second, step = figure.subplots(1, 3)
    m = ema_from_zero(grads[:short], 0.9)
    first.plot(t_short, grads[:short], "o", color="#999999", markersize=3.5, label="gradients g_t (mean 1)")
    first.plot(t_short, m, color=COLORS["momentum"], linewidth=2, label="m_t, from m_0 = 0")
    first.plot(t_short, m / (1 - 0.9**t_short), color=COLORS["adam"], linewidth=2, label="m_t / (1 - 0.9^t)")
    first.plot(t_short, 1 - 0.9**t_short, color=COLORS["momentum"], linestyle=":", label="1 - 0.9^t")
    first.set_title("first moment, beta1 = 0.9", fontsize=12)

    v = ema_from_zero(grads**2, 0.999)
    second.plot(t_long, v, color=COLORS["momentum"], linewidth=2, label="v_t, from v_0 = 0")
    second.plot(t_long, v / (1 - 0.999**t_long), color=COLORS["adam"], linewidth=2, label="v_t / (1 - 0.999^t)")
    second.axhline(1.25, color="#444444", linestyle="--", linewidth=1, label="E[g^2] = 1.25")
    second.set_title("second moment, beta2 = 0.999", fontsize=12)

    variants = [(True, "both corrected (PyTorch, Keras)", COLORS["adam"]),
                (False, "none (simpler Adam)", COLORS["sgd"]),
                ("first", "m only (last Adam slide)", COLORS["rmsprop"]),
                ("second", "v only", COLORS["adagrad"])]
    for correction, label, color in variants:
        step.plot(t_long, adam_step_over_lr(correction, long), color=color, linewidth=2, label=label)
    step.set_yscale("log")
    step.set_title("|Adam step| / lr, constant gradient", fontsize=12)

    for axes in (first, second, step):
        axes.set_xlabel("step t", fontsize=11)
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize=9, loc="best")
    second.set_xscale("log")
    step.set_xscale("log")
    figure.suptitle("Moving averages started at zero are biased towards zero; bias correction removes it",
                    fontsize=13)
    return _save(figure, out / "adam_bias_correction.png")


def lr_schedules(out: Path, fast: bool) -> str:
    """The closed-form schedules, lr against step, from base lr 0.2."""
    total = 60
    t = np.arange(total + 1)
    curves = [
        ("StepLR(step_size=10, gamma=0.5)", [schedules.step_lr(0.2, s, 10, 0.5) for s in t]),
        ("ExponentialDecayLR(decay_rate=0.5, decay_steps=10)",
         [schedules.exponential_decay_lr(0.2, s, 0.5, 10) for s in t]),
        ("ExponentialLR(gamma=0.95)", [schedules.exponential_lr(0.2, s, 0.95) for s in t]),
        ("MultiStepLR(milestones=[20, 40], gamma=0.1)", [schedules.multistep_lr(0.2, s, [20, 40], 0.1) for s in t]),
        ("CosineAnnealingLR(T_max=60)", [schedules.cosine_annealing_lr(0.2, s, 60) for s in t]),
        ("LinearLR(start_factor=0.1, total_iters=10): warmup",
         [schedules.linear_lr(0.2, s, 0.1, 1.0, 10) for s in t]),
    ]
    figure = _figure(12.5, 4.8)
    axes = figure.subplots()
    for (label, lrs), color in zip(curves, ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]):
        axes.plot(t, lrs, color=color, linewidth=2, label=label,
                  drawstyle="steps-post" if label.startswith(("StepLR", "MultiStep")) else "default")
    axes.set_xlabel("scheduler steps (usually epochs)", fontsize=11)
    axes.set_ylabel("lr", fontsize=11)
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: no line hidden
    axes.set_title("Learning-rate schedules from base lr 0.2 (minigrad.optim.lr_scheduler)", fontsize=13)
    return _save(figure, out / "lr_schedules.png")


# One figure per optimizer beyond the slides, each against Adam (the guide's sections).
NEW_RULE_FIGURES = [nadam_vs_adam, radam_vs_adam, adamax_vs_adam, adabelief_vs_adam, yogi_vs_adam, lamb_vs_adam,
                    lion_vs_adam, adadelta_vs_adam, rprop_vs_adam, asgd_vs_adam, schedule_free_vs_adam,
                    lookahead_vs_adam, lbfgs_vs_adam]

FIGURES: dict[str, Callable[[Path, bool], str]] = {
    function.__name__: function
    for function in [sgd_learning_rates, momentum_from_90, momentum_rosenbrock, adagrad_log_square,
                     adagrad_vs_rmsprop, rmsprop_from_9, adam_bias_correction, adam_variants_rosenbrock,
                     lr_schedules, schedule_log_square, compare_saddle, compare_rosenbrock]
    + NEW_RULE_FIGURES
}


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="a fifth of the steps (for the tests)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--out", type=Path, default=Path("optimizer_figures"),
                       help="output folder (default: ./optimizer_figures)")
    where.add_argument("--docs", action="store_true", help=f"save over the figures in {DOCS_FIGURES}")
    parser.add_argument("--only", nargs="+", choices=sorted(FIGURES), default=None, help="draw only these figures")
    args = parser.parse_args(argv)
    if args.docs:
        if args.fast:  # fast pictures check that the script works; they never replace the docs' own
            parser.error("--fast figures cannot go to the docs: leave out --fast or --docs")
        args.out = DOCS_FIGURES
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_arguments(argv)
    out = args.out
    for name in args.only or FIGURES:
        started = time.perf_counter()
        path = FIGURES[name](out, args.fast)
        print(f"{path}  ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
