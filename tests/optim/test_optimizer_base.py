"""Optimizer base behaviour: groups, lazy state, zero_grad, flat buffers, state_dict, bad input."""
import copy

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim

ALL = [
    (optim.SGD, {"lr": 0.1}),
    (optim.Momentum, {"lr": 0.1}),
    (optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    (optim.AdaGrad, {"lr": 0.1, "initial_accumulator_value": 0.1}),
    (optim.RMSProp, {"lr": 0.01, "momentum": 0.5, "centered": True}),
    (optim.Adam, {"lr": 0.01, "amsgrad": True}),
    (optim.AdamW, {"lr": 0.01}),
    (optim.Adamax, {"lr": 0.01, "weight_decay": 0.01}),
    (optim.Adadelta, {"lr": 1.0, "weight_decay": 0.01}),
    (optim.NAdam, {"lr": 0.01, "weight_decay": 0.01, "decoupled_weight_decay": True}),
    (optim.RAdam, {"lr": 0.01, "betas": (0.5, 0.7)}),  # beta2 = 0.7: rectified from step 10 on
    (optim.Rprop, {"lr": 0.01, "maximize": True}),
    (optim.ASGD, {"lr": 0.01, "t0": 3.0, "weight_decay": 0.01}),
    (optim.Lion, {"lr": 0.01, "weight_decay": 0.01}),
    (optim.AdaBelief, {"lr": 0.01, "nesterov": True}),
    (optim.Yogi, {"lr": 0.01}),
    (optim.LAMB, {"lr": 0.01, "weight_decay": 0.01}),
    (optim.ScheduleFreeSGD, {"lr": 0.1, "weight_decay": 0.01, "warmup_steps": 3}),
    (optim.ScheduleFreeAdamW, {"lr": 0.01, "weight_decay": 0.01}),
]
IDS = [f"{cls.__name__}-{options}" for cls, options in ALL]


def make_params(seed=0, shapes=((3, 2), (2,), (4,)), dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [mg.Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True) for shape in shapes]


def set_grads(params, step, skip=()):
    for index, p in enumerate(params):
        p.grad = None if index in skip else np.cos(p.data * (step + 1)) + 0.1 * p.data


def test_groups_are_filled_from_defaults():
    a, b = make_params()[:2]
    optimizer = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.5, "betas": (0.8, 0.9)}], lr=0.01)
    first, second = optimizer.param_groups
    assert first["lr"] == 0.01 and first["betas"] == (0.9, 0.999) and first["params"] == [a]
    assert second["lr"] == 0.5 and second["betas"] == (0.8, 0.9) and second["eps"] == 1e-8


def test_state_is_created_lazily_and_none_grads_are_skipped():
    params = make_params()
    optimizer = optim.Adam(params, lr=0.1)
    assert optimizer.state == {}
    before = [p.data.copy() for p in params]
    set_grads(params, 0, skip={1})
    optimizer.step()
    assert params[0] in optimizer.state and params[1] not in optimizer.state
    np.testing.assert_array_equal(params[1].data, before[1])
    assert not np.array_equal(params[0].data, before[0])
    assert optimizer.state[params[0]]["step"] == 1


def test_zero_grad_sets_none_or_zeros_in_place():
    params = make_params()
    optimizer = optim.SGD(params, lr=0.1)
    set_grads(params, 0)
    optimizer.step()
    optimizer.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in params)
    optimizer.zero_grad()
    assert all(p.grad is None for p in params)


def test_backward_accumulates_into_the_flat_gradient_after_zero_grad_false():
    w = mg.Tensor(np.ones((2, 2)), requires_grad=True)
    b = mg.Tensor(np.zeros(2), requires_grad=True)
    optimizer = optim.SGD([w, b], lr=0.1)
    x = mg.Tensor(np.array([[1.0, 2.0]]))
    for _ in range(2):
        optimizer.zero_grad(set_to_none=False)
        ((x @ w + b) ** 2).sum().backward()
        expected_w = w.data - 0.1 * (x.data.T @ (2 * (x.data @ w.data + b.data)))
        optimizer.step()
        np.testing.assert_allclose(w.data, expected_w)


