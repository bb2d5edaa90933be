"""L-BFGS: the same iterates and counters as torch.optim.LBFGS, the flat buffers, resume, bad input."""
import copy

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim
from minigrad.optim import functional as F


def rosenbrock(v: np.ndarray) -> tuple[float, np.ndarray]:
    """The n-dimensional Rosenbrock function sum 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2 and its gradient."""
    x, y = v[:-1], v[1:]
    loss = float(np.sum(100 * (y - x * x) ** 2 + (1 - x) ** 2))
    grad = np.zeros_like(v)
    grad[:-1] += -400 * x * (y - x * x) - 2 * (1 - x)
    grad[1:] += 200 * (y - x * x)
    return loss, grad


def split(v: np.ndarray, shapes) -> list[np.ndarray]:
    sizes = np.cumsum([int(np.prod(s)) for s in shapes])[:-1]
    return [piece.reshape(shape) for piece, shape in zip(np.split(v, sizes), shapes)]


def rosenbrock_closure(params, optimizer, to_array, set_grad):
    """A closure that sets every parameter's gradient from the joint Rosenbrock function."""
    shapes = [tuple(p.shape) for p in params]

    def closure():
        optimizer.zero_grad()
        v = np.concatenate([to_array(p).ravel() for p in params])
        loss, grad = rosenbrock(v)
        for p, g in zip(params, split(grad, shapes)):
            set_grad(p, g)
        return loss
    return closure


START = np.array([-1.2, 1.0, -0.5, 0.8, 1.3])


def run_minigrad(shapes, steps, **options):
    params = [mg.Tensor(piece.copy(), requires_grad=True) for piece in split(START[:sum(map(int, map(np.prod, shapes)))], shapes)]
    optimizer = optim.LBFGS(params, **options)
    closure = rosenbrock_closure(params, optimizer, lambda p: p.data, lambda p, g: setattr(p, "grad", g))
    losses = [optimizer.step(closure) for _ in range(steps)]
    return params, optimizer, losses


# PyTorch's CPU kernels fuse q + a * y into one rounding and sum dot products in their own
# order; L-BFGS amplifies such last-bit differences (to 1e-6 for a step here, before they
# shrink again near the minimum), so the iterates are compared to 1e-5, and every decision
# (evaluations, iterations, history length) must be the same. On two coordinates, where the
# sums agree, tests/optim/test_exactness.py checks the iterates bit for bit.
@pytest.mark.parametrize("shapes", [[(2,)], [(2,), (3,)], [(1,), (2, 2)]], ids=str)
@pytest.mark.parametrize("options", [
    {"lr": 0.5, "history_size": 10},
    {"lr": 0.5, "history_size": 3, "max_iter": 7},
    {"lr": 1.0, "line_search_fn": "strong_wolfe"},
    {"lr": 0.3, "line_search_fn": "strong_wolfe", "history_size": 4, "max_iter": 12, "max_eval": 30},
    {"lr": 1.0, "line_search_fn": "strong_wolfe", "tolerance_grad": 1e-5, "tolerance_change": 1e-6},
], ids=str)
def test_rosenbrock_matches_torch(shapes, options):
    torch = pytest.importorskip("torch")
    size = sum(int(np.prod(s)) for s in shapes)
    ours, optimizer, our_losses = run_minigrad(shapes, 0, **options)
    theirs = [torch.tensor(p.data.copy(), requires_grad=True) for p in ours]
    reference = torch.optim.LBFGS(theirs, **options)
    closure = rosenbrock_closure(ours, optimizer, lambda p: p.data, lambda p, g: setattr(p, "grad", g))
    their_closure = rosenbrock_closure(theirs, reference, lambda p: p.detach().numpy(),
                                       lambda p, g: setattr(p, "grad", torch.from_numpy(g)))
    for step in range(15):
        our_loss, their_loss = optimizer.step(closure), reference.step(their_closure)
        assert our_loss == pytest.approx(float(their_loss), abs=1e-6), f"step {step}"
        ours_v = np.concatenate([p.data.ravel() for p in ours])
        theirs_v = np.concatenate([p.detach().numpy().ravel() for p in theirs])
        np.testing.assert_allclose(ours_v, theirs_v, rtol=0, atol=1e-5, err_msg=f"step {step}")
        state, their_state = optimizer.state[ours[0]], reference.state[theirs[0]]
        assert (state["func_evals"], state["n_iter"]) == (their_state["func_evals"], their_state["n_iter"])
        assert len(state["old_dirs"]) == len(their_state["old_dirs"])
        # y.s / y.y from differences of nearby gradients: the amplified differences show most here
        assert state["H_diag"] == pytest.approx(float(their_state["H_diag"]), rel=1e-3)
    np.testing.assert_allclose(ours_v, np.ones(size), atol=1e-3)


