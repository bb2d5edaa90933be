"""minigrad.func: every transform against torch.func in float64 (rtol 1e-8), against finite
differences where torch is absent, their composition, vmap's per-sample fast path against
its own loop and against torch, the BackPACK-style statistics, and the errors bad input raises."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.func import (
    batch_grad_stats,
    functional_call,
    grad,
    grad_and_value,
    hessian,
    jacrev,
    jvp,
    per_sample_grads,
    vjp,
    vmap,
)
from minigrad.func.pytree import tree_flatten, tree_leaves_with_paths, tree_map, tree_unflatten
from minigrad.nn import functional as F

RTOL = 1e-8

# torch.func's first use warns, from inside torch, that torch.jit.script is deprecated.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")


@pytest.fixture
def torch():
    """PyTorch for the comparisons; only those tests skip without it."""
    return pytest.importorskip("torch")


def rand(*shape, seed=0, scale=1.0):
    return mg.tensor(np.random.default_rng(seed).standard_normal(shape) * scale)


def close(actual, expected, rtol=RTOL, atol=1e-12):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=atol)


def close_trees(actual, expected, rtol=RTOL, atol=1e-12):
    actual_leaves, actual_spec = tree_flatten(actual)
    expected_leaves, expected_spec = tree_flatten(expected)
    assert actual_spec == expected_spec
    for a, e in zip(actual_leaves, expected_leaves):
        close(a, to_numpy(e), rtol, atol)


def to_numpy(value):
    return value.detach().numpy() if hasattr(value, "detach") and not isinstance(value, mg.Tensor) else np.asarray(value)


def mlp64(sizes=(4, 6, 5, 3), activation="relu", seed=0):
    return nn.MLP(list(sizes), activation=activation, seed=seed).to(np.float64)


def torch_twin(torch, model: nn.MLP):
    """The PyTorch nn.Sequential with the same layers and weights, in float64."""
    activation = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}[model.activation]
    layers = []
    for index, (fan_in, fan_out) in enumerate(zip(model.sizes[:-1], model.sizes[1:])):
        layers.append(torch.nn.Linear(fan_in, fan_out))
        if index < len(model.sizes) - 2:
            layers.append(activation())
    twin = torch.nn.Sequential(*layers).double()
    with torch.no_grad():
        for (name, p), (twin_name, q) in zip(model.named_parameters(), twin.named_parameters()):
            assert name == twin_name
            q.copy_(torch.tensor(p.data))
    return twin


def detached_params(model):
    return {name: p.detach() for name, p in model.named_parameters()}


def torch_params(torch, params):
    return {name: torch.tensor(p.data) for name, p in params.items()}


def numeric_gradient(f, x: np.ndarray, eps=1e-6) -> np.ndarray:
    """Central differences of the scalar f at x (float64)."""
    result = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        bumped = x.copy()
        bumped[index] += eps
        up = f(bumped)
        bumped[index] -= 2 * eps
        result[index] = (up - f(bumped)) / (2 * eps)
    return result


def cross_entropy_loss(model):
    def loss(params, x, y):
        return F.cross_entropy(functional_call(model, params, (x[None],)), y[None])
    return loss


def torch_cross_entropy_loss(torch, twin):
    def loss(params, x, y):
        return torch.nn.functional.cross_entropy(torch.func.functional_call(twin, params, (x[None],)), y[None])
    return loss


# ---- pytrees --------------------------------------------------------------------------------------
def test_pytree_round_trip_keeps_types_order_and_namedtuples():
    from collections import namedtuple

    Pair = namedtuple("Pair", "a b")
    tree = {"z": (1, [2, 3]), "a": Pair(4, {"k": 5})}
    leaves, spec = tree_flatten(tree)
    assert leaves == [1, 2, 3, 4, 5]
    rebuilt = tree_unflatten(spec, [x * 10 for x in leaves])
    assert rebuilt == {"z": (10, [20, 30]), "a": Pair(40, {"k": 50})}
    assert list(rebuilt) == ["z", "a"] and type(rebuilt["a"]) is Pair
    assert tree_map(lambda x: -x, 3) == -3
    assert [p for p, _ in tree_leaves_with_paths(tree)] == ["['z'][0]", "['z'][1][0]", "['z'][1][1]", "['a'][0]",
                                                            "['a'][1]['k']"]
    with pytest.raises(ValueError, match="has 5 leaves, got 2"):
        tree_unflatten(spec, [1, 2])


def test_pytree_flat_containers_are_rebuilt_whole_and_a_wrong_leaf_count_is_reported():
    from collections import namedtuple

    Pair = namedtuple("Pair", "a b")
    for tree in ({"w": 1, "b": 2}, [1, 2, 3], Pair(1, 2), (Pair(1, 2), {"k": 3}), {}, [[]]):
        leaves, spec = tree_flatten(tree)
        assert tree_unflatten(spec, leaves) == tree
    _, spec = tree_flatten((Pair(1, 2), {"k": 3}))
    for wrong in ([1], [1, 2], [1, 2, 3, 4]):  # short inside the namedtuple, after it, and too many
        with pytest.raises(ValueError, match=f"has 3 leaves, got {len(wrong)}"):
            tree_unflatten(spec, wrong)


# ---- grad and grad_and_value ----------------------------------------------------------------------
def test_grad_of_mlp_loss_wrt_a_params_dict_matches_torch(torch):
    model = mlp64(activation="tanh")
    params = detached_params(model)
    x, y = rand(4, seed=1), mg.tensor(2)
    ours = grad(cross_entropy_loss(model))(params, x, y)
    twin = torch_twin(torch, model)
    theirs = torch.func.grad(torch_cross_entropy_loss(torch, twin))(torch_params(torch, params),
                                                                   torch.tensor(x.data), torch.tensor(2))
    assert list(ours) == list(params)
    close_trees(ours, theirs)


def test_grad_argnums_tuple_has_aux_and_grad_and_value_match_torch(torch):
    def f(a, b, c):  # the same code runs on minigrad's and on torch's tensors
        value = (a.tanh() * b).sum() + (b * b * c).sum()
        return value, {"twice": value * 2}

    a, b, c = rand(3, seed=1), rand(3, seed=2), rand(3, seed=3)
    ta, tb, tc = (torch.tensor(t.data) for t in (a, b, c))
    grads, aux = grad(f, argnums=(0, 2), has_aux=True)(a, b, c)
    tgrads, taux = torch.func.grad(f, argnums=(0, 2), has_aux=True)(ta, tb, tc)
    close_trees(grads, tgrads)
    close(aux["twice"], taux["twice"].numpy())
    (gb, (value, aux2)) = grad_and_value(f, argnums=-2, has_aux=True)(a, b, c)
    tgb, (tvalue, _) = torch.func.grad_and_value(f, argnums=-2, has_aux=True)(ta, tb, tc)
    close(gb, tgb.numpy())
    close(value, tvalue.numpy())
    assert not value.requires_grad and not aux2["twice"].requires_grad  # nothing outside needs a graph


def test_grad_matches_finite_differences_without_torch():
    w0 = np.random.default_rng(4).standard_normal((3, 2))
    x = mg.tensor(np.random.default_rng(5).standard_normal((5, 3)))

    def f(w):
        return ((x @ w).tanh() ** 2).sum() + (w * w).exp().mean()

    ours = grad(f)(mg.tensor(w0))
    numeric = numeric_gradient(lambda w: float(f(mg.tensor(w))), w0)
    close(ours, numeric, rtol=1e-6, atol=1e-8)


def test_grad_gives_zeros_for_an_unused_argument_and_keeps_dtype():
    g = grad(lambda a, b: (a * 2).sum(), argnums=(0, 1))(mg.tensor([1.0, 2.0]), mg.tensor([[3.0]]))
    assert g[1].shape == (1, 1) and g[1].dtype == np.float32
    np.testing.assert_array_equal(g[1], [[0.0]])
    np.testing.assert_array_equal(g[0], [2.0, 2.0])


def test_grad_of_grad_is_the_second_derivative_and_nested_grads_do_not_confuse_variables():
    x = mg.tensor(1.5, dtype=np.float64)
    assert float(grad(grad(lambda t: t ** 4))(x)) == pytest.approx(12 * 1.5 ** 2)
    assert float(grad(grad(grad(lambda t: t ** 4)))(x)) == pytest.approx(24 * 1.5)
    # d/dx [d/dy (x * y)] at y = x is d/dx x = 1, not 2 (the inner y is its own variable).
    assert float(grad(lambda t: grad(lambda u: t * u)(t))(x)) == 1.0
    # d/dx [d/dy (x y^2)]|_{y=x} = d/dx 2 x^2 = 4x
    assert float(grad(lambda t: grad(lambda u: t * u * u)(t))(x)) == pytest.approx(6.0)


def test_grad_keeps_a_graph_only_when_something_outside_can_use_it():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    g = grad(lambda v: (v ** 3).sum())(w)
    assert g.requires_grad  # a function of w: differentiable as torch.func.grad's result is
    g.sum().backward()
    np.testing.assert_allclose(w.grad, 6 * w.data)
    plain = grad(lambda v: (v ** 3).sum())(mg.tensor([1.0, 2.0]))
    assert not plain.requires_grad and plain.grad_fn is None
    with mg.no_grad():
        assert not grad(lambda v: (v ** 3).sum())(w).requires_grad


def test_grad_through_a_closure_over_an_outer_variable(torch):
    x0 = np.array([0.3, -0.7])

    def outer(x):
        return grad(lambda y: (x * y * y).sum())(x).sum()  # inner: 2 x y at y = x

    ours = grad(outer)(mg.tensor(x0))
    theirs = torch.func.grad(lambda x: torch.func.grad(lambda y: (x * y * y).sum())(x).sum())(torch.tensor(x0))
    close(ours, theirs.numpy())


# ---- vjp and jvp ----------------------------------------------------------------------------------
def test_vjp_of_a_pytree_output_matches_torch_and_can_be_called_twice(torch):
    def f(a, b):
        return {"prod": a * b, "total": (a.tanh() + b).sum()}

    a, b = rand(3, seed=1), rand(3, seed=2)
    out, vjp_fn = vjp(f, a, b)
    tout, tvjp_fn = torch.func.vjp(f, torch.tensor(a.data), torch.tensor(b.data))
    close_trees(out, tout)
    for seed in (3, 4):
        cot = {"prod": rand(3, seed=seed), "total": rand(seed=seed + 10)}
        tcot = {key: torch.tensor(value.data) for key, value in cot.items()}
        close_trees(vjp_fn(cot), tvjp_fn(tcot))


def _jvp_case():
    def f(x, w):
        return (x @ w).tanh() * x.sum()

    return f, (rand(2, 3, seed=1), rand(3, 4, seed=2)), (rand(2, 3, seed=3), rand(3, 4, seed=4))


def test_jvp_matches_torch(torch):
    f, (x, w), (vx, vw) = _jvp_case()
    out, tangent = jvp(f, (x, w), (vx, vw))
    tout, ttangent = torch.func.jvp(f, (torch.tensor(x.data), torch.tensor(w.data)),
                                    (torch.tensor(vx.data), torch.tensor(vw.data)))
    close(out, tout.numpy())
    close(tangent, ttangent.numpy())


def test_jvp_matches_finite_differences_without_torch():
    f, (x, w), (vx, vw) = _jvp_case()
    _, tangent = jvp(f, (x, w), (vx, vw))
    eps = 1e-6
    plus = f(mg.tensor(x.data + eps * vx.data), mg.tensor(w.data + eps * vw.data)).data
    minus = f(mg.tensor(x.data - eps * vx.data), mg.tensor(w.data - eps * vw.data)).data
    close(tangent, (plus - minus) / (2 * eps), rtol=1e-6, atol=1e-8)


def test_hessian_vector_products_three_ways_match_torch(torch):
    model = mlp64(activation="tanh")
    params = detached_params(model)
    x, y = rand(4, seed=1), mg.tensor(1)
    loss = cross_entropy_loss(model)
    vector = {name: rand(*p.shape, seed=7 + i) for i, (name, p) in enumerate(params.items())}

    def loss_of_params(p):
        return loss(p, x, y)

    _, forward_over_reverse = jvp(grad(loss_of_params), (params,), (vector,))
    _, vjp_fn = vjp(grad(loss_of_params), params)
    (reverse_over_reverse,) = vjp_fn(vector)
    full = hessian(loss_of_params)(params)
    by_matrix = {a: sum((full[a][b].reshape(params[a].size, params[b].size) @ vector[b].reshape(-1)).data
                        for b in params).reshape(params[a].shape) for a in params}
    twin = torch_twin(torch, model)
    tloss = torch_cross_entropy_loss(torch, twin)
    tparams = torch_params(torch, params)
    tvector = torch_params(torch, vector)
    _, theirs = torch.func.jvp(torch.func.grad(lambda p: tloss(p, torch.tensor(x.data), torch.tensor(1))),
                               (tparams,), (tvector,))
    for ours in (forward_over_reverse, reverse_over_reverse, by_matrix):
        close_trees(ours, theirs, atol=1e-10)


def test_hvp_by_double_backward_matches_torch_autograd(torch):
    w0 = np.random.default_rng(2).standard_normal(5)
    v0 = np.random.default_rng(3).standard_normal(5)
    w = mg.tensor(w0, requires_grad=True)
    (g,) = mg.autograd.grad((w.tanh() * w).sum() ** 2, w, create_graph=True)
    (ours,) = mg.autograd.grad(g, w, grad_outputs=mg.tensor(v0))
    _, func_hvp = jvp(grad(lambda t: (t.tanh() * t).sum() ** 2), (mg.tensor(w0),), (mg.tensor(v0),))
    tw = torch.tensor(w0, requires_grad=True)
    (tg,) = torch.autograd.grad((tw.tanh() * tw).sum() ** 2, tw, create_graph=True)
    (theirs,) = torch.autograd.grad(tg, tw, grad_outputs=torch.tensor(v0))
    close(ours, theirs.numpy())
    close(func_hvp, theirs.numpy())


# ---- jacrev and hessian ---------------------------------------------------------------------------
def test_jacrev_with_pytree_output_and_argnums_tuple_matches_torch(torch):
    def f(a, b):
        return {"mix": (a[:, None] * b).tanh(), "norm": (a * a).sum()}

    a, b = rand(3, seed=1), rand(3, 2, seed=2)
    ta, tb = torch.tensor(a.data), torch.tensor(b.data)
    close_trees(jacrev(f)(a, b), torch.func.jacrev(f)(ta, tb))
    close_trees(jacrev(f, argnums=(0, 1))(a, b), torch.func.jacrev(f, argnums=(0, 1))(ta, tb))


def test_hessian_of_small_mlp_losses_matches_torch(torch):
    for activation in ("relu", "tanh", "sigmoid"):
        model = mlp64(sizes=(3, 4, 3), activation=activation, seed=5)
        params = detached_params(model)
        x, y = rand(3, seed=6), mg.tensor(2)
        twin = torch_twin(torch, model)
        tx, ty = torch.tensor(x.data), torch.tensor(2)
        ours = hessian(cross_entropy_loss(model))(params, x, y)
        theirs = torch.func.hessian(torch_cross_entropy_loss(torch, twin))(torch_params(torch, params), tx, ty)
        close_trees(ours, theirs, atol=1e-10)
        # with respect to the input too
        close(hessian(cross_entropy_loss(model), argnums=1)(params, x, y),
              torch.func.hessian(torch_cross_entropy_loss(torch, twin), argnums=1)(torch_params(torch, params), tx, ty)
              .numpy(), atol=1e-10)


def test_jacrev_of_grad_and_hessian_agree_with_finite_differences_without_torch():
    x0 = np.array([0.4, -1.2, 0.7])

    def f(x):
        return (x.exp() * x[::-1]).sum() + (x ** 3).sum()

    h = hessian(f)(mg.tensor(x0))
    jg = jacrev(grad(f))(mg.tensor(x0))
    numeric = np.stack([numeric_gradient(lambda x: float(grad(f)(mg.tensor(x))[i]), x0) for i in range(3)])
    close(h, numeric, rtol=1e-6, atol=1e-8)
    close(jg, h)


# ---- vmap: the loop ---------------------------------------------------------------------------------
LOOP_CASES = {
    "matvec": (lambda a, w: (w @ a).tanh(), (0, None), lambda t: (lambda a, w: (w @ a).tanh()), ((5, 3), (4, 3))),
    "outer_softmax": (lambda a, b: F.softmax(a[:, None] * b[None, :], axis=1).max(axis=1),
                      (0, 0), lambda t: (lambda a, b: t.softmax(a[:, None] * b[None, :], dim=1).amax(dim=1)),
                      ((4, 3), (4, 2))),
    "batch_last": (lambda a, b: (a * b).sum(), (1, -1), lambda t: (lambda a, b: (a * b).sum()), ((3, 6), (3, 6))),
}


@pytest.mark.parametrize("name", sorted(LOOP_CASES))
def test_vmap_of_assorted_functions_matches_torch(torch, name):
    ours, in_dims, make_theirs, shapes = LOOP_CASES[name]
    args = [rand(*shape, seed=i) for i, shape in enumerate(shapes)]
    mapped = vmap(ours, in_dims=in_dims)
    result = mapped(*args)
    assert mapped.last_path == "loop"
    expected = torch.func.vmap(make_theirs(torch), in_dims=in_dims)(*(torch.tensor(a.data) for a in args))
    close(result, expected.numpy())


def test_vmap_with_nested_in_dims_out_dims_and_pytree_outputs_matches_torch(torch):
    def f(p, x):
        return {"lin": p["w"] @ x + p["b"], "sq": (x * x).sum()}, x.tanh()

    p = {"w": rand(6, 2, 3, seed=1), "b": rand(2, seed=2)}
    x = rand(3, 6, seed=3)
    in_dims = ({"w": 0, "b": None}, 1)
    out_dims = ({"lin": 1, "sq": 0}, -1)
    ours = vmap(f, in_dims=in_dims, out_dims=out_dims)(p, x)
    theirs = torch.func.vmap(f, in_dims=in_dims, out_dims=out_dims)(
        {k: torch.tensor(v.data) for k, v in p.items()}, torch.tensor(x.data))
    close_trees(ours, theirs)


def test_nested_vmap_and_grad_through_vmap_match_torch(torch):
    a, b = rand(3, 4, seed=1), rand(5, 4, seed=2)
    pairwise = vmap(vmap(lambda u, v: (u * v).sum().tanh(), in_dims=(None, 0)), in_dims=(0, None))
    close(pairwise(a, b), np.tanh(a.data @ b.data.T))

    def total(w):
        return vmap(lambda row: (row * w).tanh().sum())(a).sum()

    theirs = torch.func.grad(lambda w: torch.func.vmap(lambda row: (row * w).tanh().sum())(torch.tensor(a.data)).sum())
    w = rand(4, seed=3)
    close(grad(total)(w), theirs(torch.tensor(w.data)).numpy())


def test_vmap_of_jacrev_is_a_batch_of_jacobians(torch):
    x = rand(3, 2, seed=1)
    ours = vmap(jacrev(lambda v: v.tanh() * v.sum()))(x)
    theirs = torch.func.vmap(torch.func.jacrev(lambda v: v.tanh() * v.sum()))(torch.tensor(x.data))
    close(ours, theirs.numpy())


def test_vmap_out_dims_none_for_a_shared_value():
    shared, per = vmap(lambda x, c: (c * 2, x + c), in_dims=(0, None), out_dims=(None, 0))(rand(3, 2), rand(2, seed=1))
    assert shared.shape == (2,) and per.shape == (3, 2)


# ---- vmap(grad): the per-sample fast path -----------------------------------------------------------
def counting(fn):
    def counted(*args, **kwargs):
        counted.calls += 1
        return fn(*args, **kwargs)
    counted.calls = 0
    counted.__name__ = fn.__name__
    return counted


def data(n, features, classes, seed=0):
    rng = np.random.default_rng(seed)
    return mg.tensor(rng.standard_normal((n, features))), mg.tensor(rng.integers(0, classes, size=n))


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_per_sample_gradients_of_an_mlp_take_the_fast_path_and_equal_the_loop(activation):
    model = mlp64(sizes=(5, 7, 6, 3), activation=activation, seed=1)
    params = detached_params(model)
    X, y = data(11, 5, 3, seed=2)
    loss = counting(cross_entropy_loss(model))
    fast = vmap(grad(loss), in_dims=(None, 0, 0))
    ours = fast(params, X, y)
    assert fast.last_path == "per-sample" and fast.fallback_reason is None
    assert loss.calls == 2  # one traced sample and the last one run alone as a check; no loop over 11
    loop = vmap(grad(loss), in_dims=(None, 0, 0), fast_path=False)
    looped = loop(params, X, y)
    assert loop.last_path == "loop" and loss.calls == 2 + 11
    close_trees(ours, looped, rtol=1e-10, atol=1e-14)
    # and the loop's numbers are the gradient: finite differences for sample 4's first weight
    weight = params["0.weight"].data

    def sample_4_loss(w):
        return float(loss({**params, "0.weight": mg.tensor(w)}, X[4], y[4]))

    close(ours["0.weight"][4], numeric_gradient(sample_4_loss, weight), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_per_sample_gradients_of_an_mlp_match_torch_func(torch, activation):
    model = mlp64(sizes=(5, 7, 6, 3), activation=activation, seed=1)
    params = detached_params(model)
    X, y = data(11, 5, 3, seed=2)
    fast = vmap(grad(cross_entropy_loss(model)), in_dims=(None, 0, 0))
    ours = fast(params, X, y)
    assert fast.last_path == "per-sample"
    twin = torch_twin(torch, model)
    theirs = torch.func.vmap(torch.func.grad(torch_cross_entropy_loss(torch, twin)), in_dims=(None, 0, 0))(
        torch_params(torch, params), torch.tensor(X.data), torch.tensor(y.data))
    close_trees(ours, theirs)


LOSS_FORMS = {
    # name: (minigrad loss of (output, target) for one sample, torch's, targets maker)
    "mse": (lambda out, t: F.mse_loss(out, t), lambda torch: lambda out, t: torch.nn.functional.mse_loss(out, t),
            lambda n, classes, rng: rng.standard_normal((n, classes))),
    "mse_sum_halved": (lambda out, t: F.mse_loss(out, t, reduction="sum") * 0.5,
                       lambda torch: lambda out, t: torch.nn.functional.mse_loss(out, t, reduction="sum") * 0.5,
                       lambda n, classes, rng: rng.standard_normal((n, classes))),
    "smoothed_ce": (lambda out, t: F.cross_entropy(out, t, label_smoothing=0.1),
                    lambda torch: lambda out, t: torch.nn.functional.cross_entropy(out, t, label_smoothing=0.1),
                    lambda n, classes, rng: rng.integers(0, classes, size=n)),
    "probability_ce": (lambda out, t: F.cross_entropy(out, t, reduction="sum"),
                       lambda torch: lambda out, t: torch.nn.functional.cross_entropy(out, t, reduction="sum"),
                       lambda n, classes, rng: rng.dirichlet(np.ones(classes), size=n)),
    "nll_of_log_softmax": (lambda out, t: F.nll_loss(F.log_softmax(out), t),
                           lambda torch: lambda out, t: torch.nn.functional.nll_loss(out.log_softmax(-1), t),
                           lambda n, classes, rng: rng.integers(0, classes, size=n)),
    "unreduced_ce_summed": (lambda out, t: F.cross_entropy(out, t, reduction="none").sum(),
                            lambda torch: lambda out, t: torch.nn.functional.cross_entropy(out, t, reduction="none").sum(),
                            lambda n, classes, rng: rng.integers(0, classes, size=n)),
    "unreduced_bce_averaged": (lambda out, t: F.binary_cross_entropy_with_logits(out, t, reduction="none").mean(),
                               lambda torch: lambda out, t: torch.nn.functional.binary_cross_entropy_with_logits(
                                   out, t, reduction="none").mean(),
                               lambda n, classes, rng: rng.uniform(size=(n, classes))),
    "bce_with_logits": (lambda out, t: F.binary_cross_entropy_with_logits(out, t),
                        lambda torch: lambda out, t: torch.nn.functional.binary_cross_entropy_with_logits(out, t),
                        lambda n, classes, rng: rng.uniform(size=(n, classes))),
}


def _loss_form_case(form):
    ours_loss, make_theirs, make_targets = LOSS_FORMS[form]
    model = mlp64(sizes=(4, 5, 3), seed=3)
    rng = np.random.default_rng(4)
    X = mg.tensor(rng.standard_normal((6, 4)))
    T = mg.tensor(make_targets(6, 3, rng))
    return model, ours_loss, make_theirs, X, T


@pytest.mark.parametrize("form", sorted(LOSS_FORMS))
def test_per_sample_gradients_for_each_loss_form_take_the_fast_path_and_equal_the_loop(form):
    model, ours_loss, _, X, T = _loss_form_case(form)
    stats = batch_grad_stats(model, ours_loss, X, T, keep_per_sample=True)
    assert stats.path == "per-sample", stats.fallback_reason

    def sample_loss(p, x, t):
        return ours_loss(functional_call(model, p, (x[None],)), t[None])

    looped = vmap(grad(sample_loss), in_dims=(None, 0, 0), fast_path=False)(detached_params(model), X, T)
    close_trees(stats.grad_batch, looped, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("form", sorted(LOSS_FORMS))
def test_per_sample_gradients_for_each_loss_form_match_torch(torch, form):
    model, ours_loss, make_theirs, X, T = _loss_form_case(form)
    stats = batch_grad_stats(model, ours_loss, X, T, keep_per_sample=True)
    assert stats.path == "per-sample", stats.fallback_reason
    twin = torch_twin(torch, model)
    theirs_loss = make_theirs(torch)

    def sample_loss(p, x, t):
        return theirs_loss(torch.func.functional_call(twin, p, (x[None],)), t[None])

    expected = torch.func.vmap(torch.func.grad(sample_loss), in_dims=(None, 0, 0))(
        torch_params(torch, detached_params(model)), torch.tensor(X.data), torch.tensor(T.data))
    close_trees(stats.grad_batch, expected)
    close_trees(per_sample_grads(model, ours_loss, X, T), expected)


def test_per_sample_fast_path_for_layers_one_by_one_and_batch_on_another_dim(torch):
    model = nn.Sequential(nn.Linear(3, 4, seed=0), nn.Tanh(), nn.Linear(4, 4, seed=1), nn.LeakyReLU(0.2),
                          nn.Linear(4, 2, seed=2)).to(np.float64)
    params = detached_params(model)
    rng = np.random.default_rng(5)
    X, y = mg.tensor(rng.standard_normal((3, 7))), mg.tensor(rng.integers(0, 2, size=7))

    def loss(p, x, t):
        return F.cross_entropy(functional_call(model, p, x.reshape(1, 3)), t.reshape(1))

    fast = vmap(grad_and_value(loss), in_dims=(None, 1, 0), out_dims=(1, 0))
    (grads, values) = fast(params, X, y)
    assert fast.last_path == "per-sample"
    twin = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 4),
                               torch.nn.LeakyReLU(0.2), torch.nn.Linear(4, 2)).double()
    with torch.no_grad():
        for (_, p), (_, q) in zip(model.named_parameters(), twin.named_parameters()):
            q.copy_(torch.tensor(p.data))

    def tloss(p, x, t):
        return torch.nn.functional.cross_entropy(torch.func.functional_call(twin, p, x.reshape(1, 3)), t.reshape(1))

    tgrads, tvalues = torch.func.vmap(torch.func.grad_and_value(tloss), in_dims=(None, 1, 0), out_dims=(1, 0))(
        torch_params(torch, params), torch.tensor(X.data), torch.tensor(y.data))
    close_trees(grads, tgrads)
    close(values, tvalues.numpy())


def test_per_sample_fast_path_in_float32_agrees_with_the_loop():
    model = nn.MLP([8, 16, 16, 4], seed=0)
    params = detached_params(model)
    rng = np.random.default_rng(1)
    X = mg.tensor(rng.standard_normal((32, 8)).astype(np.float32))
    y = mg.tensor(rng.integers(0, 4, size=32))
    fast = vmap(grad(cross_entropy_loss(model)), in_dims=(None, 0, 0))
    ours = fast(params, X, y)
    assert fast.last_path == "per-sample"
    assert all(g.dtype == np.float32 for g in ours.values())
    looped = vmap(grad(cross_entropy_loss(model)), in_dims=(None, 0, 0), fast_path=False)(params, X, y)
    close_trees(ours, looped, rtol=1e-4, atol=1e-6)


def awkward_values(shape, dtype, seed):
    """Normal numbers with zeros of both signs, infinities, NaNs, huge numbers and numbers
    whose products underflow mixed in."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    kind = rng.random(shape)
    x[kind < 0.2] = 0.0
    x[(kind >= 0.2) & (kind < 0.25)] = -0.0
    x[(kind >= 0.25) & (kind < 0.3)] *= np.finfo(dtype).tiny * 1e3
    x[(kind >= 0.3) & (kind < 0.31)] = np.inf
    x[(kind >= 0.31) & (kind < 0.32)] = -np.inf
    x[(kind >= 0.32) & (kind < 0.33)] = np.nan
    x[(kind >= 0.33) & (kind < 0.36)] *= np.finfo(dtype).max ** 0.75
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(64, 128, 64), (64, 10, 128), (5, 33, 17), (1, 1, 1), (3, 300, 257)])
def test_per_sample_outer_products_have_the_bits_of_one_product_per_element(dtype, shape):
    # The fast path writes the outer products as a matrix product with an inner dimension of
    # 2 (the second term 0 * 0): the same bits as einsum's, signed zeros, infinities and NaNs
    # included, never a sum that rounds differently.
    from minigrad.func.per_sample import _outer_products

    batch, rows, cols = shape
    d, h = awkward_values((batch, rows), dtype, seed=0), awkward_values((batch, cols), dtype, seed=1)
    expected, written = np.empty(shape, dtype), np.empty(shape, dtype)
    with np.errstate(all="ignore"):
        np.einsum("bo,bi->boi", d, h, out=expected)
        _outer_products(d, h, written)
    bits = np.uint32 if dtype == np.float32 else np.uint64
    np.testing.assert_array_equal(written.view(bits), expected.view(bits))


