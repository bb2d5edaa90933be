"""The optimizer lab: the slides' step tables, then the slides' pictures, made by minigrad.

1. Step tables a student can check by hand: gradient descent on x^2 from 70, momentum from
   90, RMSProp from 9, and the divergence of lr 0.1 on 20x^2 from 2.
2. Rosenbrock from (-1.5, 2): how close Adam and Momentum get, and SGD with a too-large lr;
   then every other optimizer of minigrad.optim there, and two of their step tables.
3. Figures: five optimizers on Rosenbrock, the elongated bowl, the saddle, x^2 (PNG), the
   saddle and Rosenbrock animated (GIF), and AdaGrad's shrinking steps.
4. Figures that explain: the slides' averages, gradient and velocity arrows, accumulators,
   the eigen view of a quadratic and noisy gradients.

    python examples/optimizer_lab.py                      # figures into ./lab_figures/
    python examples/optimizer_lab.py --fast --out /tmp/x  # few steps and frames, into /tmp/x
    python examples/optimizer_lab.py --docs               # refresh the figures in docs/figures/

Only ``--docs`` writes into the repository's docs/figures/, whose files are tracked: running
an example must not change them by accident.
"""
import argparse
import os

from minigrad import lab, optim
from minigrad.lab import FUNCTIONS, run, step_table
from minigrad.lab.plots import animate_trajectories, plot_trajectories

OPTIMIZERS = ["sgd", "momentum", "adagrad", "rmsprop", "adam"]


def slide_tables() -> None:
    print(step_table(run("square", "sgd", (70.0,), 4, lr=0.1)), end="\n\n")
    print(step_table(run("square", "momentum", (90.0,), 5, lr=0.1)), end="\n\n")
    print(step_table(run("square", "rmsprop", (9.0,), 3, lr=0.1, alpha=0.9, eps=1e-7, eps_inside_sqrt=True)),
          end="\n\n")
    print(step_table(run("square20", "sgd", (2.0,), 4, lr=0.1)), end="\n\n")


def rosenbrock_race(steps: int) -> None:
    for name, lr in [("adam", 0.05), ("momentum", 1e-3), ("sgd", 0.01)]:
        print(run("rosenbrock", name, (-1.5, 2.0), steps, lr=lr).summary())
    print()


def beyond_the_slides(steps: int) -> None:
    """Every other optimizer of minigrad.optim on Rosenbrock (L-BFGS through a closure, one
    iteration per step; Lookahead around Adam), then two of their step tables."""
    rosenbrock = lab.get_function("rosenbrock")
    runs = {
        optim.NAdam: dict(lr=0.05), optim.RAdam: dict(lr=0.01), optim.Adamax: dict(lr=0.05),
        optim.AdaBelief: dict(lr=0.05), optim.Yogi: dict(lr=0.05), optim.LAMB: dict(lr=0.02),
        optim.Lion: dict(lr=0.01, weight_decay=0.0), optim.Adadelta: dict(lr=1.0), optim.Rprop: dict(lr=0.01),
        optim.ASGD: dict(lr=1e-3, t0=100), optim.ScheduleFreeSGD: dict(lr=1e-3),
        optim.ScheduleFreeAdamW: dict(lr=0.05), lab.lookahead(optim.Adam): dict(lr=0.05),
        lab.with_closure(optim.LBFGS, rosenbrock): dict(max_iter=1, max_eval=25, line_search_fn="strong_wolfe"),
    }
    for optimizer, hyperparameters in runs.items():
        print(run(rosenbrock, optimizer, None, steps, **hyperparameters).summary())
    print()
    print(step_table(run("square", optim.NAdam, (9.0,), 3, lr=0.1)), end="\n\n")
    print(step_table(run("bowl", optim.ScheduleFreeSGD, (6.0, 9.0), 3, lr=0.1)), end="\n\n")


