"""PyTorch's Tensor API: dim/keepdim, the shape methods, creation, dtypes and randomness,
compared with PyTorch where it defines the behaviour."""
import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


def pair(shape, seed=0, dtype=np.float64):
    """The same random values as a minigrad and a torch tensor, both requiring grad."""
    data = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return (mg.Tensor(data.copy(), requires_grad=True),
            torch.tensor(data.copy(), requires_grad=True))


def check_same(ours, theirs, ours_inputs, their_inputs, seed=1):
    """Values equal, and gradients equal for the same random upstream gradient."""
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert ours.shape == tuple(theirs.shape)
    if not theirs.requires_grad:
        return
    upstream = np.random.default_rng(seed).standard_normal(theirs.shape)
    ours.backward(upstream)
    theirs.backward(torch.tensor(upstream))
    for a, b in zip(ours_inputs, their_inputs):
        np.testing.assert_allclose(np.asarray(a.grad), b.grad.numpy(), rtol=1e-10, atol=1e-12)


# ---- dim and keepdim ---------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 3, 4), (3, 0, 2), (5,)])
@pytest.mark.parametrize("dim", [None, 0, -1, (0, -1)])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin"])
def test_reductions_take_dim_and_keepdim_like_torch(name, shape, dim, keepdim):
    if isinstance(dim, tuple) and len(shape) < 2 or name in ("amax", "amin") and 0 in shape:
        pytest.skip("not defined for this shape")
    x, tx = pair(shape)
    if dim is None:
        if keepdim and name in ("sum", "mean"):
            pytest.skip("torch's sum(keepdim=True) needs a dim")
        ours, theirs = getattr(x, name)(), getattr(tx, name)()
    else:
        ours, theirs = getattr(x, name)(dim=dim, keepdim=keepdim), getattr(tx, name)(dim=dim, keepdim=keepdim)
    if name == "mean" and 0 in shape:
        np.testing.assert_array_equal(np.isnan(ours.data), np.isnan(theirs.detach().numpy()))
        return
    check_same(ours, theirs, [x], [tx])


def test_numpy_spellings_stay_aliases():
    x = mg.Tensor(np.arange(24.0).reshape(2, 3, 4))
    np.testing.assert_array_equal(x.sum(axis=1, keepdims=True).data, x.sum(dim=1, keepdim=True).data)
    np.testing.assert_array_equal(x.mean(axis=(0, 2)).data, x.mean(dim=(0, 2)).data)
    np.testing.assert_array_equal(x.sum([0, 1]).data, x.sum((0, 1)).data)
    np.testing.assert_array_equal(mg.sum(x, 2).data, x.data.sum(axis=2))
    # NumPy's axis= keeps NumPy's meaning for max: the values, as np.max
    assert isinstance(x.max(axis=1), mg.Tensor)
    with pytest.raises(TypeError, match="not both"):
        x.sum(dim=0, axis=1)


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_over_a_dim_return_values_and_indices_like_torch(name, dim, keepdim):
    x, tx = pair((3, 4), seed=4)
    ours, theirs = getattr(x, name)(dim, keepdim), getattr(tx, name)(dim, keepdim)
    assert type(ours).__name__ == name and ours._fields == ("values", "indices")
    values, indices = ours
    np.testing.assert_array_equal(indices.data, theirs.indices.numpy())
    assert indices.dtype == np.int64
    check_same(values, theirs.values, [x], [tx])


def test_max_with_ties_sends_the_gradient_to_the_returned_index_like_torch():
    data = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    x, tx = mg.Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    x.max(dim=1).values.sum().backward()
    tx.max(dim=1).values.sum().backward()
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())
    y, ty = mg.Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y.max().backward()  # without a dim: ties share evenly, as torch
    ty.max().backward()
    np.testing.assert_allclose(y.grad.data, ty.grad.numpy())


