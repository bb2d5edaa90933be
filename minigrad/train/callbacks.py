"""What runs after each epoch of ``fit``: callbacks, and early stopping."""
from __future__ import annotations

from typing import Callable

from minigrad.train.history import History

# A callback sees the history after each epoch; returning True stops training.
Callback = Callable[["History"], "bool | None"]

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
