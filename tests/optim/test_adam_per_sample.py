"""Adam(second_moment="per_sample"): seeds/000's minibatch Adam, whose v sums the per-sample
squared gradients, checked against the slide's equations written out sample by sample."""
import copy

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.func import batch_grad_stats
from minigrad.optim import functional as F

cross_entropy = nn.functional.cross_entropy


def problem(seed=0, batch=6):
    """A tiny float64 classifier and one batch."""
    model = nn.MLP([3, 5, 3], seed=seed, dtype=np.float64)
    rng = np.random.default_rng(seed)
    X = mg.tensor(rng.standard_normal((batch, 3)))
    y = mg.tensor(rng.integers(0, 3, size=batch))
    return model, X, y


def per_sample_gradients_by_loop(model, X, y):
    """dl_i/dphi for each sample i by its own forward and backward: [sample][parameter]."""
    gradients = []
    for i in range(X.shape[0]):
        for param in model.parameters():
            param.grad = None
        cross_entropy(model(mg.tensor(X.data[i:i + 1])), mg.tensor(y.data[i:i + 1])).backward()
        gradients.append([np.asarray(param.grad).copy() for param in model.parameters()])
    return gradients


def slide_adam(model, X, y, steps, alpha, beta, gamma, eps, amsgrad=False, decoupled_decay=0.0):
    """seeds/000's equations, literally, on ``model``'s parameters (their data replaced)."""
    params = list(model.parameters())
    m = [np.zeros_like(p.data) for p in params]
    v = [np.zeros_like(p.data) for p in params]
    v_max = [np.zeros_like(p.data) for p in params]
    for t in range(steps):
        per_sample = per_sample_gradients_by_loop(model, X, y)
        for k, param in enumerate(params):
            grad_sum = sum(sample[k] for sample in per_sample)             # sum_i dl_i/dphi
            squares_sum = sum(sample[k] ** 2 for sample in per_sample)     # sum_i (dl_i/dphi)^2
            phi = param.data * (1 - alpha * decoupled_decay)
            m[k] = beta * m[k] + (1 - beta) * grad_sum
            v[k] = gamma * v[k] + (1 - gamma) * squares_sum
            v_max[k] = np.maximum(v_max[k], v[k])
            m_tilde = m[k] / (1 - beta ** (t + 1))
            v_tilde = (v_max[k] if amsgrad else v[k]) / (1 - gamma ** (t + 1))
            param.data = phi - alpha * m_tilde / (np.sqrt(v_tilde) + eps)
    return [p.data for p in params]


def values(model):
    return [np.array(p.data, copy=True) for p in model.parameters()]


# ---- the slide's numbers -----------------------------------------------------------------------

def test_two_steps_computed_by_hand():
    phi = mg.Tensor(np.array([1.0]), requires_grad=True)
    opt = optim.Adam([phi], lr=0.1, eps=1e-7, second_moment="per_sample")
    # Step 1: per-sample gradients 1 and -3: sum -2, sum of squares 10 (PyTorch's Adam would use 4).
    phi.grad = np.array([-2.0])
    opt.step(sum_grad_squared=[np.array([10.0])])
    # m = 0.1 * -2 = -0.2, v = 0.001 * 10 = 0.01; m~ = -2, v~ = 10.
    assert phi.data[0] == pytest.approx(1.0 + 0.1 * 2 / (np.sqrt(10) + 1e-7), rel=1e-15)
    after_one = phi.data[0]
    # Step 2: per-sample gradients 2 and 2: sum 4, sum of squares 8.
    phi.grad = np.array([4.0])
    opt.step(sum_grad_squared=[np.array([8.0])])
    m = 0.9 * -0.2 + 0.1 * 4                    # 0.22
    v = 0.999 * 0.01 + 0.001 * 8                # 0.01799
    m_tilde, v_tilde = m / (1 - 0.9 ** 2), v / (1 - 0.999 ** 2)
    assert phi.data[0] == pytest.approx(after_one - 0.1 * m_tilde / (np.sqrt(v_tilde) + 1e-7), rel=1e-14)
    # PyTorch's Adam on the same sum takes a different first step: 0.1 * 2 / (sqrt(4) + eps).
    other = mg.Tensor(np.array([1.0]), requires_grad=True)
    batch_adam = optim.Adam([other], lr=0.1, eps=1e-7)
    other.grad = np.array([-2.0])
    batch_adam.step()
    assert other.data[0] == pytest.approx(1.0 + 0.2 / (2 + 1e-7), rel=1e-15)


