"""``minigrad compare``: the same initial model trained with several optimizers, side by side.

Every optimizer starts from the same weights and sees the same batches in the same order,
so the differences in the table and the figure come from the update rules alone. While
each trains, the progress names it ("Adam (lr=0.001)") on its bar, or on each line in a pipe.
"""
from __future__ import annotations

import json
import sys
import time

from minigrad.commands import optimizer_options as opts
from minigrad.commands.paths import prepare_outputs
from minigrad.optim import registry
from minigrad.commands.train import (
    OPTIMIZER_NAMES, Experiment, add_dataset_arguments, image_path, positive_float, run_options,
)
from minigrad.train import (
    DEFAULT_LR, OPTIMIZERS, DivergenceError, History, Progress, evaluate, fit, make_optimizer, single_threaded_blas,
)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "compare", help="train the same model with several optimizers and compare them",
        description="Train the same initial MLP with each optimizer and compare loss, accuracy and time.",
    )
    add_dataset_arguments(parser)
    parser.add_argument("--optimizers", nargs="+", type=opts.optimizer_name, default=list(OPTIMIZERS),
                        metavar="NAME", help=f"optimizers to compare, from: {opts.optimizer_list()} "
                                             f"(default: {' '.join(OPTIMIZERS)})")
    parser.add_argument("--lr", type=positive_float, nargs="+", default=None, metavar="LR",
                        help="one learning rate for all, or one per optimizer (default: each optimizer's own)")
    parser.add_argument("--plot", metavar="PATH", type=image_path,
                        help="save every optimizer's curves to this image file")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON line at the end")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress (a bar on a terminal, a line per epoch elsewhere) or other notes")
    opts.add_optimizer_options(parser, "lr schedule of every run, stepped after every optimizer step")
    parser.set_defaults(func=run)


def learning_rates(names: list[str], given: list[float] | None) -> list[float]:
    if given is None:
        return [DEFAULT_LR[name] for name in names]
    if len(given) == 1:
        return given * len(names)
    if len(given) != len(names):
        raise ValueError(f"--lr takes one value or one per optimizer ({len(names)}), got {len(given)}")
    return list(given)


def run(args) -> int:
    names = list(dict.fromkeys(args.optimizers))  # keep order, drop repeats
    options = opts.given_options(args)
    try:
        rates = learning_rates(names, args.lr)
        opts.check_options(names, options)
        schedule = opts.check_schedule(args.schedule)
        for name, lr in zip(names, rates):  # every run's settings, before the first one trains
            registry.check_values(name, lr, opts.class_options(options), schedule)
    except (ValueError, TypeError) as error:
        return _fail(error, 2)
    run_options(args)
    problem = prepare_outputs({"--plot": args.plot})
    if problem:
        return _fail(problem, 2)
    experiment = Experiment.from_args(args)
    initial_state = experiment.model().state_dict()
    data = experiment.data
    if not args.quiet:
        print(experiment.describe(), flush=True)  # in a pipe too, before the first epoch's line
    histories: dict[str, History] = {}
    rows = []
    for name, lr in zip(names, rates):
        model = experiment.model()
        model.load_state_dict(initial_state)
        optimizer = make_optimizer(name, model.parameters(), lr, **opts.class_options(options))
        scheduler = schedule(optimizer) if schedule else None
        started = time.perf_counter()
        try:
            with single_threaded_blas():
                history = fit(model, optimizer, experiment.loader(), experiment.epochs,
                              val_data=(data.X_test, data.y_test), scheduler=scheduler, scheduler_step="batch",
                              progress=False if args.quiet else Progress(f"{OPTIMIZER_NAMES[name]} (lr={lr:g})"))
            diverged = None
        except DivergenceError as error:
            history, diverged = None, str(error)
        seconds = time.perf_counter() - started
        row = {"optimizer": name, "lr": lr, "seconds": round(seconds, 3)}
        if history is None:
            row.update(final_train_loss=None, test_accuracy=None, diverged=diverged)
        else:
            test = evaluate(model, data.X_test, data.y_test)
            row.update(final_train_loss=round(history.train_loss[-1], 6),
                       test_accuracy=round(test["accuracy"], 6), epochs=len(history))
            histories[f"{OPTIMIZER_NAMES[name]} (lr={lr:g})"] = history
        rows.append(row)

    print(format_table(rows))
    if args.plot and histories:
        from minigrad.viz import plot_comparison
        title = f"Optimizers on {args.dataset}: MLP {'-'.join(map(str, experiment.sizes))}, batch {experiment.batch_size}"
        try:
            plot_comparison(histories, args.plot, title=title)
        except OSError as error:
            return _fail(error, 1)
        if not args.quiet:
            print(f"curves saved to {args.plot}")
    if args.json:
        print(json.dumps({"dataset": args.dataset, "epochs": experiment.epochs, "results": rows}))
    return 0


def _fail(error, code: int) -> int:
    print(f"minigrad compare: error: {error}", file=sys.stderr)
    return code


def format_table(rows: list[dict]) -> str:
    width = max([10, *(len(row["optimizer"]) for row in rows)])
    lines = [f"{'optimizer':<{width}} {'lr':>8} {'final loss':>11} {'test acc':>9} {'time (s)':>9}"]
    for row in rows:
        if row["test_accuracy"] is None:
            lines.append(f"{row['optimizer']:<{width}} {row['lr']:>8g} {'diverged':>11} {'-':>9} {row['seconds']:>9.2f}")
        else:
            lines.append(f"{row['optimizer']:<{width}} {row['lr']:>8g} {row['final_train_loss']:>11.4f} "
                         f"{row['test_accuracy']:>9.4f} {row['seconds']:>9.2f}")
    return "\n".join(lines)
