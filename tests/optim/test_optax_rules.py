"""Lion, AdaBelief, Yogi, LAMB, Lookahead and schedule-free SGD/AdamW on hand-computed steps
(optax's equations; tests/optim/test_optim_vs_optax.py compares with optax itself when it is
installed), their train/eval switch, state dicts and bad input."""
import copy
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim
from minigrad.optim import functional as F


def steps(optimizer, params, grads_per_step):
    for grads in grads_per_step:
        for p, g in zip(params, grads):
            p.grad = np.array(g, dtype=np.float64)
        optimizer.step()


def tensor(*values):
    return mg.Tensor(np.array(values, dtype=np.float64), requires_grad=True)


def test_lion_two_steps():
    theta = tensor(1.0, -2.0)
    optimizer = optim.Lion([theta], lr=0.1, betas=(0.9, 0.99), weight_decay=0.01)
    steps(optimizer, [theta], [[(0.5, -0.25)]])
    # c = 0.1 g -> sign (1, -1); theta - 0.1 (sign + 0.01 theta); m = 0.01 g
    np.testing.assert_allclose(theta.data, [0.899, -1.898], rtol=1e-15)
    np.testing.assert_allclose(optimizer.state[theta]["exp_avg"], [0.005, -0.0025], rtol=1e-15)
    steps(optimizer, [theta], [[(-0.5, 0.25)]])
    # c = 0.1 g + 0.9 m = (-0.0455, 0.02275): the signs follow the new gradient
    np.testing.assert_allclose(theta.data, [0.899 + 0.1 * (1 - 0.00899), -1.898 - 0.1 * (1 - 0.01898)], rtol=1e-14)
    np.testing.assert_allclose(optimizer.state[theta]["exp_avg"], [-0.00005, 0.000025], rtol=1e-10)


def test_lion_keeps_the_old_sign_when_the_momentum_outweighs_the_gradient():
    theta = tensor(0.0)
    optimizer = optim.Lion([theta], lr=1.0, betas=(0.5, 0.9), weight_decay=0.0)
    steps(optimizer, [theta], [[(1.0,)]] * 20 + [[(-0.5,)]])
    # m = 1 - 0.9^20 = 0.878; c = 0.5 * (-0.5) + 0.5 * 0.878 > 0: still the old direction
    assert theta.data[0] == -21.0


def test_adabelief_first_step_and_nesterov():
    theta = tensor(1.0)
    optimizer = optim.AdaBelief([theta], lr=0.1, eps=0.0, eps_root=0.0)
    steps(optimizer, [theta], [[(2.0,)]])
    # m = 0.2, s = 0.001 (2 - 0.2)^2; m^ = 2, s^ = 3.24: step 0.1 * 2 / 1.8
    assert theta.data[0] == pytest.approx(1 - 0.1 * 2 / 1.8, rel=1e-14)
    assert optimizer.state[theta]["exp_avg_var"][0] == pytest.approx(0.001 * 1.8**2, rel=1e-14)
    nesterov = tensor(1.0)
    optimizer = optim.AdaBelief([nesterov], lr=0.1, eps=0.0, eps_root=0.0, nesterov=True)
    steps(optimizer, [nesterov], [[(2.0,)]])
    m_hat = 0.9 * 0.2 / (1 - 0.9**2) + 0.1 * 2.0 / 0.1
    assert nesterov.data[0] == pytest.approx(1 - 0.1 * m_hat / 1.8, rel=1e-14)


def test_adabelief_steps_are_large_where_the_gradient_is_predictable():
    steady, noisy = tensor(0.0), tensor(0.0)
    optimizer = optim.AdaBelief([steady, noisy], lr=0.01)
    rng = np.random.default_rng(0)
    for _ in range(200):
        steady.grad = np.array([1.0])
        noisy.grad = np.array([1.0 + 3 * rng.standard_normal()])
        optimizer.step()
    assert abs(steady.data[0]) > 5 * abs(noisy.data[0])


