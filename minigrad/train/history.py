"""History: the per-epoch metrics of a ``fit`` run, as lists one entry per epoch."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

# What the summary shows of an epoch, in the words of fit's progress lines.
_SHOWN = {"train_loss": "loss", "train_accuracy": "acc", "val_loss": "val_loss", "val_accuracy": "val_acc"}
# A notebook shows at most this many epochs of a history: the first few and the latest.
_HTML_FIRST, _HTML_LAST = 3, 5


@dataclass
class History:
    """Per-epoch metrics of a ``fit`` run, one list entry per epoch.

    ``val_loss`` and ``val_accuracy`` stay empty when ``fit`` had no validation data.
    ``lr`` is the learning rate of the epoch's first step (all its steps', unless the
    scheduler steps per batch); ``seconds`` the time of its steps.

    Its repr is one line (epochs run and the last epoch's losses and accuracies); in a
    notebook it shows as a small table of its first and latest epochs.
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
        last = self.last()
        # An accuracy is NaN for float (regression) targets: it is left out.
        shown = ", ".join(f"{word} {last[name]:.4f}" for name, word in _SHOWN.items()
                          if name in last and last[name] == last[name])
        early = ", stopped early" if self.stopped_early else ""
        return f"History({len(self)} epoch{'s' * (len(self) != 1)}{early}; last: {shown})"

    def _repr_html_(self) -> str:
        """A table of the first and the latest epochs, for Jupyter."""
        columns = [name for name in self.COLUMNS if getattr(self, name)]
        head = "".join(f"<th>{name}</th>" for name in columns)
        rows = list(range(len(self)))
        if len(rows) > _HTML_FIRST + _HTML_LAST + 1:
            rows = rows[:_HTML_FIRST] + [None] + rows[-_HTML_LAST:]
        body = []
        for index in rows:
            if index is None:
                body.append(f'<tr><td colspan="{len(columns)}" style="text-align:center">&hellip;</td></tr>')
            else:
                body.append("<tr>" + "".join(f"<td>{_cell(name, getattr(self, name)[index])}</td>"
                                             for name in columns) + "</tr>")
        early = ", stopped early" if self.stopped_early else ""
        caption = f"History: {len(self)} epoch{'s' * (len(self) != 1)}{early}"
        return (f"<table><caption>{caption}</caption><thead><tr>{head}</tr></thead>"
                f"<tbody>{''.join(body)}</tbody></table>")


def _cell(name: str, value: float) -> str:
    if name == "epoch":
        return str(value)
    if name == "lr":
        return f"{value:.3g}"
    if name == "seconds":
        return f"{value:.2f}"
    return f"{value:.4f}"