def _mlp_grads(model, x, target, extra=None):
    loss = mg.nn.functional.cross_entropy(model(x), target)
    if extra is not None:
        loss = loss + extra(model)
    loss.backward()
    return [np.array(p.grad) for p in model.parameters()]


def _mlp_and_twin():
    """An MLP given to an optimizer, and an identical one that is not."""
    model = mg.nn.MLP([3, 5, 2], seed=0, dtype=np.float64)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    return model, optimizer, mg.nn.MLP([3, 5, 2], seed=0, dtype=np.float64)


X = mg.Tensor(np.random.default_rng(0).normal(size=(8, 3)))
TARGET = np.arange(8) % 2


def test_an_mlp_writes_its_gradients_straight_into_the_optimizers_buffer():
    model, optimizer, twin = _mlp_and_twin()
    buffer = optimizer._chunks[0][0].grad_flat
    for _ in range(2):  # zero_grad sets None; the next backward writes into the buffer again
        optimizer.zero_grad()
        twin.zero_grad()
        got, want = _mlp_grads(model, X, TARGET), _mlp_grads(twin, X, TARGET)
        for p, g, w in zip(model.parameters(), got, want):
            assert np.shares_memory(p.grad, buffer)
            np.testing.assert_array_equal(g, w)
        optimizer.step()
        twin.load_state_dict(model.state_dict())


def test_a_parameter_used_twice_gets_the_sum_of_both_gradients():
    model, _, twin = _mlp_and_twin()
    tied = lambda m: (m[0].weight * m[0].weight).sum()  # noqa: E731
    for got, want in zip(_mlp_grads(model, X, TARGET, tied), _mlp_grads(twin, X, TARGET, tied)):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def _loss_using_a_weight_twice(weight, bias, fused: bool, twice_in_one_node: bool):
    """A loss that uses ``weight`` twice: as both layers of one MLP, or in two MLPs; fused
    (MLP nodes, whose joint rule may write into the optimizer's buffer) or layer by layer."""
    F = mg.nn.functional
    if fused:
        if twice_in_one_node:
            return (F.mlp(X, [(weight, bias), (weight, bias)]) ** 2).sum()
        return (F.mlp(X, [(weight, bias)]) ** 2).sum() + (F.mlp(X, [(weight, bias)]) ** 3).sum()
    first = F.linear(X, weight, bias)
    if twice_in_one_node:
        return (F.linear(F.relu(first), weight, bias) ** 2).sum()
    return (first ** 2).sum() + (F.linear(X, weight, bias) ** 3).sum()


@pytest.mark.parametrize("twice_in_one_node", [True, False])
def test_a_parameter_used_twice_by_joint_rules_gets_both_gradients(twice_in_one_node):
    """The first use may write into the parameter's slot of the optimizer's gradient buffer;
    the second must not write over it (it gets an array of its own; the two are added)."""
    rng = np.random.default_rng(1)
    weight = mg.Tensor(rng.normal(size=(3, 3)), requires_grad=True)
    bias = mg.Tensor(rng.normal(size=3), requires_grad=True)
    optim.SGD([weight, bias], lr=0.1)  # flat: each gets a slot in the gradient buffer
    _loss_using_a_weight_twice(weight, bias, True, twice_in_one_node).backward()
    expected = mg.autograd.grad(_loss_using_a_weight_twice(weight, bias, False, twice_in_one_node), [weight, bias])
    for param, want in zip((weight, bias), expected):
        np.testing.assert_allclose(param.grad.numpy(), want.numpy(), rtol=1e-12)


def test_a_gradient_already_there_is_added_to():
    model, _, twin = _mlp_and_twin()
    _mlp_grads(model, X, TARGET)
    _mlp_grads(twin, X, TARGET)
    for got, want in zip(_mlp_grads(model, X, TARGET), _mlp_grads(twin, X, TARGET)):
        np.testing.assert_allclose(got, want, rtol=1e-12)  # twice the gradient, in both


