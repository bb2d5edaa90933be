"""``minigrad sweep``: train a grid of optimizers x learning rates x seeds, in parallel.

    minigrad sweep --dataset digits --optimizers sgd momentum adagrad rmsprop adam \\
        --lrs 0.001 0.01 0.1 1 --seeds 0 1 --n-jobs 2 --out results.csv --plot lr.png

While it runs it shows the runs done out of the total and the best so far (a bar on a
terminal, a line per finished run in a pipe or a log). Then it prints one line per
(optimizer, lr) with the accuracy over the seeds; ``--out`` keeps one
CSV row per run, saved as each run finishes (a sweep stopped half way keeps what it did),
``--plot`` draws accuracy against lr. Output folders are created, and output paths checked,
before the first run. ``--backend dask --scheduler ADDRESS``
sends the runs to a Dask cluster instead of local worker processes.
"""
from __future__ import annotations

import json
import math
import sys
import time

from minigrad.commands import optimizer_options as opts
from minigrad.commands.paths import prepare_outputs
from minigrad.commands.train import image_path, positive_float, positive_int
from minigrad.data import DATASETS
from minigrad.train import OPTIMIZERS


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "sweep", help="train a grid of optimizers x learning rates x seeds in parallel",
        description="Train an MLP for every optimizer, learning rate and seed of a grid, in parallel "
                    "(local processes or a Dask cluster); report and plot accuracy against learning rate.",
    )
    parser.add_argument("--dataset", choices=list(DATASETS), default="digits", help="dataset (default: digits)")
    parser.add_argument("--optimizers", nargs="+", default=list(OPTIMIZERS), metavar="NAME",
                        help=f"optimizers, from: {opts.optimizer_list()} (default: {' '.join(OPTIMIZERS)})")
    parser.add_argument("--lrs", type=positive_float, nargs="+", required=True, metavar="LR",
                        help="learning rates, each tried with every optimizer")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], metavar="SEED",
                        help="seeds of the initial weights and the batch order (default: 0)")
    parser.add_argument("--epochs", type=positive_int, default=None,
                        help="epochs per run (default: 30, or more on small datasets: about 600 steps)")
    parser.add_argument("--batch-size", type=positive_int, default=64, help="mini-batch size (default: 64)")
    parser.add_argument("--hidden", type=positive_int, nargs="+", default=[128, 128], metavar="N",
                        help="hidden layer sizes (default: 128 128)")
    parser.add_argument("--data-seed", type=int, default=0, help="seed of the train/test split, the same for all runs")
    parser.add_argument("--n-jobs", type=int, default=1,
                        help="parallel runs (default: 1; -1: one per core; with dask and no --scheduler: workers)")
    parser.add_argument("--backend", choices=("loky", "dask"), default="loky",
                        help="loky: worker processes on this machine (default); dask: a Dask cluster")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default with --backend dask: "
                             "a local cluster of --n-jobs workers)")
    parser.add_argument("--timeout", type=positive_float, default=5.0,
                        help="seconds to wait for the Dask scheduler before giving up (default: 5)")
    parser.add_argument("--out", metavar="PATH", help="write one CSV row per run to this file, as each run finishes")
    parser.add_argument("--plot", metavar="PATH", type=image_path,
                        help="save accuracy against learning rate to this image file")
    parser.add_argument("--json", action="store_true", help="print every run as one JSON line at the end")
    parser.add_argument("--quiet", action="store_true",
                        help="print only the table (and the JSON): no progress while the runs train")
    opts.add_optimizer_options(parser, "lr schedule of every run, stepped after every optimizer step")
    parser.set_defaults(func=run)


def run(args) -> int:
    from minigrad.sweep import DaskClusterError, ResultsFile, format_summary, grid, plot_sweep, run_sweep

    if args.scheduler and args.backend != "dask":
        return _fail("--scheduler needs --backend dask", code=2)
    try:
        options = opts.given_options(args)
        opts.check_options([name for name in args.optimizers if opts.is_known(name)], options)
        configs = grid(args.dataset, args.optimizers, args.lrs, args.seeds, epochs=args.epochs,
                       batch_size=args.batch_size, hidden=args.hidden, data_seed=args.data_seed,
                       options=options, schedule=args.schedule)
    except (ValueError, TypeError) as error:
        return _fail(str(error), code=2)
    problem = prepare_outputs({"--out": args.out, "--plot": args.plot})
    if problem:
        return _fail(problem, code=2)
    results = ResultsFile(args.out) if args.out else None
    if not args.quiet:
        where = args.scheduler or ("a local Dask cluster" if args.backend == "dask" else "this machine")
        print(f"{len(configs)} runs on {args.dataset} ({configs[0].epochs} epochs each), "
              f"n_jobs={args.n_jobs}, backend {args.backend} on {where}", flush=True)
    started = time.perf_counter()
    try:
        # Each row is saved as its run finishes: a failure later on loses none of them.
        rows = run_sweep(configs, n_jobs=args.n_jobs, backend=args.backend, scheduler=args.scheduler,
                         timeout=args.timeout, on_row=results.add if results else None,
                         progress=not args.quiet)
    except (DaskClusterError, OSError) as error:
        return _fail(_with_saved_rows(str(error), results), code=1)
    except (ValueError, ImportError) as error:
        return _fail(str(error), code=2)
    seconds = time.perf_counter() - started
    print(format_summary(rows))
    if not args.quiet:
        print(f"{len(rows)} runs in {seconds:.1f} s")
        if args.out:
            print(f"results saved to {args.out}")
    if args.plot:
        try:
            plot_sweep(rows, args.plot)
        except OSError as error:
            return _fail(_with_saved_rows(str(error), results), code=1)
        if not args.quiet:
            print(f"plot saved to {args.plot}")
    if args.json:
        print(json.dumps([{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
                          for row in rows]))
    return 0


def _with_saved_rows(message: str, results) -> str:
    if results is None or not results.rows:
        return message
    return f"{message} ({len(results.rows)} finished runs are saved in {results.path})"


def _fail(message: str, code: int) -> int:
    print(f"minigrad sweep: error: {message}", file=sys.stderr)
    return code
