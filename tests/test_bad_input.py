"""Every error minigrad promises, in one place: bad input gets a specific exception whose
message names the value, and nothing is half changed.

Each library case builds what it needs and returns a ``Case``: the action that must fail,
the exception it must raise, words its message must contain (the value at fault, the file),
and a snapshot of everything the action could have changed (parameters, optimizer and
loader state, the files in the test's folder), which must be the same after the failure.

Each command-line case gives the arguments, the exit code (2: the command was used wrongly,
e.g. an option's value or an output path is refused; 1: it failed while working, e.g. a
damaged checkpoint or a full disk) and words of its one-line ``minigrad CMD: error: ...``
message; no traceback, no file changed, and no training started before the error.

Add a case with every error the project promises.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pytest

from minigrad import io, nn, optim
from minigrad.data import DataLoader
from minigrad.train import CheckpointError, evaluate, fit, load_checkpoint


@dataclass
class Case:
    action: Callable[[], Any]
    error: type[BaseException]
    words: Sequence[str]
    snapshot: Callable[[], Any] = field(default=lambda: None)


LIBRARY_CASES: dict[str, Callable[[Path], Case]] = {}


def case(build: Callable[[Path], Case]) -> Callable[[Path], Case]:
    LIBRARY_CASES[build.__name__] = build
    return build


def same(a: Any, b: Any) -> bool:
    """Deep equality for nested dicts, lists and arrays (bit for bit, NaN equal to NaN)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=np.asarray(a).dtype.kind == "f")
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def files_in(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"<dir>" for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("name", LIBRARY_CASES)
def test_library_errors_name_the_value_and_change_nothing(name, tmp_path):
    built = LIBRARY_CASES[name](tmp_path)
    before = copy.deepcopy(built.snapshot())
    with pytest.raises(built.error) as caught:
        built.action()
    message = str(caught.value)
    for word in built.words:
        assert word in message, f"{word!r} is not in the message {message!r}"
    assert same(built.snapshot(), before), "the failed call changed something"


# ---- a small training setup -----------------------------------------------------------------

def toy_data(n: int = 30, features: int = 4, classes: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, features)).astype(np.float32), np.arange(n) % classes


@dataclass
class Run:
    """A model, its optimizer and loader, and the folder the test may write to."""

    folder: Path
    seed: int = 0

    def __post_init__(self):
        self.X, self.y = toy_data()
        self.model = nn.MLP([4, 8, 3], seed=self.seed)
        self.optimizer = optim.Adam(self.model.parameters(), lr=0.01)
        self.loader = DataLoader(self.X, self.y, batch_size=8, shuffle=True, seed=self.seed)

    def state(self) -> dict:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "loader": self.loader.state_dict(), "files": files_in(self.folder)}

    def fit(self, epochs=1, **options):
        return fit(self.model, self.optimizer, self.loader, epochs, progress=False, **options)


def checkpoint(folder: Path, edit: Callable[[dict], None] | None = None, name: str = "run.npz") -> Path:
    """A one-epoch checkpoint of a seed-0 Run, optionally with its arrays edited."""
    path = folder / name
    Run(folder).fit(1, checkpoint=path, val_data=toy_data(seed=1))
    if edit is not None:
        arrays = io.load_npz(path)
        edit(arrays)
        io.save_npz(path, arrays)
    return path


def resume_case(folder: Path, path: Path, error=CheckpointError, words=()) -> Case:
    """Resume ``path`` into a fresh seed-1 run: it must fail and change nothing."""
    run = Run(folder, seed=1)
    run.optimizer.state_dict()  # Adam's state exists from the first step; take one so there is some
    run.fit(1)
    return Case(lambda: load_checkpoint(path, run.model, run.optimizer, None, run.loader), error,
                [path.name, *words], run.state)


# ---- damaged files (issue 17, item 1) --------------------------------------------------------

