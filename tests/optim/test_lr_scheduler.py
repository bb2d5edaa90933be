"""Learning-rate schedulers: closed-form functions, torch's lr sequences, state, bad input."""
import copy

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim
from minigrad.optim import lr_scheduler as sched


def two_group_optimizer(lr=0.1):
    a = mg.Tensor(np.zeros(2), requires_grad=True)
    b = mg.Tensor(np.zeros(3), requires_grad=True)
    return optim.SGD([{"params": [a]}, {"params": [b], "lr": lr / 4}], lr=lr, momentum=0.9)


CASES = [
    ("StepLR", {"step_size": 7, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [5, 12, 30], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.97}),
    ("CosineAnnealingLR", {"T_max": 25, "eta_min": 0.001}),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 10}),
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.2, "total_iters": 8}),
    ("LambdaLR", {"lr_lambda": lambda step: 1.0 / (1 + step)}),
]


def lr_sequence(scheduler, optimizer, steps):
    lrs = []
    for _ in range(steps):
        lrs.append([group["lr"] for group in optimizer.param_groups])
        assert scheduler.get_last_lr() == lrs[-1]
        scheduler.step()
    return lrs


@pytest.mark.parametrize("name, options", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_lr_sequence_matches_torch(name, options):
    torch = pytest.importorskip("torch")
    ours = two_group_optimizer()
    theirs_params = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
    theirs = torch.optim.SGD([{"params": theirs_params[:1]}, {"params": theirs_params[1:], "lr": 0.1 / 4}],
                             lr=0.1, momentum=0.9)
    our_scheduler = getattr(sched, name)(ours, **options)
    their_scheduler = getattr(torch.optim.lr_scheduler, name)(theirs, **options)
    our_lrs = lr_sequence(our_scheduler, ours, 120)
    their_lrs = []
    for _ in range(120):
        their_lrs.append([group["lr"] for group in theirs.param_groups])
        theirs.step()
        their_scheduler.step()
    np.testing.assert_allclose(our_lrs, their_lrs, rtol=1e-12, atol=1e-15)


def test_reduce_on_plateau_matches_torch():
    torch = pytest.importorskip("torch")
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.89, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6]
    for options in ({"patience": 2, "factor": 0.5}, {"patience": 1, "cooldown": 2, "min_lr": 0.03},
                    {"mode": "max", "patience": 0, "threshold_mode": "abs", "threshold": 0.01}):
        ours = two_group_optimizer()
        theirs = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1)
        our_scheduler = sched.ReduceLROnPlateau(ours, **options)
        their_scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, **options)
        for metric in metrics:
            theirs.step()
            our_scheduler.step(metric)
            their_scheduler.step(metric)
            assert our_scheduler.get_last_lr()[0] == pytest.approx(their_scheduler.get_last_lr()[0], rel=1e-12)


def test_schedules_are_plain_functions_of_the_step():
    assert sched.step_lr(0.2, 9, step_size=5, gamma=0.5) == 0.1
    assert sched.multistep_lr(1.0, 12, [5, 12], 0.1) == pytest.approx(0.01)
    assert sched.exponential_lr(1.0, 3, 0.5) == 0.125
    assert sched.exponential_decay_lr(0.2, 15, 0.5, 10) == pytest.approx(0.2 * 0.5**1.5)
    assert sched.exponential_decay_lr(0.2, 15, 0.5, 10, staircase=True) == pytest.approx(0.1)
    assert sched.cosine_annealing_lr(1.0, 5, 10, 0.0) == pytest.approx(0.5)
    assert sched.linear_lr(1.0, 0, 0.25, 1.0, 4) == 0.25 and sched.linear_lr(1.0, 9, 0.25, 1.0, 4) == 1.0


def test_scheduler_writes_lr_only_on_its_own_step():
    optimizer = two_group_optimizer()
    scheduler = sched.StepLR(optimizer, step_size=1, gamma=0.5)
    for p in (p for g in optimizer.param_groups for p in g["params"]):
        p.grad = np.ones(p.shape)
    for _ in range(3):
        optimizer.step()
    assert optimizer.param_groups[0]["lr"] == 0.1   # optimizer.step() is not counted
    scheduler.step()
    assert optimizer.param_groups[0]["lr"] == 0.05 and scheduler.last_epoch == 1