def test_a_parameter_whose_dtype_changed_gets_a_new_gradient_array():
    model, optimizer, _ = _mlp_and_twin()
    model.to(np.float32)
    _mlp_grads(model, mg.Tensor(X.data.astype(np.float32)), TARGET)
    assert all(p.grad.dtype == np.float32 for p in model.parameters())
    assert not any(np.shares_memory(p.grad, optimizer._chunks[0][0].grad_flat) for p in model.parameters())


def test_add_param_group_and_duplicates():
    a, b, c = make_params()
    optimizer = optim.SGD([a, b], lr=0.1)
    optimizer.add_param_group({"params": c, "lr": 0.01})
    assert optimizer.param_groups[1]["params"] == [c] and optimizer.param_groups[1]["lr"] == 0.01
    with pytest.raises(ValueError, match=r"appears more than once"):
        optimizer.add_param_group({"params": [a]})
    assert len(optimizer.param_groups) == 2


def test_flat_buffers_make_parameters_views_with_unchanged_values():
    params = make_params()
    values = [p.data.copy() for p in params]
    optim.Adam(params)
    bases = {id(p.data.base) for p in params}
    assert len(bases) == 1 and all(p.data.base is not None for p in params)
    for p, value in zip(params, values):
        np.testing.assert_array_equal(p.data, value)


def test_a_single_parameter_keeps_its_own_array():
    x = np.array([70.0])
    p = mg.Tensor(x, requires_grad=True)
    optimizer = optim.SGD([p], lr=0.1)
    p.grad = 2 * p.data
    optimizer.step()
    assert p.data is x and x[0] == 56.0


@pytest.mark.parametrize("cls, options", ALL, ids=IDS)
def test_flat_and_per_parameter_updates_give_the_same_bits(cls, options):
    flat_params, own_params = make_params(1), make_params(1)
    flat, own = cls(flat_params, **options), cls(own_params, flat=False, **options)
    for step in range(30):
        skip = {2} if step % 4 == 1 else set()   # forces the per-parameter path on some steps
        set_grads(flat_params, step, skip)
        set_grads(own_params, step, skip)
        flat.step()
        own.step()
    for p, q in zip(flat_params, own_params):
        np.testing.assert_array_equal(p.data, q.data)


def test_user_set_grad_and_replaced_data_are_followed():
    params = make_params()
    reference = make_params()
    optimizer = optim.Momentum(params, lr=0.1)
    check = optim.Momentum(reference, lr=0.1, flat=False)
    for step in range(3):
        set_grads(params, step)
        set_grads(reference, step)
        optimizer.step()
        check.step()
    replacement = np.full((3, 2), 0.5)
    params[0].data = replacement.copy()
    reference[0].data = replacement.copy()
    user_grad = np.full(2, 3.0)
    for step in range(3, 6):
        set_grads(params, step)
        set_grads(reference, step)
        params[1].grad, reference[1].grad = user_grad, user_grad.copy()
        optimizer.step()
        check.step()
    for p, q in zip(params, reference):
        np.testing.assert_array_equal(p.data, q.data)
    np.testing.assert_array_equal(user_grad, 3.0)  # the user's array is read, never written


def test_replaced_data_of_another_shape_is_an_error():
    params = make_params()
    optimizer = optim.SGD(params, lr=0.1)
    params[0].data = np.zeros((5,))
    set_grads(params, 0)
    with pytest.raises(RuntimeError, match=r"\(3, 2\).*\(5,\)"):
        optimizer.step()


def test_mixed_dtypes_form_separate_chunks():
    params = make_params() + make_params(2, shapes=((2,), (3,)), dtype=np.float32)
    optimizer = optim.Adam(params, lr=0.1)
    set_grads(params, 0)
    optimizer.step()
    assert [p.data.dtype for p in params] == [np.float64] * 3 + [np.float32] * 2
    assert optimizer.state[params[4]]["exp_avg"].dtype == np.float32


