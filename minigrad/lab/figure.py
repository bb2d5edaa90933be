"""The figure and animation objects every minigrad plot returns.

Plot functions return a ``Figure`` (matplotlib's, with a canvas of its own) instead of a file
name: in Jupyter it shows itself inline as a PNG, in a script it can be saved, restyled or
closed like any matplotlib figure. Animations return an ``Animation`` that shows itself
inline as a JavaScript player (matplotlib's HTML writer, JPEG frames embedded; no ffmpeg
needed) and saves as a GIF.

This module imports matplotlib, so only the functions that draw import it: ``import
minigrad`` and ``import minigrad.lab`` stay free of it. pyplot is never used: its global
state (the current figure, the interactive backend) is left to the user.
"""
from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Callable

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as _MatplotlibFigure

from minigrad.io import atomic_path

PathLike = str | os.PathLike


class Figure(_MatplotlibFigure):
    """A matplotlib Figure that displays inline in a notebook without pyplot.

    Jupyter shows a bare ``matplotlib.figure.Figure`` as text unless pyplot's inline backend
    has been switched on; ``_repr_png_`` makes the picture appear either way.
    """

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=self.dpi)
        return buffer.getvalue()


def new_figure(width: float, height: float) -> Figure:
    """An empty Figure with the constrained layout and an Agg canvas (no display needed)."""
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def save_figure(figure, path: PathLike, dpi: float = 110) -> str:
    """Write ``figure`` to ``path`` whole or not at all (see ``minigrad.io.atomic_path``); the
    format follows the extension, a name without one gets a PNG at exactly that name."""
    path = os.fspath(path)
    with atomic_path(path) as temporary:
        # The format is named: from an extension-less temporary name matplotlib would write
        # TEMPORARY.png beside it, and an empty file would be renamed into place.
        figure.savefig(temporary, dpi=dpi, format=os.path.splitext(path)[1].lstrip(".") or "png")
    return path


class Animation:
    """Frames drawn on one figure: shown inline in a notebook, saved as a GIF.

    ``draw_frame(number)`` updates the figure for frame ``number`` (0 .. frames - 1); the
    frames are drawn when they are needed: by ``save``, and by the first inline display
    (whose HTML is then kept, so showing the cell again costs nothing).
    """

    def __init__(self, figure, draw_frame: Callable[[int], None], frames: int, fps: int = 8, dpi: float = 80,
                 description: str = "animation"):
        if frames < 1:
            raise ValueError(f"an animation needs at least one frame, got {frames}")
        self.figure, self.frames, self.fps, self.dpi = figure, int(frames), int(fps), dpi
        self._draw_frame = draw_frame
        self._description = description
        self._html: str | None = None

    def __repr__(self) -> str:
        return f"<Animation: {self._description}, {self.frames} frames at {self.fps} fps>"

    def _write(self, writer, path: str, **savefig_options) -> None:
        with writer.saving(self.figure, path, self.dpi):
            for number in range(self.frames):
                self._draw_frame(number)
                writer.grab_frame(**savefig_options)

    def save(self, path: PathLike) -> str:
        """Write the animation as a GIF at ``path`` (atomically: a failed save leaves nothing)."""
        from matplotlib.animation import PillowWriter

        path = os.fspath(path)
        if not path.lower().endswith(".gif"):
            raise ValueError(f"an animation is written as a .gif file, got {path!r}")
        with atomic_path(path) as temporary:
            self._write(PillowWriter(fps=self.fps), temporary)
        return path

    def to_jshtml(self) -> str:
        """The animation as HTML with a JavaScript player and every frame embedded."""
        if self._html is None:
            from matplotlib.animation import HTMLWriter

            writer = HTMLWriter(fps=self.fps, embed_frames=True, default_mode="once")
            # JPEG frames: a third of PNG's size for these contour pictures, so a notebook
            # with a few animations stays a few megabytes.
            writer.frame_format = "jpeg"
            with tempfile.TemporaryDirectory() as folder:
                page = Path(folder, "animation.html")
                self._write(writer, str(page), pil_kwargs={"quality": 88})
                self._html = page.read_text()
        return self._html

    def _repr_html_(self) -> str:
        return self.to_jshtml()