def test_the_flat_buffer_and_separate_arrays_give_the_same_bits():
    shapes = [(2,), (3,)]
    flat_params, flat_opt, flat_losses = run_minigrad(shapes, 5, lr=1.0, line_search_fn="strong_wolfe")
    assert len(flat_opt._chunks[0]) == 1 and flat_opt._chunks[0][0].flat
    own = [mg.Tensor(piece.copy(), requires_grad=True) for piece in split(START, shapes)]
    own_opt = optim.LBFGS(own, lr=1.0, line_search_fn="strong_wolfe", flat=False)
    closure = rosenbrock_closure(own, own_opt, lambda p: p.data, lambda p, g: setattr(p, "grad", g))
    own_losses = [own_opt.step(closure) for _ in range(5)]
    assert own_losses == flat_losses
    for p, q in zip(flat_params, own):
        np.testing.assert_array_equal(p.data, q.data)


def test_an_mlp_trained_with_lbfgs_through_backward():
    rng = np.random.default_rng(0)
    x = mg.Tensor(rng.standard_normal((40, 3)))
    target = (x.data[:, 0] + x.data[:, 1] > 0).astype(np.int64)
    model = mg.nn.MLP([3, 8, 2], seed=0, dtype=np.float64)
    optimizer = optim.LBFGS(model.parameters(), line_search_fn="strong_wolfe", max_iter=50)

    def closure():
        optimizer.zero_grad()
        loss = mg.nn.functional.cross_entropy(model(x), target)
        loss.backward()
        return loss

    first = float(optimizer.step(closure).item())
    final = float(closure().item())
    assert final < 0.2 * first


@pytest.mark.parametrize("options", [{"lr": 0.5}, {"lr": 1.0, "line_search_fn": "strong_wolfe", "history_size": 3}],
                         ids=str)
def test_state_dict_round_trip_resumes_bit_for_bit(options):
    shapes = [(2,), (3,)]
    params, optimizer, _ = run_minigrad(shapes, 2, max_iter=3, **options)
    saved = copy.deepcopy(optimizer.state_dict())
    assert set(saved["state"]) == {0}
    assert {"d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "prev_loss",
            "func_evals", "n_iter"} == set(saved["state"][0])
    resumed = [mg.Tensor(p.data.copy(), requires_grad=True) for p in params]
    other = optim.LBFGS(resumed, max_iter=3, **options)
    other.load_state_dict(saved)
    closure = rosenbrock_closure(params, optimizer, lambda p: p.data, lambda p, g: setattr(p, "grad", g))
    other_closure = rosenbrock_closure(resumed, other, lambda p: p.data, lambda p, g: setattr(p, "grad", g))
    for _ in range(4):
        assert optimizer.step(closure) == other.step(other_closure)
    for p, q in zip(params, resumed):
        np.testing.assert_array_equal(p.data, q.data)
    saved["state"][0]["old_dirs"][0][...] = 99.0  # the state dict holds copies
    assert not (optimizer.state[params[0]]["old_dirs"][0] == 99.0).any()


def test_a_state_dict_that_does_not_fit_changes_nothing():
    params, optimizer, _ = run_minigrad([(2,), (3,)], 2, lr=0.5)
    good = optimizer.state_dict()
    for mangle, error, pattern in [
        (lambda s: s["state"][0].__setitem__("d", np.zeros(4)), ValueError, r"d of shape \(4,\).*5 real numbers"),
        (lambda s: s["state"][0]["ro"].append(1.0), ValueError, r"old_dirs, old_stps and ro .* one length"),
        (lambda s: s["state"][0].pop("H_diag"), ValueError, r"lacks \['H_diag'\]"),
        (lambda s: s["state"][0].__setitem__("n_iter", -1), ValueError, r"n_iter=-1"),
        (lambda s: s["state"][0].__setitem__("t", "far"), TypeError, r"t='far'"),
        (lambda s: s["state"].__setitem__(1, s["state"].pop(0)), ValueError, r"parameter 0.*parameter 1"),
        (lambda s: s["param_groups"][0].__setitem__("history_size", 0), ValueError, r"history_size: 0"),
    ]:
        wrong = copy.deepcopy(good)
        wrong["param_groups"][0]["lr"] = 0.125
        mangle(wrong)
        with pytest.raises(error, match=pattern):
            optimizer.load_state_dict(wrong)
        after = optimizer.state_dict()
        assert after["param_groups"] == good["param_groups"]
        np.testing.assert_array_equal(after["state"][0]["d"], good["state"][0]["d"])


