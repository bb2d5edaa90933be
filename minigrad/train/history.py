"""History: the per-epoch metrics of a ``fit`` run, as lists one entry per epoch."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

@dataclass
class History:
    """Per-epoch metrics of a ``fit`` run, one list entry per epoch.

    ``val_loss`` and ``val_accuracy`` stay empty when ``fit`` had no validation data.
    ``lr`` is the learning rate the epoch's steps used; ``seconds`` the time of its steps.
    """

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    stopped_early: bool = False

    COLUMNS = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds")

    def __len__(self) -> int:
        return len(self.epoch)

    def last(self) -> dict[str, float]:
        """The latest epoch's metrics as a dict (only the columns that have values)."""
        return {name: getattr(self, name)[-1] for name in self.COLUMNS if getattr(self, name)}

    def to_dict(self) -> dict[str, Any]:
        """Plain lists, ready for ``json.dumps``."""
        result: dict[str, Any] = {name: list(getattr(self, name)) for name in self.COLUMNS}
        result["stopped_early"] = self.stopped_early
        return result

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {name: np.asarray(getattr(self, name), dtype=np.int64 if name == "epoch" else np.float64)
                for name in self.COLUMNS}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "History":
        history = cls()
        for name in cls.COLUMNS:
            setattr(history, name, [value.item() for value in np.asarray(arrays[name])])
        return history

    def __repr__(self) -> str:
        if not self.epoch:
            return "History(0 epochs)"
        latest = ", ".join(f"{k}={v:.4g}" for k, v in self.last().items() if k != "epoch")
        return f"History({len(self)} epochs; last: {latest})"