def test_step_with_closure_returns_the_loss():
    w = mg.Tensor(np.array([1.0, -2.0]), requires_grad=True)
    optimizer = optim.SGD([w], lr=0.1)

    def closure():
        optimizer.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    loss = optimizer.step(closure)
    assert float(loss.item()) == 5.0
    np.testing.assert_allclose(w.data, [0.8, -1.6])


# ---- state_dict ----------------------------------------------------------------------------

@pytest.mark.parametrize("cls, options", ALL, ids=IDS)
def test_state_dict_round_trip_resumes_bit_for_bit(cls, options):
    params, resumed_params = make_params(3), make_params(3)
    optimizer = cls(params, **options)
    for step in range(5):
        set_grads(params, step, skip={1} if step == 2 else ())
        optimizer.step()
    saved = copy.deepcopy(optimizer.state_dict())
    for p, q in zip(resumed_params, params):
        q_data = q.data.copy()
        p.data[...] = q_data
    resumed = cls(resumed_params, **options)
    resumed.load_state_dict(saved)
    for step in range(5, 12):
        set_grads(params, step)
        set_grads(resumed_params, step)
        optimizer.step()
        resumed.step()
    for p, q in zip(params, resumed_params):
        np.testing.assert_array_equal(p.data, q.data)


def test_state_dict_holds_plain_values_and_copies():
    params = make_params()
    optimizer = optim.Adam(params, lr=0.1)
    set_grads(params, 0)
    optimizer.step()
    saved = optimizer.state_dict()
    assert set(saved) == {"state", "param_groups"}
    assert saved["param_groups"][0]["params"] == [0, 1, 2]
    entry = saved["state"][0]
    assert type(entry["step"]) is int and isinstance(entry["exp_avg"], np.ndarray)
    entry["exp_avg"][...] = 99.0
    assert not (optimizer.state[params[0]]["exp_avg"] == 99.0).any()


def test_a_state_dict_that_does_not_fit_changes_nothing():
    params = make_params()
    optimizer = optim.Adam(params, lr=0.1)
    set_grads(params, 0)
    optimizer.step()
    good = optimizer.state_dict()
    before = copy.deepcopy(good)

    wrong_shape = copy.deepcopy(good)
    wrong_shape["state"][2]["exp_avg_sq"] = np.zeros(7)
    wrong_shape["param_groups"][0]["lr"] = 123.0
    with pytest.raises(ValueError, match=r"exp_avg_sq of shape \(7,\).*\(4,\)"):
        optimizer.load_state_dict(wrong_shape)

    bad_lr = copy.deepcopy(good)
    bad_lr["param_groups"][0]["lr"] = -1.0
    with pytest.raises(ValueError, match="-1.0"):
        optimizer.load_state_dict(bad_lr)

    missing = copy.deepcopy(good)
    del missing["state"][1]["exp_avg"]
    with pytest.raises(ValueError, match="exp_avg"):
        optimizer.load_state_dict(missing)

    two_groups = copy.deepcopy(good)
    two_groups["param_groups"].append(copy.deepcopy(good["param_groups"][0]))
    with pytest.raises(ValueError, match="2 param groups"):
        optimizer.load_state_dict(two_groups)

    after = optimizer.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for index in before["state"]:
        for key, value in before["state"][index].items():
            np.testing.assert_array_equal(after["state"][index][key], value)


