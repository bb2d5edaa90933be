"""``minigrad lab``: the optimizer lab from the command line.

    minigrad lab table --function square --x0 70 --optimizer sgd --lr 0.1 --steps 4
    minigrad lab compare --function rosenbrock --optimizers sgd momentum adam --out runs.gif
    minigrad lab functions

``table`` prints the slides' kind of step table (t, x_t, f'(x_t), the optimizer's state) so a
hand computation can be checked line by line; ``compare`` draws every optimizer's trajectory
on one function (a ``.gif`` is animated; while it renders, a line says so and, on a terminal,
how long it has taken); ``functions`` lists the test functions.
"""
from __future__ import annotations

import argparse
import contextlib
import sys

from minigrad.commands import optimizer_options as opts
from minigrad.commands.paths import prepare_outputs
from minigrad.lab.functions import FUNCTIONS, get_function
from minigrad.lab.run import OPTIMIZERS, run
from minigrad.lab.table import step_table
from minigrad.optim.registry import CLASSIC
from minigrad.train.progress import working
from minigrad.train.schedules import schedule_from


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer > 0, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be an integer > 0, got {value}")
    return value


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "lab", help="the optimizer lab: step tables and trajectory plots on test functions",
        description="Run optimizers on the slides' test functions: step tables and trajectory plots.",
    )
    commands = parser.add_subparsers(dest="lab_command", metavar="LAB_COMMAND")
    parser.set_defaults(func=lambda args: _help(parser))

    table = commands.add_parser("table", help="the slides' step table for one optimizer on one function",
                                description="Print t, x_t, f'(x_t) and the optimizer's state for every step.")
    _add_function_arguments(table)
    table.add_argument("--optimizer", type=opts.optimizer_name, default="sgd", metavar="NAME",
                       help=f"one of: {', '.join(OPTIMIZERS)} (default: sgd)")
    table.add_argument("--steps", type=positive_int, default=4, help="number of steps (default: 4)")
    table.add_argument("--digits", type=positive_int, default=6, help="significant digits shown (default: 6)")
    _add_hyperparameter_arguments(table)
    table.set_defaults(func=run_table)

    compare = commands.add_parser("compare", help="trajectories of several optimizers on one function",
                                  description="Draw every optimizer's trajectory and loss per step; "
                                              "a .gif output is an animation.")
    _add_function_arguments(compare)
    compare.add_argument("--optimizers", nargs="+", type=opts.optimizer_name, default=list(CLASSIC),
                         metavar="NAME", help=f"from: {', '.join(OPTIMIZERS)} (default: {' '.join(CLASSIC)})")
    compare.add_argument("--steps", type=positive_int, default=None,
                         help="number of steps (default: the function's own, e.g. 1000 for rosenbrock)")
    compare.add_argument("--lr", type=float, nargs="+", default=None, metavar="LR",
                         help="one lr for all, or one per optimizer (default: the function's suggested lrs)")
    compare.add_argument("--out", required=True, metavar="FILE", help="a .png (or .svg, .pdf) figure or a .gif animation")
    compare.add_argument("--frames", type=positive_int, default=60, help="at most this many frames in a .gif (default: 60)")
    compare.add_argument("--quiet", action="store_true",
                         help="no progress while the figure renders (a .gif takes seconds)")
    opts.add_optimizer_options(compare, "lr schedule of every run, stepped after every step")
    compare.set_defaults(func=run_compare)

    listing = commands.add_parser("functions", help="list the test functions")
    listing.set_defaults(func=run_functions)


def _help(parser) -> int:
    parser.print_help(sys.stderr)
    return 2  # a lab command is required


def _add_function_arguments(parser) -> None:
    parser.add_argument("--function", required=True, metavar="NAME", help=f"one of: {', '.join(FUNCTIONS)}")
    parser.add_argument("--x0", "--start", dest="start", type=float, nargs="+", default=None, metavar="X",
                        help="start point, one number per coordinate (default: the function's own)")


def _add_hyperparameter_arguments(parser) -> None:
    """Only the options given reach the optimizer: the rest keep its (torch.optim) defaults."""
    parser.add_argument("--lr", type=float, default=argparse.SUPPRESS,
                        help="learning rate (default: the function's suggested lr, else the class default)")
    opts.add_optimizer_options(parser, "lr schedule stepped after every step")


def hyperparameters_from(args) -> dict:
    """The optimizer's keyword arguments given on the command line (lr included)."""
    given = opts.class_options(opts.given_options(args))
    if hasattr(args, "lr"):
        given["lr"] = args.lr
    return given


def _fail(command: str, error: Exception | str, code: int = 2) -> int:
    print(f"minigrad lab {command}: error: {error}", file=sys.stderr)
    return code


def run_table(args) -> int:
    try:
        opts.check_options([args.optimizer], opts.given_options(args))
        trajectory = run(args.function, args.optimizer, args.start, args.steps,
                         schedule=schedule_from(args.schedule), **hyperparameters_from(args))
    except (ValueError, TypeError) as error:
        return _fail("table", error)
    print(step_table(trajectory, digits=args.digits))
    return 0


def run_compare(args) -> int:
    names = list(dict.fromkeys(name.lower() for name in args.optimizers))
    problem = prepare_outputs({"--out": args.out})
    if problem:
        return _fail("compare", problem)
    try:
        objective = get_function(args.function)
        lrs = _learning_rates(names, args.lr)
        given = opts.given_options(args)
        opts.check_options(names, given)
        schedule = schedule_from(args.schedule)
        steps = args.steps or objective.steps
        trajectories = [run(objective, name, args.start, steps, schedule=schedule,
                            **opts.class_options(given), **({"lr": lr} if lr is not None else {}))
                        for name, lr in zip(names, lrs)]
        from minigrad.lab.plots import save_comparison

        animated = args.out.lower().endswith(".gif")
        options = {"max_frames": args.frames} if animated else {}
        # The lab's plotting reports no progress of its own: show that it works, and how long.
        with contextlib.nullcontext() if args.quiet else working(
                f"rendering {args.out}" + (f" (at most {args.frames} frames)" if animated else "")):
            save_comparison(trajectories, args.out, **options)
    except (ValueError, TypeError) as error:
        return _fail("compare", error)
    except OSError as error:
        return _fail("compare", error, code=1)
    for trajectory in trajectories:
        print(trajectory.summary())
    print(f"saved {args.out}")
    return 0


def _learning_rates(names: list[str], given: list[float] | None) -> list[float | None]:
    if given is None:
        return [None] * len(names)
    if len(given) == 1:
        return given * len(names)
    if len(given) != len(names):
        raise ValueError(f"--lr takes one value or one per optimizer ({len(names)}), got {len(given)}")
    return list(given)


def run_functions(args) -> int:
    width = max(len(name) for name in FUNCTIONS)
    for name, objective in FUNCTIONS.items():
        start = ", ".join(f"{v:g}" for v in objective.start)
        print(f"{name:<{width}}  {objective.dim}-D  start ({start})  {objective.description}")
    return 0