def test_state_dict_resumes_the_schedule():
    optimizer = two_group_optimizer()
    scheduler = sched.CosineAnnealingLR(optimizer, T_max=20)
    for _ in range(7):
        scheduler.step()
    saved, saved_optimizer = scheduler.state_dict(), optimizer.state_dict()
    fresh = two_group_optimizer()
    fresh_scheduler = sched.CosineAnnealingLR(fresh, T_max=20)
    fresh.load_state_dict(saved_optimizer)
    fresh_scheduler.load_state_dict(saved)
    for _ in range(5):
        scheduler.step()
        fresh_scheduler.step()
        assert fresh_scheduler.get_last_lr() == scheduler.get_last_lr()
        assert [g["lr"] for g in fresh.param_groups] == [g["lr"] for g in optimizer.param_groups]
    with pytest.raises(ValueError, match="keys"):
        fresh_scheduler.load_state_dict({"last_epoch": 3})



@pytest.mark.parametrize("make", [
    lambda o: sched.StepLR(o, step_size=3),
    lambda o: sched.ReduceLROnPlateau(o),
])
def test_a_scheduler_state_for_another_number_of_groups_is_refused(make):
    one_group = optim.SGD([mg.Tensor(np.zeros(2), requires_grad=True)], lr=0.1)
    saved = make(one_group).state_dict()
    scheduler = make(two_group_optimizer())
    before = scheduler.state_dict()
    with pytest.raises(ValueError, match=r"1 param groups?.* 2"):
        scheduler.load_state_dict(saved)
    assert scheduler.state_dict() == before

@pytest.mark.parametrize("make, pattern", [
    (lambda o: sched.StepLR(o, step_size=0), r"step_size: 0"),
    (lambda o: sched.StepLR(o, step_size=2, gamma=-1.0), r"gamma: -1\.0"),
    (lambda o: sched.CosineAnnealingLR(o, T_max=-5), r"T_max: -5"),
    (lambda o: sched.LinearLR(o, start_factor=0.0), r"start_factor: 0\.0"),
    (lambda o: sched.ExponentialDecayLR(o, decay_rate=0.5, decay_steps=0), r"decay_steps: 0"),
    (lambda o: sched.ReduceLROnPlateau(o, mode="up"), r"'up'"),
    (lambda o: sched.ReduceLROnPlateau(o, factor=1.5), r"factor: 1\.5"),
    (lambda o: sched.ReduceLROnPlateau(o, patience=-1), r"patience: -1"),
    (lambda o: sched.ReduceLROnPlateau(o, patience=2.5), r"patience: 2\.5"),
    (lambda o: sched.ReduceLROnPlateau(o, cooldown=-2), r"cooldown: -2"),
    (lambda o: sched.ReduceLROnPlateau(o, threshold=-0.1), r"threshold: -0\.1"),
    (lambda o: sched.ReduceLROnPlateau(o, eps=-1e-8), r"eps: -1e-08"),
    (lambda o: sched.ReduceLROnPlateau(o, min_lr=[0.0, -0.5]), r"min_lr: -0\.5"),
    (lambda o: sched.LambdaLR(o, [lambda s: 1.0]), r"1 functions for 2 param groups"),
])
def test_bad_scheduler_arguments_are_named(make, pattern):
    with pytest.raises(ValueError, match=pattern):
        make(two_group_optimizer())


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="list"):
        sched.StepLR([], step_size=1)


# ---- the schedulers beyond the first eight, against PyTorch's --------------------------------

def optimizer_pair(torch, kind="sgd"):
    """The same two-group optimizer in minigrad and in PyTorch."""
    ours = [mg.Tensor(np.zeros(2), requires_grad=True), mg.Tensor(np.zeros(3), requires_grad=True)]
    theirs = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
    if kind == "sgd":
        make = lambda module, p: module.SGD([{"params": p[:1]}, {"params": p[1:], "lr": 0.025}],  # noqa: E731
                                            lr=0.1, momentum=0.9)
    else:
        make = lambda module, p: module.Adam([{"params": p[:1]}, {"params": p[1:], "lr": 0.025}],  # noqa: E731
                                             lr=0.1, betas=(0.9, 0.99))
    return make(optim, ours), make(torch.optim, theirs)


def momentum_of(group):
    return group["betas"][0] if "betas" in group else group["momentum"]