@pytest.mark.parametrize("make, error, pattern", [
    (lambda p: optim.LBFGS(p, lr=-1.0), ValueError, r"lr: -1\.0"),
    (lambda p: optim.LBFGS(p, history_size=0), ValueError, r"history_size: 0"),
    (lambda p: optim.LBFGS(p, history_size=2.5), ValueError, r"history_size: 2\.5"),
    (lambda p: optim.LBFGS(p, max_iter=0), ValueError, r"max_iter: 0"),
    (lambda p: optim.LBFGS(p, max_eval=0), ValueError, r"max_eval: 0"),
    (lambda p: optim.LBFGS(p, tolerance_grad=-1e-7), ValueError, r"tolerance_grad: -1e-07"),
    (lambda p: optim.LBFGS(p, tolerance_change=-1.0), ValueError, r"tolerance_change: -1\.0"),
    (lambda p: optim.LBFGS(p, line_search_fn="armijo"), ValueError, r"line_search_fn: 'armijo'.*None or 'strong_wolfe'"),
    (lambda p: optim.LBFGS([{"params": p[:1]}, {"params": p[1:], "lr": 0.1}]), ValueError,
     r"one parameter group.*got 2"),
    (lambda p: optim.LBFGS([p[0], mg.Tensor(np.zeros(2, np.float32), requires_grad=True)]), ValueError,
     r"one dtype.*\['float32', 'float64'\]"),
])
def test_bad_arguments_are_named(make, error, pattern):
    params = [mg.Tensor(np.zeros(2), requires_grad=True), mg.Tensor(np.zeros(3), requires_grad=True)]
    with pytest.raises(error, match=pattern):
        make(params)
    assert all(p.data.base is None for p in params)  # nothing moved into a flat buffer


def test_a_second_group_is_refused():
    optimizer = optim.LBFGS([mg.Tensor(np.zeros(2), requires_grad=True)])
    with pytest.raises(ValueError, match="one parameter group"):
        optimizer.add_param_group({"params": [mg.Tensor(np.zeros(2), requires_grad=True)]})
    assert len(optimizer.param_groups) == 1


@pytest.mark.parametrize("flat, shapes", [(True, [(2,), (3,)]), (False, [(2,), (3,)]), (True, [(5,)])],
                         ids=["flat-buffer", "separate-arrays", "one-parameter-in-place"])
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_a_closure_without_a_loss_or_failing_midway_changes_nothing(flat, shapes, line_search_fn):
    params, optimizer, _ = run_minigrad(shapes, 0, lr=0.5, line_search_fn=line_search_fn, flat=flat)
    good = rosenbrock_closure(params, optimizer, lambda p: p.data, lambda p, g: setattr(p, "grad", g))
    optimizer.step(good)
    before_params = [p.data.copy() for p in params]
    before_state = copy.deepcopy(optimizer.state_dict())

    def unchanged():
        for p, b in zip(params, before_params):
            np.testing.assert_array_equal(p.data, b)
        after = optimizer.state_dict()["state"][0]
        assert after["n_iter"] == before_state["state"][0]["n_iter"]
        assert len(after["old_dirs"]) == len(before_state["state"][0]["old_dirs"])
        np.testing.assert_array_equal(after["d"], before_state["state"][0]["d"])

    def no_loss():
        good()
        return None
    with pytest.raises(TypeError, match=r"closure returned None.*return loss"):
        optimizer.step(no_loss)
    unchanged()

    calls = []

    def fails_on_the_third_call():
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("out of data")
        return good()
    with pytest.raises(RuntimeError, match="out of data"):
        optimizer.step(fails_on_the_third_call)
    unchanged()

    with pytest.raises(TypeError, match=r"needs a closure"):
        optimizer.step()
    with pytest.raises(ValueError, match=r"shape \(2, 3\)"):
        optimizer.step(lambda: mg.Tensor(np.zeros((2, 3))))
    unchanged()


def test_functional_lbfgs_on_a_plain_array_solves_a_quadratic():
    """The lab's use: a point, a closure giving (loss, gradient) there, a state dict."""
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    b = np.array([1.0, -1.0])
    point = np.array([4.0, -3.0])
    state = F.lbfgs_init(point)

    def closure():
        return float(point @ A @ point / 2 - b @ point), A @ point - b

    trace = {}
    # tolerance_change=0: stop on the gradient (|g| <= 1e-7), not on a tiny change of the loss
    first = F.lbfgs(point, closure, state, line_search_fn="strong_wolfe", tolerance_change=0.0, trace=trace)
    assert first == pytest.approx((3 * 16 + 2 * 4 * -3 + 2 * 9) / 2 - (4 + 3), rel=1e-12)
    np.testing.assert_allclose(point, np.linalg.solve(A, b), atol=1e-7)
    assert state["n_iter"] <= 10 and set(trace) == {"direction", "step_size", "evaluations"}