# ---- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize("make, error, pattern", [
    (lambda p: optim.SGD(p, lr=-0.1), ValueError, r"lr: -0\.1"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=1.0), ValueError, r"momentum: 1\.0"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=-0.5), ValueError, r"momentum: -0\.5"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), ValueError, r"Nesterov.*momentum=0"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError, r"dampening=0\.1"),
    (lambda p: optim.SGD(p, lr=0.1, ema=True), ValueError, r"ema"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=0.9, ema=True, dampening=0.5), ValueError, r"ema.*dampening=0\.5"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.999)), ValueError, r"beta1.*1\.0"),
    (lambda p: optim.Adam(p, betas=(0.9, -0.1)), ValueError, r"beta2.*-0\.1"),
    (lambda p: optim.Adam(p, eps=-1e-8), ValueError, r"eps: -1e-08"),
    (lambda p: optim.Adam(p, bias_correction="middle"), ValueError, r"'middle'"),
    (lambda p: optim.Adam(p, eps_hat=True, eps_inside_sqrt=True), ValueError, r"eps_hat"),
    (lambda p: optim.AdaGrad(p, eps=-1.0), ValueError, r"eps: -1\.0"),
    (lambda p: optim.AdaGrad(p, initial_accumulator_value=-0.1), ValueError, r"initial_accumulator_value: -0\.1"),
    (lambda p: optim.RMSProp(p, alpha=1.5), ValueError, r"alpha: 1\.5"),
    (lambda p: optim.RMSProp(p, momentum=2.0), ValueError, r"momentum: 2\.0"),
    (lambda p: optim.SGD(p, lr="fast"), TypeError, r"lr: 'fast'"),
    (lambda p: optim.Adamax(p, lr=-0.5), ValueError, r"lr: -0\.5"),
    (lambda p: optim.Adamax(p, betas=(0.9, 1.0)), ValueError, r"beta2.*1\.0"),
    (lambda p: optim.Adadelta(p, rho=1.1), ValueError, r"rho: 1\.1"),
    (lambda p: optim.Adadelta(p, eps=-1.0), ValueError, r"eps: -1\.0"),
    (lambda p: optim.NAdam(p, momentum_decay=-0.1), ValueError, r"momentum_decay: -0\.1"),
    (lambda p: optim.NAdam(p, decoupled_weight_decay="yes"), TypeError, r"decoupled_weight_decay: 'yes'"),
    (lambda p: optim.RAdam(p, betas=(-0.1, 0.9)), ValueError, r"beta1.*-0\.1"),
    (lambda p: optim.RAdam(p, weight_decay=-1e-2), ValueError, r"weight_decay: -0\.01"),
    (lambda p: optim.Rprop(p, etas=(1.2, 0.5)), ValueError, r"etas: \(1\.2, 0\.5\).*0 < eta_minus < 1 < eta_plus"),
    (lambda p: optim.Rprop(p, etas=(0.0, 1.2)), ValueError, r"etas: \(0\.0, 1\.2\)"),
    (lambda p: optim.Rprop(p, etas=(0.5, 1.0)), ValueError, r"etas: \(0\.5, 1\.0\)"),
    (lambda p: optim.Rprop(p, etas=(0.5,)), ValueError, r"etas: \(0\.5,\) \(must be a pair\)"),
    (lambda p: optim.Rprop(p, step_sizes=(1.0, 0.1)), ValueError, r"step_sizes: \(1\.0, 0\.1\)"),
    (lambda p: optim.Rprop(p, step_sizes=(-1.0, 50)), ValueError, r"step_size_min.*-1\.0"),
    (lambda p: optim.Rprop(p, lr=-0.01), ValueError, r"lr: -0\.01"),
    (lambda p: optim.ASGD(p, lambd=-1.0), ValueError, r"lambd: -1\.0"),
    (lambda p: optim.ASGD(p, t0="soon"), TypeError, r"t0: 'soon'"),
    (lambda p: optim.SGD([{"params": p, "lr": -3.0}], lr=0.1), ValueError, r"lr: -3\.0"),
])
def test_bad_hyperparameters_are_named(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make(make_params())


def test_bad_parameter_lists_are_named():
    params = make_params()
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match=r"parameter 1 of group 0 .*more than once"):
        optim.SGD([params[0], params[0]], lr=0.1)
    with pytest.raises(TypeError, match=r"parameter 1 of group 0 is a ndarray"):
        optim.SGD([params[0], np.zeros(3)], lr=0.1)
    with pytest.raises(TypeError, match=r"dtype int64"):
        optim.SGD([mg.Tensor(np.arange(3))], lr=0.1)
    with pytest.raises(TypeError, match="got a Tensor"):
        optim.SGD(params[0], lr=0.1)


def test_a_failed_construction_leaves_parameters_untouched():
    params = make_params()
    with pytest.raises(ValueError):
        optim.SGD(params, lr=-1.0)
    assert all(p.data.base is None for p in params)