def test_yogi_first_step():
    theta = tensor(1.0)
    optimizer = optim.Yogi([theta], lr=0.1)
    steps(optimizer, [theta], [[(2.0,)]])
    m = 0.1 * 2 + 0.9 * 1e-6
    v = 1e-6 + 0.001 * 4  # sign(v - g^2) = -1: v grows by (1 - b2) g^2
    assert optimizer.state[theta]["exp_avg_sq"][0] == pytest.approx(v, rel=1e-14)
    assert theta.data[0] == pytest.approx(1 - 0.1 * (m / 0.1) / (math.sqrt(v / 0.001) + 1e-3), rel=1e-14)


def test_yogi_second_moment_moves_additively():
    theta = tensor(0.0)
    optimizer = optim.Yogi([theta], lr=0.0, betas=(0.9, 0.9), initial_accumulator_value=1.0)
    steps(optimizer, [theta], [[(0.5,)]])
    # Adam: 0.9 * 1 + 0.1 * 0.25 = 0.925; Yogi: 1 - 0.1 * sign(1 - 0.25) * 0.25 = 0.975
    assert optimizer.state[theta]["exp_avg_sq"][0] == pytest.approx(0.975, rel=1e-15)


@pytest.mark.parametrize("flat", [True, False])
def test_lamb_moves_each_tensor_by_lr_times_its_own_norm(flat):
    a, b = tensor(3.0, 4.0), tensor(1.0)
    optimizer = optim.LAMB([a, b], lr=0.01, flat=flat)
    steps(optimizer, [a, b], [[(1.0, 1.0), (2.0,)]])
    # first step: u = g / (|g| + eps), r u = ||theta|| u / ||u||: a moves 0.01 * 5 along (1, 1) / sqrt 2
    np.testing.assert_allclose(a.data, [3 - 0.05 / math.sqrt(2), 4 - 0.05 / math.sqrt(2)], rtol=1e-14)
    np.testing.assert_allclose(b.data, [0.99], rtol=1e-14)


def test_lamb_trust_ratio_is_one_for_a_zero_tensor():
    zero = tensor(0.0, 0.0)
    optimizer = optim.LAMB([zero], lr=0.1, eps=0.0)
    steps(optimizer, [zero], [[(1.0, -1.0)]])
    np.testing.assert_allclose(zero.data, [-0.1, 0.1], rtol=1e-15)


def test_lookahead_pulls_the_fast_weights_back_every_k_steps():
    theta = tensor(1.0)
    optimizer = optim.Lookahead(optim.SGD([theta], lr=0.1), sync_period=2, slow_step_size=0.5)
    trajectory = []
    for _ in range(4):
        theta.grad = theta.data.copy()  # f = theta^2 / 2
        optimizer.step()
        trajectory.append(theta.data[0])
    # 1 -> 0.9 -> 0.81, sync: 1 + 0.5 (0.81 - 1) = 0.905; -> 0.8145 -> 0.73305, sync: 0.819025
    np.testing.assert_allclose(trajectory, [0.9, 0.905, 0.8145, 0.819025], rtol=1e-14)
    assert optimizer.state[theta]["slow_param"][0] == pytest.approx(0.819025, rel=1e-14)


def test_lookahead_reset_state_forgets_the_inner_state_at_each_sync():
    theta = tensor(1.0)
    inner = optim.SGD([theta], lr=0.1, momentum=0.9)
    optimizer = optim.Lookahead(inner, sync_period=2, reset_state=True)
    for step in range(3):
        theta.grad = np.ones(1)
        optimizer.step()
        assert (theta in inner.state) == (step != 1)


def test_lookahead_shares_its_param_groups_with_the_wrapped_optimizer_and_a_scheduler():
    theta = tensor(1.0)
    inner = optim.Adam([theta], lr=0.1)
    optimizer = optim.Lookahead(inner)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    theta.grad = np.ones(1)
    optimizer.step()
    scheduler.step()
    assert optimizer.param_groups is inner.param_groups and inner.param_groups[0]["lr"] == 0.05


@pytest.mark.parametrize("make_inner", [lambda p: optim.SGD(p, lr=0.05, momentum=0.9),
                                        lambda p: optim.Adam(p, lr=0.05, flat=False)], ids=["sgd", "adam-own"])
