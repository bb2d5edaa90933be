"""nn.save / nn.load: state dicts and nestings of them round-trip exactly through a file that
holds no pickle; saves are atomic; unreadable files raise errors naming them."""
import json
import os
import zipfile

import numpy as np
import pytest

import minigrad as mg
from minigrad import io, nn, optim
from minigrad.nn import functional as F
from minigrad.nn.serialization import STRUCTURE


def _model(seed=0):
    return nn.Sequential(nn.Linear(4, 6, seed=seed), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3, seed=seed + 1))


def _train(model, opt, steps, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x = rng.normal(size=(8, 4)).astype(np.float32)
        y = rng.integers(0, 3, 8)
        opt.zero_grad()
        F.cross_entropy(model(mg.Tensor(x)), y).backward()
        opt.step()


def _assert_same(a, b):
    assert type(a) is type(b), (a, b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            _assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y)
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and np.shape(a) == np.shape(b)
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, mg.Tensor):
        assert a.requires_grad == b.requires_grad
        _assert_same(a.data, b.data)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


def test_a_model_state_dict_round_trips_with_its_buffers(tmp_path):
    model = _model()
    _train(model, optim.SGD(model.parameters(), lr=0.1), 3)
    path = tmp_path / "model.pt"
    nn.save(model.state_dict(), path)
    state = nn.load(path)
    _assert_same(state, model.state_dict())
    assert state["1.num_batches_tracked"].dtype == np.int64 and state["1.num_batches_tracked"] == 3
    restored = _model(seed=5)
    restored.load_state_dict(state)
    x = mg.Tensor(np.random.default_rng(1).normal(size=(5, 4)).astype(np.float32))
    model.eval()
    restored.eval()
    np.testing.assert_array_equal(restored(x).data, model(x).data)
    # readable with NumPy alone, without pickle, under the state dict's own keys
    with np.load(path, allow_pickle=False) as archive:
        np.testing.assert_array_equal(archive["0.weight"], model[0].weight.data)


def test_an_optimizer_and_everything_else_of_a_run_round_trip_and_resume_exactly(tmp_path):
    model = _model()
    opt = optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.99))
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    _train(model, opt, 3)
    sched.step()
    checkpoint = {
        "model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
        "epoch": 3, "name": "run-1", "best": None, "loss": float("nan"), "limits": (float("inf"), -1.5),
        "history": [0.9, 0.7, np.float32(0.5)], 7: "an int key", (1, 2): "a tuple key", "flag": True,
        "tensor": mg.Tensor([1.0, 2.0], requires_grad=True), "parameter": nn.Parameter(np.ones(2)),
        "empty": {}, "nested": {"deeper": [{"array": np.arange(3)}, ()]},
    }
    path = tmp_path / "checkpoint.pt"
    nn.save(checkpoint, path)
    loaded = nn.load(path)
    _assert_same(loaded, checkpoint)
    assert isinstance(loaded["parameter"], nn.Parameter) and type(loaded["tensor"]) is mg.Tensor
    assert list(loaded["optimizer"]["state"]) == list(range(6))  # integer keys stay integers

    # resume in a fresh model and optimizer: the next steps are identical, bit for bit
    model2 = _model(seed=9)
    opt2 = optim.Adam(model2.parameters(), lr=0.5)
    model2.load_state_dict(loaded["model"])
    opt2.load_state_dict(loaded["optimizer"])
    _train(model, opt, 2, seed=4)
    _train(model2, opt2, 2, seed=4)
    _assert_same(model2.state_dict(), model.state_dict())


def test_a_module_is_saved_as_its_state_dict_and_the_earlier_forms_still_work(tmp_path):
    model = _model()
    nn.save(model, tmp_path / "a.npz")
    _assert_same(nn.load(tmp_path / "a.npz"), model.state_dict())
    assert nn.load(_model(seed=3), tmp_path / "a.npz") is not None  # load(module, path)
    other = _model(seed=4)
    other.load(tmp_path / "a.npz")
    _assert_same(other.state_dict(), model.state_dict())
    model.save(tmp_path / "b.npz")
    _assert_same(nn.load(tmp_path / "b.npz"), model.state_dict())