def test_wrong_gradient_shape_is_named():
    params = make_params()
    optimizer = optim.SGD(params, lr=0.1)
    set_grads(params, 0)
    with pytest.raises(ValueError, match=r"\(5,\).*\(4,\)"):  # refused when assigned, as in PyTorch
        params[2].grad = np.zeros(5)
    params[2].grad.data = np.zeros(5)  # behind the setter's back: step() still checks
    with pytest.raises(ValueError, match=r"\(5,\).*\(4,\)"):
        optimizer.step()


@pytest.mark.parametrize("flat", [True, False])
def test_a_wrong_gradient_in_a_later_group_changes_nothing(flat):
    params = make_params()
    optimizer = optim.Momentum([{"params": params[:2]}, {"params": params[2:]}], lr=0.1, flat=flat)
    set_grads(params, 0)
    optimizer.step()
    before = [p.data.copy() for p in params]
    set_grads(params, 1)
    params[2].grad.data = np.zeros(5)
    with pytest.raises(ValueError, match=r"parameter 0 of group 1.*\(5,\).*\(4,\)"):
        optimizer.step()
    assert all(np.array_equal(p.data, b) for p, b in zip(params, before))
    assert all(state["step"] == 1 for state in optimizer.state.values())


def test_a_wrong_gradient_after_a_skipped_parameter_changes_nothing():
    params = make_params()
    optimizer = optim.SGD(params, lr=0.1)
    set_grads(params, 0, skip=(1,))
    optimizer.step()  # parameter 1 has no state: the next step goes parameter by parameter
    before = [p.data.copy() for p in params]
    set_grads(params, 1)
    params[2].grad.data = np.zeros(5)
    with pytest.raises(ValueError, match=r"\(5,\).*\(4,\)"):
        optimizer.step()
    assert all(np.array_equal(p.data, b) for p, b in zip(params, before))


@pytest.mark.parametrize("flat", [True, False])
@pytest.mark.parametrize("bad_grad, pattern", [
    (np.zeros(4, np.float32), r"dtype float32.*dtype float64"),
    (np.zeros(4, np.complex128), r"dtype complex128.*dtype float64"),
    ([0.0] * 4, r"list.*NumPy array"),
])
def test_a_gradient_of_the_wrong_type_or_dtype_is_named(flat, bad_grad, pattern):
    params = make_params()
    optimizer = optim.Adam(params, lr=0.1, flat=flat)
    set_grads(params, 0)
    params[2].grad.data = bad_grad  # the setter refuses these; step() checks what got past it
    before = [p.data.copy() for p in params]
    with pytest.raises(TypeError, match=pattern):
        optimizer.step()
    assert all(np.array_equal(p.data, b) for p, b in zip(params, before))
    assert optimizer.state == {}


def test_a_state_dict_with_non_numeric_buffers_changes_nothing():
    params = make_params()
    optimizer = optim.Adam(params, lr=0.1)
    set_grads(params, 0)
    optimizer.step()
    good = optimizer.state_dict()
    for bad in (np.array(["a", "b", "c", "d"]), np.ones(4, np.complex128)):
        wrong = copy.deepcopy(good)
        wrong["param_groups"][0]["lr"] = 123.0
        wrong["state"][2]["exp_avg"] = bad
        with pytest.raises(TypeError, match=rf"parameter 2 has exp_avg of dtype {bad.dtype}"):
            optimizer.load_state_dict(wrong)
        after = optimizer.state_dict()
        assert after["param_groups"] == good["param_groups"]
        for index in good["state"]:
            np.testing.assert_array_equal(after["state"][index]["exp_avg"], good["state"][index]["exp_avg"])


def test_a_state_dict_of_another_optimizer_names_the_missing_hyperparameters():
    params = make_params()
    sgd = optim.SGD(params, lr=0.1, momentum=0.9)
    adam = optim.Adam(make_params(1), lr=0.1)
    with pytest.raises(ValueError, match=r"param group 0 of the state dict lacks \['amsgrad', 'betas'"):
        adam.load_state_dict(sgd.state_dict())
    assert adam.param_groups[0]["lr"] == 0.1 and "momentum" not in adam.param_groups[0]