def record(scheduler, optimizer, steps, before_step=lambda: None):
    lrs, momenta = [], []
    for _ in range(steps):
        lrs.append([group["lr"] for group in optimizer.param_groups])
        momenta.append([momentum_of(group) for group in optimizer.param_groups])
        assert scheduler.get_last_lr() == pytest.approx(lrs[-1], rel=1e-15)
        before_step()
        scheduler.step()
    return lrs, momenta


def scale(x):
    return 1 / (1 + 0.1 * x)


MORE_CASES = {
    "ConstantLR": lambda s, o: s.ConstantLR(o, factor=0.25, total_iters=7),
    "ConstantLR-defaults": lambda s, o: s.ConstantLR(o),
    "PolynomialLR": lambda s, o: s.PolynomialLR(o, total_iters=40, power=2.0),
    "PolynomialLR-root": lambda s, o: s.PolynomialLR(o, total_iters=90, power=0.5),
    "MultiplicativeLR": lambda s, o: s.MultiplicativeLR(o, lr_lambda=lambda step: 0.97 + 0.01 * (step % 3)),
    "MultiplicativeLR-per-group": lambda s, o: s.MultiplicativeLR(o, lr_lambda=[lambda step: 0.95,
                                                                               lambda step: 1.0 + 0.001 * step]),
    "CosineAnnealingWarmRestarts": lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=10, eta_min=0.001),
    "CosineAnnealingWarmRestarts-Tmult": lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.01),
    "CyclicLR-triangular": lambda s, o: s.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=7),
    "CyclicLR-triangular2": lambda s, o: s.CyclicLR(o, base_lr=[0.01, 0.002], max_lr=[0.1, 0.05], step_size_up=6,
                                                    step_size_down=11, mode="triangular2"),
    "CyclicLR-exp_range": lambda s, o: s.CyclicLR(o, base_lr=0.01, max_lr=0.2, step_size_up=9, mode="exp_range",
                                                  gamma=0.98, base_momentum=0.7, max_momentum=0.95),
    "CyclicLR-scale_fn-cycle": lambda s, o: s.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5, scale_fn=scale),
    "CyclicLR-scale_fn-iterations": lambda s, o: s.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5,
                                                            scale_fn=scale, scale_mode="iterations"),
    "CyclicLR-no-momentum": lambda s, o: s.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=13,
                                                    cycle_momentum=False),
    "OneCycleLR": lambda s, o: s.OneCycleLR(o, max_lr=0.5, total_steps=120),
    "OneCycleLR-linear": lambda s, o: s.OneCycleLR(o, max_lr=[0.5, 0.1], epochs=8, steps_per_epoch=15,
                                                   anneal_strategy="linear", pct_start=0.4),
    "OneCycleLR-three-phase": lambda s, o: s.OneCycleLR(o, max_lr=0.3, total_steps=120, three_phase=True,
                                                        div_factor=10.0, final_div_factor=100.0,
                                                        base_momentum=0.8, max_momentum=0.9),
    "OneCycleLR-no-momentum": lambda s, o: s.OneCycleLR(o, max_lr=0.5, total_steps=130, cycle_momentum=False),
    "SequentialLR-warmup-cosine": lambda s, o: s.SequentialLR(
        o, [s.LinearLR(o, start_factor=0.1, total_iters=10), s.CosineAnnealingLR(o, T_max=50, eta_min=0.001)],
        milestones=[10]),
    "SequentialLR-three": lambda s, o: s.SequentialLR(
        o, [s.ConstantLR(o, factor=0.5, total_iters=3), s.ExponentialLR(o, gamma=0.97), s.StepLR(o, 9, gamma=0.5)],
        milestones=[5, 40]),
    "SequentialLR-multiplicative-restart": lambda s, o: s.SequentialLR(
        o, [s.ExponentialLR(o, gamma=0.95), s.MultiplicativeLR(o, lr_lambda=lambda step: 0.99)], milestones=[20]),
    "SequentialLR-warm-restarts": lambda s, o: s.SequentialLR(
        o, [s.LinearLR(o, start_factor=0.2, total_iters=8), s.CosineAnnealingWarmRestarts(o, T_0=12, T_mult=2)],
        milestones=[8]),
    "ChainedScheduler-constant-exponential": lambda s, o: s.ChainedScheduler(
        [s.ConstantLR(o, factor=0.1, total_iters=4), s.ExponentialLR(o, gamma=0.98)]),
    "ChainedScheduler-three": lambda s, o: s.ChainedScheduler(
        [s.LinearLR(o, start_factor=0.5, total_iters=10), s.StepLR(o, step_size=15, gamma=0.7),
         s.PolynomialLR(o, total_iters=200, power=1.5)]),
    "ChainedScheduler-multiplicative": lambda s, o: s.ChainedScheduler(
        [s.MultiplicativeLR(o, lr_lambda=lambda step: 0.99), s.MultiStepLR(o, milestones=[30, 70], gamma=0.5)]),
}
ADAM_CASES = {"CyclicLR-adam-betas", "OneCycleLR-adam-betas"}
MORE_CASES["CyclicLR-adam-betas"] = MORE_CASES["CyclicLR-triangular"]
MORE_CASES["OneCycleLR-adam-betas"] = MORE_CASES["OneCycleLR"]