def damaged(folder: Path, how: str) -> Path:
    good = checkpoint(folder).read_bytes()
    path = folder / f"{how}.npz"
    path.write_bytes({"truncated": good[: len(good) // 2], "empty": b"", "text": b"epoch 3, loss 0.2\n"}[how])
    return path


@case
def truncated_checkpoint(folder):
    return resume_case(folder, damaged(folder, "truncated"), words=["truncated"])


@case
def empty_checkpoint(folder):
    return resume_case(folder, damaged(folder, "empty"), words=["empty"])


@case
def text_file_as_checkpoint(folder):
    return resume_case(folder, damaged(folder, "text"), words=["not an .npz archive"])


@case
def truncated_model_file(folder):
    path = damaged(folder, "truncated")
    model = nn.MLP([4, 8, 3], seed=3)
    return Case(lambda: nn.load(model, path), ValueError, ["truncated.npz", "truncated"], model.state_dict)


# ---- checkpoints that lack a part or hold a bad one (items 2 and 11) --------------------------

def without(*keys):
    def edit(arrays):
        for key in keys:
            del arrays[key]
    return edit


@case
def checkpoint_without_history(folder):
    return resume_case(folder, checkpoint(folder, without("history/train_loss")), words=["history/train_loss"])


@case
def checkpoint_without_optimizer_class(folder):
    return resume_case(folder, checkpoint(folder, without("optimizer/class")), words=["optimizer/class"])


@case
def checkpoint_with_corrupted_optimizer_json(folder):
    def corrupt(arrays):
        arrays["optimizer/json"] = np.array(str(arrays["optimizer/json"])[:-7])
    return resume_case(folder, checkpoint(folder, corrupt), words=["optimizer/json"])


@case
def checkpoint_with_an_optimizer_state_that_does_not_fit(folder):
    def other_optimizer_state(arrays):
        arrays["optimizer/json"] = np.array('{"__dict__": [["param_groups", 4], ["state", 4]]}')
    return resume_case(folder, checkpoint(folder, other_optimizer_state), words=["optimizer"])


@case
def checkpoint_with_history_columns_of_different_lengths(folder):
    def shorten(arrays):
        arrays["history/lr"] = arrays["history/lr"][:0]
    return resume_case(folder, checkpoint(folder, shorten), words=["history", "'lr'", "0", "1"])


@case
def checkpoint_with_a_bad_loader_state(folder):
    def corrupt(arrays):
        arrays["loader/json"] = np.array('{"__dict__": [["rng", "x"]]}')
    return resume_case(folder, checkpoint(folder, corrupt), words=["loader", "'x'"])


@case
def checkpoint_that_is_a_directory(folder):
    (folder / "adir.npz").mkdir()
    return resume_case(folder, folder / "adir.npz", error=IsADirectoryError, words=["directory"])


# ---- fit: its arguments are checked before the first step (items 3, 6 and 11) --------------

@case
def fit_with_fractional_epochs(folder):
    run = Run(folder)
    return Case(lambda: run.fit(2.5), TypeError, ["epochs", "2.5"], run.state)


@case
def fit_with_epochs_as_text(folder):
    run = Run(folder)
    return Case(lambda: run.fit("3"), TypeError, ["epochs", "'3'"], run.state)


@case
def fit_with_negative_epochs(folder):
    run = Run(folder)
    return Case(lambda: run.fit(-1), ValueError, ["epochs", "-1"], run.state)


@case
def fit_with_a_checkpoint_in_a_missing_folder(folder):
    run = Run(folder)
    return Case(lambda: run.fit(1, checkpoint=folder / "missing" / "ck.npz"), FileNotFoundError,
                ["missing/ck.npz", "does not exist"], run.state)


@case
def fit_with_a_checkpoint_path_that_is_a_directory(folder):
    run = Run(folder)
    (folder / "out").mkdir()
    return Case(lambda: run.fit(1, checkpoint=folder / "out"), IsADirectoryError, ["out", "directory"], run.state)


@case
def fit_with_float_validation_labels(folder):
    run = Run(folder)
    X, y = toy_data(seed=1)
    return Case(lambda: run.fit(1, val_data=(X, y + 0.5)), TypeError, ["integer class indices", "float64"],
                run.state)


@case
def evaluate_with_float_labels(folder):
    run = Run(folder)
    return Case(lambda: evaluate(run.model, run.X, run.y.astype(np.float32)), TypeError,
                ["integer class indices", "float32"], run.state)


# ---- DataLoader (item 11) ------------------------------------------------------------------

@case
def loader_with_a_negative_seed(folder):
    X, y = toy_data()
    return Case(lambda: DataLoader(X, y, seed=-1), ValueError, ["seed", "-1"])


@case
def loader_with_a_fractional_seed(folder):
    X, y = toy_data()
    return Case(lambda: DataLoader(X, y, seed=1.5), ValueError, ["seed", "1.5"])


@case
def loader_state_that_is_not_a_generator_state(folder):
    run = Run(folder)
    return Case(lambda: run.loader.load_state_dict({"rng": "x"}), TypeError, ["rng", "'x'"], run.loader.state_dict)


@case
def loader_state_without_rng(folder):
    run = Run(folder)
    return Case(lambda: run.loader.load_state_dict({"generator": {}}), ValueError, ["rng", "generator"],
                run.loader.state_dict)


@case
def loader_state_with_a_broken_generator_state(folder):
    run = Run(folder)
    state = run.loader.state_dict()
    state["rng"]["state"] = {"state": "many", "inc": 3}
    return Case(lambda: run.loader.load_state_dict(state), ValueError, ["PCG64", "rng"], run.loader.state_dict)


# ---- the optimizer lab's command-line parts (item 11) ---------------------------------------

@case
def schedule_with_a_fractional_step_size(folder):
    from minigrad.commands.lab import schedule_from
    return Case(lambda: schedule_from("step:2.5:0.5"), ValueError, ["step:2.5:0.5", "STEP_SIZE", "'2.5'"])


@case
def decay_schedule_with_a_fractional_step_count(folder):
    from minigrad.commands.lab import schedule_from
    return Case(lambda: schedule_from("decay:0.5:1.5"), ValueError, ["decay:0.5:1.5", "STEPS", "'1.5'"])


# ---- the optimizer registry (issue 15) --------------------------------------------------------

def _probe_parameters():
    model = nn.MLP([3, 4, 2], seed=0)
    return model, lambda: [p.data.copy() for p in model.parameters()]


@case
def registry_with_an_unknown_optimizer(folder):
    from minigrad.optim import registry
    model, snapshot = _probe_parameters()
    return Case(lambda: registry.make("adamx", model.parameters()), ValueError,
                ["'adamx'", "sgd", "lion", "schedule_free_adamw"], snapshot)


@case
def registry_with_an_option_that_does_not_apply(folder):
    from minigrad.optim import registry
    model, snapshot = _probe_parameters()
    return Case(lambda: registry.make("adam", model.parameters(), nesterov=True), ValueError,
                ["nesterov", "adam", "betas"], snapshot)


@case
def make_optimizer_with_a_negative_lr(folder):
    from minigrad.train import make_optimizer
    model, snapshot = _probe_parameters()
    return Case(lambda: make_optimizer("adamw", model.parameters(), lr=-0.1), ValueError, ["-0.1"], snapshot)


@case
def sweep_grid_with_an_option_one_optimizer_lacks(folder):
    from minigrad.sweep import grid
    return Case(lambda: grid("iris", ["sgd", "lion"], [0.1], [0], epochs=1, options={"dampening": 0.1}),
                ValueError, ["dampening", "lion"])


@case
def sweep_grid_with_an_out_of_range_option(folder):
    from minigrad.sweep import grid
    return Case(lambda: grid("iris", ["rprop"], [0.1], [0], epochs=1, options={"etas": [1.5, 1.2]}),
                ValueError, ["etas", "1.5"])


@case
def estimator_with_an_unknown_solver(folder):
    from minigrad.sklearn import MinigradClassifier
    X, y = np.zeros((6, 2)), np.array([0, 1] * 3)
    return Case(lambda: MinigradClassifier(solver="newton").fit(X, y), ValueError, ["'newton'", "lbfgs"])


@case
def estimator_with_an_unknown_learning_rate(folder):
    from minigrad.sklearn import MinigradClassifier
    X, y = np.zeros((6, 2)), np.array([0, 1] * 3)
    return Case(lambda: MinigradClassifier(learning_rate="optimal").fit(X, y), ValueError,
                ["'optimal'", "invscaling", "adaptive"])


@case
def schedule_with_an_unknown_kind(folder):
    from minigrad.train.schedules import schedule_from
    return Case(lambda: schedule_from("onecycle:3"), ValueError, ["onecycle:3", "cosine:T_MAX"])


# ==== the command line ========================================================================

@pytest.fixture(scope="module")
def cli_checkpoint(tmp_path_factory) -> bytes:
    """A checkpoint written by `minigrad train` (iris, one epoch, seed 0): its bytes."""
    from minigrad.cli import main

    path = tmp_path_factory.mktemp("checkpoint") / "run.npz"
    assert main(["train", "--dataset", "iris", "--hidden", "8", "--epochs", "1", "--checkpoint", str(path),
                 "--quiet"]) == 0
    return path.read_bytes()


@pytest.fixture(scope="module")
def python_checkpoint(tmp_path_factory) -> bytes:
    """A checkpoint written by ``fit`` from Python (iris, SGD, one epoch): it records no
    command-line options."""
    from minigrad import nn, optim
    from minigrad.data import DataLoader, load_dataset
    from minigrad.train import fit

    path, data = tmp_path_factory.mktemp("python_checkpoint") / "run.npz", load_dataset("iris")
    model = nn.MLP([4, 8, 3], seed=0)
    loader = DataLoader(data.X_train, data.y_train, batch_size=64, shuffle=True, seed=0)
    fit(model, optim.SGD(model.parameters(), lr=0.1), loader, 1, checkpoint=path, progress=False)
    return path.read_bytes()


@pytest.fixture
def workspace(tmp_path, cli_checkpoint, python_checkpoint, monkeypatch, capsys) -> Path:
    """A folder with good and bad inputs, where any training started is a test failure."""
    capsys.readouterr()
    (tmp_path / "run.npz").write_bytes(cli_checkpoint)
    (tmp_path / "python_run.npz").write_bytes(python_checkpoint)
    (tmp_path / "truncated.npz").write_bytes(cli_checkpoint[: len(cli_checkpoint) // 2])
    (tmp_path / "empty.npz").write_bytes(b"")
    (tmp_path / "text.npz").write_text("epoch 3, loss 0.2\n")
    arrays = io.load_npz(tmp_path / "run.npz")
    del arrays["history/train_loss"]
    io.save_npz(tmp_path / "no_history.npz", arrays)
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile").write_text("a file, not a folder")

    def no_work(*args, **kwargs):
        raise AssertionError("the work started before the error was found")

    monkeypatch.setattr("minigrad.train.loop._train_one_epoch", no_work)
    monkeypatch.setattr("minigrad.commands.lab.run", no_work)
    return tmp_path


TRAIN = ["train", "--dataset", "iris", "--hidden", "8", "--epochs", "2", "--quiet"]
CLI_CASES = [
    # (arguments with {dir} for the workspace, exit code, words of the message)
    pytest.param([*TRAIN, "--resume", "{dir}/truncated.npz"], 1, ["truncated.npz", "truncated"], id="resume-truncated"),
    pytest.param([*TRAIN, "--resume", "{dir}/empty.npz"], 1, ["empty.npz", "empty"], id="resume-empty"),
    pytest.param([*TRAIN, "--resume", "{dir}/text.npz"], 1, ["text.npz", "not an .npz archive"], id="resume-text"),
    pytest.param([*TRAIN, "--resume", "{dir}/no_history.npz"], 1, ["no_history.npz", "history/train_loss"],
                 id="resume-incomplete"),
    pytest.param([*TRAIN, "--resume", "{dir}/missing.npz"], 1, ["missing.npz", "does not exist"], id="resume-missing"),
    pytest.param([*TRAIN, "--resume", "{dir}/adir"], 1, ["adir", "is a directory"], id="resume-directory"),
    pytest.param([*TRAIN, "--resume", "{dir}/run.npz", "--seed", "1"], 2, ["--seed 1", "run.npz (--seed 0)"],
                 id="resume-other-seed"),
    pytest.param([*TRAIN, "--resume", "{dir}/run.npz", "--dataset", "wine"], 2,
                 ["--dataset wine", "(--dataset iris)"], id="resume-other-dataset"),
    pytest.param([*TRAIN, "--plot", "{dir}/adir"], 2, ["--plot", "adir", "is a directory"], id="train-plot-directory"),
    pytest.param([*TRAIN, "--checkpoint", "{dir}/adir"], 2, ["--checkpoint", "adir", "is a directory"],
                 id="train-checkpoint-directory"),
    pytest.param([*TRAIN, "--checkpoint", "{dir}/afile/run.npz"], 2, ["--checkpoint", "afile", "not a directory"],
                 id="train-checkpoint-under-a-file"),
    pytest.param(["compare", "--dataset", "iris", "--epochs", "1", "--plot", "{dir}/adir"], 2,
                 ["--plot", "adir", "is a directory"], id="compare-plot-directory"),
    pytest.param(["sweep", "--dataset", "iris", "--lrs", "0.1", "--epochs", "1", "--out", "{dir}/adir"], 2,
                 ["--out", "adir", "is a directory"], id="sweep-out-directory"),
    pytest.param(["sweep", "--dataset", "iris", "--lrs", "0.1", "--epochs", "1", "--plot", "{dir}/afile/lr.png"], 2,
                 ["--plot", "afile", "not a directory"], id="sweep-plot-under-a-file"),
    pytest.param(["lab", "compare", "--function", "rosenbrock", "--out", "{dir}/adir"], 2,
                 ["--out", "adir", "is a directory"], id="lab-compare-out-directory"),
    pytest.param(["lab", "table", "--function", "square", "--schedule", "step:2.5:0.5"], 2,
                 ["step:2.5:0.5", "STEP_SIZE must be a positive integer", "'2.5'"], id="lab-schedule-fraction"),
    # Options of the optimizer registry (issue 15): one that does not apply, one out of range.
    pytest.param([*TRAIN, "--optimizer", "adam", "--nesterov"], 2, ["--nesterov does not apply to adam"],
                 id="train-nesterov-with-adam"),
    pytest.param([*TRAIN, "--optimizer", "rmsprop", "--alpha", "1.5"], 2, ["alpha", "1.5"], id="train-alpha-range"),
    pytest.param([*TRAIN, "--schedule", "cosine:0"], 2, ["cosine:0", "T_MAX must be a positive integer"],
                 id="train-schedule-zero"),
    pytest.param([*TRAIN, "--resume", "{dir}/run.npz", "--weight-decay", "0.1"], 2,
                 ["--weight-decay 0.1", "run.npz ((no optimizer options))"], id="resume-other-optimizer-options"),
    pytest.param([*TRAIN, "--optimizer", "sgd", "--resume", "{dir}/python_run.npz", "--momentum", "0.9"], 2,
                 ["python_run.npz", "does not record the optimizer options", "momentum"],
                 id="resume-options-not-recorded"),
    pytest.param(["compare", "--dataset", "iris", "--epochs", "1", "--optimizers", "sgd", "adagrad", "--centered"], 2,
                 ["--centered does not apply to sgd"], id="compare-option-of-none"),
    pytest.param(["sweep", "--dataset", "iris", "--lrs", "0.1", "--epochs", "1", "--optimizers", "adam", "lion",
                  "--amsgrad"], 2, ["--amsgrad does not apply to lion"], id="sweep-option-one-lacks"),
    pytest.param(["lab", "compare", "--function", "rosenbrock", "--optimizers", "sgd", "adam", "--ema",
                  "--out", "{dir}/runs.png"], 2, ["--ema does not apply to adam"], id="lab-compare-option"),
    pytest.param(["lab", "table", "--function", "square", "--optimizer", "lbfgs", "--betas", "0.9", "0.9"], 2,
                 ["--betas does not apply to lbfgs"], id="lab-table-option"),
]


@pytest.mark.parametrize("arguments, code, words", CLI_CASES)
def test_command_errors_are_one_line_before_any_work(workspace, capsys, arguments, code, words):
    from minigrad.cli import main

    before = files_in(workspace)
    argv = [argument.replace("{dir}", str(workspace)) for argument in arguments]
    assert main(argv) == code
    captured = capsys.readouterr()
    command = " ".join(argv[:2]) if argv[0] == "lab" else argv[0]
    assert captured.err.startswith(f"minigrad {command}: error: ") and captured.err.count("\n") == 1, captured.err
    for word in words:
        assert word in captured.err, f"{word!r} is not in {captured.err!r}"
    assert files_in(workspace) == before


def test_an_unwritable_system_folder_is_refused_before_the_sweep(workspace, capsys):
    from minigrad.cli import main

    if not Path("/proc/self").is_dir():
        pytest.skip("no /proc on this system")
    assert main(["sweep", "--dataset", "iris", "--lrs", "0.1", "--epochs", "1", "--out", "/proc/r.csv"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("minigrad sweep: error: --out: cannot write '/proc/r.csv': no file can be created in '/proc'")