def test_per_sample_gradients_are_fresh_arrays_that_a_later_call_does_not_overwrite():
    # The fast path writes each gradient straight into its final array: that array must be
    # the caller's alone, in the parameter's dtype, not a buffer reused by the next call.
    model = nn.MLP([6, 8, 3], seed=0)
    params = detached_params(model)
    rng = np.random.default_rng(2)
    X1, X2 = (mg.tensor(rng.standard_normal((5, 6)).astype(np.float32)) for _ in range(2))
    y = mg.tensor(rng.integers(0, 3, size=5))
    fast = vmap(grad(cross_entropy_loss(model)), in_dims=(None, 0, 0))
    first = fast(params, X1, y)
    kept = {name: g.data.copy() for name, g in first.items()}
    second = fast(params, X2, y)
    assert fast.last_path == "per-sample"
    for name in first:
        assert first[name].dtype == np.float32 and first[name].data.flags.c_contiguous
        assert not np.shares_memory(first[name].data, second[name].data)
        np.testing.assert_array_equal(first[name].data, kept[name])
        assert not np.array_equal(first[name].data, second[name].data)


FALLBACKS = {
    # name: (loss of (model, params, x, y), what fallback_reason mentions)
    "reads_a_label_in_python": (
        lambda model, p, x, y: F.cross_entropy(functional_call(model, p, (x[None],)), y[None]) * (2.0 if int(y) == 0 else 1.0),
        "reads a sample's values"),
    "compares_outputs": (
        lambda model, p, x, y: F.cross_entropy(functional_call(model, p, (x[None],)), y[None])
        * (1.0 if bool((functional_call(model, p, (x[None],)) > 0).all()) else 3.0),
        "reads a sample's values"),
    "weight_decay_inside": (
        lambda model, p, x, y: F.cross_entropy(functional_call(model, p, (x[None],)), y[None])
        + 0.1 * (p["0.weight"] * p["0.weight"]).sum(),
        "may only be the weights and biases"),
    "constant_from_a_sample": (
        lambda model, p, x, y: F.cross_entropy(functional_call(model, p, (x[None],)), y[None])
        * mg.tensor(np.abs(x.data).sum()),
        "neither a parameter nor made from the mapped arguments"),
    "operation_with_no_batched_form": (
        lambda model, p, x, y: mg.where(mg.tensor([True, False]), functional_call(model, p, (x[None],))[0], 0.0).sum(),
        "no batched form is known for 'where'"),
}


