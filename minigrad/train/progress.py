"""What ``fit`` shows while it trains: a bar on a terminal, a summary line per epoch."""
from __future__ import annotations

import sys
import time

from minigrad.train.history import History

class ProgressBar:
    """One line redrawn in place while an epoch runs, then a one-line summary per epoch.

    Drawn only on a terminal, at most ten times a second, so that it costs nothing on the
    hot path and leaves logs and pipes clean.
    """

    WIDTH = 24

    def __init__(self, epochs: int, stream=None):
        self.epochs = epochs
        self.stream = stream or sys.stdout
        self._next_draw = 0.0

    def step(self, epoch: int, step: int, steps: int, loss: float) -> None:
        now = time.perf_counter()
        if now < self._next_draw and step != steps:
            return
        self._next_draw = now + 0.1
        filled = self.WIDTH * step // steps
        bar = "=" * filled + ">" * (filled < self.WIDTH) + " " * (self.WIDTH - filled - 1)
        self.stream.write(f"\repoch {epoch}/{self.epochs} [{bar}] {step}/{steps} loss {loss:.4f}")
        self.stream.flush()

    def epoch_done(self, history: History) -> None:
        self.stream.write("\r\033[K" + format_epoch(history, self.epochs) + "\n")
        self.stream.flush()


def format_epoch(history: History, epochs: int) -> str:
    """One line summarizing the latest epoch of ``history``."""
    last = history.last()
    parts = [f"epoch {last['epoch']:>{len(str(epochs))}}/{epochs}", f"loss {last['train_loss']:.4f}",
             f"acc {last['train_accuracy']:.4f}"]
    if "val_loss" in last:
        parts += [f"val_loss {last['val_loss']:.4f}", f"val_acc {last['val_accuracy']:.4f}"]
    parts += [f"lr {last['lr']:.3g}", f"{last['seconds']:.2f}s"]
    return "  ".join(parts)


def _wants_progress(progress: bool) -> bool:
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(progress and isatty is not None and isatty())
