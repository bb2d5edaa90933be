"""Atomic file saves: a crash or an error mid-save never leaves a truncated file behind.

Everything minigrad writes to disk (module state dicts, training checkpoints) goes through
``atomic_write``: the bytes go to a temporary file in the destination's directory, which is
flushed and fsync'ed, then renamed over the destination with ``os.replace`` (atomic on POSIX
and Windows when both paths are on one filesystem, which the same directory guarantees).
Until that rename the previous file, if any, is untouched; if anything fails before it, the
temporary file is removed and the error propagates.

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "weights.npz")
>>> save_npz(path, {"layer.weight": np.eye(2), "step": 3})
>>> sorted(load_npz(path))
['layer.weight', 'step']
"""
from __future__ import annotations

import contextlib
import os
import tempfile
import zipfile
from pathlib import Path
from typing import IO, Iterator, Mapping

import numpy as np

from minigrad.tensor import Tensor

PathLike = str | os.PathLike


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[str]:
    """A temporary file name beside ``path`` for writers that want a name, not a file object
    (matplotlib, its GIF writer, Graphviz). It keeps ``path``'s extension, which such writers
    read. When the block succeeds the file is renamed onto ``path``, readable by all as an
    ordinarily created file would be; on any exception it is deleted and ``path`` is untouched.
    Missing directories are created (figures go where they are asked for).
    """
    path = os.fspath(path)
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    name = os.path.basename(path)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=os.path.splitext(name)[1])
    os.close(handle)
    try:
        yield temporary
        os.chmod(temporary, 0o644)  # mkstemp makes the file private
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise


@contextlib.contextmanager
def atomic_write(path: PathLike) -> Iterator[IO[bytes]]:
    """Open a binary file that replaces ``path`` only when the ``with`` block succeeds.

    >>> with atomic_write(path) as f:      # doctest: +SKIP
    ...     f.write(b"all or nothing")

    The file object is a temporary file next to ``path``; on a clean exit it is flushed,
    fsync'ed and renamed onto ``path``. On any exception (KeyboardInterrupt included) it is
    deleted and ``path`` keeps its previous contents.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"cannot save {str(path)!r}: directory {str(directory)!r} does not exist")
    handle, temp_name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temp_name)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save_npz(path: PathLike, arrays: Mapping[str, "np.typing.ArrayLike"], compress: bool = False) -> None:
    """Save named arrays to one ``.npz`` file at ``path``, atomically.

    ``arrays`` maps string keys (any text, dots and slashes included) to array-likes; Python
    scalars become 0-d arrays. Object arrays are refused (they would need pickle to load).
    The file is exactly ``path`` (no ``.npz`` is appended) and reads back with ``load_npz``
    or ``numpy.load``.
    """
    prepared = {}
    for key, value in arrays.items():
        if not isinstance(key, str) or not key:
            raise TypeError(f"save_npz keys must be non-empty strings, got {key!r}")
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
        if array.dtype.hasobject:
            raise TypeError(f"save_npz: array {key!r} has dtype object, which cannot be saved without pickle")
        prepared[key] = array
    mode = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with atomic_write(path) as file:
        with zipfile.ZipFile(file, mode="w", compression=mode, allowZip64=True) as archive:
            for key, array in prepared.items():
                with archive.open(key + ".npy", mode="w", force_zip64=True) as member:
                    np.lib.format.write_array(member, array, allow_pickle=False)


def load_npz(path: PathLike) -> dict[str, np.ndarray]:
    """Read every array of an ``.npz`` file into a dict (in the order they were saved).

    Raises FileNotFoundError naming the path if there is no such file, and ValueError naming
    it if the file is not a readable ``.npz`` archive.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {str(path)!r}")
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise ValueError(f"{str(path)!r} is not a readable .npz file: {error}") from error
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"{str(path)!r} is a single .npy array, not an .npz archive of named arrays")
    with archive:
        try:
            return {key: archive[key] for key in archive.files}
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
            raise ValueError(f"{str(path)!r} is not a readable .npz file: {error}") from error
