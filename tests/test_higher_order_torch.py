"""Second derivatives of every primitive equal PyTorch's, over random graphs.

For each registered primitive, TABLE gives a minigrad call, the PyTorch call that defines the
same function, and the domain its inputs are drawn from. A seeded random graph puts the
primitive between randomly chosen smooth operations: each input goes through a "before" op
that keeps it in the primitive's domain, the primitive's output through a nonlinear "after"
op (so that the second derivative goes through the primitive's Jacobian, also for a linear
primitive), sometimes scaled by a function of another input (cross terms). Then, in float64:

- the first derivative: grad(out, inputs, v, create_graph=True);
- the second derivative of grad·w: grad(firsts, inputs, w), a second-order directional
  derivative of every input pair;
- a Hessian-vector product of the scalar loss sum(out * v): grad(grad(loss, x)·u, x),

each compared with ``torch.autograd.grad(..., create_graph=True)`` at rtol 1e-8. The
completeness test fails when a registered primitive has no entry: add one line to TABLE
(or to ``_tensor_api_cases`` for the PyTorch-named Tensor API's primitives).
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np
import pytest

import minigrad as mg
from minigrad import autograd, nn, ops  # noqa: F401  (nn registers the nn primitives)
from minigrad.autograd import grad
from minigrad.nn import activations
from minigrad.nn import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

RTOL, ATOL = 1e-8, 1e-12


class Case(NamedTuple):
    """One primitive's entry: ``ours(*tensors)`` and ``theirs(*tensors)`` compute the same
    function (constants such as labels or masks are fixed inside them); ``shapes`` are the
    differentiated inputs' shapes, ``domain`` one of DOMAINS: "any" (reals), "positive"
    (log, sqrt, the base of a power), "unit" (-1 < x < 1: asin, atanh) or "above_one"
    (x > 1: acosh)."""

    ours: Callable
    theirs: Callable
    shapes: tuple
    domain: str = "any"


LABELS = np.array([0, 2, 1, 2])
MASK = np.arange(12).reshape(3, 4) % 3 != 1
ROWS = np.array([0, 2, 2])
BCE_WEIGHT = np.arange(1.0, 5.0)
SCATTER = np.array([[0, 2, 1, 2], [2, 2, 0, 1]])


def _t(array):
    return torch.tensor(array)


def _put_add_torch(v):
    return torch.zeros((4, 3), dtype=v.dtype).index_add(0, _t(ROWS), v)


TABLE: dict[str, Case] = {
    # ---- minigrad.ops ----
    "add": Case(lambda a, b: a + b, lambda a, b: a + b, ((3, 4), (4,))),
    "sub": Case(lambda a, b: a - b, lambda a, b: a - b, ((3, 4), (3, 1))),
    "mul": Case(lambda a, b: a * b, lambda a, b: a * b, ((3, 4), (4,))),
    "div": Case(lambda a, b: a / b, lambda a, b: a / b, ((3, 4), (4,)), "positive"),
    "neg": Case(lambda a: -a, lambda a: -a, ((5,),)),
    "power": Case(lambda a, b: a ** b, lambda a, b: a ** b, ((3, 4), (4,)), "positive"),
    "matmul": Case(lambda a, b: a @ b, lambda a, b: a @ b, ((2, 3, 4), (4, 5))),
    "sum": Case(lambda a: a.sum(axis=1, keepdims=True), lambda a: a.sum(dim=1, keepdim=True), ((3, 4),)),
    "mean": Case(lambda a: a.mean(axis=(0, 2)), lambda a: a.mean(dim=(0, 2)), ((2, 3, 4),)),
    "max": Case(lambda a: a.max(axis=1), lambda a: a.amax(dim=1), ((3, 4),)),
    "min": Case(lambda a: a.min(axis=0), lambda a: a.amin(dim=0), ((3, 4),)),
    "exp": Case(lambda a: a.exp(), torch.exp, ((3, 4),)),
    "log": Case(lambda a: a.log(), torch.log, ((3, 4),), "positive"),
    "sqrt": Case(lambda a: a.sqrt(), torch.sqrt, ((3, 4),), "positive"),
    "abs": Case(lambda a: a.abs(), torch.abs, ((3, 4),)),
    "relu": Case(lambda a: a.relu(), torch.relu, ((3, 4),)),
    "tanh": Case(lambda a: a.tanh(), torch.tanh, ((3, 4),)),
    "sigmoid": Case(lambda a: a.sigmoid(), torch.sigmoid, ((3, 4),)),
    "sign": Case(lambda a: a.sign() * a, lambda a: torch.sign(a) * a, ((3, 4),)),
    "clip": Case(lambda a: a.clip(-0.8, 0.9), lambda a: torch.clamp(a, -0.8, 0.9), ((3, 4),)),
    "maximum": Case(lambda a, b: mg.maximum(a, b), torch.maximum, ((3, 4), (4,))),
    "minimum": Case(lambda a, b: mg.minimum(a, b), torch.minimum, ((3, 4), (4,))),
    "where": Case(lambda a, b: mg.where(MASK, a, b), lambda a, b: torch.where(_t(MASK), a, b), ((3, 4), (4,))),
    "astype": Case(lambda a: a.astype(np.float64), lambda a: a.to(torch.float64), ((3, 4),)),
    "reshape": Case(lambda a: a.reshape(4, 3), lambda a: a.reshape(4, 3), ((3, 4),)),
    "broadcast_to": Case(lambda a: mg.broadcast_to(a, (2, 3, 4)), lambda a: torch.broadcast_to(a, (2, 3, 4)),
                         ((3, 1),)),
    "transpose": Case(lambda a: a.transpose((-1, 0, 1)), lambda a: a.permute(-1, 0, 1), ((2, 3, 4),)),
    "getitem": Case(lambda a: a[[0, 0, 2]][:, 1:] * a[1:, 1].sum(), lambda a: a[[0, 0, 2]][:, 1:] * a[1:, 1].sum(),
                    ((3, 4),)),
    "put_add": Case(lambda v: ops.put_add(v, shape=(4, 3), index=ROWS), _put_add_torch, ((3, 3),)),
    "concatenate": Case(lambda a, b: mg.concatenate([a, b], axis=1), lambda a, b: torch.cat([a, b], dim=1),
                        ((2, 3), (2, 2))),
    "stack": Case(lambda a, b: mg.stack([a, b], axis=-1), lambda a, b: torch.stack([a, b], dim=-1), ((2, 3), (2, 3))),
    # ---- minigrad.nn.functional ----
    "linear": Case(F.linear, TF.linear, ((4, 3), (2, 3), (2,))),
    "mlp": Case(lambda x, w1, b1, w2, b2: F.mlp(x, [(w1, b1), (w2, b2)], activation="tanh"),
                lambda x, w1, b1, w2, b2: TF.linear(torch.tanh(TF.linear(x, w1, b1)), w2, b2),
                ((4, 3), (5, 3), (5,), (2, 5), (2,))),
    "leaky_relu": Case(lambda a: F.leaky_relu(a, 0.1), lambda a: TF.leaky_relu(a, 0.1), ((3, 4),)),
    "softmax": Case(lambda a: F.softmax(a, axis=1), lambda a: torch.softmax(a, dim=1), ((3, 4),)),
    "log_softmax": Case(lambda a: F.log_softmax(a, axis=0), lambda a: torch.log_softmax(a, dim=0), ((3, 4),)),
    "cross_entropy": Case(lambda a: F.cross_entropy(a, LABELS, label_smoothing=0.2),
                          lambda a: TF.cross_entropy(a, _t(LABELS), label_smoothing=0.2), ((4, 3),)),
    "nll_loss": Case(lambda a: F.nll_loss(a, LABELS), lambda a: TF.nll_loss(a, _t(LABELS)), ((4, 3),)),
    "binary_cross_entropy_with_logits": Case(
        lambda a, t: F.binary_cross_entropy_with_logits(a, t.sigmoid()),
        lambda a, t: TF.binary_cross_entropy_with_logits(a, torch.sigmoid(t)), ((3, 4), (3, 4))),
    "binary_cross_entropy": Case(
        lambda a, t: F.binary_cross_entropy(a.sigmoid(), t.sigmoid(), weight=BCE_WEIGHT),
        lambda a, t: TF.binary_cross_entropy(torch.sigmoid(a), torch.sigmoid(t), weight=_t(BCE_WEIGHT)),
        ((3, 4), (3, 4))),
    # ---- minigrad.nn.activations and normalization ----
    "normal_cdf": Case(activations.normal_cdf, torch.special.ndtr, ((3, 4),)),
    "gelu": Case(lambda a: F.gelu(a) + F.gelu(a * 0.5, approximate="tanh"),
                 lambda a: TF.gelu(a) + TF.gelu(a * 0.5, approximate="tanh"), ((3, 4),)),
    "silu": Case(F.silu, TF.silu, ((3, 4),)),
    # celu's alpha is a power of two: PyTorch's celu backward takes 1/alpha in float32
    # (test_celu_gradient_is_exact_where_pytorchs_rounds_one_over_alpha), 1e-8 off otherwise
    "elu": Case(lambda a: F.elu(a, 0.5) + F.celu(a, 0.25) + F.selu(a),
                lambda a: TF.elu(a, 0.5) + TF.celu(a, 0.25) + TF.selu(a), ((3, 4),)),
    "softplus": Case(lambda a: F.softplus(a) + F.softplus(a, beta=3.0, threshold=2.0),
                     lambda a: TF.softplus(a) + TF.softplus(a, beta=3.0, threshold=2.0), ((3, 4),)),
    "mish": Case(F.mish, TF.mish, ((3, 4),)),
    "hardtanh": Case(lambda a: F.hardtanh(a, -0.5, 1.0), lambda a: TF.hardtanh(a, -0.5, 1.0), ((3, 4),)),
    "logsigmoid": Case(F.logsigmoid, TF.logsigmoid, ((3, 4),)),
    "standardize": Case(lambda a, w: F.layer_norm(a, 4, w) + F.batch_norm(a, None, None, training=True),
                        lambda a, w: TF.layer_norm(a, (4,), w) + TF.batch_norm(a, None, None, training=True),
                        ((3, 4), (4,))),
}


def _tensor_api_cases() -> dict[str, Case]:
    """The PyTorch-named Tensor API's primitives (minigrad.functions), for a minigrad that
    has that API: the table then fits a checkout before and after it, and the completeness
    test below still fails for any registered primitive left out."""
    cases = {
        **{name: Case(getattr(mg, name), getattr(torch, name), ((3, 4),))
           for name in ("sin", "cos", "tan", "sinh", "cosh", "asinh", "atan", "erf", "erfc", "exp2", "expm1",
                        "ceil", "floor", "round", "trunc", "clone")},
        **{name: Case(getattr(mg, name), getattr(torch, name), ((3, 4),), "positive")
           for name in ("log10", "log2", "log1p", "rsqrt")},
        **{name: Case(getattr(mg, name), getattr(torch, name), ((3, 4),), "unit")
           for name in ("asin", "acos", "atanh", "erfinv")},
        "acosh": Case(mg.acosh, torch.acosh, ((3, 4),), "above_one"),
        **{name: Case(getattr(mg, name), getattr(torch, name), ((3, 4), (4,)))
           for name in ("atan2", "hypot", "logaddexp", "logaddexp2")},
        **{name: Case(getattr(mg, name), getattr(torch, name), ((3, 4), (4,)), "positive")
           for name in ("fmod", "remainder")},
        # torch.floor_divide has no derivative; div(rounding_mode="floor") is the same function with a zero one
        "floor_divide": Case(mg.floor_divide, lambda a, b: torch.div(a, b, rounding_mode="floor"), ((3, 4), (4,)),
                             "positive"),
        "trunc_divide": Case(lambda a, b: mg.div(a, b, rounding_mode="trunc"),
                             lambda a, b: torch.div(a, b, rounding_mode="trunc"), ((3, 4), (4,)), "positive"),
        "clamp": Case(lambda a, low, high: mg.clamp(a, low - 1.0, high + 1.0),
                      lambda a, low, high: torch.clamp(a, low - 1.0, high + 1.0), ((3, 4), (4,), (3, 1))),
        "cumsum": Case(lambda a: mg.cumsum(a, 1), lambda a: torch.cumsum(a, 1), ((3, 4),)),
        "cumprod": Case(lambda a: mg.cumprod(a, 0), lambda a: torch.cumprod(a, 0), ((3, 4),)),
        "logcumsumexp": Case(lambda a: mg.logcumsumexp(a, 1), lambda a: torch.logcumsumexp(a, 1), ((3, 4),)),
        "logsumexp": Case(lambda a: mg.logsumexp(a, 1), lambda a: torch.logsumexp(a, 1), ((3, 4),)),
        "prod": Case(lambda a: mg.prod(a, 1), lambda a: torch.prod(a, 1), ((3, 4),)),
        "vector_norm": Case(lambda a: mg.vector_norm(a, 3, dim=1), lambda a: torch.linalg.vector_norm(a, 3, dim=1),
                            ((3, 4),)),
        "einsum": Case(lambda a, b: mg.einsum("ij,jk->ik", a, b), lambda a, b: torch.einsum("ij,jk->ik", a, b),
                       ((3, 4), (4, 2))),
        "index_put": Case(lambda a, s: mg.index_add(a, 0, mg.tensor(ROWS), s),
                          lambda a, s: torch.index_add(a, 0, _t(ROWS), s), ((4, 3), (3, 3))),
        "scatter_extremum": Case(lambda a, s: mg.scatter_reduce(a, 0, mg.tensor(SCATTER), s, "amax"),
                                 lambda a, s: torch.scatter_reduce(a, 0, _t(SCATTER), s, "amax"), ((3, 4), (2, 4))),
        "scatter_prod": Case(lambda a, s: mg.scatter_reduce(a, 0, mg.tensor(SCATTER), s, "prod"),
                             lambda a, s: torch.scatter_reduce(a, 0, _t(SCATTER), s, "prod"), ((3, 4), (2, 4))),
    }
    return {name: case for name, case in cases.items() if name in ops.PRIMITIVES}


if "einsum" in ops.PRIMITIVES:  # the Tensor API is there, so every name above resolves
    TABLE.update(_tensor_api_cases())

# "Before" ops keep an input in its domain; "after" ops are nonlinear. Each works on a
# minigrad Tensor and a torch tensor alike (operators and methods both have).
BEFORE = {
    "any": (lambda x: x * 1.3 - 0.2, lambda x: x.tanh() * 2.0, lambda x: x * x - 0.7, lambda x: (x * 0.5).exp() - 1.1),
    "positive": (lambda x: x * 1.3 + 0.1, lambda x: x * x + 0.5, lambda x: (x * 0.5).exp(),
                 lambda x: x.sigmoid() + 0.2),
    "unit": (lambda x: x.tanh() * 0.9, lambda x: x.sigmoid() * 1.8 - 0.9, lambda x: (x * 0.5).tanh() * 0.95),
    "above_one": (lambda x: x * x + 1.2, lambda x: (x * 0.5).exp() + 1.0, lambda x: x.sigmoid() + 1.1),
}
DOMAINS = {"any": (-np.inf, np.inf), "positive": (0, np.inf), "unit": (-1, 1), "above_one": (1, np.inf)}
AFTER = (lambda h: h * h, lambda h: (h * 0.3).tanh() * h, lambda h: (h * 0.2).exp(), lambda h: h * (h + 1.0).sigmoid())
SEEDS = (0, 1)


class Graph(NamedTuple):
    befores: tuple
    after: Callable
    cross: bool  # scale the output by (x0 * x0).sum(): a cross term between inputs


def random_graph(case: Case, rng: np.random.Generator) -> Graph:
    befores = tuple(BEFORE[case.domain][i] for i in rng.integers(0, len(BEFORE[case.domain]), len(case.shapes)))
    return Graph(befores, AFTER[rng.integers(0, len(AFTER))], bool(rng.integers(0, 2)))


def composed(graph: Graph, primitive: Callable) -> Callable:
    def fn(*inputs):
        out = graph.after(primitive(*[before(x) for before, x in zip(graph.befores, inputs)]))
        return out * (inputs[-1] * inputs[-1]).sum() if graph.cross else out
    return fn


def draw_inputs(case: Case, rng: np.random.Generator) -> list[np.ndarray]:
    # Away from 0 in both signs for the "any" domain, so that no input sits on a kink
    # (abs, relu, clip, max...) where the two libraries may pick different one-sided values.
    low = 0.3 if case.domain == "positive" else -1.5
    return [rng.uniform(low, 1.5, size=shape) for shape in case.shapes]


def primitives_in_graph(out) -> set[str]:
    order, _ = autograd.made_tensors([out])
    return {tensor._node.primitive.name for tensor in order}


def torch_grad(outputs, inputs, grad_outputs):
    """torch.autograd.grad, where an output that does not require grad (PyTorch returns a
    constant zero gradient for floor, round, floor division...) contributes nothing."""
    pairs = [(out, g) for out, g in zip(outputs, grad_outputs) if out.requires_grad]
    if not pairs:
        return [None] * len(inputs)
    return torch.autograd.grad([out for out, _ in pairs], inputs, [g for _, g in pairs], allow_unused=True)


def compare(ours, theirs, what: str, name: str, seed: int) -> None:
    for index, (a, b) in enumerate(zip(ours, theirs)):
        expected = np.zeros(a.shape) if b is None else b.detach().numpy()
        got = np.zeros(expected.shape) if a is None else np.asarray(a)
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL,
                                   err_msg=f"{what} of '{name}' (graph seed {seed}), input {index}")


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", sorted(TABLE))
def test_first_and_second_derivatives_match_pytorch(name, seed):
    case = TABLE[name]
    rng = np.random.default_rng([seed, sorted(TABLE).index(name)])
    graph = random_graph(case, rng)
    values = draw_inputs(case, rng)
    ours_fn, theirs_fn = composed(graph, case.ours), composed(graph, case.theirs)

    xs = [mg.Tensor(x, requires_grad=True) for x in values]
    out = ours_fn(*xs)
    assert name in primitives_in_graph(out), f"the minigrad call of TABLE['{name}'] does not record '{name}'"
    assert out.dtype == np.float64
    v = rng.standard_normal(out.shape)
    w = [rng.standard_normal(x.shape) for x in values]
    u = rng.standard_normal(values[0].shape)

    ts = [torch.tensor(x, requires_grad=True) for x in values]
    t_out = theirs_fn(*ts)
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg=f"value of '{name}'")

    # first derivative (with a graph), then the derivative of grad . w
    firsts = grad(out, xs, v, create_graph=True)
    t_firsts = torch.autograd.grad(t_out, ts, _t(v), create_graph=True)
    compare(firsts, t_firsts, "first derivative", name, seed)
    seconds = grad([f for f in firsts], xs, w, allow_unused=True)
    t_seconds = torch_grad(t_firsts, ts, [_t(x) for x in w])
    compare(seconds, t_seconds, "second derivative of grad.w", name, seed)

    # a Hessian-vector product of the scalar loss sum(out * v), with respect to the first input
    xs = [mg.Tensor(x, requires_grad=True) for x in values]
    loss = (ours_fn(*xs) * mg.Tensor(v)).sum()
    (g,) = grad(loss, xs[0], create_graph=True)
    (hvp,) = grad((g * mg.Tensor(u)).sum(), xs[0], allow_unused=True)
    ts = [torch.tensor(x, requires_grad=True) for x in values]
    t_loss = (theirs_fn(*ts) * _t(v)).sum()
    (t_g,) = torch.autograd.grad(t_loss, ts[0], create_graph=True)
    (t_hvp,) = torch_grad([(t_g * _t(u)).sum()], [ts[0]], [torch.tensor(1.0, dtype=torch.float64)])
    compare([g], [t_g], "gradient of the scalar loss", name, seed)
    compare([hvp], [t_hvp], "Hessian-vector product", name, seed)


@pytest.mark.parametrize("domain", sorted(DOMAINS))
def test_the_before_ops_keep_every_drawn_input_inside_its_domain(domain):
    low, high = DOMAINS[domain]
    drawn = draw_inputs(Case(None, None, ((1000,),), domain), np.random.default_rng(0))[0]
    for number, before in enumerate(BEFORE[domain]):
        mapped = before(mg.Tensor(drawn)).data
        assert low < mapped.min() and mapped.max() < high, f"BEFORE[{domain!r}][{number}] leaves ({low}, {high})"


def test_every_table_entry_names_a_known_domain():
    assert {case.domain for case in TABLE.values()} <= set(DOMAINS)


def test_every_registered_primitive_has_a_torch_counterpart():
    ours = {name for name, primitive in ops.PRIMITIVES.items() if (primitive.module or "").startswith("minigrad")}
    missing = sorted(ours - set(TABLE))
    assert not missing, f"primitives without a PyTorch counterpart in TABLE: {missing} (add a Case for each)"
    stale = sorted(set(TABLE) - set(ops.PRIMITIVES))
    assert not stale, f"TABLE lists names that are not registered primitives: {stale}"


def test_the_comparison_catches_a_wrong_second_derivative():
    # A cube whose rule reads a's raw values: the first derivative is right, but the
    # recorded gradient treats 3a^2 as a constant, so the second derivative of cube(x) * x
    # comes out 6x^2 instead of 12x^2.
    cube = ops.Primitive("cube_with_a_constant_rule", lambda a: a ** 3,
                         lambda xp, g, out, a: g * 3 * (a.data if isinstance(a, mg.Tensor) else a) ** 2,
                         register=False)
    values = np.random.default_rng(0).uniform(0.5, 1.5, 4)
    x = mg.Tensor(values, requires_grad=True)
    t = torch.tensor(values, requires_grad=True)
    v = np.ones(4)
    firsts = grad(cube(x) * x, [x], v, create_graph=True)
    t_firsts = torch.autograd.grad(t ** 3 * t, [t], _t(v), create_graph=True)
    compare(firsts, t_firsts, "first derivative", "cube", 0)
    seconds = grad(firsts, [x], [v])
    t_seconds = torch.autograd.grad(t_firsts, [t], [_t(v)])
    with pytest.raises(AssertionError, match="second derivative of 'cube'"):
        compare(seconds, t_seconds, "second derivative", "cube", 0)


def test_celu_gradient_is_exact_where_pytorchs_rounds_one_over_alpha():
    # Why TABLE's celu uses alpha = 0.25: for alpha = 0.7, PyTorch's float64 celu gradient
    # is off by about 1e-9 (its backward formula converts 1/alpha to float32), while
    # minigrad's is exp(x / alpha) to the last bit or so.
    x = np.array([-1.3, -0.4, -2.2])
    ours = mg.Tensor(x, requires_grad=True)
    F.celu(ours, 0.7).sum().backward()
    exact = np.exp(x / 0.7)
    np.testing.assert_allclose(np.asarray(ours.grad), exact, rtol=1e-15)
    theirs = torch.tensor(x, requires_grad=True)
    (t_grad,) = torch.autograd.grad(TF.celu(theirs, 0.7).sum(), theirs)
    assert np.max(np.abs(t_grad.numpy() / exact - 1)) > 1e-10  # if this fails, PyTorch fixed it: drop the note