@pytest.mark.parametrize("options", [{}, {"amsgrad": True}, {"weight_decay": 0.1, "decoupled_weight_decay": True}],
                         ids=["plain", "amsgrad", "decoupled-decay"])
def test_steps_follow_the_slide_equations_sample_by_sample(options):
    model, X, y = problem()
    reference, _, _ = problem()
    opt = optim.Adam(model.parameters(), lr=0.05, eps=1e-7, second_moment="per_sample", **options)
    for _ in range(5):
        opt.step_on_batch(model, cross_entropy, X, y)
    expected = slide_adam(reference, X, y, steps=5, alpha=0.05, beta=0.9, gamma=0.999, eps=1e-7,
                          amsgrad=options.get("amsgrad", False), decoupled_decay=options.get("weight_decay", 0.0))
    for ours, theirs in zip(values(model), expected):
        np.testing.assert_allclose(ours, theirs, rtol=1e-11, atol=1e-14)


def test_the_batched_pass_equals_the_loop_over_samples():
    model, X, y = problem(seed=1, batch=8)
    assert batch_grad_stats(model, cross_entropy, X, y).path == "per-sample"  # the fast path is taken
    looped = copy.deepcopy(model)
    fast_opt = optim.Adam(model.parameters(), lr=0.02, second_moment="per_sample")
    loop_opt = optim.Adam(looped.parameters(), lr=0.02, second_moment="per_sample")
    for _ in range(4):
        fast_loss = fast_opt.step_on_batch(model, cross_entropy, X, y)
        per_sample = per_sample_gradients_by_loop(looped, X, y)
        params = list(looped.parameters())
        for k, param in enumerate(params):
            param.grad = sum(sample[k] for sample in per_sample)
        loop_opt.step(sum_grad_squared=[sum(sample[k] ** 2 for sample in per_sample) for k in range(len(params))])
    for ours, theirs in zip(values(model), values(looped)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    assert float(fast_loss) > 0


def test_a_dict_keyed_by_parameters_equals_a_list():
    model, X, y = problem()
    twin = copy.deepcopy(model)
    stats = batch_grad_stats(model, cross_entropy, X, y)
    names = [name for name, _ in model.named_parameters()]
    for net, as_dict in ((model, False), (twin, True)):
        opt = optim.Adam(net.parameters(), lr=0.01, second_moment="per_sample")
        params = list(net.parameters())
        for name, param in zip(names, params):
            param.grad = stats.grad_sum[name].data.copy()
        squares = [stats.sum_grad_squared[name] for name in names]  # Tensors are accepted too
        opt.step(sum_grad_squared=dict(zip(params, squares)) if as_dict else squares)
    for a, b in zip(values(model), values(twin)):
        assert np.array_equal(a, b)


def test_mean_reduction_is_the_sum_with_eps_scaled_by_the_batch_size():
    """m and sqrt(v) both shrink by B under reduction='mean', so only eps weighs differently:
    mean with eps equals sum with B * eps."""
    batch = 6
    model, X, y = problem(batch=batch)
    twin = copy.deepcopy(model)
    mean_opt = optim.Adam(model.parameters(), lr=0.05, eps=1e-3, second_moment="per_sample")
    sum_opt = optim.Adam(twin.parameters(), lr=0.05, eps=1e-3 * batch, second_moment="per_sample")
    for _ in range(4):
        mean_loss = mean_opt.step_on_batch(model, cross_entropy, X, y, reduction="mean")
        sum_loss = sum_opt.step_on_batch(twin, cross_entropy, X, y, reduction="sum")
    for a, b in zip(values(model), values(twin)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    assert float(sum_loss) == pytest.approx(batch * float(mean_loss), rel=1e-12)


def test_a_batch_group_steps_as_pytorchs_adam_on_the_summed_gradient():
    model, X, y = problem()
    twin = copy.deepcopy(model)
    optim.Adam(model.parameters(), lr=0.03).step_on_batch(model, cross_entropy, X, y)
    twin_opt = optim.Adam(twin.parameters(), lr=0.03)
    cross_entropy(twin(X), y, reduction="sum").backward()
    twin_opt.step()
    for a, b in zip(values(model), values(twin)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_flat_and_per_parameter_updates_give_the_same_bits():
    model, X, y = problem()
    twin = copy.deepcopy(model)
    flat = optim.Adam(model.parameters(), lr=0.05, second_moment="per_sample")
    separate = optim.Adam(twin.parameters(), lr=0.05, second_moment="per_sample", flat=False)
    for _ in range(3):
        flat.step_on_batch(model, cross_entropy, X, y)
        separate.step_on_batch(twin, cross_entropy, X, y)
    for a, b in zip(values(model), values(twin)):
        assert np.array_equal(a, b)


def test_state_dict_round_trip_resumes_bit_for_bit():
    model, X, y = problem()
    opt = optim.Adam(model.parameters(), lr=0.05, amsgrad=True, second_moment="per_sample")
    for _ in range(3):
        opt.step_on_batch(model, cross_entropy, X, y)
    saved_model, saved_state = copy.deepcopy(model), opt.state_dict()
    assert saved_state["param_groups"][0]["second_moment"] == "per_sample"
    for _ in range(3):
        opt.step_on_batch(model, cross_entropy, X, y)
    resumed = optim.Adam(saved_model.parameters(), lr=1.0)
    resumed.load_state_dict(saved_state)
    assert resumed.param_groups[0]["second_moment"] == "per_sample"
    for _ in range(3):
        resumed.step_on_batch(saved_model, cross_entropy, X, y)
    for a, b in zip(values(model), values(saved_model)):
        assert np.array_equal(a, b)


def test_a_state_dict_saved_before_the_option_loads_as_pytorchs_adam():
    model, X, y = problem()
    opt = optim.Adam(model.parameters(), lr=0.05)
    opt.step_on_batch(model, cross_entropy, X, y)
    saved = opt.state_dict()
    for group in saved["param_groups"]:
        del group["second_moment"]
    other = optim.Adam(copy.deepcopy(model).parameters(), second_moment="per_sample")
    other.load_state_dict(saved)
    assert other.param_groups[0]["second_moment"] == "batch"


def test_the_functional_rule_only_changes_vs_input():
    rng = np.random.default_rng(3)
    param, grad = rng.standard_normal(5), rng.standard_normal(5)
    ours, theirs = param.copy(), param.copy()
    ours_state, theirs_state = F.adam_init(param), F.adam_init(param)
    F.adam(ours, grad, ours_state, lr=0.1, sum_grad_squared=grad * grad)  # one sample: sum_i g_i^2 = g^2
    F.adam(theirs, grad, theirs_state, lr=0.1)
    np.testing.assert_allclose(ours, theirs, rtol=1e-14)
    assert np.array_equal(ours_state["exp_avg"], theirs_state["exp_avg"])
    with pytest.raises(ValueError, match=r"weight_decay=0\.1.*decoupled_weight_decay=True"):
        F.adam(ours, grad, ours_state, weight_decay=0.1, sum_grad_squared=grad * grad)


# ---- bad input: a named error, nothing changed ---------------------------------------------

def snapshot(opt, model):
    return values(model), copy.deepcopy(opt.state_dict())


def assert_unchanged(opt, model, before):
    params, state = before
    for a, b in zip(values(model), params):
        assert np.array_equal(a, b)
    after = opt.state_dict()
    assert after["state"].keys() == state["state"].keys()
    for index, saved in state["state"].items():
        assert after["state"][index]["step"] == saved["step"]
        assert all(np.array_equal(after["state"][index][k], saved[k]) for k in saved if k != "step")


@pytest.fixture
def stepped():
    """A per-sample Adam after one step, every parameter with a gradient."""
    model, X, y = problem()
    opt = optim.Adam(model.parameters(), lr=0.05, second_moment="per_sample")
    opt.step_on_batch(model, cross_entropy, X, y)
    cross_entropy(model(X), y, reduction="sum").backward()
    return model, opt, X, y


def test_stepping_without_the_squares_names_what_to_pass(stepped):
    model, opt, _, _ = stepped
    before = snapshot(opt, model)
    with pytest.raises(RuntimeError, match=r"second_moment='per_sample'.*parameter 0 .*sum_grad_squared=.*step_on_batch"):
        opt.step()
    assert_unchanged(opt, model, before)


@pytest.mark.parametrize("make, error, message", [
    (lambda params: [np.ones(p.shape) for p in params[:-1]], ValueError, r"got 3 entries for the optimizer's 4"),
    (lambda params: [np.ones((2, 2))] + [np.ones(p.shape) for p in params[1:]], ValueError,
     r"parameter 0 .*has shape \(2, 2\); it must have the parameter's shape"),
    (lambda params: [np.ones(p.shape) for p in params[:-1]] + [-np.ones(params[-1].shape)], ValueError,
     r"parameter 3 .*negative entry.*was a gradient passed instead"),
    (lambda params: {"0.weight": np.ones(params[0].shape)}, TypeError, r"keyed by names.*named_parameters"),
    (lambda params: {mg.Tensor(np.ones(2)): np.ones(2)}, ValueError, r"not parameters of this optimizer"),
    (lambda params: np.ones(3), TypeError, r"list or tuple .*got a ndarray"),
    (lambda params: [list(np.ones(p.shape)) for p in params], TypeError, r"parameter 0 .*is a list, not an array"),
    (lambda params: [np.ones(p.shape, dtype=complex) for p in params], TypeError, r"dtype complex128"),
], ids=["too-few", "shape", "negative", "names", "stranger", "array", "list-entry", "complex"])
def test_bad_sum_grad_squared_is_refused_before_anything_changes(stepped, make, error, message):
    model, opt, _, _ = stepped
    before = snapshot(opt, model)
    with pytest.raises(error, match=message):
        opt.step(sum_grad_squared=make(list(model.parameters())))
    assert_unchanged(opt, model, before)


def test_squares_given_to_pytorchs_adam_are_refused_not_ignored():
    model, X, y = problem()
    opt = optim.Adam(model.parameters())
    cross_entropy(model(X), y).backward()
    before = snapshot(opt, model)
    with pytest.raises(ValueError, match=r"second_moment='batch' and would ignore it"):
        opt.step(sum_grad_squared=[np.ones(p.shape) for p in model.parameters()])
    assert_unchanged(opt, model, before)


@pytest.mark.parametrize("options, message", [
    ({"second_moment": "per-sample"}, r"Invalid second_moment: 'per-sample'"),
    ({"second_moment": "per_sample", "weight_decay": 0.01}, r"L2 weight_decay=0\.01 is not defined.*AdamW"),
])
def test_bad_options_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        optim.Adam(problem()[0].parameters(), **options)


def test_adamw_takes_the_per_sample_option():
    model, X, y = problem()
    opt = optim.AdamW(model.parameters(), lr=0.05, second_moment="per_sample")
    opt.step_on_batch(model, cross_entropy, X, y)
    assert opt.param_groups[0]["second_moment"] == "per_sample"


def test_step_on_batch_refuses_a_foreign_model_and_a_bad_reduction():
    model, X, y = problem()
    opt = optim.Adam(model.parameters(), second_moment="per_sample")
    before = snapshot(opt, model)
    with pytest.raises(ValueError, match=r"parameter\(s\) \[0, 1, 2, 3\].*not parameters of the model given"):
        opt.step_on_batch(problem()[0], cross_entropy, X, y)
    with pytest.raises(ValueError, match=r"Invalid reduction: 'avg'"):
        opt.step_on_batch(model, cross_entropy, X, y, reduction="avg")
    assert_unchanged(opt, model, before)
    assert all(p.grad is None for p in model.parameters())


def test_lookahead_passes_the_squares_to_a_per_sample_adam_inside_it():
    model, X, y = problem()
    twin = copy.deepcopy(model)
    stats = batch_grad_stats(model, cross_entropy, X, y)
    names = [name for name, _ in model.named_parameters()]
    squares = [stats.sum_grad_squared[name] for name in names]
    inner = optim.Adam(model.parameters(), lr=0.01, second_moment="per_sample")
    wrapped = optim.Lookahead(optim.Adam(twin.parameters(), lr=0.01, second_moment="per_sample"), sync_period=2)
    for net in (model, twin):
        for name, param in zip(names, net.parameters()):
            param.grad = stats.grad_sum[name].data.copy()
    inner.step(sum_grad_squared=squares)
    wrapped.step(sum_grad_squared=squares)  # before its first sync, Lookahead is the inner step
    for a, b in zip(values(model), values(twin)):
        assert np.array_equal(a, b)
