"""Atomic file saves: a crash or an error mid-save never leaves a truncated file behind.

Everything minigrad writes to disk (module state dicts, training checkpoints) goes through
``atomic_write``: the bytes go to a temporary file in the destination's directory, which is
flushed and fsync'ed, then renamed over the destination with ``os.replace`` (atomic on POSIX
and Windows when both paths are on one filesystem, which the same directory guarantees).
Until that rename the previous file, if any, is untouched; if anything fails before it, the
temporary file is removed and the error propagates. A process killed mid-save cannot remove
its temporary (``.<name>.<8 characters>.tmp``); the next save of the same file does. Saved
files get the mode any new file gets (0o666 less the umask).

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "weights.npz")
>>> save_npz(path, {"layer.weight": np.eye(2), "step": 3})
>>> sorted(load_npz(path))
['layer.weight', 'step']
"""
from __future__ import annotations

import contextlib
import os
import random
import re
import zipfile
from pathlib import Path
from typing import IO, Iterator, Mapping

import numpy as np

from minigrad.tensor import Tensor

PathLike = str | os.PathLike


# ---- temporary files ------------------------------------------------------------------------
#
# A save writes to ".<name>.<8 characters>.tmp" beside its target (atomic_path keeps the
# target's extension instead of ".tmp", for writers that read it), created with mode 0o666
# so that the umask applies, as to any file a program creates. A writer killed mid-save
# (kill -9, a power cut) cannot remove its temporary, so every save first removes the
# temporaries of the same target that no live writer holds: each writer holds an exclusive
# lock (flock) on its temporary while it writes, and the system drops the lock when the
# process dies, however it dies. Where there are no file locks (Windows) nothing is
# removed, since a temporary in use could not be told from a stale one.

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

_TOKEN_CHARACTERS = "abcdefghijklmnopqrstuvwxyz0123456789_"


def _temporary_pattern(name: str, extension: str) -> "re.Pattern[str]":
    # Eight characters from mkstemp's alphabet: the names earlier versions used match too.
    endings = "|".join(re.escape(ending) for ending in dict.fromkeys([".tmp", extension]) if ending)
    return re.compile(rf"\.{re.escape(name)}\.[a-z0-9_]{{8}}(?:{endings})")


