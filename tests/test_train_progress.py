"""What fit shows while it trains: plain lines in a pipe, a bar on a terminal, a widget in a
notebook, nothing with progress=False; and the commands' progress through a real pipe."""
import io
import os
import re
import select
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from minigrad import nn, optim
from minigrad.cli import main
from minigrad.data import DataLoader, load_dataset
from minigrad.train import Callback, DivergenceError, EarlyStopping, Progress, ProgressBar, fit, working
from minigrad.train import progress as progress_module

ROOT = Path(__file__).resolve().parents[1]
EPOCH_LINE = re.compile(r"^epoch +\d+/\d+  loss \d\.\d{4}  acc \d\.\d{4}  "
                        r"(val_loss \S+  val_acc \S+  )?lr \S+  \d+\.\d\ds$")
CONTROL = re.compile(r"[\r\x1b\b]")


@pytest.fixture(scope="module")
def iris():
    return load_dataset("iris", seed=0)


def train(iris, epochs=3, **options):
    """A tiny run: 7 steps an epoch."""
    model = nn.MLP([4, 8, 3], seed=0)
    loader = DataLoader(iris.X_train, iris.y_train, batch_size=16, shuffle=True, seed=0)
    options.setdefault("val_data", (iris.X_test, iris.y_test))
    return fit(model, optim.Adam(model.parameters(), lr=0.01), loader, epochs, **options)


# ---- where the output is not a terminal: one plain line per epoch --------------------------

def test_fit_prints_one_plain_line_per_epoch_when_stdout_is_not_a_terminal(iris, capsys):
    history = train(iris, epochs=3)  # progress=True is the default; pytest's stdout is no terminal
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert [line.split()[1] for line in lines] == ["1/3", "2/3", "3/3"]
    assert all(EPOCH_LINE.match(line) for line in lines), lines
    assert f"val_acc {history.val_accuracy[-1]:.4f}" in lines[-1]
    assert not CONTROL.search("\n".join(lines))


def test_each_line_is_flushed_when_its_epoch_ends(iris, monkeypatch, pipe):
    monkeypatch.setattr(sys, "stdout", pipe)
    seen = []

    class Look(Callback):  # runs after the progress, which comes first
        def on_epoch_end(self, epoch, history):
            seen.append(pipe.flushed.count("\n"))

    train(iris, epochs=4, callbacks=[Look()])
    assert seen == [1, 2, 3, 4]


def test_progress_false_prints_nothing(iris, capsys):
    train(iris, epochs=2, progress=False)
    assert capsys.readouterr() == ("", "")


def test_a_named_progress_names_every_line_and_early_stopping_is_said(iris, pipe):
    history = train(iris, epochs=50, progress=Progress("Adam (lr=0.01)", stream=pipe),
                    early_stopping=EarlyStopping(patience=1, monitor="train_loss", min_delta=10.0))
    lines = pipe.getvalue().splitlines()
    assert history.stopped_early and len(history) == 2
    assert lines[:2] == [line for line in lines[:2] if line.startswith("Adam (lr=0.01)  epoch ")]
    assert lines[2] == "Adam (lr=0.01)  stopped early after epoch 2 of 50"


def test_a_resumed_run_counts_on_from_its_checkpoint(iris, tmp_path, pipe, terminal):
    train(iris, epochs=2, checkpoint=tmp_path / "run.npz", progress=False)
    train(iris, epochs=4, resume=tmp_path / "run.npz", progress=Progress(stream=pipe))
    assert [line.split()[1] for line in pipe.getvalue().splitlines()] == ["3/4", "4/4"]
    train(iris, epochs=4, resume=tmp_path / "run.npz", progress=Progress(stream=terminal))
    counts = re.findall(r"\| (\d+)/28 ", terminal.getvalue())  # 7 steps an epoch
    assert counts[0] == "14" and counts[-1] == "28"