def test_max_of_two_tensors_is_elementwise():
    a, b = mg.tensor([1.0, 5.0]), mg.tensor([3.0, 2.0])
    np.testing.assert_array_equal(mg.max(a, b).data, [3, 5])
    np.testing.assert_array_equal(a.min(b).data, [1, 2])


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("dim", [None, 0, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_argmax_argmin_like_torch(name, dim, keepdim):
    x, tx = pair((4, 5), seed=2)
    ours = getattr(x, name)(dim=dim, keepdim=keepdim)
    theirs = getattr(tx, name)(dim=dim, keepdim=keepdim)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    assert ours.dtype == np.int64 and not ours.requires_grad


def test_argmax_takes_the_first_of_ties_and_rejects_empty():
    x = mg.tensor([[1, 3, 3], [2, 2, 0]])
    np.testing.assert_array_equal(x.argmax(dim=1).data, [1, 0])
    with pytest.raises(ValueError, match="empty"):
        mg.zeros(2, 0).argmax(dim=1)


@pytest.mark.parametrize("call", [
    lambda x: x.sum(dim=3), lambda x: x.mean(-4), lambda x: x.max(dim=3), lambda x: x.argmax(3),
    lambda x: x.unsqueeze(4), lambda x: x.squeeze(5), lambda x: x.transpose(0, 3),
    lambda x: x.flatten(0, 7), lambda x: x.size(3), lambda x: x.permute(0, 1, 3),
])
def test_out_of_range_dims_raise_index_error_naming_dim_and_ndim(call):
    x = mg.zeros(2, 3, 4)
    with pytest.raises(IndexError, match=r"dim -?\d+ is out of range for a tensor of 3 dimensions"):
        call(x)


# ---- shape methods -----------------------------------------------------------------------------
SHAPE_CASES = {
    "view": (lambda x: x.view(4, -1), lambda x: x.view(4, -1)),
    "view_tuple": (lambda x: x.view((-1,)), lambda x: x.view((-1,))),
    "reshape": (lambda x: x.reshape(3, 2, 4), lambda x: x.reshape(3, 2, 4)),
    "unsqueeze0": (lambda x: x.unsqueeze(0), lambda x: x.unsqueeze(0)),
    "unsqueeze_neg": (lambda x: x.unsqueeze(-1), lambda x: x.unsqueeze(-1)),
    "unsqueeze_mid": (lambda x: x.unsqueeze(-2), lambda x: x.unsqueeze(-2)),
    "squeeze_all": (lambda x: x.unsqueeze(1).squeeze(), lambda x: x.unsqueeze(1).squeeze()),
    "squeeze_dim": (lambda x: x.unsqueeze(1).squeeze(1), lambda x: x.unsqueeze(1).squeeze(1)),
    "squeeze_kept": (lambda x: x.squeeze(0), lambda x: x.squeeze(0)),
    "squeeze_tuple": (lambda x: x[:1, :, :1].squeeze((0, -1)), lambda x: x[:1, :, :1].squeeze((0, -1))),
    "permute": (lambda x: x.permute(2, 0, 1), lambda x: x.permute(2, 0, 1)),
    "permute_neg": (lambda x: x.permute((-1, 0, -2)), lambda x: x.permute((-1, 0, -2))),
    "transpose": (lambda x: x.transpose(0, 2), lambda x: x.transpose(0, 2)),
    "transpose_neg": (lambda x: x.transpose(-1, -2), lambda x: x.transpose(-1, -2)),
    "swapaxes": (lambda x: x.swapaxes(0, 1), lambda x: x.swapaxes(0, 1)),
    "movedim": (lambda x: x.movedim(0, -1), lambda x: x.movedim(0, -1)),
    "movedim_many": (lambda x: x.movedim((0, 1), (2, 0)), lambda x: x.movedim((0, 1), (2, 0))),
    "mT": (lambda x: x.mT, lambda x: x.mT),
    "flatten": (lambda x: x.flatten(), lambda x: x.flatten()),
    "flatten_mid": (lambda x: x.flatten(1), lambda x: x.flatten(1)),
    "flatten_range": (lambda x: x.flatten(0, -2), lambda x: x.flatten(0, -2)),
    "unflatten": (lambda x: x.unflatten(-1, (2, -1)), lambda x: x.unflatten(-1, (2, -1))),
    "expand": (lambda x: x[:, :1].expand(2, 3, 4) * 1.0, lambda x: x[:, :1].expand(2, 3, 4) * 1.0),
    "expand_new": (lambda x: x.expand(5, -1, -1, -1), lambda x: x.expand(5, -1, -1, -1)),
    "expand_as": (lambda x: x[:1].expand_as(x), lambda x: x[:1].expand_as(x)),
    "repeat": (lambda x: x.repeat(2, 1, 3), lambda x: x.repeat(2, 1, 3)),
    "repeat_lead": (lambda x: x.repeat(2, 1, 1, 2), lambda x: x.repeat(2, 1, 1, 2)),
    "tile": (lambda x: x.tile((2,)), lambda x: x.tile((2,))),
    "clone": (lambda x: x.clone() * 2, lambda x: x.clone() * 2),
    "contiguous": (lambda x: x.transpose(0, 1).contiguous(), lambda x: x.transpose(0, 1).contiguous()),
    "t": (lambda x: x[0].t(), lambda x: x[0].t()),
    "T_2d": (lambda x: x[0].T, lambda x: x[0].T),
    "view_as": (lambda x: x.view_as(mg.zeros(6, 4)), lambda x: x.view_as(torch.zeros(6, 4))),
    "reshape_as": (lambda x: x.reshape_as(mg.zeros(4, 6)), lambda x: x.reshape_as(torch.zeros(4, 6))),
    "gather": (lambda x: x.gather(1, mg.tensor([[[0, 1, 0, 2]], [[2, 2, 1, 0]]])),
               lambda x: x.gather(1, torch.tensor([[[0, 1, 0, 2]], [[2, 2, 1, 0]]]))),
    "gather_smaller": (lambda x: x.gather(-1, mg.tensor([[[3], [0]]])),
                       lambda x: x.gather(-1, torch.tensor([[[3], [0]]]))),
}


@pytest.mark.parametrize("name", sorted(SHAPE_CASES))
def test_shape_methods_match_torch_values_and_gradients(name):
    ours_fn, their_fn = SHAPE_CASES[name]
    x, tx = pair((2, 3, 4), seed=3)
    check_same(ours_fn(x), their_fn(tx), [x], [tx])
    assert mg.gradcheck(ours_fn, [x])


@pytest.mark.parametrize("shape", [(0, 3), (2, 0, 4)])
def test_shape_methods_on_empty_tensors(shape):
    x, tx = pair(shape)
    for ours, theirs in [(x.unsqueeze(0), tx.unsqueeze(0)), (x.flatten(), tx.flatten()),
                         (x.transpose(0, 1), tx.transpose(0, 1)), (x.reshape(-1, shape[-1]), tx.reshape(-1, shape[-1])),
                         (x.repeat(*(2,) * len(shape)), tx.repeat(*(2,) * len(shape)))]:
        assert ours.shape == tuple(theirs.shape)


def test_transpose_keeps_numpy_spellings_for_permutations():
    x = mg.Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert x.transpose().shape == (4, 3, 2)              # NumPy: reverse all
    assert x.transpose((2, 0, 1)).shape == (4, 2, 3)     # NumPy: a permutation tuple
    assert x.transpose(1, 0, 2).shape == (3, 2, 4)       # NumPy: a permutation as ints
    assert x.transpose(0, 2).shape == (4, 3, 2)          # PyTorch: swap dims 0 and 2
    np.testing.assert_array_equal(x.transpose(0, 2).data, np.swapaxes(x.data, 0, 2))
    np.testing.assert_array_equal(mg.transpose(x, -1, 0).data, np.swapaxes(x.data, -1, 0))


def test_view_refuses_what_needs_a_copy_and_shares_memory_otherwise():
    x = mg.Tensor(np.arange(6.0).reshape(2, 3))
    assert np.shares_memory(x.view(3, 2).data, x.data)
    with pytest.raises(RuntimeError, match="reshape"):
        x.T.view(6)
    assert x.T.reshape(6).shape == (6,)


def test_shape_errors_name_the_shapes():
    x = mg.zeros(2, 3)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 4\)"):
        x.expand(2, 4)
    with pytest.raises(ValueError, match="3 dims.*2 dimensions"):
        x.permute(0, 1, 2)
    with pytest.raises(ValueError, match="repeat"):
        x.repeat(2)
    with pytest.raises(ValueError, match=r"sizes \(4, -1\).*size 3"):
        x.unflatten(1, (4, -1))
    with pytest.raises(IndexError, match="index 3 is out of bounds for dim 1 of size 3"):
        x.gather(1, mg.tensor([[3]]))


def test_size_numel_dim_and_conversions():
    x = mg.zeros(2, 3)
    assert x.size() == (2, 3) and x.size(1) == 3 and x.size(-2) == 2
    assert x.size == 6 and x.numel() == 6 and x.dim() == 2 and mg.numel(x) == 6  # NumPy's size too
    assert x.to(mg.float64).dtype == np.float64 and x.to(mg.float32) is x
    assert x.double().dtype == mg.float64 and x.long().dtype == mg.int64 and x.int().dtype == mg.int32
    assert x.bool().dtype == mg.bool and x.half().dtype == mg.float16 and x.float() is x
    assert x.to("cpu") is x and x.cpu() is x and x.to("cpu", mg.float64).dtype == mg.float64
    assert x.to(mg.tensor([1])).dtype == mg.int64 and x.type_as(mg.tensor([True])).dtype == mg.bool
    assert x.device == "cpu" and x.is_contiguous() and not x.T.is_contiguous()
    with pytest.raises(ValueError, match="CPU"):
        x.to("cuda")
    assert x.new_zeros(3).dtype == np.float32 and x.new_ones((1, 2)).shape == (1, 2)
    assert x.new_full((2,), 7).dtype == np.float32 and x.new_tensor([1, 2]).dtype == np.float32


def test_numpy_shares_memory_even_when_the_tensor_requires_grad():
    w = mg.zeros(2, requires_grad=True)
    assert w.numpy() is w.data and w.numpy(force=True) is w.data and w.detach().numpy() is w.data
    assert np.asarray(w) is w.data  # the same choice as the engine's __array__


def test_iteration_len_and_index():
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(x)
    assert len(rows) == 2 and rows[1].tolist() == [3.0, 4.0]
    sum(rows).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.ones((2, 2)))
    assert [10, 20, 30][mg.tensor(2)] == 30 and 3.0 in x
    with pytest.raises(TypeError, match="0-d"):
        iter(mg.tensor(1.0))


