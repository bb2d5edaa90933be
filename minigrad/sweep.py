"""Optimizer sweeps: every (optimizer, learning rate, seed) of a grid trained, in parallel.

A sweep answers the question every optimizer lecture asks: how does each method's result
depend on its learning rate? ``grid`` makes the runs, ``run_sweep`` trains them through
joblib (worker processes on this machine, or a Dask cluster through joblib's Dask backend),
``write_csv`` keeps one row per run (``ResultsFile`` as each run finishes) and
``plot_sweep`` draws accuracy against lr, one line per optimizer.

Each run depends on its configuration only: the data split is fixed by ``data_seed``, and
``seed`` fixes the initial weights and the order of the batches. So the same grid gives the
same rows (timings aside) whatever the backend and the number of workers.

    >>> rows = run_sweep(grid("iris", ["sgd", "adam"], [0.01, 0.1], [0], epochs=3), progress=False)
    >>> [(row["optimizer"], row["lr"]) for row in rows]
    [('sgd', 0.01), ('sgd', 0.1), ('adam', 0.01), ('adam', 0.1)]
"""
from __future__ import annotations

import csv
import functools
import io
import itertools
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from minigrad.optim import registry
from minigrad.train import OPTIMIZERS  # noqa: F401  (re-exported: the five a sweep runs by default)

BACKENDS = ("loky", "dask")
# Columns of a results row, in CSV order. Everything but "seconds" is reproducible.
COLUMNS = ("dataset", "optimizer", "lr", "seed", "epochs", "batch_size", "hidden", "data_seed", "options", "schedule",
           "final_loss", "test_loss", "accuracy", "diverged", "seconds")


class DaskClusterError(ConnectionError):
    """The Dask cluster cannot run the sweep; the message says why and where."""


class SchedulerUnreachableError(DaskClusterError):
    """The Dask scheduler did not answer at the given address within the timeout."""


class NoWorkersError(DaskClusterError):
    """The Dask scheduler answered, but no worker joined it within the timeout."""


@dataclass(frozen=True)
class RunConfig:
    """One training run of a sweep: all it depends on."""

    dataset: str
    optimizer: str
    lr: float
    seed: int
    epochs: int
    batch_size: int = 64
    hidden: tuple[int, ...] = (128, 128)
    data_seed: int = 0
    # The optimizer's options (sorted JSON of keyword: value, "" for none) and the --schedule
    # spec ("" for none): text, so that a config stays hashable and a CSV cell.
    options: str = ""
    schedule: str = ""


