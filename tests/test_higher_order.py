"""Engine v2: gradients of gradients. Every primitive's second derivative is checked against
finite differences of its gradient (gradgradcheck), and against PyTorch where it is installed."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, ops
from minigrad.autograd import Function, grad
from minigrad.nn import activations
from minigrad.nn import functional as F


def tensor(shape, seed=0, low=-2.0, high=2.0, positive=False):
    rng = np.random.default_rng(seed)
    data = rng.uniform(0.5, 2.0, size=shape) if positive else rng.uniform(low, high, size=shape)
    return mg.Tensor(data.astype(np.float64), requires_grad=True)


# One or more second-order cases per primitive: name -> (function, input makers).
LABELS = np.array([0, 2, 1, 2])
SECOND_ORDER = {
    "add": (lambda a, b: (a + b) * a, [(3, 4), (4,)]),
    "sub": (lambda a, b: (a - b) * b, [(3, 4), (3, 1)]),
    "mul": (lambda a, b: a * b * a, [(3, 4), (4,)]),
    "div": (lambda a, b: a / b, [(3, 4), ("positive", (4,))]),
    "neg": (lambda a: -a * a, [(5,)]),
    "power": (lambda a, b: a ** b + a ** 3, [("positive", (3, 4)), (4,)]),
    "matmul": (lambda a, b: (a @ b) * (a @ b), [(2, 3, 4), (4, 5)]),
    "sum": (lambda a: a.sum(axis=1, keepdims=True) * a, [(3, 4)]),
    "mean": (lambda a: a.mean(axis=(0, 2)) ** 2, [(2, 3, 4)]),
    "max": (lambda a: a.max(axis=1) ** 2, [(3, 4)]),
    "min": (lambda a: a.min(axis=0) ** 3, [(3, 4)]),
    "exp": (lambda a: a.exp(), [(3, 4)]),
    "log": (lambda a: a.log(), [("positive", (3, 4))]),
    "sqrt": (lambda a: a.sqrt(), [("positive", (3, 4))]),
    "abs": (lambda a: a.abs() * a, [(3, 4)]),
    "relu": (lambda a: a.relu() * a, [(3, 4)]),
    "tanh": (lambda a: a.tanh(), [(3, 4)]),
    "sigmoid": (lambda a: a.sigmoid(), [(3, 4)]),
    "sign": (lambda a: a.sign() * a * a, [(3, 4)]),
    "clip": (lambda a: a.clip(-1.0, 1.0) * a, [(3, 4)]),
    "maximum": (lambda a, b: mg.maximum(a, b) ** 2, [(3, 4), (4,)]),
    "minimum": (lambda a, b: mg.minimum(a, b) ** 2, [(3, 4), (4,)]),
    "where": (lambda a, b: mg.where(np.arange(12).reshape(3, 4) % 2 == 0, a * a, b * b * b), [(3, 4), (4,)]),
    "astype": (lambda a: (a * a).astype(np.float64) * a, [(3, 4)]),
    "reshape": (lambda a: a.reshape(4, 3) * a.reshape(4, 3), [(3, 4)]),
    "clone": (lambda a: a.clone() * a, [(3, 4)]),
    "broadcast_to": (lambda a: mg.broadcast_to(a, (2, 3, 4)) ** 2, [(3, 1)]),
    "transpose": (lambda a: a.transpose((-1, 0, 1)) ** 2, [(2, 3, 4)]),
    "getitem": (lambda a: (a[[0, 0, 2]] ** 2).sum() + (a[1:, 1] ** 3).sum() * a[0, 0], [(3, 4)]),
    "put_add": (lambda v: ops.put_add(v * v, shape=(4, 3), index=np.array([0, 2, 2])), [(3, 3)]),
    "concatenate": (lambda a, b: mg.concatenate([a * a, b], axis=1) ** 2, [(2, 3), (2, 2)]),
    "stack": (lambda a, b: mg.stack([a * b, b], axis=-1) ** 2, [(2, 3), (2, 3)]),
    # PyTorch's wider API (inputs in (-2, 2), or positive in (0.5, 2), mapped into each domain)
    "sin": (lambda a: a.sin() * a, [(3, 4)]),
    "cos": (lambda a: a.cos() * a, [(3, 4)]),
    "tan": (lambda a: (a * 0.5).tan(), [(3, 4)]),
    "asin": (lambda a: (a * 0.4).asin(), [(3, 4)]),
    "acos": (lambda a: (a * 0.4).acos(), [(3, 4)]),
    "atan": (lambda a: a.atan(), [(3, 4)]),
    "sinh": (lambda a: a.sinh(), [(3, 4)]),
    "cosh": (lambda a: a.cosh(), [(3, 4)]),
    "asinh": (lambda a: a.asinh(), [(3, 4)]),
    "acosh": (lambda a: (a * a + 1.5).acosh(), [(3, 4)]),
    "atanh": (lambda a: (a * 0.4).atanh(), [(3, 4)]),
    "rsqrt": (lambda a: a.rsqrt(), [("positive", (3, 4))]),
    "log2": (lambda a: a.log2(), [("positive", (3, 4))]),
    "log10": (lambda a: a.log10(), [("positive", (3, 4))]),
    "log1p": (lambda a: a.log1p(), [("positive", (3, 4))]),
    "exp2": (lambda a: a.exp2(), [(3, 4)]),
    "expm1": (lambda a: a.expm1(), [(3, 4)]),
    "erf": (lambda a: a.erf(), [(3, 4)]),
    "erfc": (lambda a: a.erfc(), [(3, 4)]),
    "erfinv": (lambda a: (a * 0.4).erfinv(), [(3, 4)]),
    "floor": (lambda a: a.floor() * a * a, [(3, 4)]),
    "ceil": (lambda a: a.ceil() * a * a, [(3, 4)]),
    "trunc": (lambda a: a.trunc() * a * a, [(3, 4)]),
    "round": (lambda a: a.round() * a * a, [(3, 4)]),
    "atan2": (lambda a, b: mg.atan2(a, b), [(3, 4), ("positive", (4,))]),
    "hypot": (lambda a, b: mg.hypot(a, b), [("positive", (3, 4)), (4,)]),
    "logaddexp": (lambda a, b: mg.logaddexp(a, b), [(3, 4), (4,)]),
    "logaddexp2": (lambda a, b: mg.logaddexp2(a, b), [(3, 4), (4,)]),
    "remainder": (lambda a, b: mg.remainder(a * a, b), [(3, 4), ("positive", (4,))]),
    "fmod": (lambda a, b: mg.fmod(a * a, b), [(3, 4), ("positive", (4,))]),
    "floor_divide": (lambda a, b: mg.floor_divide(a, b) * a * b, [(3, 4), ("positive", (4,))]),
    "trunc_divide": (lambda a, b: mg.div(a, b, rounding_mode="trunc") * a * b, [(3, 4), ("positive", (4,))]),
    "clamp": (lambda a, lo, hi: mg.clamp(a, lo - 1, hi) ** 2, [(3, 4), (4,), ("positive", (3, 1))]),
    "logsumexp": (lambda a: mg.logsumexp(a, 1), [(3, 4)]),
    "vector_norm": (lambda a: mg.vector_norm(a, 3, 1) + mg.vector_norm(a, 2, 0) .sum(), [(3, 4)]),
    "prod": (lambda a: mg.prod(a, 1) + mg.prod(a), [(3, 4)]),
    "cumsum": (lambda a: mg.cumsum(a * a, 1), [(3, 4)]),
    "cumprod": (lambda a: mg.cumprod(a, 1), [(3, 4)]),
    "logcumsumexp": (lambda a: mg.logcumsumexp(a, 0), [(3, 4)]),
    "index_put": (lambda a, v: ops.index_put(a * a, v * v, index=np.array([2, 0])), [(3, 4), (2, 4)]),
    "scatter_extremum": (lambda a, s: mg.scatter_reduce(a * a, 0, np.array([[0, 2, 2, 1]]), s * s, "amax"),
                         [(3, 4), (1, 4)]),
    "scatter_prod": (lambda a, s: mg.scatter_reduce(a, 0, np.array([[0, 2, 2, 1], [0, 1, 2, 1]]), s, "prod"),
                     [(3, 4), (2, 4)]),
    "einsum": (lambda a, b: mg.einsum("ij,jk->ik", a * a, b) * a.sum(), [(2, 3), (3, 4)]),
    "linear": (lambda x, w, b: F.linear(x, w, b).tanh(), [(4, 3), (2, 3), (2,)]),
    "mlp": (lambda x, w1, b1, w2, b2: F.mlp(x, [(w1, b1), (w2, b2)], activation="tanh"),
            [(4, 3), (5, 3), (5,), (2, 5), (2,)]),
    "leaky_relu": (lambda a: F.leaky_relu(a, 0.1) * a, [(3, 4)]),
    "softmax": (lambda a: F.softmax(a, axis=1), [(3, 4)]),
    "log_softmax": (lambda a: F.log_softmax(a, axis=0), [(3, 4)]),
    "cross_entropy": (lambda a: F.cross_entropy(a, LABELS, label_smoothing=0.2), [(4, 3)]),
    "nll_loss": (lambda a: F.nll_loss(F.log_softmax(a, axis=1), LABELS) * a.sum(), [(4, 3)]),
    "binary_cross_entropy_with_logits": (
        lambda a, t: F.binary_cross_entropy_with_logits(a, t.sigmoid()), [(3, 4), (3, 4)]),
    # ---- nn: activations, normalization and losses (tests/nn has their first-order checks) ----
    "normal_cdf": (lambda a: activations.normal_cdf(a) * a, [(3, 4)]),
    "gelu": (lambda a: F.gelu(a) + F.gelu(a * 0.5, approximate="tanh"), [(3, 4)]),
    "silu": (lambda a: F.silu(a), [(3, 4)]),
    "elu": (lambda a: F.elu(a, 0.5) + F.celu(a, 0.7) + F.selu(a), [(3, 4)]),
    "softplus": (lambda a: F.softplus(a) + F.softplus(a, beta=3.0, threshold=2.0), [(3, 4)]),
    "mish": (lambda a: F.mish(a), [(3, 4)]),
    "hardtanh": (lambda a: F.hardtanh(a, -0.5, 1.0) * a, [(3, 4)]),
    "logsigmoid": (lambda a: F.logsigmoid(a), [(3, 4)]),
    "standardize": (lambda a, w: F.layer_norm(a, 4, w) + F.batch_norm(a, None, None, training=True), [(3, 4), (4,)]),
    "binary_cross_entropy": (lambda a, t: F.binary_cross_entropy(a.sigmoid(), t.sigmoid(), weight=np.arange(1.0, 5.0)),
                             [(3, 4), (3, 4)]),
}


def _inputs(specs, seed=0):
    made = []
    for number, spec in enumerate(specs):
        positive = isinstance(spec, tuple) and spec and spec[0] == "positive"
        shape = spec[1] if positive else spec
        made.append(tensor(shape, seed=seed + number, positive=positive))
    return made


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_second_derivatives_match_finite_differences(name):
    fn, specs = SECOND_ORDER[name]
    assert mg.gradgradcheck(fn, _inputs(specs))


def test_every_primitive_has_a_second_order_check():
    ours = {name for name, primitive in ops.PRIMITIVES.items() if (primitive.module or "").startswith("minigrad")}
    missing = sorted(ours - set(SECOND_ORDER))
    assert not missing, f"primitives without a gradgradcheck case: {missing}"


def test_gradgradcheck_catches_a_wrong_second_derivative():
    # The first derivative is right (3 a^2), but a.data is a constant to the graph: the
    # recorded gradient does not depend on a, so its own derivative (6 a) comes out 0.
    cube = ops.Primitive("cube_with_a_detached_rule", lambda a: a ** 3,
                         lambda xp, g, out, a: g * 3 * (a.data if isinstance(a, mg.Tensor) else a) ** 2,
                         register=False)
    a = tensor((4,))
    assert mg.gradcheck(cube, [a])
    with pytest.raises(mg.GradcheckError, match="gradgradcheck failed for input 0"):
        mg.gradgradcheck(cube, [a])


def test_a_rule_on_raw_numpy_refuses_a_tensor_that_requires_grad():
    bad = ops.Primitive("sin_on_raw_numpy", np.sin, lambda xp, g, out, a: g * np.cos(a), register=False)
    a = tensor((3,))
    bad(a).sum().backward()  # the ordinary path works on arrays
    np.testing.assert_allclose(a.grad, np.cos(a.data))
    with pytest.raises(TypeError, match="np.cos on a Tensor that requires grad"):
        grad(bad(a).sum(), a, create_graph=True)


def test_a_raw_array_rule_without_composite_is_once_differentiable():
    twice = ops.Primitive("twice_saved", lambda a: (2 * a, None), lambda xp, g, saved, a: 2 * g,
                          saves=True, register=False)
    a = tensor((3,))
    (first,) = grad((twice(a) * a).sum(), a, create_graph=True)
    np.testing.assert_allclose(first.data, 4 * a.data)
    with pytest.raises(RuntimeError, match="'twice_saved' is not differentiable"):
        grad(first.sum(), a)


def test_fused_rules_equal_the_autodiff_of_their_composite_form():
    rng = np.random.default_rng(3)
    x = mg.Tensor(rng.standard_normal((6, 3)), requires_grad=True)
    layers = [(mg.Tensor(rng.standard_normal((4, 3)), requires_grad=True), mg.Tensor(rng.standard_normal(4), requires_grad=True)),
              (mg.Tensor(rng.standard_normal((2, 4)), requires_grad=True), mg.Tensor(rng.standard_normal(2), requires_grad=True))]
    inputs = [x] + [p for layer in layers for p in layer]
    upstream = rng.standard_normal((6, 2))
    for activation in ("relu", "tanh", "sigmoid"):
        fast = grad(F.mlp(x, layers, activation), inputs, upstream)
        composite = grad(F.mlp_op.composite(x, *inputs[1:], activation=activation), inputs, upstream)
        for a, b in zip(fast, composite):
            np.testing.assert_allclose(a.data, b.data, rtol=1e-12, atol=1e-14)
    logits = mg.Tensor(rng.standard_normal((5, 3)), requires_grad=True)
    labels = np.array([0, 1, 2, 2, 0])
    for reduction in ("mean", "sum"):
        fast = grad(F.cross_entropy(logits, labels, reduction, 0.1), logits)[0]
        slow = F._cross_entropy_composite(logits, labels, reduction, 0.1, True)
        np.testing.assert_allclose(fast.data, grad(slow, logits)[0].data, rtol=1e-12)


# ---- the bugs an external op test suite found -------------------------------------------------
def test_transpose_with_negative_axes_has_the_right_gradient():
    a = mg.Tensor(np.arange(8.0).reshape(2, 2, 2), requires_grad=True)
    a.transpose((-1, 0, 1)).backward(np.arange(8.0).reshape(2, 2, 2))
    np.testing.assert_array_equal(a.grad.data.ravel(), [0, 4, 1, 5, 2, 6, 3, 7])  # PyTorch's


def test_zero_power_and_power_of_zero_like_pytorch():
    a = mg.Tensor([0.0, 2.0], requires_grad=True)
    (a ** 0.0).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.0, 0.0])
    b = mg.Tensor([-1.0, 2.0], requires_grad=True)
    with np.errstate(divide="ignore"):
        (mg.Tensor([0.0, 0.0]) ** b).sum().backward()
    np.testing.assert_array_equal(b.grad, [-np.inf, 0.0])


def test_sum_over_axis_zero_of_a_scalar_tensor():
    a = mg.tensor(3.0, requires_grad=True)
    a.sum(axis=0).backward()
    assert float(a.grad) == 1.0
    with pytest.raises(IndexError, match="dim 1 is out of range"):
        a.sum(axis=1)


def test_an_integer_cast_carries_no_gradient_and_a_string_cast_is_refused():
    a = mg.tensor([1.5, 2.5], requires_grad=True)
    as_int = a.astype(np.int64)
    assert not as_int.requires_grad and as_int.grad_fn is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        (as_int * 2).sum().backward()
    with pytest.raises(TypeError, match="cannot cast to <U"):
        mg.Tensor([1.0]).astype(str)


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
def test_softmax_of_an_empty_axis_is_empty(fn):
    out = fn(mg.Tensor(np.zeros((3, 0)), requires_grad=True), axis=1)
    assert out.shape == (3, 0)


# ---- the functional interface -----------------------------------------------------------------
def test_grad_returns_tensors_and_leaves_dot_grad_alone():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = mg.tensor([3.0, 4.0], requires_grad=True)
    gx, gy = grad((x * y).sum(), [x, y])
    np.testing.assert_array_equal(gx, [3, 4])
    np.testing.assert_array_equal(gy, [1, 2])
    assert x.grad is None and y.grad is None


def test_grad_errors_name_the_problem():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    unused = mg.tensor([5.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"only for scalar outputs; output 0 has shape \(2,\)"):
        grad(x * 2, x)
    with pytest.raises(RuntimeError, match=r"input 1 \(shape \(1,\)\) is not used"):
        grad((x * 2).sum(), [x, unused])
    assert grad((x * 2).sum(), [x, unused], allow_unused=True)[1] is None
    with pytest.raises(ValueError, match=r"has shape \(3,\), but the output has shape \(2,\)"):
        grad(x * 2, x, grad_outputs=np.ones(3))
    with pytest.raises(TypeError, match="must be numeric"):
        (x * 2).backward("ab")
    out = (x * x).sum()
    grad(out, x)
    with pytest.raises(RuntimeError, match="graph a second time"):
        grad(out, x)


def test_create_graph_keeps_the_graph_and_gives_gradients_with_a_graph():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x ** 3).sum()
    y.backward(create_graph=True)
    assert x.grad.requires_grad
    np.testing.assert_array_equal(x.grad, [3, 12])
    (second,) = grad(x.grad.sum(), x)
    np.testing.assert_array_equal(second, [6, 12])
    y.backward()  # the graph was retained
    np.testing.assert_array_equal(x.grad, [6, 24])


def test_backward_inputs_limits_the_accumulation():
    a = mg.tensor([1.0], requires_grad=True)
    b = mg.tensor([2.0], requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    assert float(a.grad) == 2.0 and b.grad is None


def test_gradient_wrt_an_intermediate_tensor():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    (gh,) = grad((h * h).sum(), h)
    np.testing.assert_array_equal(gh, [6, 12])


def test_hessian_vector_product_of_a_quadratic():
    rng = np.random.default_rng(0)
    m = rng.standard_normal((4, 4))
    a = m @ m.T
    x = mg.Tensor(rng.standard_normal(4), requires_grad=True)
    v = rng.standard_normal(4)
    (g,) = grad(0.5 * (x @ (mg.Tensor(a) @ x)), x, create_graph=True)
    (hv,) = grad(g, x, grad_outputs=v)
    np.testing.assert_allclose(hv, a @ v, rtol=1e-12)


def test_a_ten_thousand_op_chain_has_second_derivatives():
    x = mg.tensor(0.5, dtype=np.float64, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    (g,) = grad(y * y, x, create_graph=True)
    (h,) = grad(g, x)
    np.testing.assert_allclose(float(h), 2 * 1.0001 ** 20_000, rtol=1e-9)


# ---- hooks --------------------------------------------------------------------------------------
def test_tensor_hooks_see_and_may_replace_the_gradient():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    seen = []
    handle = h.register_hook(lambda g: seen.append(np.array(g)) or g * 10)
    h.sum().backward()
    np.testing.assert_array_equal(seen[0], [1, 1])
    np.testing.assert_array_equal(x.grad, [20, 20])
    handle.remove()
    x.grad = None
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [2, 2])
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.tensor([1.0]).register_hook(print)


def test_module_hooks_log_per_layer_gradient_norms_and_can_be_removed():
    model = nn.Sequential(nn.Linear(3, 4, seed=0, dtype=np.float64), nn.Tanh(), nn.Linear(4, 2, seed=1, dtype=np.float64))
    x = mg.Tensor(np.random.default_rng(0).standard_normal((5, 3)))
    records = []
    handles = [layer.register_full_backward_hook(
        lambda module, grad_input, grad_output, name=name: records.append((name, grad_input, grad_output)))
        for name, layer in model._modules.items()]
    outputs = []
    forward = model.register_forward_hook(lambda module, args, output: outputs.append(output.shape))
    model(x).sum().backward()
    assert [name for name, _, _ in records] == ["2", "1", "0"]
    assert records[-1][1] == (None,)  # the input needs no gradient, as in PyTorch
    np.testing.assert_allclose(records[0][2][0], np.ones((5, 2)))
    assert outputs == [(5, 2)]
    for handle in handles + [forward]:
        handle.remove()
    records.clear()
    model(x).sum().backward()
    assert records == [] and outputs == [(5, 2)]


# ---- Function ------------------------------------------------------------------------------------
class Softplus(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x.exp() + 1).log()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.sigmoid()


class SoftplusOnArrays(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return mg.Tensor(np.log1p(np.exp(x.data)))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g.data / (1 + np.exp(-x.data))


def test_a_function_with_a_backward_in_minigrad_ops_is_twice_differentiable():
    x = tensor((3, 4))
    assert mg.gradcheck(Softplus.apply, [x])
    assert mg.gradgradcheck(Softplus.apply, [x])


def test_a_function_with_a_backward_on_arrays_is_once_differentiable():
    x = tensor((3, 4))
    assert mg.gradcheck(SoftplusOnArrays.apply, [x])
    (first,) = grad(SoftplusOnArrays.apply(x).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="'SoftplusOnArrays' is not differentiable"):
        grad(first.sum(), x)


def test_function_ctx_and_wrong_backward_results():
    class Scale(Function):
        @staticmethod
        def forward(ctx, x, factor):
            ctx.factor = factor
            assert ctx.needs_input_grad == (True, False)
            return x * factor

        @staticmethod
        def backward(ctx, g):
            return g * ctx.factor  # one gradient for two inputs: a mistake

    x = tensor((2,))
    with pytest.raises(RuntimeError, match="Scale.backward returned 1 gradients, but forward took 2 inputs"):
        Scale.apply(x, 3.0).sum().backward()


# ---- against PyTorch ---------------------------------------------------------------------------
def _torch_hessian_check(torch, fn_mg, fn_torch, shapes, seed):
    rng = np.random.default_rng(seed)
    values = [rng.uniform(0.5, 1.5, size=s) for s in shapes]
    v = None
    mg_inputs = [mg.Tensor(x, requires_grad=True) for x in values]
    out = fn_mg(*mg_inputs)
    v = rng.standard_normal(out.shape)
    firsts = grad(out, mg_inputs, v, create_graph=True)
    w = [rng.standard_normal(x.shape) for x in values]
    seconds = grad(firsts, mg_inputs, w, allow_unused=True)
    t_inputs = [torch.tensor(x, requires_grad=True) for x in values]
    t_out = fn_torch(*t_inputs)
    t_firsts = torch.autograd.grad(t_out, t_inputs, torch.tensor(v), create_graph=True)
    t_seconds = torch.autograd.grad(t_firsts, t_inputs, [torch.tensor(x) for x in w], allow_unused=True)
    for a, b in zip(firsts, t_firsts):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-8, atol=1e-12)
    for a, b in zip(seconds, t_seconds):
        expected = np.zeros_like(values[0]) if b is None else b.numpy()
        got = np.zeros_like(expected) if a is None else a.data
        np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_second_derivatives_of_random_graphs_match_pytorch(seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    unary = [("exp", torch.exp), ("log", torch.log), ("sqrt", torch.sqrt), ("tanh", torch.tanh),
             ("sigmoid", torch.sigmoid), ("abs", torch.abs), ("relu", torch.relu)]
    binary = [(lambda a, b: a * b), (lambda a, b: a / b), (lambda a, b: a + b), (lambda a, b: a - b),
              (lambda a, b: a ** b)]
    picks = [(unary[i], binary[j]) for i, j in zip(rng.integers(0, len(unary), 3), rng.integers(0, len(binary), 3))]

    def build(module):
        def fn(a, b):
            h = a
            for (name, torch_fn), combine in picks:
                h = getattr(h, name)() if module == "mg" else torch_fn(h)
                h = combine(h, b).abs() + 0.5
            h = h @ (b.T if module == "torch" else b.transpose())
            return h.sum(axis=1) if module == "mg" else h.sum(dim=1)
        return fn

    _torch_hessian_check(torch, build("mg"), build("torch"), [(3, 4), (3, 4)], seed)


def test_mlp_loss_hessian_and_per_parameter_second_derivatives_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    X = rng.standard_normal((8, 3))
    y = rng.integers(0, 2, 8)
    shapes = [(4, 3), (4,), (2, 4), (2,)]

    def mg_loss(w1, b1, w2, b2):
        return F.cross_entropy(F.mlp(mg.Tensor(X), [(w1, b1), (w2, b2)], activation="tanh"), y)

    def torch_loss(w1, b1, w2, b2):
        h = torch.tanh(torch.tensor(X) @ w1.T + b1)
        return torch.nn.functional.cross_entropy(h @ w2.T + b2, torch.tensor(y))

    values = [rng.standard_normal(s) * 0.5 for s in shapes]
    flat = np.concatenate([v.ravel() for v in values])

    def unflatten(vector, module):
        parts, start = [], 0
        for s in shapes:
            size = int(np.prod(s))
            parts.append(vector[start:start + size].reshape(s))
            start += size
        return parts

    # the full Hessian, one Hessian-vector product per column, against torch.autograd.functional.hessian
    params = [mg.Tensor(v, requires_grad=True) for v in values]
    firsts = grad(mg_loss(*params), params, create_graph=True)
    columns = []
    for k in range(flat.size):
        unit = np.zeros(flat.size)
        unit[k] = 1
        hv = grad(firsts, params, unflatten(unit, "mg"), retain_graph=True)
        columns.append(np.concatenate([h.data.ravel() for h in hv]))
    hessian = np.array(columns).T

    def torch_flat_loss(vector):
        return torch_loss(*unflatten(vector, "torch"))

    expected = torch.autograd.functional.hessian(torch_flat_loss, torch.tensor(flat)).numpy()
    np.testing.assert_allclose(hessian, expected, rtol=1e-8, atol=1e-12)


def test_hooks_on_the_layers_of_an_mlp_are_called_as_in_pytorch():
    model = nn.MLP([3, 4, 2], seed=0, dtype=np.float64)
    x = mg.Tensor(np.random.default_rng(1).standard_normal((5, 3)))
    fused = model(x).data.copy()
    seen = []
    handle = model[2].register_full_backward_hook(lambda module, gi, go: seen.append(go[0].shape))
    out = model(x)  # a layer with a hook: the MLP runs layer by layer (the same numbers)
    np.testing.assert_allclose(out.data, fused, rtol=1e-14)
    out.sum().backward()
    assert seen == [(5, 2)]
    handle.remove()
    assert model(x).grad_fn.primitive.name == "mlp"  # fused again once the hook is gone


# ---- what each rule reads (the in-place checks rely on ops.READS) ----------------------------------
def _poisoned(value):
    """``value`` made unusable: NaN in every element of a float array (or a NaN number)."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return np.full_like(value, np.nan)
    if isinstance(value, float):
        return float("nan")
    return value