# ---- creation ----------------------------------------------------------------------------------
CREATION = [
    (lambda m: m.zeros(2, 3), None),
    (lambda m: m.zeros((2, 3), dtype=m.float64), None),
    (lambda m: m.ones([4]), None),
    (lambda m: m.full((2, 2), 7), None),
    (lambda m: m.full((2,), 2.5), None),
    (lambda m: m.full((2,), True), None),
    (lambda m: m.eye(3), None),
    (lambda m: m.eye(2, 4, dtype=m.int64), None),
    (lambda m: m.arange(5), None),
    (lambda m: m.arange(1, 4), None),
    (lambda m: m.arange(0, 1, 0.25), None),
    (lambda m: m.arange(5, 0, -2), None),
    (lambda m: m.arange(0.0, 3), None),
    (lambda m: m.linspace(0, 1, 5), None),
    (lambda m: m.linspace(-2, 2, 1), None),
    (lambda m: m.logspace(0, 2, 3), None),
    (lambda m: m.zeros_like(m.ones(2, 3, dtype=m.int32)), None),
    (lambda m: m.ones_like(m.zeros(2), dtype=m.float64), None),
    (lambda m: m.full_like(m.zeros(3, dtype=m.int64), 4), None),
    (lambda m: m.zeros(0, 3), None),
    (lambda m: m.tensor([[1, 2], [3, 4]]), None),
    (lambda m: m.tensor([1.5, 2.0]), None),
    (lambda m: m.tensor(True), None),
    (lambda m: m.tensor([np.float64(0.5), 1.0]), None),
    (lambda m: m.tensor(np.float64(0.5)), None),
    (lambda m: m.tensor(np.float32(0.5)), None),
    (lambda m: m.as_tensor([1, 2], dtype=m.float64), None),
]