def grid(dataset: str, optimizers: Sequence[str], lrs: Sequence[float], seeds: Sequence[int],
         epochs: int | None = None, batch_size: int = 64, hidden: Sequence[int] = (128, 128),
         data_seed: int = 0, options: dict[str, Any] | None = None, schedule: str | None = None
         ) -> list[RunConfig]:
    """Every combination of optimizer x lr x seed, in that nesting order, checked first.

    ``epochs=None`` picks the training command's default for the dataset (about 600 steps).
    ``options`` (keywords of the optimizer classes, JSON values: ``{"weight_decay": 1e-4}``)
    go to every optimizer of the grid; ``schedule`` is a ``--schedule`` spec stepped after
    every optimizer step (``"cosine:600"``).
    Raises ValueError for an empty axis, an unknown optimizer (listing the choices), an
    option that does not apply to one of the optimizers, a malformed schedule, a
    learning rate that is not a positive finite number, or an unknown dataset.
    """
    from minigrad.data import DATASETS
    from minigrad.train import default_epochs

    optimizers, lrs, seeds = list(optimizers), list(lrs), list(seeds)
    for axis, values in (("optimizers", optimizers), ("lrs", lrs), ("seeds", seeds)):
        if not values:
            raise ValueError(f"empty grid: no {axis} given (the sweep needs at least one of each "
                             "of optimizers, lrs and seeds)")
    unknown = [name for name in optimizers if not _is_registered(name)]
    if unknown:
        raise ValueError(f"unknown optimizer{'s' * (len(unknown) > 1)} {', '.join(map(repr, unknown))} "
                         f"in the grid; choose from: {', '.join(registry.NAMES)}")
    optimizers = [registry.get(name).name for name in optimizers]
    options = dict(options or {})
    for name in optimizers:
        registry.check_options(name, options)
    schedule_factory = _make_schedule(schedule)
    bad_lrs = [lr for lr in lrs if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < math.inf]
    if bad_lrs:
        raise ValueError(f"learning rates must be positive finite numbers, got {bad_lrs!r}")
    bad_seeds = [seed for seed in seeds if isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                 or seed < 0]
    if bad_seeds:
        raise ValueError(f"seeds must be non-negative integers, got {bad_seeds!r}")
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of: {', '.join(DATASETS)}")
    if epochs is None:
        epochs = default_epochs(len(_load(dataset, data_seed).X_train), batch_size)
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    # Repeats would train the same run twice and count it twice in the means.
    optimizers, lrs, seeds = (list(dict.fromkeys(axis)) for axis in (optimizers, lrs, seeds))
    for name, lr in itertools.product(optimizers, lrs):  # every run's settings, before any trains
        registry.check_values(name, float(lr), registry.class_options(options), schedule_factory)
    text = json.dumps(options, sort_keys=True) if options else ""
    return [RunConfig(dataset, name, float(lr), int(seed), int(epochs), int(batch_size), tuple(hidden),
                      int(data_seed), text, schedule or "")
            for name, lr, seed in itertools.product(optimizers, lrs, seeds)]


def _is_registered(name: Any) -> bool:
    try:
        registry.get(name)
    except ValueError:
        return False
    return True


def _make_schedule(spec: str | None):
    from minigrad.train.schedules import schedule_from
    return schedule_from(spec or None)


def _class_options(text: str) -> dict[str, Any]:
    """A config's options as the optimizer class takes them."""
    return registry.class_options(json.loads(text) if text else {})


# Each worker loads a dataset once, however many runs it trains on it.
@functools.lru_cache(maxsize=8)
def _load(dataset: str, data_seed: int):
    from minigrad.data import load_dataset
    return load_dataset(dataset, seed=data_seed)


