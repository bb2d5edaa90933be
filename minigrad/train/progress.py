"""What ``fit`` (and the sweep, and the commands) show while they work, and where.

Where the output goes decides what it looks like:

- in a Jupyter notebook (with ipywidgets installed): a progress widget, through
  ``tqdm.auto``, which picks the notebook's widget there and a text bar elsewhere;
- on a terminal: a tqdm bar redrawn in place, with the epoch and the running loss and
  accuracy, under a summary line per finished epoch;
- anywhere else (a pipe, a log file, CI, a notebook without ipywidgets): one plain line per
  epoch, flushed as soon as the epoch ends, and no control characters: logs stay readable and
  ``minigrad train ... | cat`` shows each epoch as it finishes.
"""
from __future__ import annotations

import contextlib
import sys
import threading
import time
import warnings
from typing import Any, Iterator

from minigrad.train.callbacks import Callback
from minigrad.train.history import History

MODES = ("notebook", "terminal", "lines")
# The shortest time between two redraws of a bar (tqdm's own default): a bar costs nothing
# on the hot path, and a log is never flooded.
REDRAW_SECONDS = 0.1


def in_notebook() -> bool:
    """True in a Jupyter kernel where ``tqdm.auto`` draws widgets (ipywidgets installed)."""
    if "ipykernel" not in sys.modules:  # the usual case, answered without importing tqdm
        return False
    from tqdm import TqdmWarning

    with warnings.catch_warnings():
        # Without ipywidgets tqdm warns and falls back to text; so do we, to plain lines.
        warnings.simplefilter("ignore", TqdmWarning)
        from tqdm.auto import tqdm as auto_tqdm
    from tqdm.notebook import tqdm as notebook_tqdm

    return issubclass(auto_tqdm, notebook_tqdm)


def display_mode(stream: Any = None) -> str:
    """``"notebook"``, ``"terminal"`` or ``"lines"``: how to show progress on ``stream``
    (default: standard output; a notebook's widgets are for standard output only)."""
    if stream is None:
        if in_notebook():
            return "notebook"
        stream = sys.stdout
    isatty = getattr(stream, "isatty", None)
    try:
        return "terminal" if isatty is not None and isatty() else "lines"
    except ValueError:  # a closed stream
        return "lines"


def open_bar(mode: str, stream: Any, **options):
    """A ``tqdm.auto`` bar for ``mode`` (the notebook's widget ignores ``stream``)."""
    from tqdm.auto import tqdm

    if mode == "terminal":
        options.update(file=stream, dynamic_ncols=True)
    return tqdm(mininterval=REDRAW_SECONDS, **options)


def format_epoch(history: History, epochs: int) -> str:
    """One line summarizing the latest epoch of ``history``."""
    last = history.last()
    return "  ".join([f"epoch {last['epoch']:>{len(str(epochs))}}/{epochs}", _metrics(last),
                      f"lr {last['lr']:.3g}", f"{last['seconds']:.2f}s"])


def _metrics(last: dict[str, float]) -> str:
    shown = {"loss": last["train_loss"], "acc": last["train_accuracy"]}
    if "val_loss" in last:
        shown.update(val_loss=last["val_loss"], val_acc=last["val_accuracy"])
    return "  ".join(f"{name} {value:.4f}" for name, value in shown.items() if value == value)  # NaN: no accuracy


def _postfix(epoch: int, epochs: int, metrics: dict[str, float]) -> str:
    """Short, so that the bar keeps its room on a narrow terminal."""
    names = {"accuracy": "acc"}
    # An accuracy is NaN for float (regression) targets: it is left out.
    return ", ".join([f"epoch {epoch}/{epochs}"] + [f"{names.get(k, k)} {v:.4g}" for k, v in metrics.items() if v == v])