@pytest.mark.parametrize("number", range(len(CREATION)))
def test_creation_matches_torch_in_values_shapes_and_dtypes(number):
    make, _ = CREATION[number]
    ours, theirs = make(mg), make(torch)
    assert ours.shape == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.data.astype(np.float64), theirs.numpy().astype(np.float64), rtol=1e-6)


def test_empty_is_zeros_so_runs_repeat():
    assert not mg.empty(3, 2).data.any() and mg.empty_like(mg.ones(2)).shape == (2,)


def test_from_numpy_and_as_tensor_share_memory():
    array = np.zeros(3)
    t = mg.from_numpy(array)
    array[0] = 5
    assert t[0].item() == 5 and t.dtype == np.float64
    assert mg.as_tensor(array).data is array and mg.as_tensor(t) is t
    assert mg.tensor(array).data is not array  # tensor() copies, as torch.tensor
    with pytest.raises(TypeError, match="ndarray"):
        mg.from_numpy([1, 2])


def test_creation_with_requires_grad_and_bad_sizes():
    w = mg.zeros(2, 3, requires_grad=True)
    assert w.requires_grad and w.is_leaf
    with pytest.raises(TypeError, match="floating-point"):
        mg.arange(3, requires_grad=True)
    with pytest.raises(ValueError, match=r"non-negative, got \(2, -1\)"):
        mg.zeros(2, -1)
    with pytest.raises(TypeError, match="sizes must be ints"):
        mg.ones(2.5)
    with pytest.raises(ValueError, match="step"):
        mg.arange(0, 5, 0)
    with pytest.raises(ValueError, match="CPU"):
        mg.zeros(2, device="cuda")