@pytest.mark.parametrize("name", sorted(FALLBACKS))
def test_functions_outside_the_fast_paths_form_run_the_loop_and_stay_correct(name):
    body, reason = FALLBACKS[name]
    model = mlp64(sizes=(3, 4, 2), seed=2)
    params = detached_params(model)
    X, y = data(5, 3, 2, seed=3)
    y = mg.tensor(np.array([0, 1, 0, 1, 1]))
    mapped = vmap(grad(lambda p, x, t: body(model, p, x, t)), in_dims=(None, 0, 0))
    ours = mapped(params, X, y)
    assert mapped.last_path == "loop"
    assert reason in mapped.fallback_reason
    per_sample = [grad(lambda p, x, t: body(model, p, x, t))(params, X[i], y[i]) for i in range(5)]
    close_trees(ours, {k: np.stack([g[k].data for g in per_sample]) for k in params}, rtol=1e-12)


ESCAPES = {
    "item": lambda t: t.item(),
    "float": lambda t: float(t),
    "asarray": lambda t: float(np.asarray(t)),
    "numpy": lambda t: float(t.numpy()),
    "tolist": lambda t: t.tolist(),
    "equality": lambda t: bool(t == 0),
    "np.exp": lambda t: float(np.exp(t)),
    "format": lambda t: float(f"{t}"),
    "repr": lambda t: len(repr(t)) - len(repr(t)),
}


