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

from minigrad.commands.paths import prepare_outputs
from minigrad.lab.functions import FUNCTIONS, get_function
from minigrad.lab.run import OPTIMIZERS, run
from minigrad.lab.table import step_table
from minigrad.train.progress import working


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
    table.add_argument("--optimizer", default="sgd", metavar="NAME",
                       help=f"one of: {', '.join(OPTIMIZERS)} (default: sgd)")
    table.add_argument("--steps", type=positive_int, default=4, help="number of steps (default: 4)")
    table.add_argument("--digits", type=positive_int, default=6, help="significant digits shown (default: 6)")
    _add_hyperparameter_arguments(table)
    table.set_defaults(func=run_table)

    compare = commands.add_parser("compare", help="trajectories of several optimizers on one function",
                                  description="Draw every optimizer's trajectory and loss per step; "
                                              "a .gif output is an animation.")
    _add_function_arguments(compare)
    compare.add_argument("--optimizers", nargs="+", default=["sgd", "momentum", "adagrad", "rmsprop", "adam"],
                         metavar="NAME", help=f"from: {', '.join(OPTIMIZERS)} (default: the first five)")
    compare.add_argument("--steps", type=positive_int, default=None,
                         help="number of steps (default: the function's own, e.g. 1000 for rosenbrock)")
    compare.add_argument("--lr", type=float, nargs="+", default=None, metavar="LR",
                         help="one lr for all, or one per optimizer (default: the function's suggested lrs)")
    compare.add_argument("--out", required=True, metavar="FILE", help="a .png (or .svg, .pdf) figure or a .gif animation")
    compare.add_argument("--frames", type=positive_int, default=60, help="at most this many frames in a .gif (default: 60)")
    compare.add_argument("--quiet", action="store_true",
                         help="no progress while the figure renders (a .gif takes seconds)")
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
    hyper = parser.add_argument_group("hyperparameters (torch.optim names; only those given are passed)")
    quiet = argparse.SUPPRESS
    for flag, kind in [("--lr", float), ("--momentum", float), ("--dampening", float), ("--alpha", float),
                       ("--eps", float), ("--weight-decay", float), ("--lr-decay", float),
                       ("--initial-accumulator-value", float)]:
        hyper.add_argument(flag, type=kind, default=quiet)
    hyper.add_argument("--betas", type=float, nargs=2, default=quiet, metavar=("BETA1", "BETA2"))
    for flag in ("--nesterov", "--centered", "--amsgrad", "--maximize", "--eps-inside-sqrt", "--ema", "--eps-hat"):
        hyper.add_argument(flag, action="store_true", default=quiet)
    hyper.add_argument("--bias-correction", choices=["true", "false", "first", "second"], default=quiet)
    hyper.add_argument("--schedule", default=None, metavar="SPEC",
                       help="lr schedule stepped after every step: step:STEP_SIZE:GAMMA, exponential:GAMMA "
                            "or decay:RATE:STEPS (the slides' eta0 * rate^(t / steps))")


_HYPERPARAMETERS = ("lr", "momentum", "dampening", "alpha", "eps", "weight_decay", "lr_decay",
                    "initial_accumulator_value", "betas", "nesterov", "centered", "amsgrad", "maximize",
                    "eps_inside_sqrt", "ema", "eps_hat", "bias_correction")


def hyperparameters_from(args) -> dict:
    given = {name: getattr(args, name) for name in _HYPERPARAMETERS if hasattr(args, name)}
    if "betas" in given:
        given["betas"] = tuple(given["betas"])
    if "bias_correction" in given:
        given["bias_correction"] = {"true": True, "false": False}.get(given["bias_correction"], given["bias_correction"])
    return given


def schedule_from(spec: str | None):
    """A scheduler factory from ``kind:arg:...``; ValueError naming the spec if malformed.

    Step counts must be whole numbers: ``step:2.5:0.5`` is refused, not read as step 2.
    """
    if spec is None:
        return None
    from minigrad.optim import lr_scheduler

    # Each kind: its argument names (the ones ending in SIZE or STEPS are step counts) and maker.
    makers = {
        "step": (("STEP_SIZE", "GAMMA"), lambda opt, size, gamma: lr_scheduler.StepLR(opt, step_size=size, gamma=gamma)),
        "exponential": (("GAMMA",), lambda opt, gamma: lr_scheduler.ExponentialLR(opt, gamma=gamma)),
        "decay": (("RATE", "STEPS"), lambda opt, rate, steps: lr_scheduler.ExponentialDecayLR(
            opt, decay_rate=rate, decay_steps=steps)),
    }
    kind, *values = spec.split(":")
    if kind not in makers or len(values) != len(makers[kind][0]):
        raise ValueError(f"bad --schedule {spec!r}: use step:STEP_SIZE:GAMMA, exponential:GAMMA or decay:RATE:STEPS")
    names, make = makers[kind]
    numbers = [_schedule_number(spec, name, text) for name, text in zip(names, values)]
    return lambda opt: make(opt, *numbers)


def _schedule_number(spec: str, name: str, text: str) -> int | float:
    if name.endswith(("SIZE", "STEPS")):
        try:
            count = int(text)
        except ValueError:
            count = 0
        if count < 1:
            raise ValueError(f"bad --schedule {spec!r}: {name} must be a positive integer, got {text!r}")
        return count
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"bad --schedule {spec!r}: {name} must be a number, got {text!r}") from None


def _fail(command: str, error: Exception | str, code: int = 2) -> int:
    print(f"minigrad lab {command}: error: {error}", file=sys.stderr)
    return code


def run_table(args) -> int:
    try:
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
        steps = args.steps or objective.steps
        trajectories = [run(objective, name, args.start, steps, **({"lr": lr} if lr is not None else {}))
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
