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
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from minigrad.data.loader import is_class_indices
from minigrad.optim.registry import needs_closure
from minigrad.tensor import Tensor
from minigrad.train.callbacks import Callback, EarlyStopping, Hooks
from minigrad.train.checkpoints import _check_metadata, load_checkpoint, save_checkpoint
from minigrad.train.evaluation import LossFn, _as_labelled_samples, _default_loss, check_targets, evaluate
from minigrad.train.history import History
from minigrad.train.progress import Progress
from minigrad.train.schedules import step_scheduler


class DivergenceError(FloatingPointError):
    """The training loss became NaN or infinite; the message names epoch, step and lr."""


SCHEDULER_STEPS = ("epoch", "batch")


def fit(model, optimizer, train_loader, epochs: int, loss_fn: LossFn | None = None,
        val_data: tuple[Any, Any] | None = None, scheduler=None,
        callbacks: Sequence[Callback | Callable[[History], Any]] | None = None, progress: bool | Progress = True,
        early_stopping: EarlyStopping | None = None,
        checkpoint: str | os.PathLike | None = None, resume: str | os.PathLike | None = None,
        checkpoint_metadata: dict | None = None, scheduler_step: str = "epoch") -> History:
    """Train ``model`` for ``epochs`` epochs over ``train_loader``; return the ``History``.

    Each step is ``zero_grad; loss_fn(model(X), y).backward(); optimizer.step()``.
    ``val_data=(X, y)`` is evaluated after each epoch. Targets are integer class indices
    (then accuracies are recorded) or floats, for regression with a ``loss_fn`` such as
    ``mse_loss`` (the accuracies are then NaN: they have no meaning). The ``scheduler``, if any, steps once
    per epoch, after validation (``scheduler_step="epoch"``), or after every optimizer step
    (``"batch"``, for schedules counted in steps, e.g. a warm-up or a one-cycle ``LambdaLR``;
    ``ReduceLROnPlateau`` watches an epoch's loss, so it steps per epoch only). L-BFGS steps
    with a closure that re-evaluates the batch (one batch per loader: full-batch L-BFGS);
    a schedule-free optimizer is validated, and left at the end, at its averaged point.

    ``callbacks`` are ``Callback`` objects (hooks before training, after each step, after each
    epoch and at the end) or functions called with the history after each epoch; either
    returning True after an epoch stops training. ``progress=True`` shows a bar on a
    terminal or in a notebook and one line per epoch elsewhere (a pipe, a log), ``False``
    nothing, a ``Progress`` object whatever it shows (``Progress("Adam")`` names the run).
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
    check_targets(loss_fn, train_loader, None if val_data is None else val_data[1],
                  None if early_stopping is None else early_stopping.monitor)
    _check_scheduler_step(scheduler_step, scheduler)
    hooks = Hooks([*_progress_callbacks(progress), *(callbacks or [])])
    if checkpoint is not None:
        from minigrad.io import check_output_path
        check_output_path(checkpoint)
    if checkpoint_metadata is not None:
        _check_metadata(checkpoint_metadata)
    loss_fn = loss_fn or _default_loss()
    history, best_state = History(), None
    if resume is not None:
        history, best_state = load_checkpoint(resume, model, optimizer, scheduler, train_loader)
    run = _Run(model, optimizer, train_loader, loss_fn, val_data, scheduler, scheduler_step, early_stopping,
               checkpoint, checkpoint_metadata, hooks)

    hooks.train_begin(epochs, history)
    try:
        # Overflow on the way to a diverging loss is reported once, by DivergenceError,
        # rather than as a stream of NumPy warnings.
        with np.errstate(over="ignore", invalid="ignore"):
            run.epochs(range(len(history) + 1, epochs + 1), history, best_state)
    finally:
        _set_mode(optimizer, training=False)  # a schedule-free model ends holding its averaged point
        hooks.train_end(history)
    return history


def _check_scheduler_step(scheduler_step: Any, scheduler) -> None:
    from minigrad.optim.lr_scheduler import ReduceLROnPlateau

    if scheduler_step not in SCHEDULER_STEPS:
        raise ValueError(f"scheduler_step must be one of {', '.join(map(repr, SCHEDULER_STEPS))}, "
                         f"got {scheduler_step!r}")
    if scheduler_step == "batch" and isinstance(scheduler, ReduceLROnPlateau):
        raise ValueError("ReduceLROnPlateau watches an epoch's loss: it cannot step per batch "
                         "(use scheduler_step='epoch')")


def _progress_callbacks(progress: Any) -> list[Progress]:
    if isinstance(progress, Progress):
        return [progress]
    if isinstance(progress, (bool, np.bool_)):
        return [Progress()] if progress else []
    raise TypeError(f"progress must be True, False or a minigrad.train.Progress, got {progress!r:.80}")


@dataclass
class _Run:
    """What stays the same from epoch to epoch of one ``fit``."""

    model: Any
    optimizer: Any
    loader: Any
    loss_fn: LossFn
    val_data: tuple[np.ndarray, np.ndarray] | None
    scheduler: Any
    scheduler_step: str
    early_stopping: EarlyStopping | None
    checkpoint: str | os.PathLike | None
    checkpoint_metadata: dict | None
    hooks: Hooks

    def epochs(self, epochs: Iterable[int], history: History, best_state: dict | None) -> None:
        for epoch in epochs:
            _set_mode(self.optimizer, training=True)
            _train_one_epoch(self, epoch, history)
            if self.val_data is not None:
                _set_mode(self.optimizer, training=False)
                metrics = evaluate(self.model, self.val_data[0], self.val_data[1], self.loss_fn)
                _set_mode(self.optimizer, training=True)
                history.val_loss.append(metrics["loss"])
                history.val_accuracy.append(metrics.get("accuracy", math.nan))  # NaN: float targets
            if self.scheduler is not None and self.scheduler_step == "epoch":
                _step_scheduler(self.scheduler, history)
            stop = False
            if self.early_stopping is not None:
                if (self.early_stopping.best_index(history) == len(history) - 1
                        and self.early_stopping.restore_best):
                    best_state = _copy_state(self.model.state_dict())
                stop = self.early_stopping.should_stop(history)
            if self.checkpoint is not None:
                save_checkpoint(self.checkpoint, self.model, self.optimizer, self.scheduler, self.loader, history,
                                best_state, self.checkpoint_metadata)
            stop = self.hooks.epoch_end(epoch, history) or stop
            if stop:
                history.stopped_early = True
                if self.early_stopping is not None and self.early_stopping.restore_best and best_state is not None:
                    self.model.load_state_dict(best_state)
                break


def _step_scheduler(scheduler, history: History) -> None:
    """Schedules step once per epoch; ReduceLROnPlateau also needs the loss it watches."""
    step_scheduler(scheduler, history.val_loss[-1] if history.val_loss else history.train_loss[-1])


def _optimizer_step(optimizer, model, loss_fn, xb, yb) -> None:
    """``optimizer.step()``, or for an optimizer that needs the loss again (L-BFGS, whose line
    search and inner iterations re-evaluate it) ``step(closure)`` with a closure that
    recomputes this batch's loss and gradient. Each L-BFGS step thus works on one batch;
    with a loader of one batch it is full-batch L-BFGS."""
    if not needs_closure(optimizer):
        optimizer.step()
        return

    def closure():
        optimizer.zero_grad()
        loss = loss_fn(model(Tensor(xb)), yb)
        loss.backward()
        return float(loss.data)

    optimizer.step(closure)


def _set_mode(optimizer, training: bool) -> None:
    """Schedule-free optimizers evaluate at a point (x) other than the one they take gradients
    at (y): their ``eval()`` puts x into the parameters, ``train()`` puts y back."""
    switch = getattr(optimizer, "train" if training else "eval", None)
    if callable(switch) and hasattr(optimizer, "eval_params"):
        switch()


def _train_one_epoch(run: _Run, epoch: int, history: History) -> None:
    model, optimizer, loader, loss_fn = run.model, run.optimizer, run.loader, run.loss_fn
    batch_hooks = run.hooks.on_batch_end
    batch_scheduler = run.scheduler if run.scheduler_step == "batch" else None
    model.train()
    lr = current_lr(optimizer)  # the lr of the epoch's first step
    steps = len(loader)
    loss_sum, correct, seen = 0.0, 0, 0
    started = time.perf_counter()
    for step, (xb, yb) in enumerate(loader, start=1):
        logits = model(Tensor(xb))
        loss = loss_fn(logits, yb)
        value = float(loss.data)
        if not math.isfinite(value):
            step_lr = current_lr(optimizer)
            raise DivergenceError(
                f"training diverged: the loss is {value} at epoch {epoch}, step {step} of {steps} "
                f"(lr={step_lr:g}). The learning rate is probably too large for this model and data: "
                f"try a smaller one, e.g. lr={step_lr / 10:g}."
            )
        optimizer.zero_grad()
        loss.backward()
        _optimizer_step(optimizer, model, loss_fn, xb, yb)
        if batch_scheduler is not None:
            batch_scheduler.step()
        targets = yb.data if isinstance(yb, Tensor) else np.asarray(yb)
        loss_sum += value * len(targets)
        # Accuracy needs class indices: with float (regression) targets it is NaN.
        correct += int((logits.data.argmax(axis=1) == targets).sum()) if is_class_indices(targets) else math.nan
        seen += len(targets)
        if batch_hooks:
            running = {"loss": loss_sum / seen, "accuracy": correct / seen}
            for hook in batch_hooks:
                hook(epoch, step, steps, running)
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