@pytest.mark.parametrize("escape", sorted(ESCAPES))
def test_every_way_of_reading_a_samples_values_makes_the_loop_run(escape):
    model = mlp64(sizes=(3, 4, 2), seed=2)
    params = detached_params(model)
    X, y = data(4, 3, 2, seed=3)
    read = ESCAPES[escape]

    def loss(p, x, t):
        weight = 3.0 if read(t) == 0 else 1.0
        return F.cross_entropy(functional_call(model, p, (x[None],)), t[None]) * weight

    mapped = vmap(grad(loss), in_dims=(None, 0, 0))
    ours = mapped(params, X, y)
    assert mapped.last_path == "loop" and "a sample's values" in mapped.fallback_reason
    expected = {k: np.stack([grad(loss)(params, X[i], y[i])[k].data for i in range(4)]) for k in params}
    close_trees(ours, expected, rtol=0, atol=0)


def test_a_refusal_caught_by_the_function_still_makes_the_loop_run():
    model = mlp64(sizes=(3, 4, 2), seed=2)
    params = detached_params(model)
    X, y = data(6, 3, 2, seed=3)

    def loss(p, x, t):
        try:
            weight = 5.0 if int(t) == 1 else 1.0
        except Exception:  # noqa: BLE001 - the point: the refusal must not be swallowed
            weight = 1.0
        return F.cross_entropy(functional_call(model, p, (x[None],)), t[None]) * weight

    mapped = vmap(grad(loss), in_dims=(None, 0, 0))
    ours = mapped(params, X, y)
    assert mapped.last_path == "loop"
    expected = {k: np.stack([grad(loss)(params, X[i], y[i])[k].data for i in range(6)]) for k in params}
    close_trees(ours, expected, rtol=0, atol=0)
    kept = []
    vmap(grad(lambda p, x, t: kept.append(t) or loss(p, x, t)), in_dims=(None, 0, 0))(params, X, y)
    assert int(kept[0]) == int(y[0])  # a sample kept after its trace reads like any tensor