def train_run(config: RunConfig, data=None) -> dict[str, Any]:
    """Train one configuration and return its results row (see ``COLUMNS``).

    ``data`` is the config's ``DatasetSplits`` if the caller has it already (``run_sweep`` loads
    each dataset once and sends it along, so that workers need not import scikit-learn to
    load it again); by default it is loaded here.

    A run whose loss becomes NaN or infinite is a result too (the lr was too large):
    its row has ``diverged=True`` and NaN losses and accuracy.

    The run uses one BLAS thread: the sweep's parallelism is across runs, the matrices of
    these small models are too small to gain from threads, and a fixed thread count keeps
    the floating-point summation order, hence the results, the same in every worker.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _train_run(config, data if data is not None else _load(config.dataset, config.data_seed))


def _train_run(config: RunConfig, data) -> dict[str, Any]:
    from minigrad import nn
    from minigrad.data import DataLoader
    from minigrad.train import DivergenceError, evaluate, fit, make_optimizer

    model = nn.MLP([data.n_features, *config.hidden, data.n_classes], seed=config.seed)
    optimizer = make_optimizer(config.optimizer, model.parameters(), config.lr, **_class_options(config.options))
    schedule = _make_schedule(config.schedule)
    loader = DataLoader(data.X_train, data.y_train, batch_size=config.batch_size, shuffle=True, seed=config.seed)
    started = time.perf_counter()
    try:
        history = fit(model, optimizer, loader, config.epochs, progress=False,
                      scheduler=schedule(optimizer) if schedule else None, scheduler_step="batch")
        test = evaluate(model, data.X_test, data.y_test)
        final_loss, diverged = history.train_loss[-1], not math.isfinite(test["loss"])
    except DivergenceError:
        final_loss, test, diverged = math.nan, {"loss": math.nan, "accuracy": math.nan}, True
    seconds = time.perf_counter() - started
    row = asdict(config)
    row.update(hidden="-".join(map(str, config.hidden)), final_loss=final_loss, test_loss=test["loss"],
               accuracy=test["accuracy"], diverged=diverged, seconds=seconds)
    return {column: row[column] for column in COLUMNS}


# ---- running a grid ----------------------------------------------------------------------

def run_sweep(configs: Sequence[RunConfig], n_jobs: int = 1, backend: str = "loky",
              scheduler: str | None = None, timeout: float = 5.0,
              on_row: Callable[[dict[str, Any]], None] | None = None,
              progress: bool = True) -> list[dict[str, Any]]:
    """Train every configuration and return the rows in the order of ``configs``.

    ``on_row`` is called with each row as soon as it is there (in that order), e.g. to save
    it (``ResultsFile.add``): if the sweep stops half way, the finished runs are kept.
    ``progress`` shows the runs done out of the total and the best run so far: a bar on a
    terminal or in a notebook, one line per finished run elsewhere (a pipe, a log).

    ``backend="loky"`` runs ``n_jobs`` worker processes on this machine (``n_jobs=1``: in this
    process, no workers; -1: one per core). ``backend="dask"`` sends the runs to the Dask
    scheduler at ``scheduler`` (e.g. "tcp://10.0.0.5:8786") through joblib's Dask backend,
    or, without an address, to a local Dask cluster of ``n_jobs`` single-threaded workers.
    A scheduler that does not answer within ``timeout`` seconds raises
    ``SchedulerUnreachableError``, one without workers ``NoWorkersError``, instead of waiting
    forever.
    """
    configs = list(configs)
    if not configs:
        raise ValueError("empty grid: there are no runs to train")
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of: {', '.join(BACKENDS)}")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise ValueError(f"n_jobs must be a positive integer or -1 (all cores), got {n_jobs!r}")
    if backend == "loky" and scheduler is not None:
        raise ValueError(f"a scheduler address ({scheduler!r}) needs backend='dask'")
    if not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be True or False, got {progress!r:.80}")
    tasks = [(config, _load(config.dataset, config.data_seed)) for config in configs]
    collect = _Collector(on_row, SweepProgress(len(tasks)) if progress else None)
    if backend == "dask":
        return _run_on_dask(tasks, n_jobs, scheduler, timeout, collect)
    if n_jobs == 1:
        return collect(train_run(config, data) for config, data in tasks)
    from joblib import Parallel, delayed
    return collect(Parallel(n_jobs=n_jobs, backend="loky", return_as="generator")(
        delayed(train_run)(config, data) for config, data in tasks))


class _Collector:
    """Rows into a list, each handed to ``on_row`` and shown by the progress as it arrives."""

    def __init__(self, on_row: Callable[[dict[str, Any]], None] | None, progress: "SweepProgress | None" = None):
        self.on_row = on_row
        self.progress = progress

    def __call__(self, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        collected = []
        if self.progress is not None:
            self.progress.start()
        try:
            for row in rows:
                collected.append(row)
                if self.on_row is not None:
                    self.on_row(row)
                if self.progress is not None:
                    self.progress.add(row)
        finally:
            if self.progress is not None:
                self.progress.close()
        return collected


class SweepProgress:
    """Runs done out of ``total`` and the best so far (the highest test accuracy; diverged
    runs are never best): a bar on a terminal or in a notebook, and elsewhere (a pipe, a
    log) one line per finished run, flushed at once::

        run 3/8  adam lr=0.01 seed=0  accuracy 0.9611  (1.2 s)  best so far: adam lr=0.01 seed=0 0.9611
    """

    def __init__(self, total: int, stream: Any = None, mode: str | None = None):
        from minigrad.train.progress import display_mode

        self.total = total
        self.done = 0
        self.best: dict[str, Any] | None = None
        self.stream = stream if stream is not None else sys.stdout
        self.mode = mode or display_mode(stream)
        self._bar = None

    def add(self, row: dict[str, Any]) -> None:
        """Count one finished run."""
        self.done += 1
        if not row["diverged"] and (self.best is None or row["accuracy"] > self.best["accuracy"]):
            self.best = row
        best = f"{_run_name(self.best)} {self.best['accuracy']:.4f}" if self.best else "none yet (all diverged)"
        if self.mode == "lines":
            result = "diverged" if row["diverged"] else f"accuracy {row['accuracy']:.4f}"
            width = len(str(self.total))
            self.stream.write(f"run {self.done:>{width}}/{self.total}  {_run_name(row)}  {result}  "
                              f"({row['seconds']:.1f} s)  best so far: {best}\n")
            self.stream.flush()
            return
        self.start()
        self._bar.set_postfix_str(f"best {best}", refresh=False)
        self._bar.update(1)

    def start(self) -> None:
        """Show the bar (0 runs done) before the first run ends; nothing to show in lines."""
        if self._bar is None and self.mode != "lines":
            from minigrad.train.progress import open_bar
            self._bar = open_bar(self.mode, self.stream, total=self.total, initial=self.done, desc="sweep",
                                 unit="run", leave=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _run_name(row: dict[str, Any]) -> str:
    return f"{row['optimizer']} lr={row['lr']:g} seed={row['seed']}"


def _run_on_dask(tasks: list, n_jobs: int, scheduler: str | None, timeout: float, collect: _Collector):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as error:
        raise ImportError("the dask backend needs dask.distributed: pip install 'minigrad-np[dask]'") from error
    from joblib import Parallel, delayed, parallel_config

    cluster = None
    if scheduler is None:
        workers = (os.cpu_count() or 1) if n_jobs == -1 else n_jobs
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0")
        scheduler = cluster.scheduler_address
    try:
        try:
            client = Client(scheduler, timeout=f"{timeout}s", set_as_default=False)
        # Whatever stands in the way (refused, timed out, a bad address, something that is
        # not a Dask scheduler answering), the user needs the same news: no cluster there.
        except Exception as error:
            raise SchedulerUnreachableError(
                f"cannot reach the Dask scheduler at {scheduler!r} within {timeout:g} s "
                f"({type(error).__name__}: {error}); is it running, and is the address (tcp://HOST:PORT) right?"
            ) from None
        with client, parallel_config(backend="dask", client=client, wait_for_workers_timeout=timeout):
            try:
                return collect(Parallel(n_jobs=-1, return_as="generator")(
                    delayed(train_run)(config, data) for config, data in tasks))
            except TimeoutError:  # joblib's way to say that no worker joined in time
                raise NoWorkersError(
                    f"the Dask scheduler at {scheduler!r} has no workers (none joined within {timeout:g} s); "
                    f"start some with: dask worker {scheduler}") from None
    finally:
        if cluster is not None:
            cluster.close()


# ---- results -----------------------------------------------------------------------------

def write_csv(rows: Iterable[dict[str, Any]], path: str | os.PathLike) -> None:
    """Write the rows as CSV (a header, then one line per run), atomically."""
    from minigrad.io import atomic_write

    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    with atomic_write(path) as file:
        file.write(text.getvalue().encode())


class ResultsFile:
    """The CSV of a sweep in progress: after each finished run the file is written again,
    whole and atomically, so that whatever stops the sweep (an error, Ctrl-C, kill -9) it
    holds every run finished so far, and never half a line::

        results = ResultsFile("runs.csv")
        rows = run_sweep(configs, on_row=results.add)
    """

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        self.rows: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        write_csv(self.rows, self.path)


def read_csv(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The rows of a CSV written by ``write_csv``, with their numbers and flags parsed back."""
    integers = {"seed", "epochs", "batch_size", "data_seed"}
    floats = {"lr", "final_loss", "test_loss", "accuracy", "seconds"}
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    for row in rows:
        for column in integers:
            row[column] = int(row[column])
        for column in floats:
            row[column] = float(row[column])
        row["diverged"] = row["diverged"] == "True"
    return rows