# ---- dtypes ------------------------------------------------------------------------------------
def test_dtype_objects_and_default_dtype():
    assert mg.float32 == np.float32 and mg.int64 == np.int64 and mg.bool == np.bool_
    assert mg.get_default_dtype() == mg.float32
    try:
        mg.set_default_dtype(mg.float64)
        assert mg.tensor([1.5]).dtype == np.float64 and mg.zeros(2).dtype == np.float64
        assert mg.arange(0.0, 1.0, 0.5).dtype == np.float64
    finally:
        mg.set_default_dtype(mg.float32)
    assert mg.tensor([1.5]).dtype == np.float32
    with pytest.raises(TypeError, match="float dtype"):
        mg.set_default_dtype(mg.int64)
    with pytest.raises(TypeError, match="not supported"):
        mg.zeros(2, dtype=np.complex64)


# ---- randomness --------------------------------------------------------------------------------
def test_manual_seed_makes_sampling_repeat_bit_for_bit():
    mg.manual_seed(123)
    first = [mg.rand(3), mg.randn(2, 2), mg.randint(0, 10, (4,)), mg.randperm(5)]
    mg.manual_seed(123)
    second = [mg.rand(3), mg.randn(2, 2), mg.randint(0, 10, (4,)), mg.randperm(5)]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a.data, b.data)
    assert mg.initial_seed() == 123


def test_generators_are_independent_and_numpy_generators():
    g = mg.Generator().manual_seed(7)
    h = mg.Generator().manual_seed(7)
    assert isinstance(g, np.random.Generator)
    np.testing.assert_array_equal(mg.rand(4, generator=g).data, mg.rand(4, generator=h).data)
    state = g.get_state()
    a = mg.randn(3, generator=g)
    g.set_state(state)
    np.testing.assert_array_equal(mg.randn(3, generator=g).data, a.data)
    mg.manual_seed(7)
    np.testing.assert_array_equal(mg.rand(4).data, mg.rand(4, generator=mg.Generator().manual_seed(7)).data)
    with pytest.raises(TypeError, match="generator"):
        mg.rand(2, generator=7)
    with pytest.raises(TypeError, match="seed must be an int"):
        mg.manual_seed(1.5)


def test_sampling_shapes_dtypes_and_ranges():
    g = mg.Generator().manual_seed(0)
    u = mg.rand(1000, generator=g)
    assert u.dtype == np.float32 and 0 <= u.data.min() and u.data.max() < 1
    assert mg.randn(2, 3, dtype=mg.float64, generator=g).dtype == np.float64
    r = mg.randint(3, (500,), generator=g)
    assert r.dtype == np.int64 and set(r.tolist()) == {0, 1, 2}
    assert mg.randint(-2, 2, size=(3,), generator=g).data.min() >= -2
    assert sorted(mg.randperm(6, generator=g).tolist()) == list(range(6))
    assert mg.rand_like(mg.zeros(2, 2, dtype=mg.float64)).dtype == np.float64
    assert mg.randn(3, requires_grad=True).requires_grad
    b = mg.bernoulli(mg.full((2000,), 0.3), generator=g)
    assert abs(b.data.mean() - 0.3) < 0.05
    picks = mg.multinomial(mg.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]]), 2, generator=g)
    assert picks.shape == (2, 2) and sorted(picks[0].tolist()) == [1, 2] and picks[1, 0].item() == 0
    counts = np.bincount(mg.multinomial(mg.tensor([1.0, 3.0]), 4000, replacement=True, generator=g).data)
    assert abs(counts[1] / 4000 - 0.75) < 0.03
    with pytest.raises(ValueError, match="low"):
        mg.randint(5, 5, (2,))
    with pytest.raises(ValueError, match="without replacement"):
        mg.multinomial(mg.tensor([1.0, 1.0]), 3)