@pytest.mark.parametrize("name", sorted(MORE_CASES))
def test_more_lr_sequences_match_torch(name):
    torch = pytest.importorskip("torch")
    ours, theirs = optimizer_pair(torch, "adam" if name in ADAM_CASES else "sgd")
    our_scheduler = MORE_CASES[name](sched, ours)
    their_scheduler = MORE_CASES[name](torch.optim.lr_scheduler, theirs)
    steps = 120
    our_lrs, our_momenta = record(our_scheduler, ours, steps)
    their_lrs, their_momenta = record(their_scheduler, theirs, steps, before_step=theirs.step)
    np.testing.assert_allclose(our_lrs, their_lrs, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(our_momenta, their_momenta, rtol=1e-12, atol=1e-15)
    values = len({tuple(lr) for lr in our_lrs})
    assert values > 1, f"{name}: the lr never changed in {steps} steps"


def test_cosine_annealing_warm_restarts_with_fractional_epochs_matches_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = optimizer_pair(torch)
    our_scheduler = sched.CosineAnnealingWarmRestarts(ours, T_0=3, T_mult=2, eta_min=0.001)
    their_scheduler = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(theirs, T_0=3, T_mult=2, eta_min=0.001)
    batches = 7
    for epoch in range(12):
        for batch in range(batches):
            theirs.step()
            our_scheduler.step(epoch + batch / batches)
            their_scheduler.step(epoch + batch / batches)
            assert our_scheduler.get_last_lr() == pytest.approx(their_scheduler.get_last_lr(), rel=1e-12)
            assert (our_scheduler.T_cur, our_scheduler.T_i) == pytest.approx(
                (their_scheduler.T_cur, their_scheduler.T_i), rel=1e-12)


def test_new_schedules_are_plain_functions_of_the_step():
    assert sched.constant_lr(0.3, 2, factor=0.5, total_iters=3) == 0.15
    assert sched.constant_lr(0.3, 3, factor=0.5, total_iters=3) == 0.3
    assert sched.polynomial_lr(2.0, 5, total_iters=10, power=2.0) == 0.5
    assert sched.polynomial_lr(2.0, 50, total_iters=10) == 0.0
    assert sched.multiplicative_lr(1.0, 3, lambda step: step) == 6.0
    assert sched.cosine_annealing_warm_restarts_lr(1.0, 0, T_0=4) == 1.0
    assert sched.cosine_annealing_warm_restarts_lr(1.0, 2, T_0=4) == pytest.approx(0.5)
    assert sched.cosine_annealing_warm_restarts_lr(1.0, 4, T_0=4) == 1.0                    # restart
    assert sched.cosine_annealing_warm_restarts_lr(1.0, 4 + 4, T_0=4, T_mult=2) == pytest.approx(0.5)  # 2nd cycle: 8
    assert sched.cosine_annealing_warm_restarts_lr(1.0, 12, T_0=4, T_mult=2) == 1.0          # 3rd cycle starts
    assert [sched.cyclic_lr(0.0, 1.0, s, step_size_up=2) for s in range(6)] == [0, 0.5, 1, 0.5, 0, 0.5]
    assert [sched.cyclic_lr(0.0, 1.0, s, step_size_up=2, mode="triangular2") for s in (2, 6, 10)] == [1, 0.5, 0.25]
    assert sched.cyclic_lr(0.0, 1.0, 3, step_size_up=1, step_size_down=3) == pytest.approx(1 / 3)
    assert sched.cyclic_momentum(0.8, 0.9, 2, step_size_up=2) == pytest.approx(0.8)
    assert sched.one_cycle_lr(1.0, 0, total_steps=100) == pytest.approx(1.0 / 25, rel=1e-14)
    assert sched.one_cycle_lr(1.0, 29, total_steps=100) == 1.0                    # the top after 30% of the steps
    assert sched.one_cycle_lr(1.0, 99, total_steps=100) == pytest.approx(1.0 / 25 / 1e4)
    assert sched.one_cycle_momentum(0.85, 0.95, 29, total_steps=100) == pytest.approx(0.85)


def test_one_cycle_stepped_past_its_total_is_an_error_that_changes_nothing():
    optimizer = two_group_optimizer()
    scheduler = sched.OneCycleLR(optimizer, max_lr=0.5, total_steps=4)
    for _ in range(4):
        scheduler.step()
    lrs, momenta = [g["lr"] for g in optimizer.param_groups], [g["momentum"] for g in optimizer.param_groups]
    with pytest.raises(ValueError, match=r"stepped 5 times, past its total_steps=4"):
        scheduler.step()
    assert scheduler.last_epoch == 4
    assert [g["lr"] for g in optimizer.param_groups] == lrs and [g["momentum"] for g in optimizer.param_groups] == momenta


def test_cyclic_momentum_on_an_optimizer_without_it_is_refused_before_anything_changes():
    params = [mg.Tensor(np.zeros(2), requires_grad=True)]
    for make in (lambda o: sched.CyclicLR(o, base_lr=0.01, max_lr=0.1),
                 lambda o: sched.OneCycleLR(o, max_lr=0.1, total_steps=10)):
        optimizer = optim.Adagrad(params, lr=0.5)
        with pytest.raises(ValueError, match=r"cycle_momentum=True needs an optimizer with momentum or betas; "
                                             r"AdaGrad has neither.*cycle_momentum=False"):
            make(optimizer)
        assert optimizer.param_groups[0]["lr"] == 0.5 and set(optimizer.param_groups[0]) == {
            "params", "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps", "maximize",
            "eps_inside_sqrt"}
    scheduler = sched.CyclicLR(optim.Adagrad(params, lr=0.5), base_lr=0.01, max_lr=0.1, cycle_momentum=False)
    assert scheduler.get_last_lr() == [0.01]


def test_cycling_the_momentum_of_sgd_without_momentum_gives_it_a_velocity():
    p = mg.Tensor(np.zeros(2), requires_grad=True)
    optimizer = optim.SGD([p], lr=0.1)
    scheduler = sched.CyclicLR(optimizer, base_lr=0.01, max_lr=0.1, step_size_up=2)
    p.grad = np.ones(2)
    optimizer.step()
    scheduler.step()
    assert optimizer.param_groups[0]["momentum"] == pytest.approx(0.85)
    assert "momentum_buffer" in optimizer.state[p]


@pytest.mark.parametrize("make, error, pattern", [
    (lambda o: sched.ConstantLR(o, factor=1.5), ValueError, r"factor: 1\.5"),
    (lambda o: sched.ConstantLR(o, total_iters=-1), ValueError, r"total_iters: -1"),
    (lambda o: sched.PolynomialLR(o, total_iters=0), ValueError, r"total_iters: 0"),
    (lambda o: sched.PolynomialLR(o, power=-1.0), ValueError, r"power: -1\.0"),
    (lambda o: sched.MultiplicativeLR(o, lr_lambda=0.9), TypeError, r"lr_lambda must be callable, got 0\.9"),
    (lambda o: sched.MultiplicativeLR(o, lr_lambda=[lambda s: 1.0]), ValueError, r"1 functions for 2 param groups"),
    (lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, r"T_0: 0"),
    (lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=1.5), ValueError, r"T_mult: 1\.5"),
    (lambda o: sched.CyclicLR(o, base_lr=0.1, max_lr=0.2, mode="sawtooth"), ValueError, r"mode: 'sawtooth'"),
    (lambda o: sched.CyclicLR(o, base_lr=0.1, max_lr=[0.2]), ValueError, r"max_lr has 1 values for 2 param groups"),
    (lambda o: sched.CyclicLR(o, base_lr=-0.1, max_lr=0.2), ValueError, r"base_lr: -0\.1"),
    (lambda o: sched.CyclicLR(o, base_lr=0.1, max_lr=0.2, step_size_up=0), ValueError, r"step_size_up: 0"),
    (lambda o: sched.CyclicLR(o, base_lr=0.1, max_lr=0.2, scale_mode="epoch"), ValueError, r"scale_mode: 'epoch'"),
    (lambda o: sched.OneCycleLR(o, max_lr=0.1), ValueError, r"total_steps, or epochs and steps_per_epoch"),
    (lambda o: sched.OneCycleLR(o, max_lr=0.1, total_steps=0), ValueError, r"total_steps: 0"),
    (lambda o: sched.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=1.2), ValueError, r"pct_start: 1\.2"),
    (lambda o: sched.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="exp"), ValueError, r"'exp'"),
    (lambda o: sched.OneCycleLR(o, max_lr=0.1, total_steps=10, div_factor=0), ValueError, r"div_factor: 0"),
    (lambda o: sched.SequentialLR(o, [sched.ExponentialLR(o, 0.9)], milestones=[3]), ValueError,
     r"one milestone fewer than schedulers"),
    (lambda o: sched.SequentialLR(o, [sched.ExponentialLR(o, 0.9), sched.StepLR(o, 2), sched.StepLR(o, 3)],
                                  milestones=[8, 4]), ValueError, r"milestones: \[8, 4\]"),
    (lambda o: sched.SequentialLR(o, [sched.ReduceLROnPlateau(o), sched.StepLR(o, 2)], milestones=[3]), TypeError,
     r"scheduler 0 is a ReduceLROnPlateau"),
    (lambda o: sched.SequentialLR(o, [], milestones=[]), ValueError, r"non-empty list"),
    (lambda o: sched.SequentialLR(o, [sched.StepLR(two_group_optimizer(), 2), sched.StepLR(o, 3)], milestones=[3]),
     ValueError, r"scheduler 0 \(StepLR\) belongs to another optimizer"),
    (lambda o: sched.ChainedScheduler([sched.ExponentialLR(o, 0.9), sched.CosineAnnealingLR(o, T_max=10)]),
     ValueError, r"scheduler 1 \(CosineAnnealingLR\) sets the lr itself"),
    (lambda o: sched.ChainedScheduler([sched.LambdaLR(o, lambda s: 1.0)]), ValueError, r"scheduler 0 \(LambdaLR\)"),
    (lambda o: sched.StepLR(o, step_size=2, last_epoch=-2), ValueError, r"last_epoch: -2"),
])
def test_bad_arguments_of_the_new_schedulers_are_named(make, error, pattern):
    optimizer = two_group_optimizer()
    with pytest.raises(error, match=pattern):
        make(optimizer)