def _shared_layer_case():
    shared = nn.Linear(3, 3, seed=0)
    model = nn.Sequential(shared, nn.Tanh(), shared).to(np.float64)
    rng = np.random.default_rng(1)
    X, y = mg.tensor(rng.standard_normal((5, 2, 3))), mg.tensor(rng.integers(0, 3, size=(5, 2)))

    def loss(p, x, t):  # two rows per sample
        return F.cross_entropy(0.5 * functional_call(model, p, (x,)) * 2.0, t)

    return shared, model, loss, X, y


def test_fast_path_with_a_layer_used_twice_and_several_rows_per_sample_equals_the_loop():
    _, model, loss, X, y = _shared_layer_case()
    params = detached_params(model)
    fast = vmap(grad(loss), in_dims=(None, 0, 0))
    ours = fast(params, X, y)
    assert fast.last_path == "per-sample", fast.fallback_reason
    looped = vmap(grad(loss), in_dims=(None, 0, 0), fast_path=False)(params, X, y)
    close_trees(ours, looped, rtol=1e-12, atol=1e-15)
    stats = batch_grad_stats(model, lambda out, t: F.cross_entropy(out[0], t[0]), X, y)
    assert stats.path == "per-sample"
    close(stats.sum_grad_squared["0.weight"], (looped["0.weight"].data ** 2).sum(axis=0))


def test_fast_path_gives_the_gradients_in_the_order_argnums_names_them():
    def loss(x, w, b):
        return (F.linear(x[None], w, b) ** 2).sum()

    rng = np.random.default_rng(0)
    X, w, b = mg.tensor(rng.standard_normal((4, 3))), mg.tensor(rng.standard_normal((2, 3))), mg.tensor([0.5, -1.0])
    fast = vmap(grad(loss, argnums=(2, 1)), in_dims=(0, None, None))
    ours = fast(X, w, b)
    assert fast.last_path == "per-sample", fast.fallback_reason
    looped = vmap(grad(loss, argnums=(2, 1)), in_dims=(0, None, None), fast_path=False)(X, w, b)
    assert [g.shape for g in ours] == [(4, 2), (4, 2, 3)]
    close_trees(ours, looped, rtol=1e-12, atol=1e-15)


