"""Module: registration, parameter order, modes, repr, state dicts and their files."""
import os

import numpy as np
import pytest

import minigrad as mg
from minigrad import io, nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.ones(3))
        self.inner = nn.Linear(3, 2, seed=0, dtype=np.float64)
        self.offset = nn.Parameter(np.zeros(2))
        self.note = "not a parameter"
        self.plain = mg.Tensor(np.ones(2))  # a plain tensor is not registered

    def forward(self, x):
        return self.inner(x * self.scale) + self.offset


def test_parameters_in_definition_order_own_first():
    block = Block()
    names = [name for name, _ in block.named_parameters()]
    assert names == ["scale", "offset", "inner.weight", "inner.bias"]
    assert [p.shape for p in block.parameters()] == [(3,), (2,), (2, 3), (2,)]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in block.parameters())


def test_shared_parameter_listed_once_but_kept_in_state_dict():
    first = nn.Linear(2, 2, seed=0)
    model = nn.Sequential(first, nn.ReLU(), first)
    assert len(list(model.parameters())) == 2
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert model.num_parameters() == 6


def test_reassigning_and_deleting_attributes_updates_the_registry():
    block = Block()
    block.inner = nn.Linear(3, 2, bias=False, seed=1, dtype=np.float64)
    assert [n for n, _ in block.named_parameters()] == ["scale", "offset", "inner.weight"]
    del block.offset
    assert [n for n, _ in block.named_parameters()] == ["scale", "inner.weight"]
    with pytest.raises(TypeError, match="'scale'.*Parameter"):
        block.scale = mg.Tensor(np.ones(3))


def test_assigning_before_super_init_is_a_clear_error():
    class Forgetful(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.ones(2))

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Forgetful()


def test_zero_grad_and_train_eval():
    block = Block()
    block(mg.Tensor(np.ones((4, 3)))).sum().backward()
    assert all(p.grad is not None for p in block.parameters())
    grads = [p.grad for p in block.parameters()]
    block.zero_grad(set_to_none=False)
    assert all(p.grad is g and not g.any() for p, g in zip(block.parameters(), grads))
    block.zero_grad()
    assert all(p.grad is None for p in block.parameters())
    assert block.training and block.inner.training
    assert block.eval() is block
    assert not block.training and not block.inner.training
    block.train()
    assert block.training and block.inner.training


def test_call_runs_forward():
    block = Block()
    x = mg.Tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(block(x).data, block.forward(x).data)


def test_repr_shows_structure_and_parameter_counts():
    text = repr(nn.MLP([4, 8, 3], seed=0))
    assert text.splitlines()[0] == "MLP("
    assert "(0): Linear(in_features=4, out_features=8, bias=True)  # 40 parameters" in text
    assert "(1): ReLU()" in text
    assert "(2): Linear(in_features=8, out_features=3, bias=True)  # 27 parameters" in text
    assert text.splitlines()[-1] == "# 67 parameters (67 trainable)"
    assert repr(nn.Linear(2, 3, bias=False)) == "Linear(in_features=2, out_features=3, bias=False)  # 6 parameters"


def test_modulelist_registers_its_members():
    class Tower(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList(nn.Linear(2, 2, seed=i) for i in range(3))

        def forward(self, x):
            for block in self.blocks:
                x = block(x)
            return x

    tower = Tower()
    assert len(tower.blocks) == 3 and tower.blocks[-1] is list(tower.blocks)[2]
    assert [n for n, _ in tower.named_parameters()][-2:] == ["blocks.2.weight", "blocks.2.bias"]
    assert tower(mg.Tensor(np.ones((1, 2)))).shape == (1, 2)


def test_sequential_indexing():
    model = nn.Sequential(nn.Linear(2, 3, seed=0), nn.Tanh(), nn.Linear(3, 1, seed=0))
    assert len(model) == 3 and isinstance(model[1], nn.Tanh) and model[-1] is model[2]
    head = model[:2]
    assert isinstance(head, nn.Sequential) and head[0] is model[0]


def test_to_dtype_converts_parameters():
    model = nn.MLP([2, 3, 1], seed=0)
    assert model[0].weight.dtype == np.float32
    model.to(np.float64)
    assert all(p.dtype == np.float64 for p in model.parameters())
    with pytest.raises(TypeError, match="int64"):
        model.to(np.int64)


# ---- state dicts ----------------------------------------------------------------------------
def _snapshot(model):
    return {name: p.data.copy() for name, p in model.named_parameters()}


def _assert_unchanged(model, snapshot):
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.data, snapshot[name])


