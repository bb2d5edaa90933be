"""The fit loop: epochs of mini-batch steps, metrics per epoch, early stopping, checkpoints.

``fit`` is the loop every user writes by hand (forward, loss, zero_grad, backward, step),
plus the things a hand-written loop usually gets wrong: a diverging loss stops training
with a clear message instead of printing ``nan`` forever, and a checkpoint holds everything
the run depends on (parameters, optimizer and scheduler state, the shuffling and dropout
random generators, the history), so a resumed run is bit for bit the uninterrupted one.
"""
from __future__ import annotations

import math
import os
import time
from typing import Any, Sequence

import numpy as np

from minigrad.tensor import Tensor
from minigrad.train.callbacks import Callback, EarlyStopping
from minigrad.train.checkpoints import _check_metadata, load_checkpoint, save_checkpoint
from minigrad.train.evaluation import LossFn, _as_labelled_samples, _default_loss, evaluate
from minigrad.train.history import History
from minigrad.train.progress import ProgressBar, _wants_progress


class DivergenceError(FloatingPointError):
    """The training loss became NaN or infinite; the message names epoch, step and lr."""


def fit(model, optimizer, train_loader, epochs: int, loss_fn: LossFn | None = None,
        val_data: tuple[Any, Any] | None = None, scheduler=None,
        callbacks: Sequence[Callback] | None = None, progress: bool = True,
        early_stopping: EarlyStopping | None = None,
        checkpoint: str | os.PathLike | None = None, resume: str | os.PathLike | None = None,
        checkpoint_metadata: dict | None = None) -> History:
    """Train ``model`` for ``epochs`` epochs over ``train_loader``; return the ``History``.

    Each step is ``zero_grad; loss_fn(model(X), y).backward(); optimizer.step()``; the
    scheduler, if any, steps once per epoch. ``val_data=(X, y)`` is evaluated after each
    epoch. ``callbacks`` are called with the history after each epoch (True stops).
    ``checkpoint=PATH`` saves a checkpoint after every epoch; ``resume=PATH`` loads one and
    continues from the epoch after it up to ``epochs`` (the total, not a count of more).
    ``checkpoint_metadata``, a dict of JSON values (say, the options that made the run), is
    saved in every checkpoint; ``read_checkpoint_info`` reads it back.

    Every argument is checked before the first step, the checkpoint's folder included (a
    run must not train for an hour and then find it cannot save), so a bad one raises with
    the model, optimizer and loader untouched. A non-finite loss raises ``DivergenceError``
    before the step that would spread it.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)):
        raise TypeError(f"epochs must be a whole number of epochs (an int), got {epochs!r}")
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}")
    if len(train_loader) == 0:
        raise ValueError(f"the training loader yields no batches ({train_loader!r})")
    if early_stopping is not None and early_stopping.monitor.startswith("val_") and val_data is None:
        raise ValueError(f"early stopping on {early_stopping.monitor!r} needs val_data")
    if val_data is not None:
        if not isinstance(val_data, (tuple, list)) or len(val_data) != 2:
            raise TypeError(f"val_data must be an (X, y) pair, got {type(val_data).__name__}")
        val_data = _as_labelled_samples(*val_data)
    if checkpoint is not None:
        from minigrad.io import check_output_path
        check_output_path(checkpoint)
    if checkpoint_metadata is not None:
        _check_metadata(checkpoint_metadata)
    loss_fn = loss_fn or _default_loss()
    callbacks = list(callbacks or [])
    history, best_state = History(), None
    if resume is not None:
        history, best_state = load_checkpoint(resume, model, optimizer, scheduler, train_loader)
    bar = ProgressBar(epochs) if _wants_progress(progress) else None

    # Overflow on the way to a diverging loss is reported once, by DivergenceError,
    # rather than as a stream of NumPy warnings.
    with np.errstate(over="ignore", invalid="ignore"):
        _run_epochs(model, optimizer, train_loader, loss_fn, range(len(history) + 1, epochs + 1), history,
                    bar, val_data, scheduler, early_stopping, best_state, checkpoint, checkpoint_metadata,
                    callbacks)
    return history


def _run_epochs(model, optimizer, train_loader, loss_fn, epochs, history, bar, val_data, scheduler,
                early_stopping, best_state, checkpoint, checkpoint_metadata, callbacks) -> None:
    for epoch in epochs:
        _train_one_epoch(model, optimizer, train_loader, loss_fn, epoch, history, bar)
        if val_data is not None:
            metrics = evaluate(model, val_data[0], val_data[1], loss_fn)
            history.val_loss.append(metrics["loss"])
            history.val_accuracy.append(metrics["accuracy"])
        if scheduler is not None:
            _step_scheduler(scheduler, history)
        stop = False
        if early_stopping is not None:
            if early_stopping.best_index(history) == len(history) - 1 and early_stopping.restore_best:
                best_state = _copy_state(model.state_dict())
            stop = early_stopping.should_stop(history)
        if checkpoint is not None:
            save_checkpoint(checkpoint, model, optimizer, scheduler, train_loader, history, best_state,
                            checkpoint_metadata)
        if bar is not None:
            bar.epoch_done(history)
        for callback in callbacks:
            stop = bool(callback(history)) or stop
        if stop:
            history.stopped_early = True
            if early_stopping is not None and early_stopping.restore_best and best_state is not None:
                model.load_state_dict(best_state)
            break


def _step_scheduler(scheduler, history: History) -> None:
    """Schedules step once per epoch; ReduceLROnPlateau also needs the loss it watches."""
    from minigrad.optim.lr_scheduler import ReduceLROnPlateau

    if isinstance(scheduler, ReduceLROnPlateau):
        scheduler.step(history.val_loss[-1] if history.val_loss else history.train_loss[-1])
    else:
        scheduler.step()


def _train_one_epoch(model, optimizer, loader, loss_fn: LossFn, epoch: int, history: History,
                     bar: ProgressBar | None) -> None:
    model.train()
    lr = current_lr(optimizer)
    steps = len(loader)
    loss_sum, correct, seen, seconds = 0.0, 0, 0, 0.0
    started = time.perf_counter()
    for step, (xb, yb) in enumerate(loader, start=1):
        logits = model(Tensor(xb))
        loss = loss_fn(logits, yb)
        value = float(loss.data)
        if not math.isfinite(value):
            raise DivergenceError(
                f"training diverged: the loss is {value} at epoch {epoch}, step {step} of {steps} "
                f"(lr={lr:g}). The learning rate is probably too large for this model and data: "
                f"try a smaller one, e.g. lr={lr / 10:g}."
            )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss_sum += value * len(yb)
        correct += int((logits.data.argmax(axis=1) == yb).sum())
        seen += len(yb)
        if bar is not None:
            bar.step(epoch, step, steps, loss_sum / seen)
    seconds = time.perf_counter() - started
    history.epoch.append(epoch)
    history.train_loss.append(loss_sum / seen)
    history.train_accuracy.append(correct / seen)
    history.lr.append(lr)
    history.seconds.append(seconds)


def current_lr(optimizer) -> float:
    """The learning rate of the optimizer's first parameter group."""
    return float(optimizer.param_groups[0]["lr"])


def _copy_state(state: dict) -> dict:
    return {name: np.array(value, copy=True) for name, value in state.items()}