def test_a_plain_npz_of_named_arrays_loads_as_a_dict(tmp_path):
    io.save_npz(tmp_path / "plain.npz", {"weight": np.ones((2, 3), np.float32), "bias": np.zeros(2, np.float32)})
    loaded = nn.load(tmp_path / "plain.npz")
    assert list(loaded) == ["weight", "bias"]
    nn.Linear(3, 2).load_state_dict(loaded)


def test_objects_that_need_pickle_are_refused_before_anything_is_written(tmp_path):
    path = tmp_path / "state.pt"
    nn.save({"a": 1}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=r"obj\['config'\]\['hook'\] is a builtin_function_or_method; only dicts"):
        nn.save({"config": {"hook": print}}, path)
    with pytest.raises(TypeError, match=r"obj\['mixed'\] is an array of Python objects"):
        nn.save({"mixed": np.array([{}, 1], dtype=object)}, path)
    with pytest.raises(TypeError, match="is a set"):
        nn.save([{1, 2}], path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["state.pt"]
    with pytest.raises(TypeError, match="f must be a path"):
        nn.save({"a": 1}, open(os.devnull, "wb"))


def test_an_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    nn.save({"w": np.zeros(3)}, path)
    before = path.read_bytes()
    original = np.lib.format.write_array

    def fail_on_the_second(file, array, **kwargs):
        if fail_on_the_second.calls == 1:
            file.write(b"half")
            raise OSError("disk full")
        fail_on_the_second.calls += 1
        return original(file, array, **kwargs)

    fail_on_the_second.calls = 0
    monkeypatch.setattr(np.lib.format, "write_array", fail_on_the_second)
    with pytest.raises(OSError, match="disk full"):
        nn.save({"w": np.ones(3), "v": np.ones(2)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["model.pt"]
    np.testing.assert_array_equal(nn.load(path)["w"], 0)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_an_unreadable_file_is_a_value_error_naming_it(tmp_path, damage):
    path = tmp_path / "broken.pt"
    nn.save(_model().state_dict(), path)
    data = path.read_bytes()
    path.write_bytes({"truncated": data[: len(data) // 2], "garbage": b"not a zip at all" * 10, "empty": b""}[damage])
    with pytest.raises(ValueError, match="broken.pt"):
        nn.load(path)
    with pytest.raises(ValueError, match="broken.pt"):
        _model().load(path)


def _write_archive(path, structure_text, arrays=None):
    with zipfile.ZipFile(path, "w") as archive:
        for name, array in {**(arrays or {}), STRUCTURE: np.array(structure_text)}.items():
            with archive.open(name + ".npy", "w") as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


@pytest.mark.parametrize("structure, match", [
    ("{not json", "not valid JSON"),
    (json.dumps({"format": "something else", "version": 1, "root": 1}), "not one minigrad wrote"),
    (json.dumps({"format": "minigrad.save", "version": 99, "root": 1}), "version 99 is newer"),
    (json.dumps({"format": "minigrad.save", "version": 1, "root": {"array": "missing"}}), "array 'missing'"),
    (json.dumps({"format": "minigrad.save", "version": 1, "root": {"dict": [[1]]}}), "not a \\(key, value\\) pair"),
    (json.dumps({"format": "minigrad.save", "version": 1, "root": {"mystery": 1}}), "unexpected entry"),
])
def test_a_damaged_description_is_a_value_error_naming_the_file(tmp_path, structure, match):
    path = tmp_path / "odd.pt"
    _write_archive(path, structure)
    with pytest.raises(ValueError, match=f"odd.pt.*{match}"):
        nn.load(path)


def test_load_options_and_missing_files(tmp_path):
    path = tmp_path / "x.pt"
    nn.save({"a": np.ones(2)}, path)
    assert list(nn.load(path, map_location="cpu", weights_only=True)) == ["a"]
    assert list(nn.load(path, "cpu")) == ["a"]
    with pytest.raises(ValueError, match="map_location must be None or 'cpu'.*'cuda:0'"):
        nn.load(path, map_location="cuda:0")
    with pytest.raises(FileNotFoundError, match="nowhere.pt"):
        nn.load(tmp_path / "nowhere.pt")
    with pytest.raises(FileNotFoundError, match="no_dir"):
        nn.save({"a": 1}, tmp_path / "no_dir" / "x.pt")
    nn.save([1, 2], path)
    with pytest.raises(nn.StateDictError, match="holds a list, not a state dict"):
        _model().load(path)
