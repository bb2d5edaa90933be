"""What ``fit`` calls while it trains: callbacks, and early stopping.

A callback is an object with any of the hooks of ``Callback`` (subclass it, or just define
the methods you need), or a plain function of the history, called after each epoch::

    class PrintBest(Callback):
        def on_epoch_end(self, epoch, history):
            print(epoch, min(history.val_loss))

    fit(model, opt, loader, 10, val_data=(X, y), callbacks=[PrintBest(), lambda h: len(h) == 5])

``on_epoch_end`` (or the function) returning True stops training: ``History.stopped_early``
is then set. ``fit``'s progress display is itself a callback (``minigrad.train.Progress``).
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from minigrad.train.history import History

HOOKS = ("on_train_begin", "on_batch_end", "on_epoch_end", "on_train_end")


class Callback:
    """Hooks ``fit`` calls while it trains; each does nothing here: override the ones you need."""

    def on_train_begin(self, epochs: int, history: History) -> None:
        """Before the first step. ``epochs`` is the run's target (the total, as ``fit``'s);
        ``history`` holds the epochs already done (none, unless the run is resumed)."""

    def on_batch_end(self, epoch: int, step: int, steps: int, metrics: dict[str, float]) -> None:
        """After each optimizer step: step ``step`` of ``steps`` of epoch ``epoch``, with the
        epoch's running mean training ``metrics["loss"]`` and ``metrics["accuracy"]``."""

    def on_epoch_end(self, epoch: int, history: History) -> bool | None:
        """After each epoch, once validation, scheduler and checkpoint are done and
        ``history`` holds the epoch. Return True to stop training."""

    def on_train_end(self, history: History) -> None:
        """When training ends, however it ends: all epochs done, stopped early, or an
        exception on its way out of ``fit`` (a progress bar closes here)."""


class _EpochFunction(Callback):
    """A plain function of the history, as a callback: called after each epoch."""

    def __init__(self, function: Callable[[History], Any]):
        self.function = function

    def on_epoch_end(self, epoch: int, history: History) -> bool | None:
        return self.function(history)


class Hooks:
    """The callbacks' hooks, gathered once before training: a hook a callback does not
    override is not called at all (``on_batch_end`` runs on the hot path)."""

    def __init__(self, callbacks: Iterable[Any]):
        self.callbacks = [as_callback(callback, index) for index, callback in enumerate(callbacks)]
        for hook in HOOKS:
            setattr(self, hook, [getattr(callback, hook) for callback in self.callbacks
                                 if _overrides(callback, hook)])

    def train_begin(self, epochs: int, history: History) -> None:
        for hook in self.on_train_begin:
            hook(epochs, history)

    def epoch_end(self, epoch: int, history: History) -> bool:
        """Call every callback (none is skipped because an earlier one asked to stop)."""
        stop = False
        for hook in self.on_epoch_end:
            stop = bool(hook(epoch, history)) or stop
        return stop

    def train_end(self, history: History) -> None:
        for hook in self.on_train_end:
            hook(history)


def as_callback(callback: Any, index: int = 0) -> Any:
    """``callback`` itself if it has any hook, a function wrapped; TypeError otherwise."""
    if isinstance(callback, Callback) or any(callable(getattr(callback, hook, None)) for hook in HOOKS):
        return callback
    if callable(callback):
        return _EpochFunction(callback)
    raise TypeError(f"callbacks[{index}] must be a Callback (an object with on_epoch_end(epoch, history) or "
                    f"another of {', '.join(HOOKS)}) or a function of the history, got {callback!r:.80}")


def _overrides(callback: Any, hook: str) -> bool:
    method = getattr(type(callback), hook, None)
    return callable(getattr(callback, hook, None)) and method is not getattr(Callback, hook)

_MONITORS = {"val_loss": min, "val_accuracy": max, "train_loss": min, "train_accuracy": max}


class EarlyStopping:
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    Its state is read off the history (so it survives a resume unchanged); with
    ``restore_best=True`` the model gets back the parameters of its best epoch when it stops.
    """

    def __init__(self, patience: int = 5, monitor: str = "val_loss", min_delta: float = 0.0,
                 restore_best: bool = True):
        if monitor not in _MONITORS:
            raise ValueError(f"unknown monitor {monitor!r}; choose one of: {', '.join(_MONITORS)}")
        if patience < 1:
            raise ValueError(f"patience must be at least 1 epoch, got {patience}")
        self.patience = patience
        self.monitor = monitor
        self.min_delta = min_delta
        self.restore_best = restore_best

    def best_index(self, history: History) -> int:
        """The index of the best epoch so far: the last one that improved by more than min_delta."""
        values = getattr(history, self.monitor)
        sign = 1.0 if _MONITORS[self.monitor] is min else -1.0
        best_index, best = 0, sign * values[0]
        for index, value in enumerate(values[1:], start=1):
            if sign * value < best - self.min_delta:
                best_index, best = index, sign * value
        return best_index

    def should_stop(self, history: History) -> bool:
        return len(history) - 1 - self.best_index(history) >= self.patience

    def __repr__(self) -> str:
        return f"EarlyStopping(patience={self.patience}, monitor={self.monitor!r}, min_delta={self.min_delta})"