# ---- type promotion ----------------------------------------------------------------------------
PROMOTION_DTYPES = ["bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64"]
OTHERS = [True, 3, 2.5, np.float64(2.5), np.int32(3), np.float32(1.5)]
OPERATIONS = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "pow": lambda a, b: a ** b,
}


def _both(dtype: str, ndim: int):
    data = np.array([1, 2, 1][:3 if ndim else None] if ndim else 2).astype(dtype)
    return mg.tensor(data), torch.tensor(data)


def _torch_dtype_or_skip(make):
    try:
        return str(make().dtype).replace("torch.", "")
    except (RuntimeError, TypeError):
        pytest.skip("PyTorch refuses this combination")


@pytest.mark.parametrize("op", sorted(OPERATIONS))
@pytest.mark.parametrize("left", PROMOTION_DTYPES)
@pytest.mark.parametrize("right", PROMOTION_DTYPES + ["0d-float64", "0d-int64", "0d-float16"])
def test_tensor_tensor_promotion_matches_torch(op, left, right):
    fn = OPERATIONS[op]
    a, ta = _both(left, 1)
    b, tb = _both(right[3:], 0) if right.startswith("0d") else _both(right, 1)
    expected = _torch_dtype_or_skip(lambda: fn(ta, tb))
    with np.errstate(all="ignore"):
        assert str(fn(a, b).dtype) == expected


@pytest.mark.parametrize("op", sorted(OPERATIONS))
@pytest.mark.parametrize("left", PROMOTION_DTYPES)
@pytest.mark.parametrize("number", range(len(OTHERS)))
def test_tensor_number_promotion_matches_torch(op, left, number):
    fn, other = OPERATIONS[op], OTHERS[number]
    a, ta = _both(left, 1)
    expected = _torch_dtype_or_skip(lambda: fn(ta, other))
    with np.errstate(all="ignore"):
        assert str(fn(a, other).dtype) == expected
    expected_reflected = _torch_dtype_or_skip(lambda: fn(other, ta))
    with np.errstate(all="ignore"):
        assert str(fn(other, a).dtype) == expected_reflected


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "tanh", "sigmoid"])
@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int32", "int64"])
def test_float_functions_of_integers_give_the_default_dtype(name, dtype):
    a, ta = _both(dtype, 1)
    ours, theirs = getattr(a, name)(), getattr(ta, name)()
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "") == "float32"
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6)


def test_promotion_examples_of_the_issue_and_gradients_in_each_dtype():
    labels = mg.tensor([1, 2, 3])
    assert (labels * 0.5).dtype == np.float32 and (labels / 2).dtype == np.float32
    assert (labels.int() + mg.ones(3)).dtype == np.float32
    assert mg.tensor(np.float64(0.5)).dtype == np.float64
    w = mg.ones(3, requires_grad=True)               # float32
    scale = mg.tensor(2.0, dtype=mg.float64, requires_grad=True)
    out = w * scale                                  # a 0-d float64 does not promote float32
    assert out.dtype == np.float32
    out.sum().backward()
    assert w.grad.dtype == np.float32 and scale.grad.dtype == np.float64
    np.testing.assert_array_equal(w.grad.data, [2, 2, 2])
    assert float(scale.grad) == 3.0
    assert mg.where(mg.tensor([True, False]), mg.tensor([1, 2]), 0.5).dtype == np.float32
    assert (mg.tensor([[1, 2]]) @ mg.ones(2, 1)).dtype == np.float32


def test_the_float_path_is_numpys_own():
    a = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    x = mg.tensor(a)
    for ours, theirs in [(x + x, a + a), (x * 2.5, a * 2.5), (1 - x, 1 - a), (x / x, a / a), (x ** 2, a ** 2)]:
        assert ours.dtype == np.float32
        np.testing.assert_array_equal(ours.data, theirs)