def test_lookahead_state_dict_resumes_bit_for_bit(make_inner):
    def make(seed):
        params = [mg.Tensor(np.random.default_rng(seed).standard_normal(s), requires_grad=True) for s in ((3,), (2, 2))]
        return params, optim.Lookahead(make_inner(params), sync_period=3, slow_step_size=0.6)

    def run(params, optimizer, start, stop):
        for step in range(start, stop):
            for p in params:
                p.grad = np.sin(p.data * (step + 1))
            optimizer.step()

    params, optimizer = make(0)
    run(params, optimizer, 0, 4)
    saved = copy.deepcopy(optimizer.state_dict())
    resumed_params, resumed = make(1)
    for p, q in zip(resumed_params, params):
        p.data[...] = q.data
    resumed.load_state_dict(saved)
    run(params, optimizer, 4, 11)
    run(resumed_params, resumed, 4, 11)
    for p, q in zip(params, resumed_params):
        np.testing.assert_array_equal(p.data, q.data)
    bad = copy.deepcopy(saved)
    bad["slow_params"][1] = np.zeros(3)
    bad["steps_since_sync"] = 0
    before = copy.deepcopy(resumed.state_dict())
    with pytest.raises(ValueError, match=r"parameter 1 have shape \(3,\).*\(2, 2\)"):
        resumed.load_state_dict(bad)
    after = resumed.state_dict()
    assert after["steps_since_sync"] == before["steps_since_sync"]
    np.testing.assert_array_equal(after["slow_params"][1], before["slow_params"][1])


def test_schedule_free_sgd_three_steps():
    theta = tensor(1.0)
    optimizer = optim.ScheduleFreeSGD([theta], lr=0.1, momentum=0.9)
    ys, xs = [], []
    for _ in range(3):
        theta.grad = theta.data.copy()  # f = theta^2 / 2, gradient taken at y
        optimizer.step()
        ys.append(theta.data[0])
        xs.append(optimizer.eval_params()[0][0])
    # z: 1 -> 0.9 -> 0.81 -> 0.72495; c_t = 1, 1/2, 1/3 (equal weights lr^2)
    # x: 0.9, 0.855, 0.81165; y = 0.9 x + 0.1 z: 0.9, 0.8505, 0.80298
    np.testing.assert_allclose(ys, [0.9, 0.8505, 0.80298], rtol=1e-14)
    np.testing.assert_allclose(xs, [0.9, 0.855, 0.81165], rtol=1e-14)
    assert optimizer.state[theta]["z"][0] == pytest.approx(0.72495, rel=1e-14)
    assert optimizer.state[theta]["weight_sum"] == pytest.approx(0.03, rel=1e-14)


def test_schedule_free_warmup_uses_optax_step_counts():
    """optax's base update takes the schedule at the count before the step, the averaging
    weight at the count after it: the first step of a warmup moves nothing."""
    theta = tensor(1.0)
    optimizer = optim.ScheduleFreeSGD([theta], lr=0.1, momentum=0.9, warmup_steps=2)
    ys = []
    for _ in range(2):
        theta.grad = np.ones(1)
        optimizer.step()
        ys.append(theta.data[0])
    # step 1: base lr 0, weight 0.05^2; step 2: base lr 0.05 -> z = 0.95, c = 0.01 / 0.0125 = 0.8,
    # x = 0.2 * 1 + 0.8 * 0.95 = 0.96, y = 0.9 * 0.96 + 0.1 * 0.95
    np.testing.assert_allclose(ys, [1.0, 0.959], rtol=1e-14)
    assert [F.warmup_lr(0.1, c, 4) for c in (0, 1, 4, 9)] == pytest.approx([0.0, 0.025, 0.1, 0.1], rel=1e-15)


