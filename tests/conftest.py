"""Test-wide settings: figures are drawn headless, and BLAS runs on one thread.

The tests multiply small matrices, where OpenBLAS' threads cost more than they save and,
on a busy 2-core machine, can make a run many times slower. Set before NumPy is imported.
"""
import os

os.environ.setdefault("MPLBACKEND", "Agg")
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import importlib.util  # noqa: E402  (after the environment settings above)
import io  # noqa: E402

import pytest  # noqa: E402


def missing_modules(*names: str) -> list[str]:
    """The modules among ``names`` that cannot be imported here."""
    return [name for name in names if importlib.util.find_spec(name) is None]


def require_installed(missing: list[str], what: str, install: str) -> None:
    """Skip ``what`` when something it needs is ``missing``, except under CI (``CI`` set, as
    .ci/run sets it), where everything is installed and a skip would hide a broken install."""
    if not missing:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} must run under CI, but these are missing: {', '.join(missing)} ({install})",
                    pytrace=False)
    pytest.skip(f"{what}: missing {', '.join(missing)} ({install})", allow_module_level=True)


class _Pipe(io.StringIO):
    """An output stream that is not a terminal and remembers what had been flushed."""

    def __init__(self):
        super().__init__()
        self.flushed = ""

    def isatty(self):
        return False

    def flush(self):
        self.flushed = self.getvalue()


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def pipe() -> _Pipe:
    """A stream like a pipe or a file: progress should print plain lines and flush each."""
    return _Pipe()


@pytest.fixture
def terminal() -> _Terminal:
    """A stream that says it is a terminal: progress may draw bars on it."""
    return _Terminal()