def test_a_refused_parameter_of_a_later_argument_is_named_by_its_own_path():
    # Parameters are numbered argument after argument whatever argnums' order: the message
    # must find the leaf of the second differentiated argument, not the first one's.
    def loss(w, s, x):
        return (F.linear(x[None], w) * s["scale"]).sum()

    w, s = mg.tensor(np.ones((2, 3))), {"scale": mg.tensor(np.ones(2))}
    fast = vmap(grad(loss, argnums=(1, 0)), in_dims=(None, None, 0))
    fast(w, s, mg.tensor(np.ones((4, 3))))
    assert fast.last_path == "loop"
    assert fast.fallback_reason.startswith("parameter argument 1['scale'] is used by 'mul'"), fast.fallback_reason


def test_fast_path_with_a_layer_used_twice_and_several_rows_per_sample_matches_torch(torch):
    shared, model, loss, X, y = _shared_layer_case()
    params = detached_params(model)
    ours = vmap(grad(loss), in_dims=(None, 0, 0))(params, X, y)
    twin = torch.nn.Linear(3, 3).double()
    with torch.no_grad():
        twin.weight.copy_(torch.tensor(shared.weight.data))
        twin.bias.copy_(torch.tensor(shared.bias.data))

    def tloss(p, x, t):
        h = torch.func.functional_call(twin, p, (x,))
        return torch.nn.functional.cross_entropy(torch.func.functional_call(twin, p, (h.tanh(),)), t)

    theirs = torch.func.vmap(torch.func.grad(tloss), in_dims=(None, 0, 0))(
        {"weight": torch.tensor(params["0.weight"].data), "bias": torch.tensor(params["0.bias"].data)},
        torch.tensor(X.data), torch.tensor(y.data))
    close(ours["0.weight"], theirs["weight"].numpy())
    close(ours["0.bias"], theirs["bias"].numpy())


def test_mapped_data_that_requires_grad_keeps_its_graph_through_the_loop(torch):
    model = mlp64(sizes=(3, 4, 2), activation="tanh", seed=2)
    params = detached_params(model)
    X, y = data(4, 3, 2, seed=3)
    X = mg.tensor(X.data, requires_grad=True)
    mapped = vmap(grad(cross_entropy_loss(model)), in_dims=(None, 0, 0))
    per = mapped(params, X, y)
    assert mapped.last_path == "loop" and "requires grad" in mapped.fallback_reason
    (penalty,) = mg.autograd.grad(sum((g * g).sum() for g in per.values()), X)
    twin = torch_twin(torch, model)
    tX = torch.tensor(X.data, requires_grad=True)
    tper = torch.func.vmap(torch.func.grad(torch_cross_entropy_loss(torch, twin)), in_dims=(None, 0, 0))(
        torch_params(torch, params), tX, torch.tensor(y.data))
    (tpenalty,) = torch.autograd.grad(sum((g * g).sum() for g in tper.values()), tX)
    close(penalty, tpenalty.numpy())


def test_fast_path_falls_back_for_aux_outer_graphs_and_weights_from_outside():
    model = mlp64(sizes=(3, 4, 2), seed=2)
    params = detached_params(model)
    X, y = data(4, 3, 2, seed=3)
    loss = cross_entropy_loss(model)
    with_aux = vmap(grad(lambda p, x, t: (loss(p, x, t), x.sum()), has_aux=True), in_dims=(None, 0, 0))
    grads, aux = with_aux(params, X, y)
    assert with_aux.last_path == "loop" and "has_aux" in with_aux.fallback_reason
    close(aux, X.data.sum(axis=1))
    tracked = {name: p.detach().requires_grad_() for name, p in params.items()}
    outer = vmap(grad(loss), in_dims=(None, 0, 0))
    per = outer(tracked, X, y)
    assert outer.last_path == "loop" and "requires grad" in outer.fallback_reason
    assert per["0.weight"].requires_grad  # differentiable with respect to the tracked weights
    w = model[0].weight  # a Parameter, which requires grad, closed over
    closure = vmap(grad(lambda p, x, t: loss(p, x, t) + (w * w).sum()), in_dims=(None, 0, 0))
    closure(params, X, y)
    assert closure.last_path == "loop" and "outside" in closure.fallback_reason


def test_active_dropout_runs_the_loop():
    model = nn.MLP([3, 8, 2], dropout=0.5, seed=0).to(np.float64)
    X, y = data(4, 3, 2)
    mapped = vmap(grad(cross_entropy_loss(model)), in_dims=(None, 0, 0))
    mapped(detached_params(model), X, y)
    assert mapped.last_path == "loop"
    model.eval()
    mapped(detached_params(model), X, y)
    assert mapped.last_path == "per-sample"


def test_a_label_out_of_range_in_a_later_sample_raises_as_the_loop_does():
    model = mlp64(sizes=(3, 4, 2))
    X = rand(3, 3)
    with pytest.raises(ValueError, match=r"class labels must be in \[0, 1\], got \[5\]"):
        vmap(grad(cross_entropy_loss(model)), in_dims=(None, 0, 0))(detached_params(model), X, mg.tensor([0, 1, 5]))


# ---- BackPACK-style statistics ------------------------------------------------------------------------
def test_batch_grad_stats_sums_squares_and_variance_match_the_per_sample_gradients(torch):
    model = mlp64(sizes=(5, 6, 4), seed=4)
    X, y = data(9, 5, 4, seed=5)
    stats = batch_grad_stats(model, F.cross_entropy, X, y, keep_per_sample=True)
    assert stats.path == "per-sample", stats.fallback_reason
    twin = torch_twin(torch, model)
    per = torch.func.vmap(torch.func.grad(torch_cross_entropy_loss(torch, twin)), in_dims=(None, 0, 0))(
        torch_params(torch, detached_params(model)), torch.tensor(X.data), torch.tensor(y.data))
    for name, g in per.items():
        g = g.numpy()
        close(stats.grad_sum[name], g.sum(axis=0))
        close(stats.sum_grad_squared[name], (g ** 2).sum(axis=0))
        close(stats.variance[name], g.var(axis=0), atol=1e-12)
        close(stats.grad_batch[name], g)
    losses = [float(F.cross_entropy(model(X[i:i + 1]), y.data[i:i + 1])) for i in range(9)]
    close(stats.losses, losses)
    # the summed gradient is the gradient of the summed loss
    model.zero_grad()
    F.cross_entropy(model(X), y, reduction="sum").backward()
    close(stats.grad_sum["0.weight"], model[0].weight.grad)


def test_batch_grad_stats_equal_statistics_of_the_loops_per_sample_gradients():
    model = mlp64(sizes=(5, 6, 4), seed=4)
    X, y = data(9, 5, 4, seed=5)
    stats = batch_grad_stats(model, F.cross_entropy, X, y)
    assert stats.path == "per-sample" and stats.grad_batch is None and stats.fallback_reason is None
    looped = vmap(grad(cross_entropy_loss(model)), in_dims=(None, 0, 0), fast_path=False)(detached_params(model), X, y)
    for name, g in looped.items():
        g = g.data
        close(stats.grad_sum[name], g.sum(axis=0), rtol=1e-10)
        close(stats.sum_grad_squared[name], (g ** 2).sum(axis=0), rtol=1e-10)
        close(stats.variance[name], g.var(axis=0), rtol=1e-6, atol=1e-14)


