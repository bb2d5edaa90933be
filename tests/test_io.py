"""minigrad.io: atomic .npz saves that never leave a truncated file, and clear load errors."""
import os

import numpy as np
import pytest

import minigrad as mg
from minigrad import io


def test_round_trip_keeps_names_order_dtypes_and_odd_keys(tmp_path):
    arrays = {"layers.0.weight": np.arange(6, dtype=np.float32).reshape(2, 3), "step": 7,
              "file": np.array([1.5]), "allow_pickle": np.int8(3), "a/b": np.zeros((0, 2))}
    path = tmp_path / "state.npz"
    io.save_npz(path, arrays)
    loaded = io.load_npz(path)
    assert list(loaded) == list(arrays)
    for key, value in arrays.items():
        np.testing.assert_array_equal(loaded[key], value)
        assert loaded[key].dtype == np.asarray(value).dtype
    assert os.listdir(tmp_path) == ["state.npz"]  # no suffix added, no temporary left
    with np.load(path) as plain:  # an ordinary npz file
        np.testing.assert_array_equal(plain["step"], 7)


def test_tensors_and_compression(tmp_path):
    path = tmp_path / "t.npz"
    io.save_npz(path, {"t": mg.Tensor(np.ones((50, 50)))}, compress=True)
    assert path.stat().st_size < 50 * 50 * 8 / 4
    np.testing.assert_array_equal(io.load_npz(path)["t"], 1)


@pytest.mark.parametrize("failing", ["write_array", "fsync", "replace"])
def test_failure_at_any_point_keeps_the_previous_file(tmp_path, monkeypatch, failing):
    path = tmp_path / "ckpt.npz"
    io.save_npz(path, {"w": np.arange(3.0)})
    before = path.read_bytes()

    def boom(*args, **kwargs):
        if failing == "write_array":
            args[0].write(b"half an array")
        raise OSError(f"{failing} failed")

    target = {"write_array": (np.lib.format, "write_array"), "fsync": (os, "fsync"),
              "replace": (os, "replace")}[failing]
    monkeypatch.setattr(*target, boom)
    with pytest.raises(OSError, match=f"{failing} failed"):
        io.save_npz(path, {"w": np.arange(1000.0), "v": np.ones(4)})
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.npz"]


def test_interrupt_leaves_no_file_when_there_was_none(tmp_path):
    path = tmp_path / "new.npz"
    with pytest.raises(KeyboardInterrupt):
        with io.atomic_write(path) as file:
            file.write(b"some bytes")
            raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


def test_atomic_write_replaces_on_success(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"old")
    with io.atomic_write(path) as file:
        file.write(b"new")
        assert path.read_bytes() == b"old"  # not visible until the block ends
    assert path.read_bytes() == b"new"


def test_bad_values_are_refused_before_anything_is_written(tmp_path):
    path = tmp_path / "x.npz"
    with pytest.raises(TypeError, match="'bad'.*object"):
        io.save_npz(path, {"ok": np.ones(2), "bad": np.array([{}, []], dtype=object)})
    with pytest.raises(TypeError, match="keys must be non-empty strings"):
        io.save_npz(path, {3: np.ones(2)})
    assert not path.exists()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        io.save_npz(tmp_path / "missing_dir" / "x.npz", {"a": np.ones(1)})


def test_load_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.npz"):
        io.load_npz(tmp_path / "absent.npz")
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"this is not a zip file")
    with pytest.raises(ValueError, match="garbage.npz.*not an .npz archive"):
        io.load_npz(garbage)
    single = tmp_path / "single.npy"
    np.save(single, np.ones(2))
    with pytest.raises(ValueError, match="single .npy array"):
        io.load_npz(single)


def test_atomic_path_keeps_the_old_file_when_the_writer_fails(tmp_path):
    from minigrad.io import atomic_path

    target = tmp_path / "figures" / "curve.png"
    with atomic_path(target) as temporary:
        assert temporary.endswith(".png") and os.path.dirname(temporary) == str(target.parent)
        with open(temporary, "wb") as handle:
            handle.write(b"first")
    assert target.read_bytes() == b"first"
    with pytest.raises(RuntimeError, match="half way"):
        with atomic_path(target) as temporary:
            with open(temporary, "wb") as handle:
                handle.write(b"trunc")
            raise RuntimeError("the writer failed half way")
    assert target.read_bytes() == b"first"
    assert sorted(p.name for p in target.parent.iterdir()) == ["curve.png"]