def test_state_dict_is_a_copy_keyed_by_dotted_names():
    model = nn.MLP([3, 4, 2], seed=0)
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert all(type(v) is np.ndarray for v in state.values())
    model[0].weight.data += 1
    assert not np.array_equal(state["0.weight"], model[0].weight.data)


def test_load_state_dict_copies_in_place():
    source, target = nn.MLP([3, 4, 2], seed=0), nn.MLP([3, 4, 2], seed=1)
    arrays_before = [p.data for p in target.parameters()]
    view = target[0].weight.data[:1]  # e.g. an optimizer's view
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert all(p.data is a for p, a in zip(target.parameters(), arrays_before))
    np.testing.assert_array_equal(view, source[0].weight.data[:1])
    for (_, a), (_, b) in zip(source.named_parameters(), target.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_wrong_shape_names_key_and_both_shapes_and_changes_nothing():
    model = nn.MLP([3, 4, 2], seed=0)
    before = _snapshot(model)
    state = nn.MLP([3, 4, 2], seed=1).state_dict()
    state["2.weight"] = np.zeros((4, 2), dtype=np.float32)
    with pytest.raises(nn.StateDictError, match=r"'2.weight': shape \(4, 2\) in the state, \(2, 4\) in the model"):
        model.load_state_dict(state)
    _assert_unchanged(model, before)  # 0.weight came before the bad key and still was not copied


def test_wrong_dtype_is_refused():
    model = nn.MLP([3, 2], seed=0)
    before = _snapshot(model)
    state = {k: v.astype(np.float64) for k, v in nn.MLP([3, 2], seed=1).state_dict().items()}
    with pytest.raises(nn.StateDictError, match=r"'0.weight': dtype float64 in the state, float32 in the model"):
        model.load_state_dict(state)
    _assert_unchanged(model, before)



def test_a_value_that_is_not_an_array_names_its_key():
    model = nn.MLP([2, 2], seed=0)
    before = _snapshot(model)
    state = nn.MLP([2, 2], seed=1).state_dict()
    state["0.weight"] = [[1.0, 2.0], [3.0]]  # ragged: no array at all
    with pytest.raises(nn.StateDictError, match=r"'0.weight': .*not an array"):
        model.load_state_dict(state)
    _assert_unchanged(model, before)

def test_missing_and_unexpected_keys_are_listed():
    model = nn.MLP([3, 4, 2], seed=0)
    before = _snapshot(model)
    state = nn.MLP([3, 4, 2], seed=1).state_dict()
    del state["0.bias"], state["2.weight"]
    state["3.weight"] = np.zeros(1)
    with pytest.raises(nn.StateDictError) as error:
        model.load_state_dict(state)
    assert "missing keys: 0.bias, 2.weight" in str(error.value)
    assert "unexpected keys: 3.weight" in str(error.value)
    _assert_unchanged(model, before)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["0.bias", "2.weight"] and result.unexpected_keys == ["3.weight"]
    np.testing.assert_array_equal(model[0].weight.data, state["0.weight"])
    np.testing.assert_array_equal(model[0].bias.data, before["0.bias"])


def test_state_dict_round_trips_through_a_file(tmp_path):
    model = nn.MLP([5, 7, 3], activation="tanh", seed=0)
    path = tmp_path / "model.npz"
    nn.save(model, path)
    restored = nn.load(nn.MLP([5, 7, 3], activation="tanh", seed=42), path)
    x = mg.Tensor(np.random.default_rng(0).normal(size=(4, 5)))
    np.testing.assert_array_equal(restored(x).data, model(x).data)
    assert os.listdir(tmp_path) == ["model.npz"]
    other = nn.MLP([5, 8, 3], seed=0)
    before = _snapshot(other)
    with pytest.raises(nn.StateDictError, match=r"'0.weight': shape \(7, 5\) in the state, \(8, 5\)"):
        other.load(path)
    _assert_unchanged(other, before)


def test_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch):
    model = nn.MLP([3, 4, 2], seed=0)
    path = tmp_path / "model.npz"
    model.save(path)
    saved_bytes, saved_weight = path.read_bytes(), model[0].weight.data.copy()
    original_write = np.lib.format.write_array
    calls = []

    def write_then_fail(file, array, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # two arrays written, the third breaks mid-way
            file.write(b"partial")
            raise OSError("disk full")
        return original_write(file, array, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", write_then_fail)
    model[0].weight.data += 1
    with pytest.raises(OSError, match="disk full"):
        nn.save(model, path)
    assert path.read_bytes() == saved_bytes
    assert os.listdir(tmp_path) == ["model.npz"]  # no temporary file left behind
    monkeypatch.undo()
    restored = nn.load(nn.MLP([3, 4, 2], seed=5), path)
    np.testing.assert_array_equal(restored[0].weight.data, saved_weight)


def test_load_from_a_missing_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.npz"):
        nn.load(nn.Linear(2, 2), tmp_path / "nothing.npz")


def test_state_dict_loads_from_io_helpers(tmp_path):
    model = nn.Linear(3, 2, seed=0)
    io.save_npz(tmp_path / "w.npz", {"weight": np.ones((2, 3), np.float32), "bias": np.zeros(2, np.float32)})
    model.load_state_dict(io.load_npz(tmp_path / "w.npz"))
    np.testing.assert_array_equal(model.weight.data, 1)


# ---- buffers ---------------------------------------------------------------------------------
class Counter(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(np.ones(2))
        self.register_buffer("total", mg.tensor(np.zeros(2)))
        self.register_buffer("scratch", mg.tensor(np.zeros(3)), persistent=False)
        self.register_buffer("unset", None)
        self.inner = nn.Linear(2, 2, seed=0, dtype=np.float64)


def test_buffers_are_listed_and_saved_in_pytorchs_order_but_are_not_parameters():
    model = Counter()
    assert [n for n, _ in model.named_parameters()] == ["weight", "inner.weight", "inner.bias"]
    assert [n for n, _ in model.named_buffers()] == ["total", "scratch"]
    assert list(model.state_dict()) == ["weight", "total", "inner.weight", "inner.bias"]  # no scratch, no unset
    assert all(not b.requires_grad for b in model.buffers())
    kept = model.state_dict(keep_vars=True)
    assert kept["total"] is model.total and kept["weight"] is model.weight


def test_buffer_state_round_trips_and_is_checked_like_parameters():
    model, other = Counter(), Counter()
    model.total.data[...] = [3.0, 4.0]
    other.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(other.total.data, [3.0, 4.0])
    bad = model.state_dict()
    bad["total"] = np.zeros(5)
    before = other.total.data.copy()
    with pytest.raises(nn.StateDictError, match=r"'total': shape \(5,\) in the state, \(2,\) in the model"):
        other.load_state_dict(bad)
    np.testing.assert_array_equal(other.total.data, before)
    del bad["total"]
    with pytest.raises(nn.StateDictError, match="missing keys: total"):
        other.load_state_dict(bad)
    assert other.load_state_dict(bad, strict=False).missing_keys == ["total"]


def test_assigning_to_a_buffer_replaces_it_and_refuses_non_tensors():
    model = Counter()
    model.total = mg.tensor([7.0, 8.0])
    np.testing.assert_array_equal(model.state_dict()["total"], [7.0, 8.0])
    with pytest.raises(TypeError, match="cannot assign ndarray to buffer 'total'"):
        model.total = np.zeros(2)
    with pytest.raises(TypeError, match="cannot register a list as buffer 'x'"):
        model.register_buffer("x", [1.0])
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        model.register_buffer("weight", mg.tensor([1.0]))
    with pytest.raises(KeyError, match="without '.'"):
        model.register_buffer("a.b", mg.tensor([1.0]))
    del model.total
    assert "total" not in model.state_dict()


def test_to_converts_float_buffers_and_keeps_integer_ones():
    bn = nn.BatchNorm1d(3)
    bn.to(np.float64)
    assert bn.running_mean.dtype == np.float64 and bn.running_var.dtype == np.float64
    assert bn.num_batches_tracked.dtype == np.int64
    assert bn(mg.Tensor(np.ones((4, 3), dtype=np.float32))).dtype == np.float64


def test_buffer_state_matches_torchs_names():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.Linear(3, 4, seed=0), nn.BatchNorm1d(4), nn.ReLU(), nn.LayerNorm(4))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(), torch.nn.LayerNorm(4))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
