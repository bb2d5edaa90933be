"""nn.functional: every fused primitive gradchecked in float64, the losses against PyTorch,
stability for huge logits, and the errors bad labels and shapes raise."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import ops
from minigrad.nn import activations, normalization
from minigrad.nn import functional as F

REDUCTIONS = ["mean", "sum", "none"]

# Which primitive each test gradchecks: the completeness test at the end needs all of them.
CHECKED = {}


def checks(*names):
    def register(fn):
        for name in names:
            CHECKED.setdefault(name, []).append(fn)
        return fn
    return register


def tensor(shape, seed=0, scale=2.0, requires_grad=True):
    data = np.random.default_rng(seed).uniform(-scale, scale, size=shape)
    return mg.Tensor(data, requires_grad=requires_grad)


def labels(n, classes, seed=1):
    return np.random.default_rng(seed).integers(0, classes, size=n)


def probabilities(shape, seed=2):
    p = np.random.default_rng(seed).uniform(0.1, 1.0, size=shape)
    return p / p.sum(axis=1, keepdims=True)


# ---- gradchecks ----------------------------------------------------------------------------
@checks("linear")
@pytest.mark.parametrize("x_shape", [(5, 3), (3,), (2, 4, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck(x_shape, bias):
    x, w = tensor(x_shape, seed=1), tensor((4, 3), seed=2)
    if bias:
        b = tensor((4,), seed=3)
        assert mg.gradcheck(lambda x, w, b: F.linear(x, w, b), [x, w, b])
    else:
        assert mg.gradcheck(lambda x, w: F.linear(x, w), [x, w])


def _mlp_layers(sizes, seed=4):
    return [(tensor((fan_out, fan_in), seed=seed + 2 * i), tensor((fan_out,), seed=seed + 2 * i + 1))
            for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]))]


@checks("mlp")
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("x_shape,sizes", [((5, 3), (3, 4, 2)), ((3,), (3, 4, 4, 2)), ((2, 4, 3), (3, 2)),
                                           ((6, 3), (3, 5, 4, 3, 2))])
def test_mlp_gradcheck(activation, x_shape, sizes):
    layers = _mlp_layers(sizes)
    params = [t for layer in layers for t in layer]
    x = tensor(x_shape, seed=1)

    def fn(x, *params):
        return F.mlp(x, list(zip(params[0::2], params[1::2])), activation)

    assert mg.gradcheck(fn, [x, *params])


@checks("mlp")
def test_mlp_gradcheck_with_data_input_and_a_frozen_layer():
    layers = _mlp_layers((3, 4, 4, 2))
    frozen_w, frozen_b = layers[1]
    frozen_w.requires_grad = frozen_b.requires_grad = False
    x = tensor((5, 3), seed=1, requires_grad=False)
    trainable = [layers[0][0], layers[0][1], layers[2][0], layers[2][1]]

    def fn(w0, b0, w2, b2):
        return F.mlp(x, [(w0, b0), (frozen_w, frozen_b), (w2, b2)], "relu")

    assert mg.gradcheck(fn, trainable)
    F.mlp(x, layers, "relu").sum().backward()
    assert frozen_w.grad is None and frozen_b.grad is None and x.grad is None
    assert all(t.grad is not None for t in trainable)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_mlp_gives_the_bits_of_linear_and_activation_op_by_op(activation):
    layers = [(mg.Tensor(w.data.astype(np.float32), requires_grad=True),
               mg.Tensor(b.data.astype(np.float32), requires_grad=True)) for w, b in _mlp_layers((6, 8, 8, 3))]
    x = mg.Tensor(np.random.default_rng(0).normal(size=(7, 6)).astype(np.float32), requires_grad=True)
    target = np.arange(7) % 3
    fused = F.mlp(x, layers, activation)
    F.cross_entropy(fused, target).backward()
    fused_grads = [np.array(t.grad) for t in [x] + [p for layer in layers for p in layer]]
    for t in [x] + [p for layer in layers for p in layer]:
        t.grad = None
    h = x
    for i, (w, b) in enumerate(layers):
        h = F.linear(h, w, b)
        if i < len(layers) - 1:
            h = getattr(h, activation)()
    F.cross_entropy(h, target).backward()
    np.testing.assert_array_equal(fused.data, h.data)
    for got, want in zip(fused_grads, [t.grad for t in [x] + [p for layer in layers for p in layer]]):
        np.testing.assert_array_equal(got, want)


def test_mlp_is_one_node_and_matches_torch():
    torch = pytest.importorskip("torch")
    layers = _mlp_layers((4, 6, 3))
    x = tensor((5, 4), seed=1)
    out = F.mlp(x, layers, "tanh")
    assert out.op == "mlp"
    out.sum().backward()
    t_x = torch.tensor(x.data, requires_grad=True)
    t_layers = [(torch.tensor(w.data, requires_grad=True), torch.tensor(b.data, requires_grad=True)) for w, b in layers]
    t_out = torch.tanh(torch.nn.functional.linear(t_x, *t_layers[0]))
    t_out = torch.nn.functional.linear(t_out, *t_layers[1])
    t_out.sum().backward()
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-12)
    for ours, theirs in zip([x] + [p for layer in layers for p in layer], [t_x] + [p for layer in t_layers for p in layer]):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_mlp_refuses_bad_layers_naming_them():
    x = tensor((5, 3))
    w, b = tensor((4, 3)), tensor((4,))
    with pytest.raises(ValueError, match="activation must be one of relu, tanh, sigmoid, got 'gelu'"):
        F.mlp(x, [(w, b)], "gelu")
    with pytest.raises(ValueError, match="at least one"):
        F.mlp(x, [])
    with pytest.raises(ValueError, match=r"layer 0 needs weight \(out, in\) and bias \(out,\), got shapes \(4, 3\) and \(3,\)"):
        F.mlp(x, [(w, tensor((3,)))])
    with pytest.raises(ValueError, match="layer 1 takes 5 features but gets 4 \\(layer 0 gives 4\\)"):
        F.mlp(x, [(w, b), (tensor((2, 5)), tensor((2,)))])
    with pytest.raises(ValueError, match="layer 0 takes 2 features but gets 3 \\(the input\\)"):
        F.mlp(x, [(tensor((4, 2)), b)])
    with pytest.raises(ValueError, match="must be a \\(weight, bias\\) pair"):
        F.mlp(x, [w])


def test_linear_matches_composed_ops():
    x, w, b = tensor((5, 3), seed=1), tensor((4, 3), seed=2), tensor((4,), seed=3)
    np.testing.assert_allclose(F.linear(x, w, b).data, (x @ w.T + b).data)


def test_linear_computes_in_the_weight_dtype():
    w = mg.Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    x = mg.Tensor(np.ones((4, 3)), requires_grad=True)  # float64
    out = F.linear(x, w)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float64 and w.grad.dtype == np.float32


@checks("leaky_relu")
@pytest.mark.parametrize("slope", [0.01, 0.3])
def test_leaky_relu_gradcheck(slope):
    assert mg.gradcheck(lambda x: F.leaky_relu(x, slope), [tensor((4, 5))])


@checks("softmax", "log_softmax")
@pytest.mark.parametrize("shape,axis", [((4, 5), -1), ((4, 5), 0), ((2, 3, 4), 1)])
def test_softmax_and_log_softmax_gradcheck(shape, axis):
    x = tensor(shape)
    assert mg.gradcheck(lambda x: F.softmax(x, axis=axis), [x])
    assert mg.gradcheck(lambda x: F.log_softmax(x, axis=axis), [x])


@checks("cross_entropy")
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_gradcheck_class_indices(reduction, smoothing):
    logits = tensor((6, 4))
    target = labels(6, 4)
    assert mg.gradcheck(lambda z: F.cross_entropy(z, target, reduction, smoothing), [logits])


@checks("cross_entropy")
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_gradcheck_probabilities_in_both_inputs(reduction, smoothing):
    logits = tensor((5, 3))
    target = mg.Tensor(probabilities((5, 3)), requires_grad=True)
    assert mg.gradcheck(lambda z, q: F.cross_entropy(z, q, reduction, smoothing), [logits, target])


@checks("nll_loss")
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_gradcheck(reduction):
    target = labels(6, 4)
    assert mg.gradcheck(lambda z: F.nll_loss(F.log_softmax(z), target, reduction), [tensor((6, 4))])


@checks("binary_cross_entropy_with_logits")
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_gradcheck(reduction):
    x = tensor((4, 3))
    y = mg.Tensor(np.random.default_rng(5).uniform(0, 1, size=(4, 3)), requires_grad=True)
    assert mg.gradcheck(lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction), [x, y])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss_gradcheck(reduction):
    a, b = tensor((4, 3), seed=1), tensor((4, 3), seed=2)
    assert mg.gradcheck(lambda a, b: F.mse_loss(a, b, reduction), [a, b])


# Every activation primitive, gradchecked and gradgradchecked over several shapes (a 0-d
# one, a batch, a 3-D one); the values are random, so no point sits on a kink.
ACTIVATION_CASES = {
    "gelu": [F.gelu, lambda x: F.gelu(x, approximate="tanh")],
    "normal_cdf": [activations.normal_cdf],
    "silu": [F.silu],
    "elu": [F.elu, lambda x: F.elu(x, alpha=0.3), lambda x: F.celu(x, alpha=0.7), F.selu],
    "softplus": [F.softplus, lambda x: F.softplus(x, beta=2.0, threshold=1.0)],
    "mish": [F.mish],
    "hardtanh": [F.hardtanh, lambda x: F.hardtanh(x, -0.5, 1.5), lambda x: F.relu6(x * 4)],
    "logsigmoid": [F.logsigmoid],
}


@checks(*ACTIVATION_CASES)
@pytest.mark.parametrize("name", sorted(ACTIVATION_CASES))
@pytest.mark.parametrize("shape", [(), (4, 5), (2, 3, 4)])
def test_activation_gradcheck_and_gradgradcheck(name, shape):
    for fn in ACTIVATION_CASES[name]:
        x = tensor(shape, seed=len(shape), scale=3.0)
        assert mg.gradcheck(fn, [x])
        assert mg.gradgradcheck(fn, [x])


@checks("standardize")
@pytest.mark.parametrize("shape, axes", [((5, 3), (0,)), ((4, 3, 2), (0, 2)), ((2, 3, 4), (1, 2)), ((3, 4), (1,))])
def test_standardize_gradcheck_and_gradgradcheck(shape, axes):
    x = tensor(shape, seed=3)
    assert mg.gradcheck(lambda x: normalization.standardize(x, axes=axes, eps=1e-5), [x])
    assert mg.gradgradcheck(lambda x: normalization.standardize(x, axes=axes, eps=1e-3), [x])


@checks("binary_cross_entropy")
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, "per_class", "per_element"])
def test_binary_cross_entropy_gradcheck(reduction, weight):
    rng = np.random.default_rng(6)
    x = mg.Tensor(rng.uniform(0.05, 0.95, size=(4, 3)), requires_grad=True)
    y = mg.Tensor(rng.uniform(0, 1, size=(4, 3)), requires_grad=True)
    w = {None: None, "per_class": rng.uniform(0.5, 2, size=3), "per_element": rng.uniform(0.5, 2, size=(4, 3))}[weight]
    assert mg.gradcheck(lambda x, y: F.binary_cross_entropy(x, y, weight=w, reduction=reduction), [x, y])
    assert mg.gradgradcheck(lambda x, y: F.binary_cross_entropy(x, y, weight=w, reduction=reduction), [x, y])


@checks("binary_cross_entropy_with_logits")
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_gradcheck_with_weight_and_pos_weight(reduction):
    rng = np.random.default_rng(7)
    x = tensor((4, 3), seed=8, scale=4.0)
    y = mg.Tensor(rng.uniform(0, 1, size=(4, 3)), requires_grad=True)
    w, p = rng.uniform(0.5, 2, size=(4, 1)), rng.uniform(0.2, 3, size=3)

    def fn(x, y):
        return F.binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=p, reduction=reduction)

    assert mg.gradcheck(fn, [x, y])
    assert mg.gradgradcheck(fn, [x, y])


@checks("nll_loss")
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_general_path_gradchecks(reduction, smoothing):
    # weights, an ignored label and (N, C, d) scores: the composed path, twice differentiable
    rng = np.random.default_rng(9)
    target = np.array([[0, 2, 1], [1, -100, 2]])
    weight = rng.uniform(0.5, 2, size=3)
    x = tensor((2, 3, 3), seed=10)

    def fn(x):
        return F.cross_entropy(x, target, weight=weight, reduction=reduction, label_smoothing=smoothing)

    assert mg.gradcheck(fn, [x])
    assert mg.gradgradcheck(fn, [x])
    q = mg.Tensor(np.ascontiguousarray(probabilities((3, 2, 3)).transpose(0, 2, 1)), requires_grad=True)  # along dim 1

    def with_probabilities(x, q):
        return F.cross_entropy(x, q, weight=weight, reduction=reduction, label_smoothing=smoothing)

    x = tensor((3, 3, 2), seed=11)
    assert mg.gradcheck(with_probabilities, [x, q])
    assert mg.gradgradcheck(with_probabilities, [x, q])


@pytest.mark.parametrize("name", ["l1", "smooth_l1", "smooth_l1_beta0", "huber", "kl_div", "kl_div_log_target",
                                  "mse_weighted"])
def test_composed_losses_gradcheck_and_gradgradcheck(name):
    rng = np.random.default_rng(12)
    a, b = tensor((4, 3), seed=13), tensor((4, 3), seed=14)
    p = mg.Tensor(probabilities((4, 3)), requires_grad=True)
    w = rng.uniform(0.5, 2, size=(4, 3))
    fn, inputs = {
        "l1": (lambda a, b: F.l1_loss(a, b, weight=w), [a, b]),
        "smooth_l1": (lambda a, b: F.smooth_l1_loss(a, b, beta=1.5), [a, b]),
        "smooth_l1_beta0": (lambda a, b: F.smooth_l1_loss(a, b, reduction="sum", beta=0.0), [a, b]),
        "huber": (lambda a, b: F.huber_loss(a, b, delta=0.7, weight=w), [a, b]),
        "kl_div": (lambda a, p: F.kl_div(F.log_softmax(a, dim=1), p, reduction="batchmean"), [a, p]),
        "kl_div_log_target": (lambda a, b: F.kl_div(a, b, reduction="sum", log_target=True), [a, b]),
        "mse_weighted": (lambda a, b: F.mse_loss(a, b, weight=w), [a, b]),
    }[name]
    assert mg.gradcheck(fn, inputs)
    assert mg.gradgradcheck(fn, inputs)


def test_every_nn_primitive_is_gradchecked():
    ours = {name for name, p in ops.PRIMITIVES.items() if p.module and p.module.startswith("minigrad.nn")}
    assert ours, "nn defines no primitives?"
    missing = sorted(ours - set(CHECKED))
    assert not missing, f"nn primitives without a gradcheck in tests/nn/test_functional.py: {missing}"


# ---- the same numbers as PyTorch -----------------------------------------------------------
def _torch_value_and_grad(torch_fn, logits, *args):
    torch = pytest.importorskip("torch")
    z = torch.tensor(logits, requires_grad=True)
    out = torch_fn(z, *args)
    out.backward(torch.ones_like(out) if out.dim() else None)
    return out.detach().numpy(), z.grad.numpy()


def _ours_value_and_grad(fn, logits, *args):
    z = mg.Tensor(logits, requires_grad=True)
    out = fn(z, *args)
    out.backward(np.ones_like(out.data) if out.ndim else None)
    return out.data, z.grad


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.7])
@pytest.mark.parametrize("target_kind", ["indices", "probabilities"])
def test_cross_entropy_matches_torch(reduction, smoothing, target_kind):
    torch = pytest.importorskip("torch")
    logits = np.random.default_rng(0).normal(0, 3, size=(7, 5))
    target = labels(7, 5) if target_kind == "indices" else probabilities((7, 5))
    expected = _torch_value_and_grad(
        lambda z: torch.nn.functional.cross_entropy(z, torch.tensor(target), reduction=reduction,
                                                    label_smoothing=smoothing), logits)
    got = _ours_value_and_grad(lambda z: F.cross_entropy(z, target, reduction, smoothing), logits)
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-10, atol=1e-12)


def test_cross_entropy_target_gradient_matches_torch():
    torch = pytest.importorskip("torch")
    logits, q = np.random.default_rng(0).normal(size=(4, 3)), probabilities((4, 3))
    tz, tq = torch.tensor(logits), torch.tensor(q, requires_grad=True)
    torch.nn.functional.cross_entropy(tz, tq, label_smoothing=0.3).backward()
    mq = mg.Tensor(q, requires_grad=True)
    F.cross_entropy(mg.Tensor(logits), mq, label_smoothing=0.3).backward()
    np.testing.assert_allclose(mq.grad, tq.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_matches_torch(reduction):
    torch = pytest.importorskip("torch")
    logits, target = np.random.default_rng(0).normal(size=(6, 4)), labels(6, 4)
    expected = _torch_value_and_grad(
        lambda z: torch.nn.functional.nll_loss(torch.log_softmax(z, 1), torch.tensor(target), reduction=reduction),
        logits)
    got = _ours_value_and_grad(lambda z: F.nll_loss(F.log_softmax(z, axis=1), target, reduction), logits)
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss_matches_torch(reduction):
    torch = pytest.importorskip("torch")
    x, y = np.random.default_rng(0).normal(size=(2, 5, 3))
    expected = _torch_value_and_grad(
        lambda z: torch.nn.functional.mse_loss(z, torch.tensor(y), reduction=reduction), x)
    got = _ours_value_and_grad(lambda z: F.mse_loss(z, y, reduction), x)
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_matches_torch(reduction):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).normal(0, 5, size=(6, 2))
    y = np.random.default_rng(1).uniform(size=(6, 2))
    expected = _torch_value_and_grad(
        lambda z: torch.nn.functional.binary_cross_entropy_with_logits(z, torch.tensor(y), reduction=reduction), x)
    got = _ours_value_and_grad(lambda z: F.binary_cross_entropy_with_logits(z, y, reduction), x)
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("axis", [0, 1])
def test_softmax_and_log_softmax_match_torch(axis):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).normal(0, 4, size=(4, 6))
    weights = np.random.default_rng(1).normal(size=(4, 6))  # a non-trivial upstream gradient
    for ours, theirs in [(F.softmax, torch.softmax), (F.log_softmax, torch.log_softmax)]:
        z = torch.tensor(x, requires_grad=True)
        (theirs(z, axis) * torch.tensor(weights)).sum().backward()
        m = mg.Tensor(x, requires_grad=True)
        (ours(m, axis=axis) * weights).sum().backward()
        np.testing.assert_allclose(ours(mg.Tensor(x), axis=axis).data, theirs(torch.tensor(x), axis).numpy(),
                                   rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(m.grad, z.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_leaky_relu_matches_torch_including_zero():
    torch = pytest.importorskip("torch")
    x = np.array([-2.0, -0.0, 0.0, 1.5])
    expected = _torch_value_and_grad(lambda z: torch.nn.functional.leaky_relu(z, 0.2).sum(), x)
    got = _ours_value_and_grad(lambda z: F.leaky_relu(z, 0.2).sum(), x)
    np.testing.assert_allclose(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])


# ---- stability and dtypes --------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("target_kind", ["indices", "probabilities"])
def test_cross_entropy_finite_for_huge_logits(dtype, target_kind):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3], [1e4, 1e4, -1e4]], dtype=dtype)
    target = np.array([1, 1, 0]) if target_kind == "indices" else probabilities((3, 3)).astype(dtype)
    z = mg.Tensor(logits, requires_grad=True)
    loss = F.cross_entropy(z, target, label_smoothing=0.1)
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(z.grad).all()
    assert loss.dtype == dtype and z.grad.dtype == dtype
    if target_kind == "indices":  # row 0 predicts class 0 with certainty but the label is 1: loss ~2e4
        per_sample = F.cross_entropy(mg.Tensor(logits), target, reduction="none").data
        np.testing.assert_allclose(per_sample, [2e4, 0.0, np.log(2)], rtol=1e-6)


def test_log_softmax_and_bce_finite_for_huge_inputs():
    x = mg.Tensor(np.array([[1e4, -1e4, 0.0]]), requires_grad=True)
    out = F.log_softmax(x)
    out.sum().backward()
    assert np.isfinite(out.data).all() and np.isfinite(x.grad).all()
    np.testing.assert_allclose(out.data, [[0.0, -2e4, -1e4]])
    y = mg.Tensor(np.array([[1e4, -1e4]]), requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(y, np.array([[0.0, 1.0]]), reduction="sum")
    loss.backward()
    np.testing.assert_allclose(loss.item(), 2e4)
    np.testing.assert_allclose(y.grad, [[1.0, -1.0]])


def test_losses_of_float32_inputs_are_float32():
    z = mg.Tensor(np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32), requires_grad=True)
    assert F.cross_entropy(z, [0, 1, 2, 0]).dtype == np.float32
    assert F.cross_entropy(z, probabilities((4, 3))).dtype == np.float32  # float64 probabilities
    assert F.nll_loss(F.log_softmax(z), [0, 1, 2, 0]).dtype == np.float32
    assert F.binary_cross_entropy_with_logits(z, np.ones((4, 3))).dtype == np.float32
    assert F.mse_loss(z, np.ones((4, 3))).dtype == np.float32


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    logits = np.random.default_rng(0).normal(size=(4, 3))
    target = np.array([2, 0, 1, 1])
    z = mg.Tensor(logits, requires_grad=True)
    F.cross_entropy(z, target).backward()
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(z.grad, (softmax - np.eye(3)[target]) / 4, rtol=1e-12)
    assert z.op is None and len(ops.PRIMITIVES) and F.cross_entropy(z, target).op == "cross_entropy"


# ---- bad input -------------------------------------------------------------------------------
def test_labels_out_of_range_or_negative_are_named():
    z = mg.Tensor(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"\[0, 2\].*\[3, 7\]"):
        F.cross_entropy(z, [0, 3, 7, 3])
    with pytest.raises(ValueError, match=r"\[-1\]"):
        F.cross_entropy(z, [0, -1, 1, 2])
    with pytest.raises(ValueError, match=r"\[5\]"):
        F.nll_loss(z, [0, 5, 1, 2])


def test_non_integer_labels_are_a_type_error():
    z = mg.Tensor(np.zeros((3, 4)))
    with pytest.raises(TypeError, match="float64"):
        F.cross_entropy(z, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(TypeError, match="bool"):
        F.cross_entropy(z, np.array([True, False, True]))
    with pytest.raises(TypeError, match="integers"):
        F.nll_loss(z, [0.5, 1.0, 2.0])


def test_class_labels_must_fit_the_input_shape():
    with pytest.raises(ValueError, match=r"input of shape \(4,\) the class labels must have shape \(\), got target shape \(1,\)"):
        F.cross_entropy(mg.Tensor(np.zeros(4)), [1])
    with pytest.raises(ValueError, match=r"\(2, 3, 4\) the class labels must have shape \(2, 4\), got target shape \(2,\)"):
        F.cross_entropy(mg.Tensor(np.zeros((2, 3, 4))), [1, 2])
    with pytest.raises(ValueError, match="0-d input"):
        F.nll_loss(mg.Tensor(np.float64(1.0)), 0)


def test_batch_size_mismatch_names_both_sizes():
    z = mg.Tensor(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"4 rows.*3 labels"):
        F.cross_entropy(z, [0, 1, 2])
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(5, 3\)"):
        F.cross_entropy(z, np.full((5, 3), 1 / 3))


def test_bad_options_and_shapes():
    z = mg.Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="'avg'"):
        F.cross_entropy(z, [0, 1], reduction="avg")
    with pytest.raises(ValueError, match="1.5"):
        F.cross_entropy(z, [0, 1], label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 1\)"):
        F.mse_loss(z, np.zeros((2, 1)))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3,\)"):
        F.binary_cross_entropy_with_logits(z, np.zeros(3))


# ---- properties over random shapes -----------------------------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 6), classes=st.integers(1, 6), scale=st.sampled_from([1e-3, 1.0, 30.0, 1e3]),
       seed=st.integers(0, 2**16), reduction=st.sampled_from(REDUCTIONS))
def test_cross_entropy_is_nll_of_log_softmax(n, classes, scale, seed, reduction):
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, scale, size=(n, classes))
    target = rng.integers(0, classes, size=n)
    fused = mg.Tensor(logits, requires_grad=True)
    composed = mg.Tensor(logits, requires_grad=True)
    a = F.cross_entropy(fused, target, reduction=reduction)
    b = F.nll_loss(F.log_softmax(composed, axis=1), target, reduction=reduction)
    np.testing.assert_allclose(a.data, b.data, rtol=1e-10, atol=1e-12)
    upstream = rng.normal(size=a.shape)
    a.backward(upstream)
    b.backward(upstream)
    np.testing.assert_allclose(fused.grad, composed.grad, rtol=1e-8, atol=1e-12)


def test_labels_may_be_tensors_lists_or_any_integer_dtype():
    z = np.random.default_rng(0).normal(size=(3, 4))
    expected = F.cross_entropy(mg.Tensor(z), np.array([3, 0, 2])).item()
    for labels_ in (mg.Tensor([3, 0, 2]), [3, 0, 2], np.array([3, 0, 2], dtype=np.uint8),
                    np.array([[3], [0], [2]], dtype=np.int32)[:, 0]):
        assert F.cross_entropy(mg.Tensor(z), labels_).item() == pytest.approx(expected, rel=1e-12)



EMPTY_BATCH_LOSSES = {
    "cross_entropy": lambda x, reduction: F.cross_entropy(x, np.zeros(0, np.int64), reduction=reduction),
    "cross_entropy_probs": lambda x, reduction: F.cross_entropy(x, np.zeros((0, 3)), reduction=reduction),
    "nll_loss": lambda x, reduction: F.nll_loss(x, np.zeros(0, np.int64), reduction=reduction),
    "bce_with_logits": lambda x, reduction: F.binary_cross_entropy_with_logits(x, np.zeros((0, 3)),
                                                                              reduction=reduction),
}


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("reduction, expected", [("mean", np.nan), ("sum", 0.0), ("none", None)])
@pytest.mark.parametrize("name", EMPTY_BATCH_LOSSES)
def test_an_empty_batch_gives_torchs_loss_and_an_empty_gradient_without_warnings(name, reduction, expected):
    x = mg.Tensor(np.zeros((0, 3)), requires_grad=True)
    out = EMPTY_BATCH_LOSSES[name](x, reduction)
    if expected is None:
        assert out.shape[0] == 0
        out.sum().backward()
    else:
        np.testing.assert_equal(out.data, expected)  # torch: nan for the mean of nothing, 0 for the sum
        out.backward()
    assert x.grad.shape == (0, 3)


@pytest.mark.parametrize("p, error, pattern", [
    (1.5, ValueError, r"in \[0, 1\], got 1\.5"),
    (-0.1, ValueError, r"in \[0, 1\], got -0\.1"),
    (True, TypeError, r"real number, got True"),
])
def test_functional_dropout_checks_its_probability_like_the_layer(p, error, pattern):
    x = mg.Tensor(np.ones((2, 3)))
    with pytest.raises(error, match=pattern):
        F.dropout(x, p, training=True, rng=np.random.default_rng(0))
