"""The activations as functions and modules against PyTorch (values and gradients in float64,
at random points and at the kinks), their dtypes and stability, softmax's dim, Identity,
Flatten, and the errors bad options raise. (Their gradchecks and gradgradchecks are in
test_functional.py, with every other nn primitive's.)"""
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F

# name -> (minigrad function, the torch.nn.functional call, as strings of their options)
FUNCTIONS = {
    "gelu": (F.gelu, lambda t, x: t.nn.functional.gelu(x)),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), lambda t, x: t.nn.functional.gelu(x, approximate="tanh")),
    "silu": (F.silu, lambda t, x: t.nn.functional.silu(x)),
    "elu": (F.elu, lambda t, x: t.nn.functional.elu(x)),
    "elu_alpha": (lambda x: F.elu(x, alpha=0.3), lambda t, x: t.nn.functional.elu(x, alpha=0.3)),
    "selu": (F.selu, lambda t, x: t.nn.functional.selu(x)),
    "celu": (lambda x: F.celu(x, alpha=2.0), lambda t, x: t.nn.functional.celu(x, alpha=2.0)),
    "softplus": (F.softplus, lambda t, x: t.nn.functional.softplus(x)),
    "softplus_options": (lambda x: F.softplus(x, beta=2.0, threshold=3.0),
                         lambda t, x: t.nn.functional.softplus(x, beta=2.0, threshold=3.0)),
    "mish": (F.mish, lambda t, x: t.nn.functional.mish(x)),
    "hardtanh": (F.hardtanh, lambda t, x: t.nn.functional.hardtanh(x)),
    "hardtanh_bounds": (lambda x: F.hardtanh(x, -2.0, 0.5), lambda t, x: t.nn.functional.hardtanh(x, -2.0, 0.5)),
    "relu6": (F.relu6, lambda t, x: t.nn.functional.relu6(x)),
    "logsigmoid": (F.logsigmoid, lambda t, x: t.nn.functional.logsigmoid(x)),
    "relu": (F.relu, lambda t, x: t.nn.functional.relu(x)),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), lambda t, x: t.nn.functional.leaky_relu(x, 0.2)),
}

MODULES = {
    "GELU": (lambda: nn.GELU(), lambda t: t.nn.GELU()),
    "GELU_tanh": (lambda: nn.GELU("tanh"), lambda t: t.nn.GELU("tanh")),
    "SiLU": (lambda: nn.SiLU(), lambda t: t.nn.SiLU()),
    "ELU": (lambda: nn.ELU(0.5), lambda t: t.nn.ELU(0.5)),
    "CELU": (lambda: nn.CELU(1.5), lambda t: t.nn.CELU(1.5)),
    "SELU": (lambda: nn.SELU(), lambda t: t.nn.SELU()),
    "Softplus": (lambda: nn.Softplus(beta=0.5, threshold=4), lambda t: t.nn.Softplus(beta=0.5, threshold=4)),
    "Mish": (lambda: nn.Mish(), lambda t: t.nn.Mish()),
    "Hardtanh": (lambda: nn.Hardtanh(-1.5, 2.0), lambda t: t.nn.Hardtanh(-1.5, 2.0)),
    "ReLU6": (lambda: nn.ReLU6(), lambda t: t.nn.ReLU6()),
    "LogSigmoid": (lambda: nn.LogSigmoid(), lambda t: t.nn.LogSigmoid()),
    "Softmax": (lambda: nn.Softmax(dim=1), lambda t: t.nn.Softmax(dim=1)),
    "LogSoftmax": (lambda: nn.LogSoftmax(dim=0), lambda t: t.nn.LogSoftmax(dim=0)),
    "Identity": (lambda: nn.Identity(54, unused="x"), lambda t: t.nn.Identity(54, unused="x")),
    "Flatten": (lambda: nn.Flatten(), lambda t: t.nn.Flatten()),
    "ReLU_inplace": (lambda: nn.ReLU(inplace=True), lambda t: t.nn.ReLU(inplace=False)),
}

# Random points, then the kinks and bounds of every activation above (0, +-1, 6, -2, 0.5,
# the softplus thresholds) and values far out on both sides.
SPECIAL_POINTS = np.array([0.0, -0.0, 1.0, -1.0, 6.0, -2.0, 0.5, 1.5, -1.5, 2.0, 3.0, 20.0, 20.5,
                           -30.0, 40.0, -700.0, 700.0])


def _compare(torch, ours_out, x_ours, theirs_out, x_theirs, upstream, rtol=1e-12, atol=1e-14):
    np.testing.assert_allclose(ours_out.data, theirs_out.detach().numpy(), rtol=rtol, atol=atol)
    ours_out.backward(upstream)
    theirs_out.backward(torch.tensor(upstream))
    np.testing.assert_allclose(np.asarray(x_ours.grad), x_theirs.grad.numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 5), (0, 3), ()])