def summarize(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per (optimizer, lr): mean and spread of accuracy over the seeds, diverged runs."""
    groups: dict[tuple[str, float], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["optimizer"], row["lr"]), []).append(row)
    summary = []
    for (name, lr), runs in groups.items():
        accuracies = np.array([run["accuracy"] for run in runs if not run["diverged"]])
        summary.append({
            "optimizer": name, "lr": lr, "runs": len(runs), "diverged": sum(run["diverged"] for run in runs),
            "mean_accuracy": float(accuracies.mean()) if accuracies.size else math.nan,
            "min_accuracy": float(accuracies.min()) if accuracies.size else math.nan,
            "max_accuracy": float(accuracies.max()) if accuracies.size else math.nan,
            "mean_final_loss": float(np.mean([run["final_loss"] for run in runs])),
            "seconds": float(sum(run["seconds"] for run in runs)),
        })
    return summary


def format_summary(rows: Iterable[dict[str, Any]]) -> str:
    lines = [f"{'optimizer':<10} {'lr':>8} {'runs':>5} {'accuracy (min-max)':>26} {'final loss':>11} {'time (s)':>9}"]
    for line in summarize(rows):
        if math.isnan(line["mean_accuracy"]):
            accuracy = f"diverged ({line['diverged']}/{line['runs']})"
        else:
            accuracy = f"{line['mean_accuracy']:.4f} ({line['min_accuracy']:.4f}-{line['max_accuracy']:.4f})"
            accuracy += "*" * bool(line["diverged"])
        lines.append(f"{line['optimizer']:<10} {line['lr']:>8g} {line['runs']:>5} {accuracy:>26} "
                     f"{line['mean_final_loss']:>11.4f} {line['seconds']:>9.2f}")
    return "\n".join(lines)


def plot_sweep(rows: Iterable[dict[str, Any]], path: str | os.PathLike, title: str | None = None) -> str:
    """Draw test accuracy against learning rate (log axis), one line per optimizer.

    The line joins the mean over seeds; each seed's run is a dot, so the spread shows.
    Diverged runs are drawn as crosses on the lr axis. The image is saved atomically.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError("plotting needs matplotlib: pip install 'minigrad-np[plot]'") from error
    from minigrad.io import atomic_write

    rows = list(rows)
    figure = Figure(figsize=(7, 4.5), layout="constrained")
    axes = figure.add_subplot()
    for index, name in enumerate(dict.fromkeys(row["optimizer"] for row in rows)):
        color = f"C{index}"
        lines = sorted((line for line in summarize(rows) if line["optimizer"] == name), key=lambda line: line["lr"])
        axes.plot([line["lr"] for line in lines], [line["mean_accuracy"] for line in lines], "-o", color=color,
                  label=name)
        runs = [row for row in rows if row["optimizer"] == name]
        ok = [row for row in runs if not row["diverged"]]
        axes.scatter([row["lr"] for row in ok], [row["accuracy"] for row in ok], s=12, color=color, alpha=0.5)
        failed = [row["lr"] for row in runs if row["diverged"]]
        if failed:
            axes.scatter(failed, [0.0] * len(failed), marker="x", color=color)
    axes.set_xscale("log")
    axes.set_xlabel("learning rate")
    axes.set_ylabel("test accuracy")
    axes.set_ylim(0, 1.02)
    axes.grid(True, alpha=0.3)
    axes.legend(title="optimizer")
    if title is None and rows:
        first = rows[0]
        title = (f"Accuracy vs learning rate on {first['dataset']} (MLP {first['hidden']}, "
                 f"{first['epochs']} epochs, batch {first['batch_size']})")
    axes.set_title(title or "")
    suffix = os.path.splitext(os.fspath(path))[1].lstrip(".") or "png"
    with atomic_write(path) as file:
        figure.savefig(file, format=suffix, dpi=120)
    return os.fspath(path)