def test_bad_progress_arguments_are_refused_before_training(iris):
    model = nn.MLP([4, 8, 3], seed=0)
    before = [p.data.copy() for p in model.parameters()]
    loader = DataLoader(iris.X_train, iris.y_train, batch_size=16, shuffle=True, seed=0)
    with pytest.raises(TypeError, match="progress must be True, False or a minigrad.train.Progress, got 'yes'"):
        fit(model, optim.SGD(model.parameters(), lr=0.1), loader, 2, progress="yes")
    assert all((a == p.data).all() for a, p in zip(before, model.parameters()))
    with pytest.raises(ValueError, match="unknown progress mode 'bar'; choose one of: notebook, terminal, lines"):
        Progress(mode="bar")


# ---- on a terminal: a bar, and the epoch lines above it ------------------------------------

def test_on_a_terminal_a_bar_runs_under_the_epoch_lines(iris, terminal):
    train(iris, epochs=3, progress=Progress(stream=terminal))
    shown = terminal.getvalue()
    assert "\r" in shown and "training:" in shown and "21/21" in shown  # 3 epochs of 7 steps
    assert "epoch 3/3, loss" in shown  # the bar's postfix
    final_lines = [chunk.split("\r")[-1] for chunk in shown.split("\n")]
    assert sum(bool(EPOCH_LINE.match(line)) for line in final_lines) == 3


def test_the_bar_is_closed_when_training_fails(iris, terminal):
    progress = Progress(stream=terminal)
    model = nn.MLP([4, 64, 3], seed=0)
    loader = DataLoader(iris.X_train, iris.y_train, batch_size=16, shuffle=True, seed=0)
    with pytest.raises(DivergenceError):
        fit(model, optim.SGD(model.parameters(), lr=1e6), loader, 20, progress=progress)
    assert progress._bar is None and terminal.getvalue().endswith("\n")


def test_in_a_notebook_the_widget_is_the_display(iris, monkeypatch, capsys):
    # tqdm.auto gives the notebook's widget class in Jupyter: stand in for it.
    import tqdm.auto
    from tqdm.std import tqdm as text_tqdm

    made = []

    class Widget(text_tqdm):
        def __init__(self, *args, **kwargs):
            made.append(kwargs)
            super().__init__(*args, file=io.StringIO(), **kwargs)

    monkeypatch.setattr(progress_module, "in_notebook", lambda: True)
    monkeypatch.setattr(tqdm.auto, "tqdm", Widget)
    progress = Progress()
    train(iris, epochs=3, progress=progress)
    assert capsys.readouterr().out == ""  # no line per epoch flooding the cell
    assert len(made) == 1 and made[0]["total"] == 21 and "file" not in made[0]
    assert progress._shown == "notebook"


def test_the_first_progress_bar_interface_still_works(pipe):
    from minigrad.train import History

    bar = ProgressBar(2, stream=pipe)
    history = History()
    for epoch in (1, 2):
        for step in (1, 2):
            bar.step(epoch, step, 2, loss=0.5)
        for column, value in [("epoch", epoch), ("train_loss", 0.5), ("train_accuracy", 0.9), ("lr", 0.1),
                              ("seconds", 0.01)]:
            getattr(history, column).append(value)
        bar.epoch_done(history)
    assert [line.split()[1] for line in pipe.getvalue().splitlines()] == ["1/2", "2/2"]


# ---- work that reports no progress of its own ----------------------------------------------

def test_working_says_once_in_a_pipe_and_shows_the_time_on_a_terminal(pipe, terminal):
    with working("rendering x.gif", stream=pipe):
        pass
    assert pipe.getvalue() == "rendering x.gif ...\n" and pipe.flushed == pipe.getvalue()
    def tickers():
        return [thread for thread in threading.enumerate() if thread.name == "minigrad-progress"]

    with working("rendering x.gif", stream=terminal):
        assert len(tickers()) == 1
    assert "rendering x.gif ... 00:00" in terminal.getvalue()
    assert tickers() == []  # the ticking thread has ended


