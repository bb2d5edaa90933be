"""Every primitive gradchecked in float64 over several shapes, broadcasting included."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from minigrad import ops


def tensor(shape, seed=0, low=-2.0, high=2.0, positive=False):
    rng = np.random.default_rng(seed)
    data = rng.uniform(0.5, 2.0, size=shape) if positive else rng.uniform(low, high, size=shape)
    return mg.Tensor(data.astype(np.float64), requires_grad=True)


BINARY_SHAPES = [
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((3, 1), (1, 4)),
    ((2, 3, 4), (3, 1)),
    ((), (2, 3)),
    ((5,), ()),
]

# Which primitive each case exercises: the completeness test below needs all of them.
CASES = {}


def case(*primitive_names):
    def register(fn):
        for name in primitive_names:
            CASES.setdefault(name, []).append(fn)
        return fn
    return register


@case("add", "sub", "mul", "div")
@pytest.mark.parametrize("shape_a,shape_b", BINARY_SHAPES)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_arithmetic_broadcasting(op, shape_a, shape_b):
    a = tensor(shape_a, seed=1)
    b = tensor(shape_b, seed=2, positive=(op == "div"))
    fn = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b,
          "mul": lambda a, b: a * b, "div": lambda a, b: a / b}[op]
    assert mg.gradcheck(fn, [a, b])


@case("add", "sub", "mul", "div", "neg")
def test_arithmetic_with_constants_on_either_side():
    a = tensor((2, 3))
    constant = np.linspace(1, 2, 3)
    assert mg.gradcheck(lambda a: 2.0 - a * 3 + constant / (a * a + 1) - (-a) + a / 2 + 1 - a, [a])


@case("power")
@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1.5])
def test_power_scalar_exponent(exponent):
    a = tensor((3, 4), positive=True)
    assert mg.gradcheck(lambda a: a ** exponent, [a])


@case("power")
@pytest.mark.parametrize("shape_a,shape_b", [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1), (1, 3))])
def test_power_tensor_exponent(shape_a, shape_b):
    a, b = tensor(shape_a, positive=True), tensor(shape_b, seed=3)
    assert mg.gradcheck(lambda a, b: a ** b, [a, b])
    assert mg.gradcheck(lambda b: 2.0 ** b, [b])


@case("matmul")
@pytest.mark.parametrize("shape_a,shape_b", [
    ((3, 4), (4, 5)),
    ((4,), (4,)),
    ((4,), (4, 5)),
    ((3, 4), (4,)),
    ((2, 3, 4), (4, 5)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((4,), (2, 4, 3)),
    ((2, 3, 4), (4,)),
])
def test_matmul(shape_a, shape_b):
    a, b = tensor(shape_a, seed=1), tensor(shape_b, seed=2)
    assert mg.gradcheck(lambda a, b: a @ b, [a, b])


@case("sum", "mean")
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2), (-1, 0)])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_sum_mean(reduction, axis, keepdims):
    a = tensor((2, 3, 4))
    assert mg.gradcheck(lambda a: getattr(a, reduction)(axis=axis, keepdims=keepdims), [a])


@case("max", "min")
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("reduction", ["max", "min"])
def test_max_min(reduction, axis, keepdims):
    a = tensor((3, 4, 2))  # distinct values: the finite difference is well defined
    assert mg.gradcheck(lambda a: getattr(a, reduction)(axis=axis, keepdims=keepdims), [a])


def test_max_ties_split_the_gradient_evenly():
    a = mg.Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)
    a.max(axis=1).sum().backward()
    np.testing.assert_allclose(a.grad, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6)


@case("exp", "log", "sqrt", "abs", "relu", "tanh", "sigmoid")
@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "abs", "relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("shape", [(), (5,), (3, 4)])
def test_elementwise(name, shape):
    a = tensor(shape, positive=name in ("log", "sqrt"))
    assert mg.gradcheck(lambda a: getattr(a, name)(), [a])


def test_sigmoid_is_stable_for_large_inputs():
    a = mg.Tensor(np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0]), requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = a.sigmoid()
        out.sum().backward()
    np.testing.assert_allclose(out.data, [0.0, 1.9287498479639178e-22, 0.5, 1.0, 1.0], rtol=1e-12)
    assert np.isfinite(a.grad).all()


@case("clip")
@pytest.mark.parametrize("low,high", [(-1.0, 1.0), (None, 0.5), (-0.5, None)])
def test_clip(low, high):
    a = tensor((4, 5))
    assert mg.gradcheck(lambda a: a.clip(low, high), [a])


@case("maximum", "minimum")
@pytest.mark.parametrize("fn", [mg.maximum, mg.minimum])
@pytest.mark.parametrize("shape_a,shape_b", [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), ())])
def test_maximum_minimum(fn, shape_a, shape_b):
    a, b = tensor(shape_a, seed=1), tensor(shape_b, seed=2)
    assert mg.gradcheck(lambda a, b: fn(a, b), [a, b])


def test_maximum_tie_splits_like_pytorch():
    a = mg.Tensor([1.0, 2.0], requires_grad=True)
    b = mg.Tensor([1.0, 3.0], requires_grad=True)
    mg.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.5, 0.0])
    np.testing.assert_array_equal(b.grad, [0.5, 1.0])


@case("where")
def test_where():
    a, b = tensor((3, 4), seed=1), tensor((4,), seed=2)
    condition = mg.Tensor(np.random.default_rng(3).random((3, 4)) > 0.5)
    assert mg.gradcheck(lambda a, b: mg.where(condition, a, b), [a, b])


@case("astype")
def test_astype_gradient_comes_back_in_the_input_dtype():
    a = mg.Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    (a.double() * 2).sum().backward()
    assert a.grad.dtype == np.float32
    np.testing.assert_array_equal(a.grad, [2, 2, 2])
    b = tensor((2, 3))
    assert mg.gradcheck(lambda b: b.astype(np.float64) * b, [b])


@case("reshape", "transpose", "clone")
@pytest.mark.parametrize("fn", [
    lambda a: a.reshape(6, 4),
    lambda a: a.reshape((4, -1)),
    lambda a: a.flatten(),
    lambda a: a.T,
    lambda a: a.transpose(1, 0, 2),
    lambda a: a.transpose((2, 0, 1)),
    lambda a: a.clone() * a,
])
def test_shape_ops(fn):
    assert mg.gradcheck(fn, [tensor((2, 3, 4))])


@case("getitem")
@pytest.mark.parametrize("index", [
    1,
    -1,
    slice(1, 3),
    (slice(None), 2),
    (Ellipsis, 0),
    (None, 1),
    np.array([0, 2, 2, 0]),                    # repeated indices accumulate
    (np.array([0, 1, 1]), np.array([2, 2, 0])),
    [3, 3, 1],
])
def test_getitem(index):
    assert mg.gradcheck(lambda a: a[index], [tensor((4, 3))])


@case("getitem")
def test_getitem_boolean_mask_and_repeats():
    a = tensor((4, 3))
    mask = a.data > 0
    assert mg.gradcheck(lambda a: a[mask], [a])
    b = mg.Tensor(np.zeros(3), requires_grad=True)
    b[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(b.grad, [3, 0, 1])
    c = mg.Tensor(np.arange(4.0), requires_grad=True)
    c[mg.Tensor([1, 1])].sum().backward()
    np.testing.assert_array_equal(c.grad, [0, 2, 0, 0])


@case("concatenate", "stack")
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate_and_stack(axis):
    a, b, c = tensor((2, 3), seed=1), tensor((2, 3), seed=2), tensor((2, 3), seed=3)
    assert mg.gradcheck(lambda a, b, c: mg.concatenate([a, b, c], axis=axis), [a, b, c])
    assert mg.gradcheck(lambda a, b, c: mg.stack([a, b, c], axis=axis), [a, b, c])


def test_concatenate_unequal_sizes():
    a, b = tensor((2, 3), seed=1), tensor((2, 5), seed=2)
    assert mg.gradcheck(lambda a, b: mg.concatenate([a, b], axis=1) * 2, [a, b])


@case("broadcast_to")
@pytest.mark.parametrize("shape,target", [((3,), (2, 3)), ((2, 1), (2, 4)), ((), (3,)), ((1, 3), (2, 2, 3))])
def test_broadcast_to(shape, target):
    assert mg.gradcheck(lambda a: mg.broadcast_to(a, target) * np.arange(np.prod(target)).reshape(target), [tensor(shape)])


@case("sign")
def test_sign_has_a_zero_gradient():
    a = tensor((3, 4))
    assert mg.gradcheck(lambda a: a.sign() * a + mg.sign(a), [a])


@case("put_add")
@pytest.mark.parametrize("index", [1, (slice(None), 2), np.array([0, 2, 2, 0])])
def test_put_add_is_the_adjoint_of_getitem(index):
    values = tensor(np.zeros((4, 3))[index].shape)
    assert mg.gradcheck(lambda v: ops.put_add(v, shape=(4, 3), index=index), [values])


# ---- the primitives of PyTorch's wider API ------------------------------------------------------
def bounded(shape, low, high, seed=0):
    rng = np.random.default_rng(seed)
    return mg.Tensor(rng.uniform(low, high, size=shape), requires_grad=True)


UNARY_DOMAINS = {
    "sin": (-2, 2), "cos": (-2, 2), "tan": (-1.2, 1.2), "asin": (-0.9, 0.9), "acos": (-0.9, 0.9),
    "atan": (-2, 2), "sinh": (-2, 2), "cosh": (-2, 2), "asinh": (-2, 2), "acosh": (1.1, 3),
    "atanh": (-0.9, 0.9), "rsqrt": (0.5, 2), "log2": (0.5, 2), "log10": (0.5, 2), "log1p": (-0.5, 2),
    "exp2": (-2, 2), "expm1": (-2, 2), "erf": (-2, 2), "erfc": (-2, 2), "erfinv": (-0.9, 0.9),
    "floor": (-2, 2), "ceil": (-2, 2), "trunc": (-2, 2), "round": (-2, 2),
}


@case(*UNARY_DOMAINS)
@pytest.mark.parametrize("name", sorted(UNARY_DOMAINS))
@pytest.mark.parametrize("shape", [(), (3, 4)])
def test_more_elementwise_functions(name, shape):
    a = bounded(shape, *UNARY_DOMAINS[name])
    assert mg.gradcheck(lambda a: getattr(a, name)(), [a])


BINARY = {
    "atan2": (lambda a, b: mg.atan2(a, b), (-2, 2), (0.5, 2)),
    "hypot": (lambda a, b: mg.hypot(a, b), (0.5, 2), (-2, -0.5)),
    "logaddexp": (lambda a, b: mg.logaddexp(a, b), (-2, 2), (-2, 2)),
    "logaddexp2": (lambda a, b: mg.logaddexp2(a, b), (-2, 2), (-2, 2)),
    "remainder": (lambda a, b: mg.remainder(a, b), (-3, 3), (0.7, 1.3)),
    "fmod": (lambda a, b: mg.fmod(a, b), (-3, 3), (0.7, 1.3)),
    "floor_divide": (lambda a, b: mg.floor_divide(a, b) * a, (-3, 3), (0.7, 1.3)),
    "trunc_divide": (lambda a, b: mg.div(a, b, rounding_mode="trunc") * b, (-3, 3), (0.7, 1.3)),
}


@case(*BINARY)
@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shape_a,shape_b", [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), ())])
def test_more_binary_functions(name, shape_a, shape_b):
    fn, domain_a, domain_b = BINARY[name]
    assert mg.gradcheck(fn, [bounded(shape_a, *domain_a, seed=1), bounded(shape_b, *domain_b, seed=2)])


@case("clamp")
def test_clamp_with_tensor_bounds():
    x, low, high = bounded((3, 4), -2, 2), bounded((4,), -1.5, -0.5, seed=1), bounded((3, 1), 0.5, 1.5, seed=2)
    assert mg.gradcheck(lambda x, low, high: mg.clamp(x, low, high), [x, low, high])
    assert mg.gradcheck(lambda x, low: mg.clamp(x, min=low), [x, low])


@case("logsumexp", "vector_norm", "prod")
@pytest.mark.parametrize("dim", [0, -1, (0, 1)])
def test_reductions_of_the_wider_api(dim):
    a = bounded((3, 4), -2, 2)
    assert mg.gradcheck(lambda a: mg.logsumexp(a, dim), [a])
    for p in (1, 2, 3, float("inf")):
        assert mg.gradcheck(lambda a: mg.vector_norm(a, p, dim), [a])
    if not isinstance(dim, tuple):
        assert mg.gradcheck(lambda a: mg.prod(a, dim), [a])
    assert mg.gradcheck(lambda a: mg.prod(a), [a])


@case("prod", "cumprod")
def test_products_with_zeros_have_exact_gradients():
    data = np.array([[0.0, 2.0, 3.0, -1.5], [1.5, 0.0, 0.0, 2.0], [1.2, -0.7, 0.9, 1.1]])
    a = mg.Tensor(data, requires_grad=True)
    assert mg.gradcheck(lambda a: mg.prod(a, 1), [a])
    assert mg.gradcheck(lambda a: mg.cumprod(a, 1), [a])
    assert mg.gradcheck(lambda a: mg.cumprod(a, 0), [a])


@case("cumsum", "cumprod", "logcumsumexp")
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_scans(dim):
    a = bounded((3, 4), -2, 2)
    for fn in (mg.cumsum, mg.cumprod, mg.logcumsumexp):
        assert mg.gradcheck(lambda a: fn(a, dim), [a])


@case("index_put")
def test_index_put_is_setitem_out_of_place():
    a, v = bounded((4, 3), -2, 2), bounded((2, 3), -2, 2, seed=1)
    assert mg.gradcheck(lambda a, v: ops.index_put(a, v, index=np.array([3, 1])), [a, v])
    assert mg.gradcheck(lambda a, v: ops.index_put(a, v, index=np.array([1, 1]), accumulate=True), [a, v])
    w = bounded((4,), -2, 2, seed=2)
    assert mg.gradcheck(lambda a, w: ops.index_put(a, w, index=(slice(None), 0)), [a, w])


@case("scatter_extremum", "scatter_prod")
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reductions(include_self):
    a, src = bounded((3, 4), -2, 2), bounded((2, 4), -2, 2, seed=1)
    index = np.array([[0, 2, 2, 1], [2, 2, 0, 1]])
    for reduce in ("amax", "amin", "prod", "sum", "mean"):
        assert mg.gradcheck(lambda a, s: mg.scatter_reduce(a, 0, index, s, reduce, include_self=include_self), [a, src])


@case("einsum")
@pytest.mark.parametrize("equation,shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]), ("i,i->", [(3,), (3,)]),
    ("ij->j", [(2, 3)]), ("ii->i", [(3, 3)]), ("ij,k->ijk", [(2, 3), (2,)]), ("...ij,jk", [(2, 2, 3), (3, 2)]),
    ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]), ("iij,j->i", [(2, 2, 3), (3,)]),
])
def test_einsum(equation, shapes):
    inputs = [bounded(s, -2, 2, seed=i) for i, s in enumerate(shapes)]
    assert mg.gradcheck(lambda *xs: mg.einsum(equation, *xs), inputs)


def test_every_primitive_is_gradchecked():
    import minigrad.nn  # noqa: F401  (layers and losses register their own fused primitives)
    core = {name for name, primitive in ops.PRIMITIVES.items() if primitive.module == "minigrad.ops"}
    missing = sorted(core - set(CASES))
    assert not missing, f"primitives without a gradcheck test in tests/test_ops.py: {missing}"


# ---- property-based: random broadcast-compatible shapes ----------------------------------
finite_floats = st.floats(-3, 3, allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=40, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       op=st.sampled_from(["add", "sub", "mul", "maximum"]), seed=st.integers(0, 2**16))
def test_binary_ops_on_random_broadcast_shapes(shapes, op, seed):
    shape_a, shape_b = shapes.input_shapes
    a, b = tensor(shape_a, seed=seed), tensor(shape_b, seed=seed + 1)
    fn = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
          "maximum": lambda a, b: mg.maximum(a, b)}[op]
    out = fn(a, b)
    assert out.shape == shapes.result_shape
    assert mg.gradcheck(fn, [a, b])


@settings(max_examples=30, deadline=None)
@given(data=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), elements=finite_floats),
       keepdims=st.booleans(), pick=st.integers(0, 10))
def test_reductions_on_random_shapes_and_axes(data, keepdims, pick):
    axis = pick % data.ndim - (pick % 2) * data.ndim  # positive or negative spelling
    a = mg.Tensor(data, requires_grad=True)
    assert mg.gradcheck(lambda a: (a.sum(axis=axis, keepdims=keepdims) * 2 + a.mean(axis=axis, keepdims=keepdims)), [a])


def test_every_primitive_of_the_package_is_covered_by_a_completeness_test():
    """Primitives live in minigrad.ops (checked above) or minigrad.nn (tests/nn/test_functional.py)."""
    import minigrad.nn  # noqa: F401

    elsewhere = sorted(name for name, primitive in ops.PRIMITIVES.items()
                       if (primitive.module or "").startswith("minigrad")
                       and primitive.module != "minigrad.ops" and not primitive.module.startswith("minigrad.nn"))
    assert not elsewhere, f"primitives outside ops.py and nn/ escape the gradcheck completeness tests: {elsewhere}"


def test_mean_of_an_empty_tensor_is_nan_without_warnings_like_pytorch():
    import warnings

    a = mg.Tensor(np.zeros((0, 3)), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = a.mean()
        out.backward()
        per_column = a.mean(axis=0)
    assert np.isnan(out.item())
    assert a.grad.shape == (0, 3)
    assert np.isnan(per_column.data).all() and per_column.shape == (3,)
