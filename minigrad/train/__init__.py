"""Training: the fit loop, evaluation, checkpoints, history, callbacks and progress.

Everything public is importable from here (``from minigrad.train import fit, History``);
each part lives in its own module:

- ``loop``: ``fit`` and ``DivergenceError``;
- ``evaluation``: ``evaluate``, ``predict``, ``predict_proba``;
- ``history``: ``History``, the per-epoch metrics;
- ``callbacks``: ``Callback``, the hooks ``fit`` calls while it trains, and ``EarlyStopping``;
- ``progress``: what ``fit`` shows while it trains (``Progress``, a callback);
- ``checkpoints``: saving and resuming a run (``save_checkpoint``, ``load_checkpoint``);
- ``defaults``: the command line's ready-made choices (``make_optimizer``, ``DEFAULT_LR``),
  from the optimizer registry (``minigrad.optim.registry``);
- ``schedules``: ``step_scheduler`` (what ``fit`` and the lab use) and the command line's
  ``--schedule`` specs (``schedule_from``).
"""
from minigrad.train.callbacks import Callback, EarlyStopping
from minigrad.train.checkpoints import (
    CHECKPOINT_FORMAT, CheckpointError, CheckpointInfo, load_checkpoint, read_checkpoint_info, save_checkpoint,
)
from minigrad.train.defaults import DEFAULT_LR, OPTIMIZERS, default_epochs, make_optimizer, single_threaded_blas
from minigrad.train.evaluation import LossFn, evaluate, predict, predict_proba
from minigrad.train.history import History
from minigrad.train.loop import SCHEDULER_STEPS, DivergenceError, current_lr, fit
from minigrad.train.progress import Progress, ProgressBar, format_epoch, working

__all__ = [
    "fit", "DivergenceError", "current_lr", "SCHEDULER_STEPS",
    "evaluate", "predict", "predict_proba", "LossFn",
    "History",
    "Callback", "EarlyStopping",
    "Progress", "ProgressBar", "format_epoch", "working",
    "CHECKPOINT_FORMAT", "CheckpointError", "CheckpointInfo", "save_checkpoint", "load_checkpoint",
    "read_checkpoint_info",
    "DEFAULT_LR", "OPTIMIZERS", "make_optimizer", "default_epochs", "single_threaded_blas",
]
