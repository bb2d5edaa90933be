"""Lion, AdaBelief, Yogi, LAMB, Lookahead and schedule-free SGD/AdamW against optax in float64.

Skipped without optax (and jax): they are not in the test extra (jaxlib alone is an 85 MB
wheel). tests/optim/test_optax_rules.py checks the same equations on hand-computed steps.
"""
import numpy as np
import pytest

import minigrad as mg
from minigrad import optim

optax = pytest.importorskip("optax")
jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import optax.contrib  # noqa: E402

SHAPES = [(3, 4), (4,), (2,)]
STEPS = 300


def gradient(params, step, curvature):
    """Gradient of sum_i curvature_i * p_i^2 / 2 plus a fixed, step-dependent pull."""
    pull = np.random.default_rng(1000 + step)
    return [c * p + pull.standard_normal(p.shape) for p, c in zip(params, curvature)]


def run_both(make_ours, transformation, seed, lookahead=False, rtol=1e-10, atol=1e-12):
    rng = np.random.default_rng(seed)
    start = [rng.standard_normal(shape) for shape in SHAPES]
    curvature = [rng.uniform(0.1, 2.0, shape) for shape in SHAPES]
    ours = [mg.Tensor(p.copy(), requires_grad=True) for p in start]
    optimizer = make_ours(ours)
    theirs = [jnp.asarray(p.copy()) for p in start]
    if lookahead:
        theirs = optax.LookaheadParams.init_synced(theirs)
    state = transformation.init(theirs)

    @jax.jit
    def step_theirs(grads, state, params):
        updates, state = transformation.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    for step in range(STEPS):
        for p, g in zip(ours, gradient([p.data for p in ours], step, curvature)):
            p.grad = g
        optimizer.step()
        fast = theirs.fast if lookahead else theirs
        grads = [jnp.asarray(g) for g in gradient([np.asarray(p) for p in fast], step, curvature)]
        theirs, state = step_theirs(grads, state, theirs)
        fast = theirs.fast if lookahead else theirs
        if step in (0, 1, 2, 50, STEPS - 1):
            for p, q in zip(ours, fast):
                np.testing.assert_allclose(p.data, np.asarray(q), rtol=rtol, atol=atol, err_msg=f"step {step}")
    return optimizer, state


def draw(rng, low, high):
    return float(rng.uniform(low, high))


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("weight_decay", [0.0, "random"])
def test_lion_matches_optax(seed, weight_decay):
    rng = np.random.default_rng(seed)
    lr, b1, b2 = draw(rng, 1e-3, 3e-2), draw(rng, 0.5, 0.95), draw(rng, 0.9, 0.999)
    wd = draw(rng, 1e-3, 0.1) if weight_decay else 0.0
    run_both(lambda p: optim.Lion(p, lr=lr, betas=(b1, b2), weight_decay=wd),
             optax.lion(lr, b1=b1, b2=b2, weight_decay=wd), seed)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("nesterov", [False, True])
def test_adabelief_matches_optax(seed, nesterov):
    rng = np.random.default_rng(seed)
    lr, b1, b2 = draw(rng, 1e-3, 3e-2), draw(rng, 0.5, 0.95), draw(rng, 0.9, 0.999)
    eps, eps_root = draw(rng, 1e-12, 1e-6), draw(rng, 1e-16, 1e-10)
    run_both(lambda p: optim.AdaBelief(p, lr=lr, betas=(b1, b2), eps=eps, eps_root=eps_root, nesterov=nesterov),
             optax.adabelief(lr, b1=b1, b2=b2, eps=eps, eps_root=eps_root, nesterov=nesterov), seed)


@pytest.mark.parametrize("seed", [0, 1])
def test_yogi_matches_optax(seed):
    rng = np.random.default_rng(seed)
    lr, b1, b2, eps = draw(rng, 1e-3, 5e-2), draw(rng, 0.5, 0.95), draw(rng, 0.9, 0.999), draw(rng, 1e-4, 1e-2)
    run_both(lambda p: optim.Yogi(p, lr=lr, betas=(b1, b2), eps=eps), optax.yogi(lr, b1=b1, b2=b2, eps=eps), seed)


def test_yogi_with_eps_root_and_accumulator_matches_optax_scale_by_yogi():
    transformation = optax.chain(optax.scale_by_yogi(b1=0.8, b2=0.99, eps=1e-3, eps_root=1e-8,
                                                     initial_accumulator_value=0.1),
                                 optax.scale_by_learning_rate(0.02))
    run_both(lambda p: optim.Yogi(p, lr=0.02, betas=(0.8, 0.99), eps=1e-3, eps_root=1e-8,
                                  initial_accumulator_value=0.1), transformation, 4)


