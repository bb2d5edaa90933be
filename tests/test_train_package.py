"""minigrad.train is a package of small modules; every name it had as one module is still there."""
import importlib
import subprocess
import sys

import pytest

import minigrad as mg

# The public names of minigrad/train.py before it became a package.
NAMES_BEFORE_THE_SPLIT = [
    "LossFn", "Callback", "DivergenceError", "CheckpointError", "History", "EarlyStopping", "evaluate",
    "predict", "predict_proba", "ProgressBar", "format_epoch", "fit", "current_lr", "CHECKPOINT_FORMAT",
    "save_checkpoint", "CheckpointInfo", "read_checkpoint_info", "load_checkpoint", "DEFAULT_LR", "OPTIMIZERS",
    "make_optimizer", "default_epochs", "single_threaded_blas",
]

# Where each part lives now.
HOMES = {
    "fit": "loop", "DivergenceError": "loop", "current_lr": "loop",
    "evaluate": "evaluation", "predict": "evaluation", "predict_proba": "evaluation",
    "History": "history",
    "EarlyStopping": "callbacks", "Callback": "callbacks",
    "format_epoch": "progress",
    "save_checkpoint": "checkpoints", "load_checkpoint": "checkpoints", "read_checkpoint_info": "checkpoints",
    "CheckpointError": "checkpoints", "CheckpointInfo": "checkpoints",
    "make_optimizer": "defaults", "DEFAULT_LR": "defaults", "default_epochs": "defaults",
}


@pytest.mark.parametrize("name", NAMES_BEFORE_THE_SPLIT)
def test_every_old_name_imports_from_minigrad_train(name):
    train = importlib.import_module("minigrad.train")
    assert hasattr(train, name), f"minigrad.train.{name} is gone"
    assert name in train.__all__
    assert getattr(mg.train, name) is getattr(train, name)


@pytest.mark.parametrize("name, module", HOMES.items())
def test_each_part_has_its_own_module(name, module):
    train = importlib.import_module("minigrad.train")
    assert getattr(importlib.import_module(f"minigrad.train.{module}"), name) is getattr(train, name)


def test_star_import_and_mg_train_in_a_fresh_interpreter():
    # The lazy mg.train and a star import, in an interpreter that has imported nothing yet.
    code = ("import minigrad as mg; assert mg.train.fit; "
            "from minigrad.train.checkpoints import save_checkpoint; "
            "from minigrad.train import *; assert History and fit and EarlyStopping")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