def test_a_state_dict_listing_a_parameter_index_twice_is_refused():
    params = make_params(shapes=((3,), (3,)))
    optimizer = optim.Momentum(params, lr=0.1)
    set_grads(params, 0)
    optimizer.step()
    saved = optimizer.state_dict()
    saved["param_groups"][0]["params"] = [1, 1]
    before = optimizer.state_dict()
    with pytest.raises(ValueError, match=r"parameter index 1 more than once"):
        optimizer.load_state_dict(saved)
    after = optimizer.state_dict()
    for index in before["state"]:
        np.testing.assert_array_equal(after["state"][index]["momentum_buffer"],
                                      before["state"][index]["momentum_buffer"])


def test_eps_hat_accepts_every_spelling_of_full_bias_correction():
    steps = []
    for spelling in (True, "both"):
        params = make_params()
        optimizer = optim.Adam(params, lr=0.1, eps_hat=True, bias_correction=spelling)
        set_grads(params, 0)
        optimizer.step()
        steps.append([p.data.copy() for p in params])
    for a, b in zip(*steps):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"eps_hat.*bias_correction='first'"):
        optim.Adam(make_params(), eps_hat=True, bias_correction="first")


def test_a_bad_later_group_leaves_the_earlier_groups_parameters_untouched():
    params = make_params()
    with pytest.raises(ValueError, match=r"lr: -1\.0"):
        optim.SGD([{"params": params[:2]}, {"params": params[2:], "lr": -1.0}], lr=0.1)
    assert all(p.data.base is None for p in params)
    with pytest.raises(ValueError, match=r"more than once"):
        optim.SGD([{"params": params[:2]}, {"params": params[1:]}], lr=0.1)
    assert all(p.data.base is None for p in params)


@pytest.mark.parametrize("flat", [True, False])
def test_a_read_only_parameter_is_named_and_nothing_changes(flat):
    params = make_params()
    frozen = np.arange(4.0)
    frozen.flags.writeable = False
    params[2].data = frozen
    optimizer = optim.Adam([{"params": params[:2]}, {"params": params[2:]}], lr=0.1, flat=flat)
    set_grads(params, 0)
    before = [p.data.copy() for p in params]
    with pytest.raises(ValueError, match=r"parameter 0 of group 1 \(shape \(4,\)\) holds a read-only array"):
        optimizer.step()
    assert all(np.array_equal(p.data, b) for p, b in zip(params, before))
    assert optimizer.state == {}


def test_a_read_only_array_replacing_a_parameters_data_is_copied_into_the_flat_buffer():
    params = make_params()
    optimizer = optim.SGD(params, lr=0.5)
    frozen = np.ones(4)
    frozen.flags.writeable = False
    params[2].data = frozen
    set_grads(params, 0)
    optimizer.step()
    np.testing.assert_allclose(params[2].data, 1 - 0.5 * (np.cos(1.0) + 0.1))
    assert frozen.tolist() == [1.0] * 4


@pytest.mark.parametrize("mangle, error, pattern", [
    (lambda s: s["param_groups"][0].__setitem__("params", 4), TypeError, r"param group 0 .*params=4"),
    (lambda s: s["param_groups"][0].__setitem__("params", [0, "1", 2]), TypeError, r"params=\[0, '1', 2\]"),
    (lambda s: s["param_groups"][0].__setitem__("params", [0, True, 2]), TypeError, r"params=\[0, True, 2\]"),
    (lambda s: s.__setitem__("param_groups", 4), TypeError, r"param_groups must be a list of dicts, got 4"),
    (lambda s: s.__setitem__("param_groups", [4]), TypeError, r"param_groups must be a list of dicts, got \[4\]"),
    (lambda s: s.__setitem__("state", [1, 2]), TypeError, r"state must be a dict .* got \[1, 2\]"),
    (lambda s: s["state"].__setitem__(0, 7), TypeError, r"state must be a dict .*7"),
    (lambda s: s["state"][0].__setitem__("step", 1.5), ValueError, r"step 1\.5"),
])
def test_a_malformed_state_dict_is_named_and_changes_nothing(mangle, error, pattern):
    params = make_params()
    optimizer = optim.Adam(params, lr=0.1)
    set_grads(params, 0)
    optimizer.step()
    saved = optimizer.state_dict()
    before = copy.deepcopy(saved)
    mangle(saved)
    with pytest.raises(error, match=pattern):
        optimizer.load_state_dict(saved)
    after = optimizer.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for index in before["state"]:
        for key, value in before["state"][index].items():
            np.testing.assert_array_equal(after["state"][index][key], value)


