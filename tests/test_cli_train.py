"""`minigrad train` and `minigrad compare` from the command line."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from minigrad.cli import main

ROOT = Path(__file__).resolve().parents[1]


def last_json_line(text: str) -> dict:
    return json.loads(text.strip().splitlines()[-1])


def test_train_digits_adam_json_reaches_97_percent(capsys):
    assert main(["train", "--dataset", "digits", "--optimizer", "adam", "--json"]) == 0
    result = last_json_line(capsys.readouterr().out)
    assert {"dataset", "optimizer", "epochs", "test_accuracy", "final_train_loss", "seconds"} <= set(result)
    assert result["dataset"] == "digits" and result["optimizer"] == "adam" and result["epochs"] == 30
    assert result["test_accuracy"] >= 0.97
    assert 0 < result["final_train_loss"] < 0.05


def test_quiet_json_prints_only_the_json_line(capsys):
    assert main(["train", "--dataset", "iris", "--epochs", "3", "--quiet", "--json"]) == 0
    out = capsys.readouterr().out
    assert len(out.strip().splitlines()) == 1
    assert last_json_line(out)["epochs"] == 3


def test_train_plot_checkpoint_and_resume(tmp_path, capsys):
    plot, checkpoint = tmp_path / "curves.png", tmp_path / "run.npz"
    common = ["train", "--dataset", "wine", "--optimizer", "momentum", "--hidden", "16", "--quiet", "--json"]
    assert main(common + ["--epochs", "6"]) == 0
    straight = last_json_line(capsys.readouterr().out)
    assert main(common + ["--epochs", "3", "--checkpoint", str(checkpoint)]) == 0
    capsys.readouterr()
    assert main(common + ["--epochs", "6", "--resume", str(checkpoint), "--plot", str(plot)]) == 0
    resumed = last_json_line(capsys.readouterr().out)
    assert resumed["epochs"] == 6
    assert resumed["final_train_loss"] == straight["final_train_loss"]
    assert resumed["test_accuracy"] == straight["test_accuracy"]
    assert plot.read_bytes()[:4] == b"\x89PNG"


def test_a_resumed_run_reports_the_lr_it_really_used(tmp_path, capsys):
    checkpoint = tmp_path / "run.npz"
    common = ["train", "--dataset", "iris", "--optimizer", "adam", "--hidden", "8", "--quiet", "--json"]
    assert main(common + ["--epochs", "2", "--checkpoint", str(checkpoint)]) == 0
    capsys.readouterr()
    assert main(common + ["--epochs", "4", "--resume", str(checkpoint)]) == 0
    plain = last_json_line(capsys.readouterr().out)
    assert main(common + ["--epochs", "4", "--resume", str(checkpoint), "--lr", "0.5"]) == 0
    captured = capsys.readouterr()
    asked = last_json_line(captured.out)
    # The checkpoint's optimizer state, lr included, continues the run: --lr cannot change it,
    # so the report must not claim it did, and the user is told.
    assert asked == {**plain, "seconds": asked["seconds"], "seconds_per_epoch": asked["seconds_per_epoch"]}
    assert asked["lr"] == 0.001
    assert "--lr 0.5" in captured.err and "lr=0.001" in captured.err


def test_resuming_a_run_already_past_epochs_says_nothing_was_trained(tmp_path, capsys):
    checkpoint = tmp_path / "run.npz"
    common = ["train", "--dataset", "iris", "--hidden", "8", "--quiet", "--json"]
    assert main(common + ["--epochs", "3", "--checkpoint", str(checkpoint)]) == 0
    trained = last_json_line(capsys.readouterr().out)
    assert main(common + ["--epochs", "2", "--resume", str(checkpoint)]) == 0
    captured = capsys.readouterr()
    assert last_json_line(captured.out)["epochs"] == 3
    assert last_json_line(captured.out)["test_accuracy"] == trained["test_accuracy"]
    assert "already trained for 3 epochs" in captured.err and "--epochs 2" in captured.err


def test_resume_errors_are_messages_not_tracebacks(tmp_path, capsys):
    assert main(["train", "--dataset", "iris", "--resume", str(tmp_path / "missing.npz"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "missing.npz" in err and "does not exist" in err and "Traceback" not in err
    # A checkpoint written from Python records no command-line options: only its contents
    # can tell that it belongs to another model.
    from minigrad import nn, optim
    from minigrad.data import DataLoader, load_dataset
    from minigrad.train import fit

    data, checkpoint = load_dataset("iris"), tmp_path / "run.npz"
    model = nn.MLP([4, 8, 3])
    loader = DataLoader(data.X_train, data.y_train, batch_size=64, shuffle=True, seed=0)
    fit(model, optim.Adam(model.parameters()), loader, 1, checkpoint=checkpoint, progress=False)
    assert main(["train", "--dataset", "iris", "--epochs", "2", "--hidden", "16", "--resume", str(checkpoint), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "does not record the options" in err and "different model" in err and "Traceback" not in err


def test_optimizer_options_a_checkpoint_does_not_record_are_refused_not_silently_replaced(tmp_path, capsys):
    from minigrad import nn, optim
    from minigrad.data import DataLoader, load_dataset
    from minigrad.train import fit

    data, checkpoint = load_dataset("iris"), tmp_path / "run.npz"
    model = nn.MLP([4, 8, 3])
    loader = DataLoader(data.X_train, data.y_train, batch_size=64, shuffle=True, seed=0)
    fit(model, optim.SGD(model.parameters(), lr=0.1), loader, 1, checkpoint=checkpoint, progress=False)
    before = checkpoint.read_bytes()
    argv = ["train", "--dataset", "iris", "--hidden", "8", "--optimizer", "sgd", "--epochs", "2",
            "--momentum", "0.9", "--resume", str(checkpoint), "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "does not record the optimizer options" in err and "momentum" in err and "Traceback" not in err
    assert checkpoint.read_bytes() == before


def test_divergence_is_reported_with_advice(capsys):
    assert main(["train", "--dataset", "iris", "--optimizer", "sgd", "--lr", "1e6", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "diverged" in err and "epoch" in err and "step" in err and "smaller" in err


@pytest.mark.parametrize("argv, choice", [
    (["train", "--dataset", "mnist"], "digits"),
    (["train", "--optimizer", "adamx"], "unknown optimizer 'adamx'; choose one of: sgd, momentum, adagrad, rmsprop, "
                                         "adam, adamw, nadam"),
    (["compare", "--optimizers", "adam", "nadamx"], "schedule_free_adamw"),
    (["train", "--lr", "-1"], "positive"),
    (["train", "--seed", "-1"], "non-negative integer, got '-1'"),
    (["compare", "--seed", "-1"], "non-negative integer, got '-1'"),
])
def test_bad_names_exit_2_listing_the_choices(argv, choice, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert choice in err and "Traceback" not in err


@pytest.mark.parametrize("command", [["train", "--optimizer", "adam"], ["compare", "--optimizers", "sgd", "adam"]])
def test_an_unsupported_plot_format_is_refused_before_training(command, tmp_path, capsys):
    plot = tmp_path / "curves.txt"
    with pytest.raises(SystemExit) as stop:
        main([*command, "--dataset", "iris", "--epochs", "2", "--plot", str(plot)])
    assert stop.value.code == 2
    captured = capsys.readouterr()
    assert "argument --plot" in captured.err and "'.txt'" in captured.err and "png" in captured.err
    assert "Traceback" not in captured.err and captured.out == "" and not plot.exists()


@pytest.mark.parametrize("command", [["train", "--optimizer", "adam"], ["compare", "--optimizers", "sgd", "adam"]])
def test_a_plot_name_without_extension_is_a_png_at_exactly_that_path(command, tmp_path, capsys):
    plot = tmp_path / "curves"
    assert main([*command, "--dataset", "iris", "--epochs", "2", "--plot", str(plot)]) == 0
    assert f"saved to {plot}" in capsys.readouterr().out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["curves"]


def test_compare_table_json_and_figure(tmp_path, capsys):
    plot = tmp_path / "compare.png"
    argv = ["compare", "--dataset", "moons", "--optimizers", "sgd", "adam", "--epochs", "4",
            "--plot", str(plot), "--json", "--quiet"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    result = last_json_line(out)
    assert [row["optimizer"] for row in result["results"]] == ["sgd", "adam"]
    assert all(0.5 < row["test_accuracy"] <= 1 for row in result["results"])
    assert "final loss" in out and "test acc" in out
    assert plot.read_bytes()[:4] == b"\x89PNG"
    # Same initial model and batches: running it again gives the same numbers.
    assert main(argv) == 0
    again = last_json_line(capsys.readouterr().out)
    assert [r["final_train_loss"] for r in again["results"]] == [r["final_train_loss"] for r in result["results"]]


def test_console_entry_through_python_dash_m(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "minigrad", "train", "--dataset", "blobs", "--epochs", "2", "--json"],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert last_json_line(done.stdout)["dataset"] == "blobs"
    assert "\r" not in done.stdout  # no progress bar when stdout is not a terminal


# ---- resuming: the run's own options (issue 17, items 4 and 5) ---------------------------

RUN = ["--dataset", "wine", "--optimizer", "momentum", "--hidden", "8", "--batch-size", "16", "--seed", "3"]


def test_a_resumed_run_continues_with_the_options_it_was_made_with(tmp_path, capsys):
    checkpoint = tmp_path / "run.npz"
    assert main(["train", *RUN, "--epochs", "4", "--quiet", "--json"]) == 0
    straight = last_json_line(capsys.readouterr().out)
    assert main(["train", *RUN, "--epochs", "2", "--checkpoint", str(checkpoint), "--quiet", "--json"]) == 0
    capsys.readouterr()
    # Only --resume and the new target: everything else comes from the checkpoint.
    assert main(["train", "--resume", str(checkpoint), "--epochs", "4", "--quiet", "--json"]) == 0
    captured = capsys.readouterr()
    resumed = last_json_line(captured.out)
    same = ["dataset", "optimizer", "lr", "epochs", "batch_size", "hidden", "seed", "test_accuracy",
            "final_train_loss"]
    assert {k: resumed[k] for k in same} == {k: straight[k] for k in same}
    assert (resumed["hidden"], resumed["batch_size"], resumed["seed"]) == ([8], 16, 3)
    assert captured.err == ""


def test_a_resumed_run_without_epochs_goes_on_to_its_own_target(tmp_path, capsys):
    checkpoint = tmp_path / "run.npz"
    assert main(["train", *RUN, "--epochs", "3", "--checkpoint", str(checkpoint), "--quiet"]) == 0
    assert main(["train", "--resume", str(checkpoint), "--quiet", "--json"]) == 0
    assert last_json_line(capsys.readouterr().out)["epochs"] == 3  # not the default 300 of wine


@pytest.mark.parametrize("change, given, recorded", [
    (["--seed", "4"], "--seed 4", "--seed 3"),
    (["--batch-size", "32"], "--batch-size 32", "--batch-size 16"),
    (["--hidden", "8", "8"], "--hidden 8 8", "--hidden 8"),
    (["--dataset", "iris"], "--dataset iris", "--dataset wine"),
    (["--optimizer", "adam", "--seed", "0"], "--optimizer adam --seed 0", "--optimizer momentum --seed 3"),
])
def test_resuming_with_other_run_options_is_refused_naming_both(tmp_path, capsys, change, given, recorded):
    checkpoint = tmp_path / "run.npz"
    assert main(["train", *RUN, "--epochs", "1", "--checkpoint", str(checkpoint), "--quiet"]) == 0
    saved = checkpoint.read_bytes()
    capsys.readouterr()
    assert main(["train", "--resume", str(checkpoint), "--checkpoint", str(checkpoint), "--epochs", "2",
                 *change, "--quiet", "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1
    assert f"{given} differ" in captured.err and f"run.npz ({recorded})" in captured.err
    assert checkpoint.read_bytes() == saved
    # The same values as the checkpoint's are not a conflict.
    assert main(["train", *RUN, "--resume", str(checkpoint), "--epochs", "2", "--quiet"]) == 0


def test_resuming_a_shorter_run_trains_on_and_says_nothing_about_being_done(tmp_path, capsys):
    checkpoint = tmp_path / "run.npz"
    assert main(["train", *RUN, "--epochs", "1", "--checkpoint", str(checkpoint), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["train", "--resume", str(checkpoint), "--epochs", "3", "--quiet", "--json"]) == 0
    captured = capsys.readouterr()
    assert last_json_line(captured.out)["epochs"] == 3
    assert "already trained" not in captured.err and "nothing left" not in captured.err


# ---- outputs: checked before training, folders created, write errors in one line (items 3, 8)

def test_a_checkpoint_in_a_new_folder_creates_it_as_plot_does(tmp_path, capsys):
    checkpoint, plot = tmp_path / "runs" / "a" / "run.npz", tmp_path / "figures" / "curves.png"
    assert main(["train", "--dataset", "iris", "--hidden", "8", "--epochs", "2", "--checkpoint", str(checkpoint),
                 "--plot", str(plot), "--quiet"]) == 0
    assert checkpoint.is_file() and plot.is_file()
    assert sorted(p.name for p in checkpoint.parent.iterdir()) == ["run.npz"]


def test_saved_files_have_the_mode_of_every_other_file(tmp_path, capsys):
    checkpoint, plot, ordinary = tmp_path / "run.npz", tmp_path / "curves.png", tmp_path / "ordinary"
    ordinary.write_text("")
    assert main(["train", "--dataset", "iris", "--hidden", "8", "--epochs", "1", "--checkpoint", str(checkpoint),
                 "--plot", str(plot), "--quiet"]) == 0
    modes = {path.name: oct(path.stat().st_mode & 0o777) for path in (checkpoint, plot, ordinary)}
    assert len(set(modes.values())) == 1, modes


def test_a_full_disk_is_one_line_and_exit_1(tmp_path, capsys, monkeypatch):
    import errno

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np.lib.format, "write_array", disk_full)
    checkpoint = tmp_path / "run.npz"
    assert main(["train", "--dataset", "iris", "--hidden", "8", "--epochs", "2", "--checkpoint", str(checkpoint),
                 "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err == f"minigrad train: error: cannot write {str(checkpoint)!r}: No space left on device\n"
    assert list(tmp_path.iterdir()) == []


# ---- every optimizer of the registry, with its options -------------------------------------

from minigrad.optim import registry  # noqa: E402


@pytest.mark.parametrize("name", registry.NAMES)
def test_train_runs_every_registry_optimizer(name, capsys):
    argv = ["train", "--dataset", "iris", "--hidden", "8", "--epochs", "2", "--optimizer", name, "--quiet", "--json"]
    assert main(argv) == 0
    result = last_json_line(capsys.readouterr().out)
    assert result["optimizer"] == name and result["epochs"] == 2
    assert result["lr"] == registry.get(name).default_lr


def test_help_lists_the_registry_optimizers(capsys):
    for command in (["train"], ["compare"], ["sweep"], ["lab", "table"]):
        with pytest.raises(SystemExit):
            main([*command, "--help"])
        out = " ".join(capsys.readouterr().out.split())  # argparse wraps the lines
        assert all(name in out for name in registry.NAMES), command
        assert "--nesterov" in out and "--weight-decay" in out and "--eps-inside-sqrt" in out


def test_train_passes_the_options_and_the_schedule_to_the_run(tmp_path, capsys):
    from minigrad.train.checkpoints import _read_checkpoint

    path = tmp_path / "run.npz"
    assert main(["train", "--dataset", "iris", "--hidden", "8", "--epochs", "2", "--optimizer", "momentum",
                 "--momentum", "0.5", "--nesterov", "--weight-decay", "0.001", "--schedule", "cosine:100",
                 "--checkpoint", str(path), "--quiet"]) == 0
    saved = _read_checkpoint(path)
    group = saved.parts["optimizer"]["param_groups"][0]
    assert (group["momentum"], group["nesterov"], group["weight_decay"]) == (0.5, True, 0.001)
    assert saved.parts["scheduler"]["last_epoch"] == 2 * 2  # stepped per batch: iris is 2 batches of 64
    assert saved.info.metadata["optimizer_options"] == {"momentum": 0.5, "nesterov": True, "weight_decay": 0.001}
    assert saved.info.metadata["schedule"] == "cosine:100" and saved.info.optimizer_name == "momentum"
    # Resuming without the options continues with the recorded ones, to the same end as one run.
    resumed = tmp_path / "resumed.npz"
    path.rename(resumed)
    assert main(["train", "--dataset", "iris", "--hidden", "8", "--epochs", "3", "--optimizer", "momentum",
                 "--momentum", "0.5", "--nesterov", "--weight-decay", "0.001", "--schedule", "cosine:100",
                 "--quiet", "--json"]) == 0
    straight = last_json_line(capsys.readouterr().out)
    assert main(["train", "--resume", str(resumed), "--epochs", "3", "--quiet", "--json"]) == 0
    continued = last_json_line(capsys.readouterr().out)
    assert continued["test_loss"] == straight["test_loss"]


def test_the_slides_variants_are_options(capsys):
    assert main(["train", "--dataset", "iris", "--hidden", "8", "--epochs", "2", "--optimizer", "adam",
                 "--bias-correction", "false", "--eps-inside-sqrt", "--quiet", "--json"]) == 0
    plain = last_json_line(capsys.readouterr().out)
    assert main(["train", "--dataset", "iris", "--hidden", "8", "--epochs", "2", "--optimizer", "adam",
                 "--quiet", "--json"]) == 0
    assert last_json_line(capsys.readouterr().out)["test_loss"] != plain["test_loss"]


@pytest.mark.parametrize("argv, words", [
    (["train", "--optimizer", "adam", "--nesterov"], ["--nesterov does not apply to adam", "Adam takes: --betas"]),
    (["train", "--optimizer", "sgd", "--betas", "0.9", "0.99"], ["--betas does not apply to sgd"]),
    (["compare", "--optimizers", "momentum", "adam", "--momentum", "0.5"], ["--momentum does not apply to adam"]),
    (["train", "--optimizer", "momentum", "--momentum", "-0.5"], ["momentum", "-0.5"]),
    (["train", "--optimizer", "lbfgs", "--history-size", "0"], ["history_size", "0"]),
    (["compare", "--optimizers", "sgd", "lbfgs", "--schedule", "cosine:0"], ["T_MAX must be a positive integer"]),
])
def test_an_option_that_does_not_apply_or_is_out_of_range_exits_2_in_one_line(argv, words, capsys, monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("training started before the error was found")

    monkeypatch.setattr("minigrad.train.loop._train_one_epoch", no_training)
    assert main([*argv, "--dataset", "iris", "--epochs", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"minigrad {argv[0]}: error: ") and err.count("\n") == 1, err
    assert all(word in err for word in words), err


def test_compare_lbfgs_on_mini_batches_trains_with_its_line_search(capsys):
    assert main(["compare", "--dataset", "iris", "--hidden", "8", "--epochs", "2", "--optimizers", "lbfgs",
                 "--quiet", "--json"]) == 0
    row = last_json_line(capsys.readouterr().out)["results"][0]
    assert row.get("diverged") is None and row["test_accuracy"] > 0.8


def test_train_lbfgs_full_batch(capsys):
    # A batch at least the training set: one batch per epoch, classic full-batch L-BFGS.
    assert main(["train", "--dataset", "iris", "--hidden", "16", "--epochs", "5", "--optimizer", "lbfgs",
                 "--batch-size", "1000", "--line-search-fn", "strong_wolfe", "--quiet", "--json"]) == 0
    result = last_json_line(capsys.readouterr().out)
    assert result["test_accuracy"] > 0.9 and result["final_train_loss"] < 0.1


def test_compare_names_each_optimizer_and_takes_their_shared_options(capsys):
    assert main(["compare", "--dataset", "iris", "--hidden", "8", "--epochs", "2", "--optimizers", "adamw", "NAdam",
                 "--weight-decay", "0.01", "--betas", "0.8", "0.99", "--json"]) == 0
    captured = capsys.readouterr()
    rows = last_json_line(captured.out)["results"]
    assert [row["optimizer"] for row in rows] == ["adamw", "nadam"]
    assert "AdamW (lr=0.001)" in captured.err + captured.out and "NAdam (lr=0.002)" in captured.err + captured.out


def test_lab_table_with_a_new_optimizer_and_its_options(capsys):
    assert main(["lab", "table", "--function", "square", "--x0", "3", "--optimizer", "lion", "--lr", "0.5",
                 "--betas", "0.9", "0.99", "--weight-decay", "0", "--steps", "2"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line[:1].isdigit()}
    assert "Lion" in out and rows["1"][0] == "2.5" and rows["2"][0] == "2"  # each step is lr * sign(.)