def test_schedule_free_adamw_two_steps():
    theta = tensor(1.0)
    optimizer = optim.ScheduleFreeAdamW([theta], lr=0.1, eps=0.0)
    steps(optimizer, [theta], [[(2.0,)], [(2.0,)]])
    # v^ = 4 both steps: z = 1 - 0.1 - 0.1; x = 0.5 * 0.9 + 0.5 * 0.8; y = 0.9 x + 0.1 z
    assert theta.data[0] == pytest.approx(0.9 * 0.85 + 0.1 * 0.8, rel=1e-14)
    decayed = tensor(1.0)
    optimizer = optim.ScheduleFreeAdamW([decayed], lr=0.1, eps=0.0, weight_decay=0.1)
    steps(optimizer, [decayed], [[(2.0,)]])
    assert decayed.data[0] == pytest.approx(1 - 0.1 * (1 + 0.1 * 1.0), rel=1e-14)


@pytest.mark.parametrize("cls", [optim.ScheduleFreeSGD, optim.ScheduleFreeAdamW])
def test_schedule_free_eval_and_train_switch_the_parameters_exactly(cls):
    params = [mg.Tensor(np.random.default_rng(0).standard_normal(s), requires_grad=True) for s in ((3,), (2,))]
    optimizer = cls(params, lr=0.05)
    for step in range(5):
        for p in params:
            p.grad = np.cos(p.data + step)
        optimizer.step()
    y = [p.data.copy() for p in params]
    x = optimizer.eval_params()
    optimizer.eval()
    optimizer.eval()  # a second eval changes nothing
    for p, point in zip(params, x):
        np.testing.assert_array_equal(p.data, point)
    assert not all(np.array_equal(a, b) for a, b in zip(x, y))
    for p in params:
        p.grad = np.ones_like(p.data)
    with pytest.raises(RuntimeError, match=r"eval mode.*optimizer\.train\(\)"):
        optimizer.step()
    optimizer.train()
    for p, value in zip(params, y):
        np.testing.assert_array_equal(p.data, value)


@pytest.mark.parametrize("make, error, pattern", [
    (lambda p: optim.Lion(p, betas=(0.9, 1.0)), ValueError, r"beta2.*1\.0"),
    (lambda p: optim.Lion(p, lr=-1e-4), ValueError, r"lr: -0\.0001"),
    (lambda p: optim.Lion(p, weight_decay=-1.0), ValueError, r"weight_decay: -1\.0"),
    (lambda p: optim.AdaBelief(p, eps_root=-1e-16), ValueError, r"eps_root: -1e-16"),
    (lambda p: optim.AdaBelief(p, nesterov=1), TypeError, r"nesterov: 1"),
    (lambda p: optim.Yogi(p, initial_accumulator_value=-1.0), ValueError, r"initial_accumulator_value: -1\.0"),
    (lambda p: optim.Yogi(p, betas=(0.9,)), ValueError, r"betas: \(0\.9,\)"),
    (lambda p: optim.LAMB(p, eps=-1e-6), ValueError, r"eps: -1e-06"),
    (lambda p: optim.Lookahead(optim.SGD(p, lr=0.1), sync_period=0), ValueError, r"sync_period: 0"),
    (lambda p: optim.Lookahead(optim.SGD(p, lr=0.1), slow_step_size=1.5), ValueError, r"slow_step_size: 1\.5"),
    (lambda p: optim.Lookahead(p), TypeError, r"wraps an Optimizer, got list"),
    (lambda p: optim.ScheduleFreeSGD(p, momentum=0.0), ValueError, r"momentum: 0"),
    (lambda p: optim.ScheduleFreeSGD(p, momentum=1.0), ValueError, r"momentum: 1\.0"),
    (lambda p: optim.ScheduleFreeSGD(p, warmup_steps=-1), ValueError, r"warmup_steps: -1"),
    (lambda p: optim.ScheduleFreeSGD(p, warmup_steps=2.5), ValueError, r"warmup_steps: 2\.5"),
    (lambda p: optim.ScheduleFreeAdamW(p, betas=(0.0, 0.999)), ValueError, r"beta1 \(betas\[0\]\): 0"),
    (lambda p: optim.ScheduleFreeAdamW(p, weight_lr_power=-2.0), ValueError, r"weight_lr_power: -2\.0"),
])
def test_bad_hyperparameters_are_named(make, error, pattern):
    params = [mg.Tensor(np.zeros(2), requires_grad=True), mg.Tensor(np.zeros(3), requires_grad=True)]
    with pytest.raises(error, match=pattern):
        make(params)