def test_figures_are_written_atomically(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from minigrad import viz

    target = tmp_path / "curves.png"
    target.write_bytes(b"previous")

    def failing_savefig(self, fname, **kwargs):
        with open(fname, "wb") as handle:
            handle.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(Figure, "savefig", failing_savefig)
    with pytest.raises(OSError, match="disk full"):
        viz._save(Figure(), target)
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]


# ---- damaged files name the file and what is wrong with it --------------------------------

def saved_archive(tmp_path):
    path = tmp_path / "good.npz"
    io.save_npz(path, {"w": np.arange(100.0), "b": np.ones(3)})
    return path.read_bytes()


@pytest.mark.parametrize("damage, problem", [
    (lambda good: good[: len(good) // 2], "truncated or damaged"),
    (lambda good: good[:-30], "truncated or damaged"),
    (lambda good: b"", "empty"),
    (lambda good: b"hello, I am a text file\n", "not an .npz archive"),
])
def test_a_damaged_file_is_a_value_error_naming_file_and_problem(tmp_path, damage, problem):
    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes(damage(saved_archive(tmp_path)))
    with pytest.raises(ValueError, match=f"damaged.npz.*{problem}"):
        io.load_npz(damaged)


def test_a_truncated_model_file_leaves_the_model_as_it_was(tmp_path):
    from minigrad import nn

    model = nn.MLP([3, 4, 2], seed=0)
    model.save(tmp_path / "model.npz")
    data = (tmp_path / "model.npz").read_bytes()
    (tmp_path / "model.npz").write_bytes(data[: len(data) // 2])
    other = nn.MLP([3, 4, 2], seed=1)
    before = [p.data.copy() for p in other.parameters()]
    with pytest.raises(ValueError, match="model.npz.*truncated"):
        nn.load(other, tmp_path / "model.npz")
    assert all(np.array_equal(a, p.data) for a, p in zip(before, other.parameters()))


# ---- files get the mode every other file gets ---------------------------------------------

@pytest.fixture(params=[0o022, 0o027, 0o002])
def umask(request):
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def test_saved_files_have_the_mode_an_ordinary_file_gets(tmp_path, umask):
    ordinary = tmp_path / "ordinary.txt"
    ordinary.write_bytes(b"x")
    expected = ordinary.stat().st_mode & 0o777
    assert expected == 0o666 & ~umask
    io.save_npz(tmp_path / "state.npz", {"a": np.ones(2)})
    with io.atomic_write(tmp_path / "rows.csv") as file:
        file.write(b"a,b\n")
    with io.atomic_path(tmp_path / "figure.png") as temporary:
        with open(temporary, "wb") as handle:
            handle.write(b"png")
    for name in ["state.npz", "rows.csv", "figure.png"]:
        assert oct((tmp_path / name).stat().st_mode & 0o777) == oct(expected), name


# ---- temporaries left by a killed writer --------------------------------------------------

def test_the_next_save_removes_temporaries_a_killed_writer_left(tmp_path):
    path = tmp_path / "run.npz"
    # What a writer killed mid-save leaves: the names atomic_write and atomic_path use (and
    # those of earlier versions, mkstemp's), with partial contents.
    stale = [".run.npz.a1b2c3d4.tmp", ".run.npz.k_9zq0xw.tmp", ".run.npz.0123abcd.npz"]
    for name in stale:
        (tmp_path / name).write_bytes(b"PK\x03\x04 partial")
    unrelated = [".other.npz.a1b2c3d4.tmp", "run.npz.a1b2c3d4.tmp", ".run.npz.a1b2c3d4.tmp.bak", "notes.tmp"]
    for name in unrelated:
        (tmp_path / name).write_bytes(b"not ours to remove")
    io.save_npz(path, {"a": np.ones(2)})
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["run.npz", *unrelated])


def test_a_save_in_progress_is_not_taken_for_a_stale_one(tmp_path):
    pytest.importorskip("fcntl")  # on systems without file locks nothing is ever removed
    path = tmp_path / "run.npz"
    with io.atomic_write(path) as file:
        file.write(b"the outer save")
        io.save_npz(path, {"a": np.ones(2)})  # another save of the same file meanwhile
        file.write(b", still being written")
    assert path.read_bytes() == b"the outer save, still being written"
    assert [p.name for p in tmp_path.iterdir()] == ["run.npz"]


# ---- output paths checked before the work ---------------------------------------------------

def test_check_output_path_refuses_what_cannot_be_written(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"'.*missing/out.csv'.*directory '.*missing' does not exist"):
        io.check_output_path(tmp_path / "missing" / "out.csv")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        io.check_output_path(tmp_path)
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(NotADirectoryError, match="'.*file' is not a directory"):
        io.check_output_path(tmp_path / "file" / "out.csv", make_dirs=True)
    if os.geteuid() != 0:  # root may write anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(PermissionError, match="locked/out.csv"):
            io.check_output_path(locked / "out.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["file"] + (["locked"] if os.geteuid() else []))


def test_check_output_path_creates_missing_folders_when_asked(tmp_path):
    target = tmp_path / "new" / "deeper" / "run.npz"
    assert io.check_output_path(target, make_dirs=True) == str(target)
    assert target.parent.is_dir() and list(target.parent.iterdir()) == []  # the probe left nothing


def test_a_write_error_names_the_file(tmp_path, monkeypatch):
    import errno

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np.lib.format, "write_array", disk_full)
    with pytest.raises(OSError, match=r"cannot write '.*run.npz': No space left on device") as caught:
        io.save_npz(tmp_path / "run.npz", {"a": np.ones(2)})
    assert caught.value.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []


def test_a_save_through_a_symbolic_link_replaces_the_file_it_points_to(tmp_path):
    real = tmp_path / "runs" / "run.npz"
    real.parent.mkdir()
    io.save_npz(real, {"a": np.zeros(2)})
    link = tmp_path / "latest.npz"
    link.symlink_to(real)
    io.save_npz(link, {"a": np.ones(2)})
    assert link.is_symlink() and os.path.samefile(link, real)
    np.testing.assert_array_equal(io.load_npz(real)["a"], np.ones(2))
    assert sorted(p.name for p in real.parent.iterdir()) == ["run.npz"]


def test_a_device_or_pipe_is_never_replaced_by_a_save(tmp_path):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    for save in (lambda: io.save_npz(pipe, {"a": np.ones(2)}), lambda: io.check_output_path(pipe)):
        with pytest.raises(OSError, match="'.*pipe'.*not a regular file"):
            save()
    with pytest.raises(OSError, match="not a regular file"):
        with io.atomic_path(pipe):
            pass
    assert pipe.is_fifo() and [p.name for p in tmp_path.iterdir()] == ["pipe"]


def test_a_figure_writer_failing_on_its_temporary_names_the_figure(tmp_path):
    import errno

    target = tmp_path / "curves.png"
    with pytest.raises(OSError, match=r"cannot write '.*curves.png': No space left on device"):
        with io.atomic_path(target) as temporary:
            raise OSError(errno.ENOSPC, "No space left on device", temporary)
    assert list(tmp_path.iterdir()) == []


def test_only_regular_files_named_like_temporaries_are_removed(tmp_path):
    (tmp_path / ".run.npz.a1b2c3d4.tmp").mkdir()
    (tmp_path / ".run.npz.zzzzzzzz.tmp").symlink_to(tmp_path / "elsewhere")
    os.mkfifo(tmp_path / ".run.npz.qqqqqqqq.tmp")
    io.save_npz(tmp_path / "run.npz", {"a": np.ones(2)})
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".run.npz.a1b2c3d4.tmp", ".run.npz.qqqqqqqq.tmp", ".run.npz.zzzzzzzz.tmp", "run.npz"]