@pytest.mark.parametrize("seed", [0])
@pytest.mark.parametrize("flat", [True, False])
def test_lamb_matches_optax_with_a_trust_ratio_per_tensor(seed, flat):
    rng = np.random.default_rng(seed)
    lr, b1, b2, eps, wd = (draw(rng, 1e-3, 3e-2), draw(rng, 0.5, 0.95), draw(rng, 0.9, 0.999),
                           draw(rng, 1e-8, 1e-4), draw(rng, 0.0, 0.1))
    # the norms are summed in another order than XLA's: a few ulps per step
    run_both(lambda p: optim.LAMB(p, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd, flat=flat),
             optax.lamb(lr, b1=b1, b2=b2, eps=eps, weight_decay=wd), seed, rtol=1e-9)


@pytest.mark.parametrize("seed", [0])
@pytest.mark.parametrize("inner", ["sgd", "adam"])
@pytest.mark.parametrize("reset_state", [False, True])
def test_lookahead_matches_optax(seed, inner, reset_state):
    rng = np.random.default_rng(seed)
    sync_period, alpha = int(rng.integers(2, 8)), draw(rng, 0.2, 0.9)
    if inner == "sgd":
        lr, momentum = draw(rng, 0.01, 0.1), draw(rng, 0.5, 0.9)
        ours = lambda p: optim.Lookahead(optim.SGD(p, lr=lr, momentum=momentum), sync_period, alpha,  # noqa: E731
                                         reset_state=reset_state)
        fast = optax.sgd(lr, momentum=momentum)
    else:
        lr = draw(rng, 1e-3, 3e-2)
        ours = lambda p: optim.Lookahead(optim.Adam(p, lr=lr), sync_period, alpha, reset_state=reset_state)  # noqa: E731
        fast = optax.adam(lr)
    # optax folds the sync into one update (fast + (u - (1 - alpha)(fast + u - slow))): other roundings
    run_both(ours, optax.lookahead(fast, sync_period, alpha, reset_state=reset_state), seed, lookahead=True,
             rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("seed", [0])
@pytest.mark.parametrize("weight_decay", [0.0, "random"])
def test_schedule_free_sgd_matches_optax(seed, weight_decay):
    rng = np.random.default_rng(seed)
    lr, b1, power = draw(rng, 0.01, 0.3), draw(rng, 0.5, 0.95), draw(rng, 1.0, 3.0)
    wd = draw(rng, 1e-3, 0.05) if weight_decay else None
    optimizer, state = run_both(
        lambda p: optim.ScheduleFreeSGD(p, lr=lr, momentum=b1, weight_decay=wd or 0.0, weight_lr_power=power),
        optax.contrib.schedule_free_sgd(lr, b1=b1, weight_decay=wd, weight_lr_power=power), seed, rtol=1e-9)
    their_x = optax.contrib.schedule_free_eval_params(state, _their_params(optimizer, state))
    for ours, theirs in zip(optimizer.eval_params(), their_x):
        np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-9, atol=1e-11)


def _their_params(optimizer, state):
    """y from optax's z and x is not kept; rebuild y as ours (compared above) to evaluate x."""
    return [jnp.asarray(p.data) for group in optimizer.param_groups for p in group["params"]]


@pytest.mark.parametrize("seed", [0])
@pytest.mark.parametrize("weight_decay", [0.0, "random"])
def test_schedule_free_adamw_matches_optax(seed, weight_decay):
    rng = np.random.default_rng(seed)
    lr, b1, b2, eps = draw(rng, 1e-3, 3e-2), draw(rng, 0.5, 0.95), draw(rng, 0.9, 0.999), draw(rng, 1e-10, 1e-6)
    wd = draw(rng, 1e-3, 0.05) if weight_decay else 0.0
    run_both(lambda p: optim.ScheduleFreeAdamW(p, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd),
             optax.contrib.schedule_free_adamw(lr, b1=b1, b2=b2, eps=eps, weight_decay=wd), seed, rtol=1e-9)


@pytest.mark.parametrize("make_ours, transformation", [
    (lambda p: optim.ScheduleFreeSGD(p, lr=0.1, warmup_steps=25), optax.contrib.schedule_free_sgd(0.1, warmup_steps=25)),
    (lambda p: optim.ScheduleFreeAdamW(p, lr=0.01, warmup_steps=40),
     optax.contrib.schedule_free_adamw(0.01, warmup_steps=40)),
], ids=["sgd", "adamw"])
def test_schedule_free_warmup_matches_optax_to_its_float32_schedule(make_ours, transformation):
    """optax evaluates the warmup schedule in float32 (from its int32 step count); ours is
    float64, so the learning rates differ by ~1e-8 relative during the warmup."""
    run_both(make_ours, transformation, 5, rtol=1e-5, atol=1e-7)