def test_batch_grad_stats_of_a_model_outside_the_fast_path_uses_the_loop():
    class Gated(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.Linear(3, 2, seed=0).to(np.float64)

        def forward(self, x):
            return self.inner(x) * self.inner.weight.sum()  # a parameter outside a linear layer

    model = Gated()
    X, y = data(4, 3, 2, seed=1)
    stats = batch_grad_stats(model, F.cross_entropy, X, y, keep_per_sample=True)
    assert stats.path == "loop" and stats.grad_batch["inner.weight"].shape == (4, 2, 3)
    per = [grad(lambda p, x, t: F.cross_entropy(functional_call(model, p, (x[None],)), t[None]))(
        detached_params(model), X[i], y[i]) for i in range(4)]
    close(stats.sum_grad_squared["inner.weight"], sum(g["inner.weight"].data ** 2 for g in per))


def test_batch_grad_stats_leaves_the_model_alone_and_checks_its_batch():
    model = nn.MLP([3, 4, 2], seed=0)
    before = {name: p.data.copy() for name, p in model.named_parameters()}
    X, y = data(4, 3, 2)
    batch_grad_stats(model, F.cross_entropy, mg.tensor(X.data.astype(np.float32)), y)
    assert all(p.grad is None for p in model.parameters())
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.data, before[name])
    with pytest.raises(ValueError, match=r"inputs of shape \(4, 3\) and targets of shape \(3,\)"):
        batch_grad_stats(model, F.cross_entropy, X, mg.tensor([0, 1, 1]))


# ---- functional_call ----------------------------------------------------------------------------------
def test_functional_call_runs_the_module_on_the_given_tensors_and_restores_its_own():
    model = nn.MLP([3, 4, 2], seed=0).to(np.float64)
    originals = {name: p for name, p in model.named_parameters()}
    other = {name: rand(*p.shape, seed=i) for i, (name, p) in enumerate(model.named_parameters())}
    x = rand(5, 3, seed=9)
    out = functional_call(model, other, (x,))
    reference = nn.MLP([3, 4, 2], seed=0).to(np.float64)
    reference.load_state_dict({name: value.data for name, value in other.items()})
    close(out, reference(x).data, rtol=0, atol=0)
    assert {name: p for name, p in model.named_parameters()} == originals  # the very same objects
    assert all(isinstance(p, nn.Parameter) for p in model.parameters())


def test_functional_call_restores_the_parameters_when_the_forward_raises():
    model = nn.MLP([3, 4, 2], seed=0)
    originals = [p for p in model.parameters()]
    data_before = [p.data.copy() for p in originals]
    with pytest.raises(ValueError, match="expects inputs with 3 features"):
        functional_call(model, detached_params(model), (mg.tensor(np.ones((2, 5), dtype=np.float32)),))
    assert list(model.parameters()) == originals and model[0].weight is originals[0]
    for p, before in zip(originals, data_before):
        np.testing.assert_array_equal(p.data, before)


def test_functional_call_tied_weights_sequences_of_dicts_and_strict_false():
    first = nn.Linear(2, 2, seed=0)
    model = nn.Sequential(first, nn.ReLU(), first)  # one Linear under two names
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert [n for n, _ in model.named_parameters(remove_duplicate=False)] == ["0.weight", "0.bias", "2.weight",
                                                                               "2.bias"]
    w, b = mg.tensor([[1.0, 0.0], [0.0, 2.0]]), mg.tensor([0.5, -0.5])
    x = mg.tensor([[1.0, 1.0]])
    out = functional_call(model, [{"0.weight": w}, {"0.bias": b}], x)
    close(out, ((np.maximum(x.data @ w.data.T + b.data, 0)) @ w.data.T + b.data))
    partial = functional_call(model, {"0.weight": w}, x, strict=False)
    close(partial, (np.maximum(x.data @ w.data.T + first.bias.data, 0)) @ w.data.T + first.bias.data)


def test_functional_call_gradients_flow_to_the_given_tensors():
    model = nn.Linear(3, 1, seed=0)
    params = {name: p.detach().requires_grad_() for name, p in model.named_parameters()}
    functional_call(model, params, (mg.tensor([[1.0, 2.0, 3.0]]),)).sum().backward()
    np.testing.assert_array_equal(params["weight"].grad, [[1.0, 2.0, 3.0]])
    assert model.weight.grad is None


def test_functional_call_errors_name_the_keys_and_change_nothing():
    model = nn.MLP([3, 4, 2], seed=0)
    params = detached_params(model)
    originals = list(model.parameters())
    with pytest.raises(nn.StateDictError, match=r"unknown parameter name '0\.wieght' \(did you mean '0\.weight'\?\)"):
        functional_call(model, {**params, "0.wieght": params["0.weight"]}, rand(1, 3))
    missing = {k: v for k, v in params.items() if k != "2.bias"}
    with pytest.raises(nn.StateDictError, match=r"missing parameter '2\.bias' \(pass strict=False"):
        functional_call(model, missing, rand(1, 3))
    with pytest.raises(nn.StateDictError, match=r"'0\.bias' has shape \(5,\), but the module's parameter has shape \(4,\)"):
        functional_call(model, {**params, "0.bias": rand(5)}, rand(1, 3))
    with pytest.raises(TypeError, match="the value for '0.bias' must be a Tensor, got ndarray"):
        functional_call(model, {**params, "0.bias": np.zeros(4)}, rand(1, 3))
    with pytest.raises(TypeError, match="functional_call needs an nn.Module"):
        functional_call(lambda x: x, params, rand(1, 3))
    assert list(model.parameters()) == originals


# ---- errors of the transforms -------------------------------------------------------------------------
def test_grad_errors_name_the_values():
    x = rand(3)
    with pytest.raises(ValueError, match=r"must return a scalar \(0-dimensional\) Tensor, got shape \(3,\).*vjp or jacrev"):
        grad(lambda t: t * 2)(x)
    with pytest.raises(TypeError, match="must return a scalar Tensor, got float"):
        grad(lambda t: 1.0)(x)
    with pytest.raises(IndexError, match=r"argnums=2 asks for argument 2, but the function was called with 1 positional argument"):
        grad(lambda t: t.sum(), argnums=2)(x)
    with pytest.raises(IndexError, match=r"argnums=\(0, -3\) asks for argument -3"):
        grad(lambda a, b: a.sum(), argnums=(0, -3))(x, x)
    with pytest.raises(ValueError, match=r"argnums=\(0, -2\) names the same argument twice"):
        grad(lambda a, b: a.sum(), argnums=(0, -2))(x, x)
    with pytest.raises(TypeError, match="argnums must be an int or a non-empty tuple of ints, got '0'"):
        grad(lambda t: t.sum(), argnums="0")
    with pytest.raises(TypeError, match=r"argument 0\['w'\] must be a Tensor to be differentiated, got ndarray"):
        grad(lambda p: p["w"].sum())({"w": np.ones(2)})
    with pytest.raises(TypeError, match=r"argument 0 has dtype int64; only floating-point"):
        grad(lambda t: t.sum())(mg.tensor([1, 2]))
    with pytest.raises(TypeError, match=r"has_aux=True the function must return a pair \(output, aux\), got a tuple of length 3"):
        grad(lambda t: (t.sum(), 1, 2), has_aux=True)(x)
    with pytest.raises(TypeError, match=r"got a Tensor"):
        grad(lambda t: t.sum(), has_aux=True)(x)


def test_vjp_and_jvp_errors_name_the_values():
    _, vjp_fn = vjp(lambda a: {"out": a * 2}, rand(3))
    with pytest.raises(ValueError, match=r"cotangent\['out'\] has shape \(2,\), but the output it goes with has shape \(3,\)"):
        vjp_fn({"out": rand(2)})
    with pytest.raises(ValueError, match=r"the cotangents have structure \*, but the output has structure \{'out': \*\}"):
        vjp_fn(rand(3))
    with pytest.raises(ValueError, match=r"tangent 0 has shape \(2,\), but its primal has shape \(3,\)"):
        jvp(lambda a: a, (rand(3),), (rand(2),))
    with pytest.raises(TypeError, match="primals must be a tuple"):
        jvp(lambda a: a, rand(3), (rand(3),))
    with pytest.raises(ValueError, match="2 primals but 1 tangents"):
        jvp(lambda a, b: a, (rand(3), rand(3)), (rand(3),))