def test_functions_match_torch(name, shape):
    torch = pytest.importorskip("torch")
    ours, theirs = FUNCTIONS[name]
    rng = np.random.default_rng(len(shape))
    data = rng.normal(0, 3, size=shape)
    upstream = rng.normal(size=shape)
    x, t = mg.Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    # PyTorch's CELU backward uses 1 / float32(alpha) (a float32 rounding); ours the exact 1 / alpha.
    rtol = 1e-7 if name == "celu" else 1e-12
    _compare(torch, ours(x), x, theirs(torch, t), t, upstream, rtol=rtol)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_functions_match_torch_at_kinks_and_extremes(name):
    torch = pytest.importorskip("torch")
    ours, theirs = FUNCTIONS[name]
    upstream = np.linspace(0.5, 2.0, SPECIAL_POINTS.size)
    x, t = mg.Tensor(SPECIAL_POINTS, requires_grad=True), torch.tensor(SPECIAL_POINTS, requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # even at +-700
        out = ours(x)
    rtol = 1e-7 if name == "celu" else 1e-12
    _compare(torch, out, x, theirs(torch, t), t, upstream, rtol=rtol)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_match_torch(name):
    torch = pytest.importorskip("torch")
    make_ours, make_theirs = MODULES[name]
    rng = np.random.default_rng(4)
    data = rng.normal(0, 2, size=(3, 4, 5))
    ours, theirs = make_ours(), make_theirs(torch)
    x, t = mg.Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out, expected = ours(x), theirs(t)
    assert out.shape == tuple(expected.shape)
    upstream = rng.normal(size=out.shape)
    rtol = 1e-7 if name == "CELU" else 1e-12
    _compare(torch, out, x, expected, t, upstream, rtol=rtol)
    assert ours.num_parameters() == 0 and ours.state_dict() == {}


@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "silu", "elu", "selu", "softplus", "mish", "hardtanh",
                                  "relu6", "logsigmoid"])
def test_float32_stays_float32_and_huge_inputs_stay_finite(name):
    ours, _ = FUNCTIONS[name]
    x = mg.Tensor(np.array([-1e30, -80.0, -1.0, 0.0, 1.0, 80.0, 1e30], dtype=np.float32), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning either
        out = ours(x)
        out.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32
    assert np.isfinite(out.data).all()
    assert np.isfinite(np.asarray(x.grad)[1:-1]).all()  # (the tanh GELU's is NaN at 1e30, as PyTorch's)


def test_module_reprs_show_their_options():
    assert repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"
    assert repr(nn.ELU(0.5, inplace=True)) == "ELU(alpha=0.5, inplace=True)"
    assert repr(nn.Softplus(2, 10)) == "Softplus(beta=2.0, threshold=10.0)"
    assert repr(nn.Hardtanh()) == "Hardtanh(min_val=-1.0, max_val=1.0)"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)" and repr(nn.ReLU()) == "ReLU()"


def test_inplace_flag_gives_the_same_result_without_touching_the_input():
    data = np.array([-1.0, 2.0])
    x = mg.Tensor(data.copy())
    np.testing.assert_array_equal(nn.ReLU(inplace=True)(x).data, [0.0, 2.0])
    np.testing.assert_array_equal(F.silu(x, inplace=True).data, F.silu(x).data)
    np.testing.assert_array_equal(x.data, data)


def test_bad_options_are_named():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'erf'"):
        nn.GELU("erf")
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'fast'"):
        F.gelu(mg.Tensor([1.0]), approximate="fast")
    with pytest.raises(ValueError, match="min_val=1.0, max_val=-1.0"):
        nn.Hardtanh(1.0, -1.0)
    with pytest.raises(ValueError, match="min_val=2, max_val=2"):
        F.hardtanh(mg.Tensor([1.0]), 2, 2)
    with pytest.raises(ValueError, match="alpha must not be 0"):
        nn.CELU(0.0)
    with pytest.raises(ValueError, match="alpha must not be 0"):
        F.celu(mg.Tensor([1.0]), alpha=0)


# ---- softmax's dim -------------------------------------------------------------------------
def test_softmax_takes_dim_or_axis_and_defaults_to_the_last_dim():
    x = mg.Tensor(np.random.default_rng(0).normal(size=(2, 3, 4)))
    for fn in (F.softmax, F.log_softmax):
        last = fn(x).data
        np.testing.assert_array_equal(fn(x, dim=-1).data, last)
        np.testing.assert_array_equal(fn(x, 2).data, last)
        np.testing.assert_array_equal(fn(x, axis=1).data, fn(x, dim=1).data)
        np.testing.assert_array_equal(fn(x, dim=1, axis=1).data, fn(x, dim=1).data)
        with pytest.raises(TypeError, match="dim=0 and axis=1"):
            fn(x, dim=0, axis=1)


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
def test_softmax_dim_out_of_range_is_torchs_index_error(fn):
    x = mg.Tensor(np.zeros((2, 3)))
    with pytest.raises(IndexError, match=r"expected to be in range of \[-2, 1\], but got 2"):
        fn(x, dim=2)
    with pytest.raises(IndexError, match=r"but got -3"):
        fn(x, dim=-3)
    with pytest.raises(TypeError, match="dim must be an int"):
        fn(x, dim=1.0)