@pytest.mark.parametrize("make", [
    lambda o: sched.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3),
    lambda o: sched.OneCycleLR(o, max_lr=0.3, total_steps=40),
    lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2),
    lambda o: sched.PolynomialLR(o, total_iters=20, power=2.0),
    lambda o: sched.SequentialLR(o, [sched.LinearLR(o, 0.2, total_iters=4), sched.ExponentialLR(o, 0.9)], [4]),
    lambda o: sched.ChainedScheduler([sched.ConstantLR(o, 0.5, 3), sched.MultiplicativeLR(o, lambda s: 0.95)]),
], ids=["CyclicLR", "OneCycleLR", "CosineAnnealingWarmRestarts", "PolynomialLR", "SequentialLR", "ChainedScheduler"])
def test_new_schedulers_resume_from_their_state_dict(make):
    optimizer = two_group_optimizer()
    scheduler = make(optimizer)
    for _ in range(6):
        scheduler.step()
    saved, saved_optimizer = copy.deepcopy(scheduler.state_dict()), optimizer.state_dict()
    fresh = two_group_optimizer()
    fresh_scheduler = make(fresh)
    fresh.load_state_dict(saved_optimizer)
    fresh_scheduler.load_state_dict(saved)
    for _ in range(20):
        scheduler.step()
        fresh_scheduler.step()
        assert fresh_scheduler.get_last_lr() == scheduler.get_last_lr()
        assert [g["lr"] for g in fresh.param_groups] == [g["lr"] for g in optimizer.param_groups]
        assert [g["momentum"] for g in fresh.param_groups] == [g["momentum"] for g in optimizer.param_groups]
    with pytest.raises(ValueError, match="keys"):
        fresh_scheduler.load_state_dict({"last_epoch": 3})
