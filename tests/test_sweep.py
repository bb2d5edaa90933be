"""Optimizer sweeps: the grid, parallel runs that agree with serial ones, Dask, results, CLI."""
import math
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from minigrad import cli
from minigrad.sweep import (
    COLUMNS, NoWorkersError, RunConfig, SchedulerUnreachableError, format_summary, grid, plot_sweep, read_csv, run_sweep,
    summarize, train_run, write_csv,
)
from minigrad.optim import registry
from minigrad.train import OPTIMIZERS

TINY = dict(epochs=3, hidden=(8,), batch_size=32)


def reproducible(rows):
    """The rows without their timings, NaN made comparable."""
    return [{k: ("nan" if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items() if k != "seconds"}
            for row in rows]


def free_port() -> int:
    """A loopback port nobody listens on (bound then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def small_grid():
    return grid("iris", ["sgd", "momentum", "adam"], [0.01, 0.1], [0, 1], **TINY)


@pytest.fixture(scope="module")
def serial_rows(small_grid):
    return run_sweep(small_grid, n_jobs=1)


# ---- the grid ------------------------------------------------------------------------------

def test_grid_is_every_optimizer_lr_seed_in_order():
    configs = grid("iris", ["adam", "sgd"], [0.1, 0.01, 0.1], [3, 1], **TINY)
    assert [(c.optimizer, c.lr, c.seed) for c in configs] == [
        ("adam", 0.1, 3), ("adam", 0.1, 1), ("adam", 0.01, 3), ("adam", 0.01, 1),
        ("sgd", 0.1, 3), ("sgd", 0.1, 1), ("sgd", 0.01, 3), ("sgd", 0.01, 1),
    ]  # the repeated lr trains once
    assert {(c.dataset, c.epochs, c.hidden, c.batch_size, c.data_seed) for c in configs} == {("iris", 3, (8,), 32, 0)}


def test_grid_picks_the_training_commands_epochs_by_default():
    assert grid("digits", ["adam"], [0.001], [0])[0].epochs == 30
    assert grid("iris", ["adam"], [0.001], [0])[0].epochs == 300  # 2 batches an epoch: 600 steps


@pytest.mark.parametrize("axis", ["optimizers", "lrs", "seeds"])
def test_an_empty_axis_is_an_empty_grid(axis):
    arguments = {"optimizers": ["adam"], "lrs": [0.1], "seeds": [0], axis: []}
    with pytest.raises(ValueError, match=f"empty grid: no {axis} given"):
        grid("iris", **arguments)
    with pytest.raises(ValueError, match="empty grid: there are no runs"):
        run_sweep([])


def test_unknown_optimizers_are_named_with_the_choices():
    with pytest.raises(ValueError, match="unknown optimizers 'nadamx', 'lionx' in the grid; "
                                         "choose from: sgd, momentum, adagrad, rmsprop, adam, adamw, nadam"):
        grid("iris", ["adam", "nadamx", "lionx"], [0.1], [0])


@pytest.mark.parametrize("arguments, message", [
    (dict(lrs=[0.1, -1.0, float("inf")]), r"learning rates must be positive finite numbers, got \[-1.0, inf\]"),
    (dict(seeds=[0, -2]), r"seeds must be non-negative integers, got \[-2\]"),
    (dict(dataset="mnist"), "unknown dataset 'mnist'; choose one of: digits"),
    (dict(epochs=0), "epochs must be a positive integer, got 0"),
])
def test_bad_grid_values_are_named(arguments, message):
    full = {"dataset": "iris", "optimizers": ["adam"], "lrs": [0.1], "seeds": [0], **arguments}
    with pytest.raises(ValueError, match=message):
        grid(**full)


def test_grid_takes_every_registry_optimizer_with_options_and_a_schedule():
    configs = grid("iris", ["AdamW", "nadam"], [0.01], [0], epochs=2, options={"weight_decay": 0.05},
                   schedule="cosine:4")
    assert [config.optimizer for config in configs] == ["adamw", "nadam"]
    assert {config.options for config in configs} == {'{"weight_decay": 0.05}'}
    rows = [train_run(config) for config in configs]
    assert [row["options"] for row in rows] == ['{"weight_decay": 0.05}'] * 2
    assert [row["schedule"] for row in rows] == ["cosine:4"] * 2
    plain = train_run(grid("iris", ["adamw"], [0.01], [0], epochs=2)[0])
    assert plain["options"] == "" and plain["final_loss"] != rows[0]["final_loss"]
    with pytest.raises(ValueError, match="nesterov does not apply to adamw"):
        grid("iris", ["sgd", "adamw"], [0.01], [0], epochs=2, options={"nesterov": True, "momentum": 0.9})


def test_run_sweep_rejects_bad_options(small_grid):
    with pytest.raises(ValueError, match="unknown backend 'ray'; choose one of: loky, dask"):
        run_sweep(small_grid, backend="ray")
    with pytest.raises(ValueError, match=r"n_jobs must be a positive integer or -1 \(all cores\), got 0"):
        run_sweep(small_grid, n_jobs=0)
    with pytest.raises(ValueError, match="needs backend='dask'"):
        run_sweep(small_grid, scheduler="tcp://127.0.0.1:8786")


# ---- runs ----------------------------------------------------------------------------------

def test_a_run_is_a_function_of_its_config(serial_rows):
    config = RunConfig("iris", "adam", 0.01, seed=1, **TINY)
    row = train_run(config)
    assert list(row) == list(COLUMNS)
    assert reproducible([row]) == reproducible([train_run(config)])
    assert reproducible([row]) == reproducible([r for r in serial_rows if (r["optimizer"], r["lr"], r["seed"])
                                                == ("adam", 0.01, 1)])
    other_seed = train_run(RunConfig("iris", "adam", 0.01, seed=0, **TINY))
    assert other_seed["final_loss"] != row["final_loss"]
    assert 0 <= row["accuracy"] <= 1 and row["final_loss"] > 0 and row["seconds"] > 0 and not row["diverged"]


def test_a_diverging_run_is_a_row_not_a_crash():
    rows = run_sweep(grid("iris", ["sgd", "adam"], [1e4], [0], **TINY))
    sgd, adam = rows
    assert sgd["diverged"] and math.isnan(sgd["accuracy"]) and math.isnan(sgd["final_loss"])
    assert not adam["diverged"] and 0 <= adam["accuracy"] <= 1
    assert "diverged (1/1)" in format_summary(rows)


def test_two_workers_give_the_serial_results(small_grid, serial_rows):
    parallel = run_sweep(small_grid, n_jobs=2)
    assert reproducible(parallel) == reproducible(serial_rows)


def test_the_dask_backend_on_a_local_cluster_gives_the_same_results(small_grid, serial_rows):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster:
        rows = run_sweep(small_grid, backend="dask", scheduler=cluster.scheduler_address)
    assert reproducible(rows) == reproducible(serial_rows)


def test_an_unreachable_scheduler_fails_fast_and_says_where():
    pytest.importorskip("distributed")
    address = f"tcp://127.0.0.1:{free_port()}"
    started = time.perf_counter()
    with pytest.raises(SchedulerUnreachableError, match=f"cannot reach the Dask scheduler at '{address}' within 1 s"):
        run_sweep([RunConfig("iris", "adam", 0.01, 0, **TINY)], backend="dask", scheduler=address, timeout=1)
    assert time.perf_counter() - started < 10


def test_a_scheduler_without_workers_fails_fast_and_says_so(small_grid):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as cluster:
        started = time.perf_counter()
        with pytest.raises(NoWorkersError, match="has no workers .none joined within 1 s.; start some with: "
                                                 f"dask worker {cluster.scheduler_address}"):
            run_sweep(small_grid, backend="dask", scheduler=cluster.scheduler_address, timeout=1)
        assert time.perf_counter() - started < 10


# ---- results -------------------------------------------------------------------------------

def test_csv_holds_one_row_per_run_and_reads_back(tmp_path, serial_rows):
    path = tmp_path / "results.csv"
    write_csv(serial_rows, path)
    assert path.read_text().splitlines()[0] == ",".join(COLUMNS)
    assert read_csv(path) == serial_rows
    assert [p.name for p in tmp_path.iterdir()] == ["results.csv"]  # no temporary file left behind
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_csv(serial_rows, tmp_path / "missing" / "results.csv")


def test_summary_averages_over_seeds(serial_rows):
    lines = summarize(serial_rows)
    assert [(line["optimizer"], line["lr"]) for line in lines] == [
        (name, lr) for name in ("sgd", "momentum", "adam") for lr in (0.01, 0.1)]
    for line in lines:
        runs = [r for r in serial_rows if (r["optimizer"], r["lr"]) == (line["optimizer"], line["lr"])]
        assert line["runs"] == 2
        assert line["mean_accuracy"] == pytest.approx(np.mean([r["accuracy"] for r in runs]))
        assert line["min_accuracy"] == min(r["accuracy"] for r in runs)


def test_plot_of_accuracy_against_lr(tmp_path, serial_rows):
    path = plot_sweep(serial_rows, tmp_path / "sweep.png")
    with open(path, "rb") as image:
        assert image.read(8) == b"\x89PNG\r\n\x1a\n"


# ---- progress while it runs ------------------------------------------------------------------


def test_a_sweep_says_each_run_as_it_finishes_with_the_best_so_far(monkeypatch, pipe):
    import minigrad.sweep as sweep

    monkeypatch.setattr(sys, "stdout", pipe)
    real_train_run, flushed_before_each_run = sweep.train_run, []

    def train_run_seen(config, data=None):
        flushed_before_each_run.append(pipe.flushed.count("\n"))
        return real_train_run(config, data)

    monkeypatch.setattr(sweep, "train_run", train_run_seen)
    rows = run_sweep(grid("iris", ["sgd", "adam"], [1e4, 0.1], [0], **TINY))  # sgd at 1e4 diverges
    lines = pipe.getvalue().splitlines()
    assert flushed_before_each_run == [0, 1, 2, 3]  # each run's line is out before the next run starts
    assert len(lines) == 4 and [line.split()[1] for line in lines] == ["1/4", "2/4", "3/4", "4/4"]
    assert lines[0] == (f"run 1/4  sgd lr=10000 seed=0  diverged  ({rows[0]['seconds']:.1f} s)  "
                        "best so far: none yet (all diverged)")
    accuracies = [row["accuracy"] for row in rows]
    for index, line in enumerate(lines[1:], start=1):
        best = max(range(1, index + 1), key=lambda i: accuracies[i])
        name = f"{rows[best]['optimizer']} lr={rows[best]['lr']:g} seed=0"
        assert line.endswith(f"best so far: {name} {accuracies[best]:.4f}"), line
        assert f"accuracy {accuracies[index]:.4f}" in line


def test_a_sweep_on_a_terminal_draws_runs_done_and_the_best(monkeypatch, terminal):
    from minigrad.sweep import SweepProgress


    progress = SweepProgress(2, stream=terminal)
    progress.start()
    assert "sweep:   0%" in terminal.getvalue() and "0/2" in terminal.getvalue()
    for lr, accuracy in [(0.1, 0.5), (0.01, 0.75)]:
        progress.add({"optimizer": "adam", "lr": lr, "seed": 0, "accuracy": accuracy, "diverged": False,
                      "seconds": 0.1})
    progress.close()
    final = terminal.getvalue().split("\r")[-1]
    assert "2/2" in final and "best adam lr=0.01 seed=0 0.7500" in final


def test_progress_false_and_quiet_keep_a_sweep_silent(capsys):
    run_sweep(grid("iris", ["sgd"], [0.1], [0], **TINY), progress=False)
    assert capsys.readouterr().out == ""
    assert cli.main(["sweep", "--dataset", "iris", "--optimizers", "sgd", "--lrs", "0.1", "--epochs", "1",
                     "--hidden", "8", "--quiet"]) == 0
    assert not [line for line in capsys.readouterr().out.splitlines() if line.startswith("run ")]
    with pytest.raises(TypeError, match="progress must be True or False, got 'lines'"):
        run_sweep(grid("iris", ["sgd"], [0.1], [0], **TINY), progress="lines")


# ---- the command ---------------------------------------------------------------------------

def test_sweep_command_writes_rows_and_plot(tmp_path, capsys):
    out, plot = tmp_path / "runs.csv", tmp_path / "lr.png"
    code = cli.main(["sweep", "--dataset", "iris", "--optimizers", "sgd", "adam", "--lrs", "0.01", "0.1",
                     "--seeds", "0", "1", "--epochs", "2", "--hidden", "8", "--n-jobs", "2",
                     "--out", str(out), "--plot", str(plot), "--quiet"])
    assert code == 0
    rows = read_csv(out)
    assert len(rows) == 8 and {r["optimizer"] for r in rows} == {"sgd", "adam"} and plot.stat().st_size > 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split()[:2] == ["optimizer", "lr"] and len(table.splitlines()) == 5


@pytest.mark.parametrize("arguments, code, message", [
    (["--optimizers", "adam", "nadamx"], 2, "unknown optimizer 'nadamx' in the grid; choose from: "
                                            + ", ".join(registry.NAMES)),
    (["--optimizers", "adam", "lion", "--eps", "1e-7"], 2, "--eps does not apply to lion (Lion takes: --betas"),
    (["--optimizers", "sgd", "--momentum", "1.5"], 2, "momentum"),
    (["--schedule", "exponential"], 2, "bad --schedule 'exponential'"),
    (["--scheduler", "tcp://127.0.0.1:8786"], 2, "--scheduler needs --backend dask"),
])
def test_sweep_command_errors(capsys, arguments, code, message):
    assert cli.main(["sweep", "--dataset", "iris", "--lrs", "0.1", "--epochs", "1", *arguments]) == code
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("option, name, message", [
    ("--out", "runs.csv/", "it is a directory"),
    ("--out", "file/runs.csv", "'PARENT' is not a directory"),
    ("--plot", "file/lr.png", "'PARENT' is not a directory"),
    ("--plot", "lr.txt", "'.txt'"),
])
def test_sweep_command_checks_its_outputs_before_running(tmp_path, capsys, option, name, message):
    (tmp_path / "file").write_text("a file where a folder is asked for")
    (tmp_path / "runs.csv").mkdir()
    path = tmp_path / name
    try:
        code = cli.main(["sweep", "--dataset", "iris", "--optimizers", "sgd", "--lrs", "0.1", "--epochs", "1",
                         option, str(path)])
    except SystemExit as stop:  # argparse's own refusal of an option's value
        code = stop.code
    assert code == 2
    captured = capsys.readouterr()
    assert message.replace("PARENT", str(path.parent)) in captured.err
    assert captured.out == "" and sorted(p.name for p in tmp_path.iterdir()) == ["file", "runs.csv"]


def test_sweep_command_creates_the_folders_of_its_outputs(tmp_path, capsys):
    out, plot = tmp_path / "results" / "runs.csv", tmp_path / "figures" / "lr.png"
    assert cli.main(["sweep", "--dataset", "iris", "--optimizers", "sgd", "--lrs", "0.1", "--epochs", "1",
                     "--hidden", "8", "--out", str(out), "--plot", str(plot), "--quiet"]) == 0
    assert len(read_csv(out)) == 1 and plot.stat().st_size > 0


def test_the_results_file_holds_every_run_finished_before_a_failure(tmp_path, monkeypatch):
    import minigrad.sweep as sweep

    configs = grid("iris", ["sgd"], [0.01, 0.1, 1.0], [0], **TINY)
    real_train_run = sweep.train_run

    def third_run_fails(config, data=None):
        if config.lr == 1.0:
            raise RuntimeError("the machine went away")
        return real_train_run(config, data)

    monkeypatch.setattr(sweep, "train_run", third_run_fails)
    results = sweep.ResultsFile(tmp_path / "runs.csv")
    with pytest.raises(RuntimeError, match="went away"):
        run_sweep(configs, on_row=results.add)
    assert [row["lr"] for row in read_csv(tmp_path / "runs.csv")] == [0.01, 0.1]
    assert [p.name for p in tmp_path.iterdir()] == ["runs.csv"]


def test_rows_reach_on_row_in_order_with_workers_too(small_grid, serial_rows):
    seen = []
    rows = run_sweep(small_grid, n_jobs=2, on_row=seen.append)
    assert seen == rows and reproducible(rows) == reproducible(serial_rows)


def test_a_late_write_error_is_one_line_and_the_rows_are_kept(tmp_path, capsys, monkeypatch):
    import errno

    from matplotlib.figure import Figure

    def disk_full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", disk_full)
    out, plot = tmp_path / "runs.csv", tmp_path / "lr.png"
    code = cli.main(["sweep", "--dataset", "iris", "--optimizers", "sgd", "adam", "--lrs", "0.1", "--epochs", "1",
                     "--hidden", "8", "--out", str(out), "--plot", str(plot), "--quiet"])
    assert code == 1
    err = capsys.readouterr().err
    assert err == (f"minigrad sweep: error: cannot write {str(plot)!r}: No space left on device "
                   f"(2 finished runs are saved in {out})\n")
    assert len(read_csv(out)) == 2 and sorted(p.name for p in tmp_path.iterdir()) == ["runs.csv"]


def test_sweep_command_with_an_unreachable_scheduler(capsys):
    pytest.importorskip("distributed")
    address = f"tcp://127.0.0.1:{free_port()}"
    code = cli.main(["sweep", "--dataset", "iris", "--lrs", "0.1", "--epochs", "1", "--backend", "dask",
                     "--scheduler", address, "--timeout", "1", "--quiet"])
    assert code == 1 and f"cannot reach the Dask scheduler at '{address}'" in capsys.readouterr().err


# ---- the examples, in their fast mode --------------------------------------------------------

def run_example(name: str, *arguments: str, cwd) -> str:
    root = Path(__file__).resolve().parents[1]
    environment = {**os.environ, "PYTHONPATH": str(root), "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, str(root / "examples" / name), "--fast", *arguments], cwd=cwd,
                          env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_optimizer_sweep_example(tmp_path):
    output = run_example("optimizer_sweep.py", cwd=tmp_path)
    assert "4 runs saved to sweep.csv" in output
    assert len(read_csv(tmp_path / "sweep.csv")) == 4 and (tmp_path / "sweep.png").exists()


def test_sklearn_grid_search_example(tmp_path):
    output = run_example("sklearn_grid_search.py", cwd=tmp_path)
    best_line = output.splitlines()[-1]
    assert best_line.startswith("best: {'minigradclassifier__optimizer': ")
    assert 0.5 < float(best_line.rsplit(" ", 1)[1]) <= 1