def _lock(fd: int, wait: bool) -> bool:
    """An exclusive lock on the open file ``fd``; False if ``wait`` is off and another holds it."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


def _same_file(fd: int, path: str) -> bool:
    """Whether ``path`` still names the file open as ``fd`` (another process may have removed it)."""
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (on_disk.st_dev, on_disk.st_ino) == (opened.st_dev, opened.st_ino)


def _remove_stale_temporaries(directory: str, name: str) -> None:
    if fcntl is None:
        return
    pattern = _temporary_pattern(name, os.path.splitext(name)[1])
    try:
        entries = [entry.name for entry in os.scandir(directory)
                   if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False)]
    except OSError:
        return
    for entry in entries:
        candidate = os.path.join(directory, entry)
        try:
            fd = os.open(candidate, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            if _lock(fd, wait=False) and _same_file(fd, candidate):
                os.remove(candidate)  # no writer holds it: what a killed save left
        except OSError:
            pass  # not ours to remove after all (permissions): leave it
        finally:
            os.close(fd)


def _create_temporary(directory: str, name: str, ending: str) -> tuple[int, str]:
    """Create and lock a new temporary file for ``name`` in ``directory``: (fd, path)."""
    _remove_stale_temporaries(directory, name)
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    generator = random.SystemRandom()
    for _ in range(100):
        token = "".join(generator.choice(_TOKEN_CHARACTERS) for _ in range(8))
        temporary = os.path.join(directory, f".{name}.{token}{ending}")
        try:
            fd = os.open(temporary, flags, 0o666)  # the umask applies, as to any new file
        except FileExistsError:
            continue
        # Another save's cleanup may have seen the file before the lock existed and removed
        # it; then the name is no longer ours and a fresh one is tried.
        _lock(fd, wait=True)
        if _same_file(fd, temporary):
            return fd, temporary
        os.close(fd)
    raise FileExistsError(f"cannot create a temporary file for {name!r} in {directory!r}")


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def _reworded(error: OSError, message: str) -> OSError:
    """The same kind of OSError, with the same errno, saying ``message``."""
    reworded = type(error)(message)
    reworded.errno = error.errno
    return reworded


def _naming_the_path(error: OSError, path: str, temporary: str) -> OSError:
    """A write error that does not say which file (a full disk), or names our temporary,
    reworded to name ``path``, the file the user asked for."""
    if error.errno is None or error.filename not in (None, temporary):
        return error
    return _reworded(error, f"cannot write {path!r}: {error.strerror}")


def _save_target(path: str) -> str:
    """The file a save of ``path`` replaces: the file a symbolic link points to (the link
    stays a link), and never a directory or a device, a pipe or a socket (renaming onto
    /dev/null would replace the device itself)."""
    target = os.path.realpath(path) if os.path.islink(path) else path
    if os.path.isdir(target):
        raise IsADirectoryError(f"cannot write {path!r}: it is a directory; give a file name")
    if os.path.exists(target) and not os.path.isfile(target):
        raise OSError(f"cannot write {path!r}: it is not a regular file (a device, a pipe or a socket), "
                      f"which a save, replacing the file whole, must not replace")
    return target


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[str]:
    """A temporary file name beside ``path`` for writers that want a name, not a file object
    (matplotlib, its GIF writer, Graphviz). It keeps ``path``'s extension, which such writers
    read. When the block succeeds the file is renamed onto ``path``, with the mode an
    ordinarily created file gets; on any exception it is deleted and ``path`` is untouched
    (an OSError about the temporary is reworded to name ``path``). Missing directories are
    created (figures go where they are asked for).
    """
    path = _save_target(os.fspath(path))
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    name = os.path.basename(path)
    fd, temporary = _create_temporary(directory, name, os.path.splitext(name)[1])
    try:
        yield temporary
        os.replace(temporary, path)
    except OSError as error:
        _remove_quietly(temporary)
        raise _naming_the_path(error, path, temporary) from None
    except BaseException:
        _remove_quietly(temporary)
        raise
    finally:
        os.close(fd)  # only now: the lock tells other saves that the temporary is in use


@contextlib.contextmanager
def atomic_write(path: PathLike) -> Iterator[IO[bytes]]:
    """Open a binary file that replaces ``path`` only when the ``with`` block succeeds.

    >>> with atomic_write(path) as f:      # doctest: +SKIP
    ...     f.write(b"all or nothing")

    The file object is a temporary file next to ``path``; on a clean exit it is flushed,
    fsync'ed and renamed onto ``path``. On any exception (KeyboardInterrupt included) it is
    deleted and ``path`` keeps its previous contents; an OSError without a file name (a
    full disk) gets one, the same errno and ``path`` in its message.
    """
    path = Path(_save_target(os.fspath(path)))
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"cannot save {str(path)!r}: directory {str(directory)!r} does not exist")
    fd, temporary = _create_temporary(str(directory), path.name, ".tmp")
    try:
        with os.fdopen(os.dup(fd), "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except OSError as error:
        _remove_quietly(temporary)
        raise _naming_the_path(error, str(path), temporary) from None
    except BaseException:
        _remove_quietly(temporary)
        raise
    finally:
        os.close(fd)
    _fsync_directory(directory)


def check_output_path(path: PathLike, make_dirs: bool = False) -> str:
    """Check that a file can be saved at ``path`` before the work that produces it starts.

    A training run or a sweep can take hours; its results must have somewhere to go. This
    refuses a path that is a directory (IsADirectoryError) or a device (OSError), whose
    folder is missing (FileNotFoundError; with ``make_dirs=True`` the folder is created
    instead, as ``mkdir -p`` does) or where no file can be created (PermissionError and the
    like, found by creating and removing a temporary file there). Each message names the
    path. Returns ``path`` as a string.
    """
    given = os.fspath(path)
    path = _save_target(given)
    directory = os.path.dirname(path) or "."
    if make_dirs:
        _make_directories(directory, path)
    elif not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot write {path!r}: directory {directory!r} does not exist")
    try:
        fd, temporary = _create_temporary(directory, os.path.basename(path), ".tmp")
    except OSError as error:
        raise _reworded(error, f"cannot write {given!r}: no file can be created in {directory!r} "
                               f"({error.strerror or error})") from None
    os.close(fd)
    _remove_quietly(temporary)
    return given


def _make_directories(directory: str, path: str) -> None:
    # The first existing ancestor that is a file, not a folder, is the clearest thing to name.
    ancestor = directory
    while ancestor and not os.path.exists(ancestor):
        ancestor = os.path.dirname(ancestor)
    if ancestor and not os.path.isdir(ancestor):
        raise NotADirectoryError(f"cannot write {path!r}: {ancestor!r} is not a directory")
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as error:
        raise _reworded(error, f"cannot create the folder {directory!r} for {path!r}: {error.strerror or error}") from None


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
    it and saying what is wrong if it is not a whole ``.npz`` archive (empty, truncated,
    damaged, or another kind of file).
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{str(path)!r} is a directory, not an .npz file")
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {str(path)!r}")
    _check_looks_like_npz(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except (zipfile.BadZipFile, ValueError, EOFError) as error:
        raise ValueError(f"{str(path)!r} is truncated or damaged (not a whole .npz archive: {error})") from None
    except OSError as error:
        raise _reworded(error, f"cannot read {str(path)!r}: {error.strerror or error}") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"{str(path)!r} is a single .npy array, not an .npz archive of named arrays")
    with archive:
        try:
            return {key: archive[key] for key in archive.files}
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
            raise ValueError(f"{str(path)!r} is truncated or damaged (cannot read its arrays: {error})") from None


_ZIP_SIGNATURE = b"PK\x03\x04"
_NPY_SIGNATURE = b"\x93NUMPY"


def _check_looks_like_npz(path: Path) -> None:
    """Name the common wrong files by what they are, before NumPy guesses (it takes any
    other bytes for a pickle)."""
    try:
        with open(path, "rb") as file:
            head = file.read(len(_NPY_SIGNATURE))
    except OSError as error:
        raise _reworded(error, f"cannot read {str(path)!r}: {error.strerror or error}") from None
    if not head:
        raise ValueError(f"{str(path)!r} is empty (0 bytes), not an .npz archive")
    if head.startswith(_NPY_SIGNATURE):
        raise ValueError(f"{str(path)!r} is a single .npy array, not an .npz archive of named arrays")
    if not head.startswith(_ZIP_SIGNATURE):
        raise ValueError(f"{str(path)!r} is not an .npz archive (it starts with {head[:4]!r}, not a zip header)")
