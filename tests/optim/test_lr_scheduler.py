"""Learning-rate schedulers: closed-form functions, torch's lr sequences, state, bad input."""
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
    our_lrs = lr_sequence(our_scheduler, ours, 60)
    their_lrs = []
    for _ in range(60):
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