def test_vmap_errors_name_the_sizes_arguments_and_dims():
    a, b = rand(3, 2), rand(4, 2)
    add = lambda u, v: u + v  # noqa: E731
    with pytest.raises(ValueError, match=r"different batch sizes: argument 0 has 3 \(dim 0\), argument 1 has 4 \(dim 0\)"):
        vmap(add)(a, b)
    with pytest.raises(ValueError, match=r"in_dims has 1 entry, but the function was called with 2 positional arguments"):
        vmap(add, in_dims=(0,))(a, a)
    with pytest.raises(ValueError, match=r"in_dims=2 for argument 0 of shape \(3, 2\) is out of range: it must satisfy -2 <= in_dim < 2"):
        vmap(lambda u: u, in_dims=2)(a)
    with pytest.raises(ValueError, match=r"in_dims for argument 0 has keys \['w'\], but argument 0 has keys \['b', 'w'\]"):
        vmap(lambda p: p["w"], in_dims=({"w": 0},))({"w": a, "b": a})
    with pytest.raises(ValueError, match=r"in_dims for argument 0 is a tuple of structure \(\*, \*\), but argument 0 has structure \*"):
        vmap(lambda u: u, in_dims=((0, 0),))(a)
    with pytest.raises(ValueError, match=r"in_dims maps argument 1 over dim 0, but it is a float, not a Tensor"):
        vmap(lambda u, s: u * s)(a, 2.0)
    with pytest.raises(ValueError, match="maps no argument"):
        vmap(lambda u: u, in_dims=None)(a)
    with pytest.raises(ValueError, match=r"out_dims=3 for the output is out of range: one sample's result has 1 dimension"):
        vmap(lambda u: u, out_dims=3)(a)
    with pytest.raises(ValueError, match="out_dims is None for the output, but its value differs"):
        vmap(lambda u: u, out_dims=None)(a)
    with pytest.raises(TypeError, match="in_dims must hold ints or None"):
        vmap(lambda u: u, in_dims=0.5)
    with pytest.raises(TypeError, match="the output must be a Tensor, got float for sample 0"):
        vmap(lambda u: 1.0)(a)
    with pytest.raises(ValueError, match="the batch is empty"):
        vmap(lambda u: u)(rand(0, 2))


def test_transform_reprs_say_what_was_done():
    def loss(p):
        return p.sum()

    assert repr(grad(loss)) == "grad(loss, argnums=0, has_aux=False)"
    assert repr(vmap(grad(loss), in_dims=(None, 0))) == \
        "vmap(grad(loss, argnums=0, has_aux=False), in_dims=(None, 0), out_dims=0)"
    assert grad(loss).__name__ == "loss"


# ---- the benchmark --------------------------------------------------------------------------------------
def test_per_sample_benchmark_checks_its_work_and_runs(tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_per_sample.py"
    figure = tmp_path / "bench.png"
    result = subprocess.run([sys.executable, str(script), "--quick", "--json", "--no-torch", "--no-loop", "--rounds", "1",
                             "--figure", str(figure)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["us"]) == {"backward", "per_sample", "sum_grad_squared"}
    assert report["config"] == "64-128-128-10 b64" and report["target"] == 3.0
    assert report["load"].count(",") == 2  # the load average is part of the record
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["bench.png"]  # no partial file left behind


def test_per_sample_benchmark_breakdown_times_every_stage_once_per_call():
    import json
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_per_sample.py"
    result = subprocess.run([sys.executable, str(script), "--breakdown", "--quick", "--json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr  # it raises when a stage ran other than once per call
    report = json.loads(result.stdout)
    stages = report["stages_us"]
    assert report["calls"] == 20 and set(report["us"]) == {"backward", "per_sample", "fill"}
    assert stages["writing the per-sample gradients"] > 0 and stages["  the last sample run alone (the check)"] > 0
    measured = {label: us for label, us in stages.items() if "the rest" not in label}
    assert all(0 < us < report["us"]["per_sample"] for us in measured.values()), measured


def test_per_sample_benchmark_floor_times_the_fast_path_with_its_writes_replaced():
    import json
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_per_sample.py"
    result = subprocess.run([sys.executable, str(script), "--floor", "--quick", "--json", "--rounds", "1"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr  # it raises when the fill did not replace the outer products
    report = json.loads(result.stdout)
    assert report["rounds"] == 1 and report["config"] == "64-128-128-10 b64"
    assert set(report["us"]) == {"backward", "per_sample", "per_sample_filled", "per_sample_unwritten"}
    assert all(us > 0 for us in report["us"].values())


def test_the_floors_writers_stand_in_for_the_outer_products_only_while_they_run():
    import importlib.util
    import sys
    from pathlib import Path

    import minigrad.func.per_sample as per_sample
    from minigrad.func import per_sample_grads

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_per_sample.py"
    spec = importlib.util.spec_from_file_location("bench_per_sample_under_test", path)
    bench = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(bench)
    finally:
        sys.path.remove(str(path.parent))
    model = mlp64(sizes=(3, 4, 2), seed=1)
    X, y = data(5, 3, 2, seed=2)
    writer = per_sample._outer_products
    filled = bench._with_outer_products(lambda: per_sample_grads(model, F.cross_entropy, X, y), bench._fill_with_one)()
    assert np.all(filled["0.weight"].data == 1) and np.all(filled["2.weight"].data == 1)
    assert per_sample._outer_products is writer  # put back
    ordinary = per_sample_grads(model, F.cross_entropy, X, y)["0.weight"].data
    assert not np.all(ordinary == 1)


def test_per_sample_benchmark_refuses_a_figure_path_it_cannot_write(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_per_sample.py"
    for bad in (tmp_path / "chart.svg", tmp_path / "missing" / "chart.png"):
        result = subprocess.run([sys.executable, str(script), "--figure", str(bad)], capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 2 and f"--figure must be a .png path in an existing directory, got '{bad}'" in result.stderr
    assert list(tmp_path.iterdir()) == []



def test_a_branch_on_the_raw_data_is_caught_by_the_last_sample_check_and_loops():
    from minigrad.func import functional_call, grad, vmap

    model = mlp64(sizes=(3, 4, 2), activation="tanh", seed=3)
    params = detached_params(model)
    X, y = data(6, 3, 2, seed=4)
    X.data[0] = -np.abs(X.data[0]) - 1
    X.data[-1] = np.abs(X.data[-1]) + 1  # the last sample takes the other branch

    def loss(params, x, y):
        value = nn.functional.cross_entropy(functional_call(model, params, (x[None],)), y[None])
        return value * 3 if x.data.sum() > 0 else value  # reads .data: invisible to the trace

    batched = vmap(grad(loss), in_dims=(None, 0, 0))
    result = batched(params, X, y)
    assert batched.last_path == "loop" and "depend on its data" in batched.fallback_reason
    for i in range(6):
        one = grad(loss)(params, X[i], y[i])
        for name in one:
            np.testing.assert_allclose(result[name].data[i], one[name].data, rtol=1e-12)


def test_the_mlp_activation_derivative_accessor_is_the_fused_backwards_own_and_names_bad_activations():
    # per-sample gradients replay the MLP's backward with this accessor: one table of derivatives
    y = np.array([[-1.0, 0.0, 0.5, 2.0]])
    for activation, expected in (("relu", y > 0), ("tanh", 1 - y * y), ("sigmoid", y * (1 - y))):
        d = np.full_like(y, 3.0)
        nn.functional.scale_by_mlp_activation_derivative(activation)(d, y)
        np.testing.assert_array_equal(d, 3.0 * expected)
    with pytest.raises(ValueError, match="activation must be one of relu, tanh, sigmoid, got 'gelu'"):
        nn.functional.scale_by_mlp_activation_derivative("gelu")
