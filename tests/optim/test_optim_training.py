"""Optimizers on whole problems: convergence (parabola, Rosenbrock) and bit-for-bit resume."""
import copy

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim
from minigrad.optim import functional as F
from minigrad.optim import lr_scheduler as sched

# ---- convergence: each optimizer reaches the minimum (optax's parabola / Rosenbrock tables) ----

PARABOLA_CASES = [
    (optim.SGD, {"lr": 0.1}),
    (optim.Momentum, {"lr": 0.05}),
    (optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    (optim.Momentum, {"lr": 0.1, "ema": True}),
    (optim.AdaGrad, {"lr": 1.0}),
    (optim.RMSProp, {"lr": 0.01}),
    (optim.RMSProp, {"lr": 0.01, "centered": True, "momentum": 0.5}),
    (optim.Adam, {"lr": 0.1}),
    (optim.Adam, {"lr": 0.1, "amsgrad": True}),
    (optim.Adam, {"lr": 0.1, "bias_correction": False, "eps_inside_sqrt": True}),
    (optim.AdamW, {"lr": 0.1, "weight_decay": 1e-4}),
]


@pytest.mark.parametrize("cls, options", PARABOLA_CASES, ids=[f"{c.__name__}-{o}" for c, o in PARABOLA_CASES])
def test_each_optimizer_reaches_the_minimum_of_a_parabola(cls, options):
    target = np.array([1.0, -2.0, 3.0])
    x = mg.Tensor(np.zeros(3), requires_grad=True)
    optimizer = cls([x], **options)
    for _ in range(2000):
        x.grad = 2 * (x.data - target)  # f(x) = |x - target|^2
        optimizer.step()
    np.testing.assert_allclose(x.data, target, atol=1e-2)


def rosenbrock_grad(p):
    x, y = p
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


@pytest.mark.parametrize("cls, options, steps", [
    (optim.Adam, {"lr": 0.01}, 5000),
    (optim.Momentum, {"lr": 5e-4}, 10000),
])
def test_adam_and_momentum_solve_rosenbrock(cls, options, steps):
    p = mg.Tensor(np.array([-1.2, 1.0]), requires_grad=True)
    optimizer = cls([p], **options)
    for _ in range(steps):
        p.grad = rosenbrock_grad(p.data)
        optimizer.step()
    np.testing.assert_allclose(p.data, [1.0, 1.0], atol=2e-2)


def test_pure_functions_with_trace_record_the_internal_state():
    """How the lab steps a 2-D point and records m, v and the bias-corrected terms."""
    point = np.array([-1.2, 1.0])
    state = F.adam_init(point)
    trace = {}
    F.adam(point, rosenbrock_grad(point), state, lr=0.01, trace=trace)
    g = rosenbrock_grad(np.array([-1.2, 1.0]))
    np.testing.assert_allclose(trace["grad"], g)
    np.testing.assert_allclose(trace["exp_avg"], 0.1 * g)
    np.testing.assert_allclose(trace["m_hat"], g)
    np.testing.assert_allclose(trace["v_hat"], g * g)
    np.testing.assert_allclose(point, np.array([-1.2, 1.0]) + trace["update"])
    np.testing.assert_allclose(trace["update"], -0.01 * np.sign(g), rtol=1e-6)
    assert state["step"] == 1


@pytest.mark.parametrize("rule, init, options, keys", [
    (F.sgd, F.sgd_init, {"momentum": 0.9}, {"grad", "velocity", "update"}),
    (F.adagrad, F.adagrad_init, {}, {"grad", "sum", "denom", "update"}),
    (F.rmsprop, F.rmsprop_init, {"momentum": 0.5, "centered": True},
     {"grad", "square_avg", "grad_avg", "denom", "velocity", "update"}),
])
def test_every_rule_traces_its_buffers(rule, init, options, keys):
    point = np.array([[1.0, -2.0]])
    state = init(point, **options)
    trace = {}
    rule(point, 2 * point, state, lr=0.1, trace=trace, **options)
    assert set(trace) == keys
    np.testing.assert_allclose(point, np.array([[1.0, -2.0]]) + trace["update"])


# ---- resume: N steps, save, load into fresh objects, M steps == N + M uninterrupted --------

def make_model(seed):
    rng = np.random.default_rng(seed)
    sizes = [4, 8, 8, 3]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params.append(mg.Tensor(rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in), requires_grad=True))
        params.append(mg.Tensor(np.zeros(fan_out), requires_grad=True))
    return params


def loss_of(params, x, y):
    h = x
    for index in range(0, len(params), 2):
        h = h @ params[index] + params[index + 1]
        if index < len(params) - 2:
            h = h.relu()
    return ((h - y) ** 2).mean()


def train(params, optimizer, scheduler, batches):
    for x, y in batches:
        optimizer.zero_grad()
        loss_of(params, mg.Tensor(x), mg.Tensor(y)).backward()
        optimizer.step()
        scheduler.step()


RESUME_CASES = [
    (optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}, sched.StepLR, {"step_size": 4, "gamma": 0.5}),
    (optim.Momentum, {"lr": 0.05, "ema": True}, sched.ExponentialDecayLR, {"decay_rate": 0.5, "decay_steps": 5}),
    (optim.AdaGrad, {"lr": 0.1, "lr_decay": 0.01}, sched.ExponentialLR, {"gamma": 0.95}),
    (optim.RMSProp, {"lr": 0.01, "centered": True, "momentum": 0.3}, sched.CosineAnnealingLR, {"T_max": 10}),
    (optim.Adam, {"lr": 0.01, "amsgrad": True}, sched.LinearLR, {"start_factor": 0.2, "total_iters": 6}),
    (optim.AdamW, {"lr": 0.01}, sched.MultiStepLR, {"milestones": [3, 9]}),
]


@pytest.mark.parametrize("cls, options, scheduler_cls, scheduler_options", RESUME_CASES,
                         ids=[case[0].__name__ for case in RESUME_CASES])
def test_resume_is_bit_for_bit(cls, options, scheduler_cls, scheduler_options):
    rng = np.random.default_rng(7)
    batches = [(rng.standard_normal((16, 4)), rng.standard_normal((16, 3))) for _ in range(20)]

    straight = make_model(0)
    straight_optimizer = cls(straight, **options)
    train(straight, straight_optimizer, scheduler_cls(straight_optimizer, **scheduler_options), batches)

    first = make_model(0)
    first_optimizer = cls(first, **options)
    first_scheduler = scheduler_cls(first_optimizer, **scheduler_options)
    train(first, first_optimizer, first_scheduler, batches[:8])
    checkpoint = copy.deepcopy({"params": [p.data for p in first],
                                "optimizer": first_optimizer.state_dict(),
                                "scheduler": first_scheduler.state_dict()})

    resumed = make_model(1)  # other values, all overwritten by the checkpoint
    for p, saved in zip(resumed, checkpoint["params"]):
        p.data = saved.copy()
    resumed_optimizer = cls(resumed, **options)
    resumed_scheduler = scheduler_cls(resumed_optimizer, **scheduler_options)
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    resumed_scheduler.load_state_dict(checkpoint["scheduler"])
    train(resumed, resumed_optimizer, resumed_scheduler, batches[8:])

    for p, q in zip(straight, resumed):
        assert np.array_equal(p.data, q.data)
    assert resumed_scheduler.get_last_lr() == [g["lr"] for g in straight_optimizer.param_groups]