@pytest.mark.parametrize("name", sorted(ops.READS))
def test_rules_read_only_what_reads_declares(name):
    """Each rule gives the same gradient when every value it does not declare is NaN."""
    from minigrad.autograd import made_tensors

    fn, specs = SECOND_ORDER[name]
    out = fn(*_inputs(specs))
    order, _ = made_tensors([out])
    nodes = [t._node for t in order if t._node.primitive.name == name]
    assert nodes, f"the second-order case of {name} does not use it"
    rng = np.random.default_rng(0)
    for node in nodes:
        primitive = node.primitive
        g = rng.standard_normal(np.shape(node.saved))
        count = len(node.arrays)
        for index in range(count):
            if not getattr(node.inputs[index], "_requires_grad", False):
                continue
            needs = tuple(i == index for i in range(count))
            declared = primitive.reads[0] if primitive.argnum_rule is not None else primitive.reads[index]
            arrays = tuple(a if i in declared else _poisoned(a) for i, a in enumerate(node.arrays))
            saved = node.saved if "out" in declared else _poisoned(node.saved)
            expected = primitive.vjps(needs, g, node.saved, node.arrays, node.params)[index]
            with np.errstate(all="ignore"):
                got = primitive.vjps(needs, g, saved, arrays, node.params)[index]
            np.testing.assert_allclose(got, expected, err_msg=f"{name}, rule for input {index}")