def test_softmax_of_a_scalar_and_its_dtype_option_match_torch():
    torch = pytest.importorskip("torch")
    assert F.softmax(mg.Tensor(np.float64(3.0)), dim=0).item() == torch.softmax(torch.tensor(3.0), 0).item() == 1.0
    assert F.log_softmax(mg.Tensor(np.float64(3.0)), dim=-1).item() == 0.0
    x = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    out = F.softmax(mg.Tensor(x), dim=1, dtype=np.float64)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, torch.softmax(torch.tensor(x), 1, dtype=torch.float64).numpy(), rtol=1e-12)


# ---- Identity and Flatten ----------------------------------------------------------------------
def test_identity_returns_its_input_itself():
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    assert nn.Identity()(x) is x


@pytest.mark.parametrize("shape, start, end", [((2, 3, 4), 1, -1), ((2, 3, 4, 5), 1, 2), ((2, 3, 4), 0, -1),
                                               ((2, 3, 4), -2, -2), ((5, 0, 2), 1, -1), ((4,), 0, 0)])
def test_flatten_matches_torch(shape, start, end):
    torch = pytest.importorskip("torch")
    data = np.arange(float(np.prod(shape))).reshape(shape)
    x = mg.Tensor(data, requires_grad=True)
    out = nn.Flatten(start, end)(x)
    expected = torch.nn.Flatten(start, end)(torch.tensor(data))
    assert out.shape == tuple(expected.shape)
    np.testing.assert_array_equal(out.data, expected.numpy())
    out.sum().backward()
    assert x.grad.shape == shape


def test_flatten_bad_dims_raise_as_torch():
    torch = pytest.importorskip("torch")
    x = mg.Tensor(np.zeros((2, 3)))
    with pytest.raises(IndexError, match=r"range of \[-2, 1\], but got 3"):
        nn.Flatten(3)(x)
    with pytest.raises(IndexError):
        torch.nn.Flatten(3)(torch.zeros(2, 3))
    with pytest.raises(RuntimeError, match=r"start_dim \(1\) cannot come after end_dim \(0\)"):
        nn.Flatten(1, 0)(x)
    with pytest.raises(IndexError, match=r"range of \[-1, 0\], but got 1"):
        nn.Flatten()(mg.Tensor(np.zeros(4)))  # a 1-D input has no dim 1 (torch raises too)


# ---- in a model ------------------------------------------------------------------------------
@pytest.mark.parametrize("activation", ["gelu", "silu", "elu", "mish", "softplus"])
def test_mlp_takes_the_new_activations_and_matches_torch(activation):
    torch = pytest.importorskip("torch")
    model = nn.MLP([3, 5, 2], activation=activation, seed=0, dtype=np.float64)
    assert type(model[1]).__name__.lower() == activation
    twin = torch.nn.Sequential(torch.nn.Linear(3, 5), getattr(torch.nn, type(model[1]).__name__)(),
                               torch.nn.Linear(5, 2)).double()
    twin.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    x = np.random.default_rng(1).normal(size=(4, 3))
    np.testing.assert_allclose(model(mg.Tensor(x)).data, twin(torch.tensor(x)).detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ["gelu", "silu", "elu", "celu", "selu", "softplus", "mish", "logsigmoid"])
def test_smooth_activations_refuse_integer_tensors_as_torch(name):
    with pytest.raises(TypeError, match=f"{name} needs a floating-point input, got dtype int64"):
        FUNCTIONS[name][0](mg.Tensor([1, 2]))


def test_integer_inputs_elsewhere():
    torch = pytest.importorskip("torch")
    x = np.array([-3, 0, 2, 9])
    for ours, theirs in [(F.hardtanh, torch.nn.functional.hardtanh), (F.relu6, torch.nn.functional.relu6)]:
        out = ours(mg.Tensor(x))
        assert out.dtype == np.int64
        np.testing.assert_array_equal(out.data, theirs(torch.tensor(x)).numpy())
    with pytest.raises(TypeError, match="softmax needs a floating-point input \\(or dtype=\\), got dtype int64"):
        F.softmax(mg.Tensor(x), dim=0)
    assert F.softmax(mg.Tensor(x), dim=0, dtype=np.float64).dtype == np.float64
    with pytest.raises(TypeError, match="layer_norm needs a floating-point input"):
        F.layer_norm(mg.Tensor(x), 4)
