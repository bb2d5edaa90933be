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
    with pytest.raises(ValueError, match="garbage.npz.*not a readable .npz"):
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
    assert oct(target.stat().st_mode & 0o777) == oct(0o644)
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