def test_lab_compare_says_it_renders_and_quiet_does_not(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    arguments = ["lab", "compare", "--function", "bowl", "--optimizers", "sgd", "--steps", "5"]
    assert main([*arguments, "--out", str(tmp_path / "a.png")]) == 0
    assert capsys.readouterr().out.startswith(f"rendering {tmp_path / 'a.png'} ...\n")
    assert main([*arguments, "--out", str(tmp_path / "b.png"), "--quiet"]) == 0
    assert "rendering" not in capsys.readouterr().out


# ---- the commands --------------------------------------------------------------------------

def minigrad_command(arguments: str) -> str:
    return f"{sys.executable} -m minigrad {arguments}"


def child_environment() -> dict[str, str]:
    """This checkout's minigrad, and Python's own buffering of a pipe (block by block), as
    a user's shell has it: PYTHONUNBUFFERED would hide output that is never flushed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONUNBUFFERED", None)
    return env


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell pipe")
def test_train_piped_into_cat_prints_one_line_per_epoch(tmp_path):
    env = child_environment()
    done = subprocess.run(minigrad_command("train --dataset iris --hidden 8 --epochs 4") + " | cat", shell=True,
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    epoch_lines = [line for line in lines if line.startswith("epoch ")]
    assert [line.split()[1] for line in epoch_lines] == ["1/4", "2/4", "3/4", "4/4"]
    assert all(EPOCH_LINE.match(line) for line in epoch_lines), epoch_lines
    assert len(lines) == 1 + 4 + 1  # what it trains, the epochs, the test accuracy
    assert not CONTROL.search(done.stdout) and done.stderr == ""


def test_quiet_silences_the_progress_of_train_and_compare(capsys):
    assert main(["train", "--dataset", "iris", "--hidden", "8", "--epochs", "2", "--quiet"]) == 0
    assert "epoch" not in capsys.readouterr().out
    assert main(["compare", "--dataset", "iris", "--hidden", "8", "--epochs", "2", "--optimizers", "sgd",
                 "--quiet"]) == 0
    assert "epoch" not in capsys.readouterr().out


def test_compare_names_the_optimizer_it_trains(capsys):
    assert main(["compare", "--dataset", "iris", "--hidden", "8", "--epochs", "2", "--optimizers", "sgd", "adam",
                 "--lr", "0.1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  epoch ")[0] for line in lines if "  epoch " in line] == ["SGD (lr=0.1)"] * 2 + [
        "Adam (lr=0.1)"] * 2


# A child that trains, but stops before a given epoch (or sweep run) until the test lets it go:
# if the progress were buffered until the end, its first line could never be read meanwhile.
GATED = """
import os, sys, time
from minigrad import cli, sweep
from minigrad.train import loop

gate, target, wait_before = sys.argv[1], sys.argv[2], int(sys.argv[3])
count = 0

def gated(function):
    def run(*args, **kwargs):
        global count
        count += 1
        if count == wait_before:
            while not os.path.exists(gate):
                time.sleep(0.01)
        return function(*args, **kwargs)
    return run

if target == "epoch":
    loop._train_one_epoch = gated(loop._train_one_epoch)
else:
    sweep.train_run = gated(sweep.train_run)
sys.exit(cli.main(sys.argv[4:]))
"""


def read_line(stream, seconds: float) -> str:
    ready, _, _ = select.select([stream], [], [], seconds)
    assert ready, f"no line within {seconds} s: the output is held back"
    return stream.readline().decode()  # a raw stream: reads up to the newline, not beyond


@pytest.mark.skipif(sys.platform == "win32", reason="select on a pipe")
@pytest.mark.parametrize("arguments, target, first", [
    (["train", "--dataset", "iris", "--hidden", "8", "--epochs", "3"], "epoch", "epoch 1/3"),
    (["sweep", "--dataset", "iris", "--hidden", "8", "--epochs", "2", "--optimizers", "sgd", "adam", "--lrs", "0.1"],
     "run", "run 1/2  sgd lr=0.1 seed=0  accuracy"),
], ids=["train", "sweep"])
def test_progress_reaches_a_pipe_while_the_work_goes_on(tmp_path, arguments, target, first):
    gate = tmp_path / "go"
    env = child_environment()
    # Held before the second epoch (run), once the first one's line should be out.
    child = subprocess.Popen([sys.executable, "-c", GATED, str(gate), target, "2", *arguments], bufsize=0,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path, env=env)
    try:
        read_line(child.stdout, 120)  # what it is about to train
        line = read_line(child.stdout, 120)
        assert line.startswith(first), line
        assert child.poll() is None  # still held at the gate
        gate.touch()
        rest, errors = child.communicate(timeout=120)
    finally:
        gate.touch()
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, errors.decode()