class Progress(Callback):
    """``fit``'s progress display, a callback: ``fit(progress=True)`` uses one, and
    ``fit(progress=Progress("Adam"))`` names the run in every line and on the bar.

    On a terminal: one bar over all the run's steps (the postfix says the epoch and the
    running loss and accuracy), under a summary line per finished epoch. In a notebook: the
    bar only, as a widget (the epoch's metrics in its postfix). Elsewhere: the summary lines
    only, each flushed when its epoch ends. ``mode`` forces one of ``MODES``; by default it is
    chosen from ``stream`` (default: standard output at the time training begins).
    """

    def __init__(self, description: str | None = None, stream: Any = None, mode: str | None = None):
        if mode is not None and mode not in MODES:
            raise ValueError(f"unknown progress mode {mode!r}; choose one of: {', '.join(MODES)}")
        self.description = description
        self.stream = stream
        self.mode = mode
        self._bar = None

    def on_train_begin(self, epochs: int, history: History) -> None:
        self._out = self.stream if self.stream is not None else sys.stdout
        self._shown = self.mode or display_mode(self.stream)
        self._epochs = epochs
        self._epochs_before = len(history)
        self._next_postfix = 0.0
        self._close_bar()

    def on_batch_end(self, epoch: int, step: int, steps: int, metrics: dict[str, float]) -> None:
        if self._shown == "lines":
            return
        if self._bar is None:
            # A resumed run's bar starts where its checkpoint left off.
            self._bar = open_bar(self._shown, self._out, total=max(self._epochs, self._epochs_before) * steps,
                                 initial=self._epochs_before * steps, desc=self.description or "training",
                                 unit="step", leave=True)
        self._bar.update(1)
        now = time.monotonic()
        if now >= self._next_postfix or step == steps:
            # Formatting the postfix costs more than the update: only as often as a redraw.
            self._next_postfix = now + REDRAW_SECONDS
            self._bar.set_postfix_str(_postfix(epoch, self._epochs, metrics), refresh=False)

    def on_epoch_end(self, epoch: int, history: History) -> None:
        if self._bar is not None:
            last = history.last()
            shown = {"loss": last["train_loss"], "acc": last["train_accuracy"]}
            if "val_accuracy" in last:
                shown["val_acc"] = last["val_accuracy"]
            self._bar.set_postfix_str(_postfix(epoch, self._epochs, shown), refresh=False)
        if self._shown == "notebook":  # the widget is the display; a line per epoch would flood the cell
            if self._bar is not None:
                self._bar.refresh()
            return
        line = format_epoch(history, self._epochs)
        if self.description:
            line = f"{self.description}  {line}"
        if self._bar is not None:
            self._bar.write(line, file=self._out)  # above the bar, which is redrawn below it
        else:
            self._out.write(line + "\n")
            self._out.flush()

    def on_train_end(self, history: History) -> None:
        self._close_bar()
        if history.stopped_early and self._shown != "notebook":
            note = f"stopped early after epoch {len(history)} of {self._epochs}"
            self._out.write(f"{self.description}  {note}\n" if self.description else note + "\n")
            self._out.flush()

    def _close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class ProgressBar(Progress):
    """The first progress bar's interface, for code that drives one by hand: ``step(epoch,
    step, steps, loss)`` after each batch, ``epoch_done(history)`` after each epoch. It shows
    what ``Progress`` shows, and closes after the epoch numbered ``epochs``."""

    def __init__(self, epochs: int, stream: Any = None):
        super().__init__(stream=stream)
        self.epochs = epochs
        self._begun = False

    def step(self, epoch: int, step: int, steps: int, loss: float) -> None:
        self._begin(epoch)
        self.on_batch_end(epoch, step, steps, {"loss": loss})

    def epoch_done(self, history: History) -> None:
        self._begin(history.epoch[-1])
        self.on_epoch_end(history.epoch[-1], history)
        if history.epoch[-1] >= self.epochs:
            self.on_train_end(history)
            self._begun = False

    def _begin(self, epoch: int) -> None:
        if not self._begun:
            self._begun = True
            before = History()
            before.epoch = list(range(1, epoch))
            self.on_train_begin(self.epochs, before)


@contextlib.contextmanager
def working(description: str, stream: Any = None) -> Iterator[None]:
    """Show that ``description`` is under way while the block runs, for work that cannot
    report its own progress (a figure being rendered): on a terminal or in a notebook, the
    description and the time elapsed, redrawn from a helper thread and removed at the end;
    elsewhere, one line as the work starts."""
    mode = display_mode(stream)
    out = stream if stream is not None else sys.stdout
    if mode == "lines":
        out.write(f"{description} ...\n")
        out.flush()
        yield
        return
    bar = open_bar(mode, out, total=None, desc=description, bar_format="{desc} ... {elapsed}", leave=False)
    done = threading.Event()

    def tick() -> None:
        while not done.wait(REDRAW_SECONDS * 2):
            bar.refresh()

    ticker = threading.Thread(target=tick, name="minigrad-progress", daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join()
        bar.close()