def test_step_refuses_a_closure_that_is_not_callable():
    params = make_params()
    optimizer = optim.SGD(params, lr=0.1)
    set_grads(params, 0)
    before = [p.data.copy() for p in params]
    with pytest.raises(TypeError, match=r"closure must be a function, got 3\.0"):
        optimizer.step(3.0)
    assert all(np.array_equal(p.data, b) for p, b in zip(params, before))


def test_every_gradient_read_and_write_of_the_optimizers_goes_through_one_function():
    """In minigrad.optim, only grad_array and set_grad_array touch a Tensor's ``.grad`` (how a
    Tensor holds its gradient is then decided in those two functions)."""
    import ast
    import pathlib
    import minigrad.optim as package
    for path in sorted(pathlib.Path(package.__file__).parent.glob("*.py")):
        tree = ast.parse(path.read_text())
        allowed: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name in ("grad_array", "set_grad_array"):
                allowed.update(id(inner) for inner in ast.walk(node))
        touching = [node.lineno for node in ast.walk(tree)
                    if isinstance(node, ast.Attribute) and node.attr == "grad" and id(node) not in allowed]
        assert not touching, f"{path.name} touches .grad directly on lines {touching}"


def test_scalar_state_is_saved_as_numbers_and_checked_on_load():
    params = make_params()
    optimizer = optim.NAdam(params, lr=0.1)
    for step in range(3):
        set_grads(params, step)
        optimizer.step()
    saved = optimizer.state_dict()
    mu = 0.9 * (1 - 0.5 * 0.96 ** (0.004 * np.arange(1, 4)))
    assert type(saved["state"][0]["mu_product"]) is float
    assert saved["state"][0]["mu_product"] == pytest.approx(float(np.prod(mu)), rel=1e-15)
    before = copy.deepcopy(saved)
    for bad, error, pattern in (("high", TypeError, r"parameter 1 has mu_product='high'"),
                                (True, TypeError, r"mu_product=True"),
                                (None, TypeError, r"mu_product=None")):
        wrong = copy.deepcopy(saved)
        wrong["state"][1]["mu_product"] = bad
        with pytest.raises(error, match=pattern):
            optimizer.load_state_dict(wrong)
    missing = copy.deepcopy(saved)
    del missing["state"][2]["mu_product"]
    with pytest.raises(ValueError, match=r"parameter 2 lacks \['mu_product'\]"):
        optimizer.load_state_dict(missing)
    assert optimizer.state_dict()["state"][1]["mu_product"] == before["state"][1]["mu_product"]


@pytest.mark.parametrize("cls, options", ALL, ids=IDS)
def test_every_optimizer_steps_with_a_closure_as_without(cls, options):
    with_closure, without = make_params(4), make_params(4)
    first, second = cls(with_closure, **options), cls(without, **options)
    for step in range(3):
        def closure():
            first.zero_grad()
            loss = sum(((p * p).sum() * (step + 1) for p in with_closure), mg.Tensor(0.0))
            loss.backward()
            return loss

        loss = first.step(closure)
        second.zero_grad()
        for p in without:
            p.grad = 2 * (step + 1) * p.data
        second.step()
        assert isinstance(loss, mg.Tensor)
    for p, q in zip(with_closure, without):
        np.testing.assert_array_equal(p.data, q.data)
