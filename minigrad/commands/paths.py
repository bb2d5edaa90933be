"""Output paths of the commands, checked before any work: a run or a sweep can take hours,
and what it produces must have somewhere to go."""
from __future__ import annotations

from minigrad.io import check_output_path


def prepare_outputs(outputs: dict[str, str | None]) -> str | None:
    """Check every output path given (``{"--plot": path, ...}``, None for an option not
    given), creating missing folders as ``mkdir -p`` would. Returns None when all can be
    written, else a one-line message naming the option and the path."""
    for option, path in outputs.items():
        if path is None:
            continue
        try:
            check_output_path(path, make_dirs=True)
        except OSError as error:
            return f"{option}: {error}"
    return None