def figures(out: str, fast: bool) -> None:
    os.makedirs(out, exist_ok=True)
    for function in ["rosenbrock", "elongated", "saddle", "square", "double_well"]:
        steps = 30 if fast else FUNCTIONS[function].steps
        runs = [run(function, name, None, steps) for name in OPTIMIZERS]
        path = os.path.join(out, f"lab_{function}.png")
        plot_trajectories(runs, path)
        print("saved", path)
    steps = 12 if fast else 40
    shrinking = [run("square", "adagrad", (-3.0,), steps, lr=0.5, eps=1e-7, eps_inside_sqrt=True),
                 run("square", "rmsprop", (-3.0,), steps, lr=0.5, alpha=0.9, eps=1e-7, eps_inside_sqrt=True)]
    path = os.path.join(out, "lab_adagrad_steps.png")
    plot_trajectories(shrinking, path, title="x^2 from -3, lr 0.5: AdaGrad's steps shrink, RMSProp's do not")
    print("saved", path)
    for function in ["saddle", "rosenbrock"]:
        steps = 20 if fast else min(FUNCTIONS[function].steps, 400)
        runs = [run(function, name, None, steps) for name in OPTIMIZERS]
        path = os.path.join(out, f"lab_{function}.gif")
        animate_trajectories(runs, path, max_frames=5 if fast else 50)
        print("saved", path)


def explaining_figures(out: str, fast: bool) -> None:
    """The figures of the lab page's sections on averaging, arrows, quadratics and noise."""
    lab.plot_averages(path=os.path.join(out, "lab_averaging.png"))
    print("saved", os.path.join(out, "lab_averaging.png"))
    momentum = run("rosenbrock", "momentum", None, 60 if fast else 300, lr=1e-3, momentum=0.9)
    path = os.path.join(out, "lab_arrows_rosenbrock.png")
    lab.plot_trajectories(momentum, path, arrows=("gradient", "momentum"),
                          title="Momentum on Rosenbrock: the gradient's pull and the velocity carried")
    print("saved", path)
    adaptive = [run("bowl", name, (6.0, 9.0), 50, lr=0.5, eps=1e-7, eps_inside_sqrt=True)
                for name in ("adagrad", "rmsprop")]
    path = os.path.join(out, "lab_accumulators.png")
    lab.plot_trajectories(adaptive, path, accumulators=True,
                          title="x^2 + y^2 from (6, 9): AdaGrad's sum only grows, RMSProp's average forgets")
    print("saved", path)
    path = os.path.join(out, "lab_eigen_elongated.png")
    lab.plot_eigen_view("elongated", lr=0.4, momentum=0.5, steps=20 if fast else 50, path=path)
    print("saved", path)
    steps = 40 if fast else 150
    decay = lambda opt: optim.lr_scheduler.ExponentialDecayLR(opt, decay_rate=0.5, decay_steps=30)  # noqa: E731
    noisy = [run("elongated", "sgd", None, steps, lr=0.2, label="SGD lr=0.2, exact gradients"),
             run("elongated", "sgd", None, steps, lr=0.2, noise=1.0, seed=0, label="SGD lr=0.2, noise 1"),
             run("elongated", "sgd", None, steps, lr=0.2, noise=1.0, seed=0, schedule=decay,
                 label="SGD, noise 1, lr 0.2 * 0.5^(t/30)")]
    path = os.path.join(out, "lab_noise.png")
    lab.plot_trajectories(noisy, path, title="Noisy gradients: a noise floor, lowered by a decaying lr")
    print("saved", path)


DOCS_FIGURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "figures")


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="few steps and frames (for the tests)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--out", default="lab_figures", help="where to save the figures (default: ./lab_figures)")
    where.add_argument("--docs", action="store_true", help="save them over the figures in docs/figures/")
    args = parser.parse_args(argv)
    if args.docs:
        if args.fast:  # the fast mode's rough figures must never replace the ones the docs show
            parser.error("--fast figures cannot go to the docs: leave out --fast or --docs")
        args.out = DOCS_FIGURES
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_arguments(argv)
    slide_tables()
    rosenbrock_race(200 if args.fast else 3000)
    beyond_the_slides(100 if args.fast else 600)
    figures(args.out, args.fast)
    explaining_figures(args.out, args.fast)


if __name__ == "__main__":
    main()
