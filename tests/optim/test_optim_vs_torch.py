"""Every optimizer and option against torch.optim in float64: same trajectory over 300 steps.

Both sides see the gradient of the same objective at their *own* current parameters, so any
difference in the rule shows up and would grow. Three parameters make the flat-buffer path
run; one of them goes without a gradient on some steps, which PyTorch skips too.
"""
import contextlib

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim

torch = pytest.importorskip("torch")

SHAPES = [(3, 4), (4,), (2,)]
STEPS = 300


def gradient(params: list[np.ndarray], step: int, curvature: list[np.ndarray]) -> list[np.ndarray]:
    """Gradient of sum_i curvature_i * p_i^2 / 2 plus a fixed, step-dependent pull."""
    pull = np.random.default_rng(1000 + step)
    return [c * p + pull.standard_normal(p.shape) for p, c in zip(params, curvature)]


def skips_grad(index: int, step: int) -> bool:
    return index == 2 and step % 7 == 3


@contextlib.contextmanager
def torch_default_dtype(dtype):
    """PyTorch keeps some scalar state (NAdam's mu_product, ASGD's eta and mu) in its default
    dtype; minigrad keeps Python floats, which is PyTorch with float64 as the default."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(before)


def run_both(minigrad_cls, torch_cls, options: dict, torch_options: dict | None = None, seed: int = 0):
    with torch_default_dtype(torch.float64):
        _run_both(minigrad_cls, torch_cls, options, torch_options, seed)


def _run_both(minigrad_cls, torch_cls, options: dict, torch_options: dict | None, seed: int):
    rng = np.random.default_rng(seed)
    start = [rng.standard_normal(shape) for shape in SHAPES]
    curvature = [rng.uniform(0.1, 2.0, shape) for shape in SHAPES]
    ours = [mg.Tensor(p.copy(), requires_grad=True) for p in start]
    theirs = [torch.tensor(p.copy(), requires_grad=True) for p in start]
    optimizer = minigrad_cls(ours, **options)
    reference = torch_cls(theirs, **(options if torch_options is None else torch_options))
    for step in range(STEPS):
        our_grads = gradient([p.data for p in ours], step, curvature)
        their_grads = gradient([p.detach().numpy() for p in theirs], step, curvature)
        for index, (p, q, g, h) in enumerate(zip(ours, theirs, our_grads, their_grads)):
            p.grad = None if skips_grad(index, step) else g
            q.grad = None if skips_grad(index, step) else torch.from_numpy(h)
        optimizer.step()
        reference.step()
        if step in (0, 1, 2, 50, STEPS - 1):
            for p, q in zip(ours, theirs):
                np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-10, atol=1e-12,
                                           err_msg=f"step {step}, options {options}")
                compare_states(optimizer.state.get(p), reference.state.get(q), f"step {step}, options {options}")


def compare_states(ours: dict | None, theirs: dict | None, where: str) -> None:
    """Every state entry PyTorch has (a tensor) is ours too, with the same value. (PyTorch's
    SGD keeps no step count; ours does.)"""
    theirs = {name: value for name, value in (theirs or {}).items() if value is not None}
    if not theirs:
        return
    assert ours is not None and set(theirs) <= set(ours), f"{where}: {sorted(ours or ())} vs {sorted(theirs)}"
    for name, value in theirs.items():
        np.testing.assert_allclose(ours[name], value.detach().numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=f"{where}, state {name}")



def uniform(rng, low, high):
    return float(rng.uniform(low, high))


SGD_CASES = [
    {},
    {"momentum": "m"},
    {"momentum": "m", "dampening": "d"},
    {"momentum": "m", "nesterov": True},
    {"momentum": "m", "weight_decay": "wd"},
    {"weight_decay": "wd", "maximize": True},
    {"momentum": "m", "nesterov": True, "weight_decay": "wd", "maximize": True},
]


def fill(case: dict, rng) -> dict:
    """Replace placeholders by random draws in sensible ranges."""
    ranges = {"m": (0.5, 0.95), "d": (0.1, 0.9), "wd": (1e-3, 0.1), "lr_decay": (1e-3, 0.05),
              "iav": (0.01, 0.5), "alpha": (0.8, 0.999), "b1": (0.5, 0.95), "b2": (0.9, 0.9999),
              "eps": (1e-9, 1e-3), "rho": (0.8, 0.99), "md": (1e-3, 2e-2), "lambd": (1e-4, 1e-2),
              "power": (0.5, 1.0), "t0": (10.0, 150.0), "eta-": (0.3, 0.7), "eta+": (1.05, 1.5),
              "step_min": (1e-7, 1e-4), "step_max": (0.05, 1.0)}
    filled = {}
    for key, value in case.items():
        if isinstance(value, str):
            filled[key] = uniform(rng, *ranges[value])
        else:
            filled[key] = value
    if "b1" in filled:
        filled["betas"] = (filled.pop("b1"), filled.pop("b2"))
    if "eta-" in filled:
        filled["etas"] = (filled.pop("eta-"), filled.pop("eta+"))
    if "step_min" in filled:
        filled["step_sizes"] = (filled.pop("step_min"), filled.pop("step_max"))
    return filled


@pytest.mark.parametrize("case", SGD_CASES, ids=str)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sgd_matches_torch(case, seed):
    rng = np.random.default_rng(seed)
    options = {"lr": uniform(rng, 0.01, 0.1), **fill(case, rng)}
    run_both(optim.SGD, torch.optim.SGD, options, seed=seed)


def test_momentum_is_sgd_with_momentum_0_9():
    run_both(optim.Momentum, torch.optim.SGD, {"lr": 0.05}, {"lr": 0.05, "momentum": 0.9})


ADAGRAD_CASES = [
    {},
    {"lr_decay": "lr_decay"},
    {"initial_accumulator_value": "iav"},
    {"weight_decay": "wd", "eps": "eps"},
    {"maximize": True, "initial_accumulator_value": "iav", "lr_decay": "lr_decay"},
]


@pytest.mark.parametrize("case", ADAGRAD_CASES, ids=str)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_adagrad_matches_torch(case, seed):
    rng = np.random.default_rng(seed)
    options = {"lr": uniform(rng, 0.01, 0.5), **fill(case, rng)}
    run_both(optim.AdaGrad, torch.optim.Adagrad, options, seed=seed)


RMSPROP_CASES = [
    {"alpha": "alpha"},
    {"alpha": "alpha", "eps": "eps"},
    {"alpha": "alpha", "momentum": "m"},
    {"alpha": "alpha", "centered": True},
    {"alpha": "alpha", "centered": True, "momentum": "m", "weight_decay": "wd"},
    {"alpha": "alpha", "maximize": True, "weight_decay": "wd"},
]


@pytest.mark.parametrize("case", RMSPROP_CASES, ids=str)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rmsprop_matches_torch(case, seed):
    rng = np.random.default_rng(seed)
    options = {"lr": uniform(rng, 1e-3, 0.02), **fill(case, rng)}
    run_both(optim.RMSProp, torch.optim.RMSprop, options, seed=seed)


ADAM_CASES = [
    {},
    {"b1": "b1", "b2": "b2", "eps": "eps"},
    {"b1": "b1", "b2": "b2", "amsgrad": True},
    {"weight_decay": "wd"},
    {"weight_decay": "wd", "amsgrad": True, "maximize": True},
    {"maximize": True},
]


@pytest.mark.parametrize("case", ADAM_CASES, ids=str)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_adam_matches_torch(case, seed):
    rng = np.random.default_rng(seed)
    options = {"lr": uniform(rng, 1e-3, 0.05), **fill(case, rng)}
    run_both(optim.Adam, torch.optim.Adam, options, seed=seed)


@pytest.mark.parametrize("case", [{}, {"weight_decay": "wd"}, {"weight_decay": "wd", "amsgrad": True},
                                  {"b1": "b1", "b2": "b2", "maximize": True}], ids=str)
@pytest.mark.parametrize("seed", [0, 1])
def test_adamw_matches_torch(case, seed):
    rng = np.random.default_rng(seed)
    options = {"lr": uniform(rng, 1e-3, 0.05), **fill(case, rng)}
    run_both(optim.AdamW, torch.optim.AdamW, options, seed=seed)


# (minigrad class, torch class, lr range, cases): the optimizers beyond the first six.
MORE = {
    "Adamax": (optim.Adamax, "Adamax", (1e-3, 0.05), [
        {}, {"b1": "b1", "b2": "b2", "eps": "eps"}, {"weight_decay": "wd", "maximize": True}]),
    "Adadelta": (optim.Adadelta, "Adadelta", (0.5, 1.5), [
        {}, {"rho": "rho", "eps": "eps"}, {"weight_decay": "wd", "maximize": True, "rho": "rho"}]),
    "NAdam": (optim.NAdam, "NAdam", (1e-3, 0.05), [
        {}, {"b1": "b1", "b2": "b2", "eps": "eps", "momentum_decay": "md"},
        {"weight_decay": "wd", "maximize": True},
        {"weight_decay": "wd", "decoupled_weight_decay": True, "momentum_decay": "md"}]),
    "RAdam": (optim.RAdam, "RAdam", (1e-3, 0.05), [
        {}, {"b1": "b1", "b2": "b2", "eps": "eps"}, {"b1": "b1", "b2": "b2", "weight_decay": "wd"},
        {"weight_decay": "wd", "decoupled_weight_decay": True, "maximize": True}]),
    "Rprop": (optim.Rprop, "Rprop", (1e-3, 0.05), [
        {}, {"eta-": "eta-", "eta+": "eta+"}, {"eta-": "eta-", "eta+": "eta+", "step_min": "step_min",
                                               "step_max": "step_max", "maximize": True}]),
    "ASGD": (optim.ASGD, "ASGD", (1e-3, 0.05), [
        {}, {"lambd": "lambd", "alpha": "power", "t0": "t0"},
        {"lambd": "lambd", "t0": "t0", "weight_decay": "wd", "maximize": True}]),
}
MORE_CASES = [(name, case) for name, (_, _, _, cases) in MORE.items() for case in cases]


@pytest.mark.parametrize("name, case", MORE_CASES, ids=[f"{n}-{c}" for n, c in MORE_CASES])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_more_optimizers_match_torch(name, case, seed):
    minigrad_cls, torch_name, lr_range, _ = MORE[name]
    rng = np.random.default_rng(seed)
    options = {"lr": uniform(rng, *lr_range), **fill(case, rng)}
    run_both(minigrad_cls, getattr(torch.optim, torch_name), options, seed=seed)


def test_adam_decoupled_weight_decay_is_adamw():
    run_both(optim.Adam, torch.optim.AdamW, {"lr": 0.01, "weight_decay": 0.05, "decoupled_weight_decay": True},
             {"lr": 0.01, "weight_decay": 0.05})


@pytest.mark.parametrize("minigrad_cls, torch_cls, options", [
    (optim.SGD, torch.optim.SGD, {"lr": 0.03, "momentum": 0.8}),
    (optim.Adam, torch.optim.Adam, {"lr": 0.01, "amsgrad": True}),
    (optim.RMSProp, torch.optim.RMSprop, {"lr": 0.01, "centered": True, "momentum": 0.5}),
    (optim.AdaGrad, torch.optim.Adagrad, {"lr": 0.1, "initial_accumulator_value": 0.1}),
    (optim.NAdam, torch.optim.NAdam, {"lr": 0.01, "momentum_decay": 0.01}),
    (optim.RAdam, torch.optim.RAdam, {"lr": 0.01}),
    (optim.Adamax, torch.optim.Adamax, {"lr": 0.01}),
    (optim.Adadelta, torch.optim.Adadelta, {"lr": 1.0}),
    (optim.Rprop, torch.optim.Rprop, {"lr": 0.01}),
    (optim.ASGD, torch.optim.ASGD, {"lr": 0.01, "t0": 10.0}),
], ids=lambda value: getattr(value, "__name__", "") if not isinstance(value, dict) else str(value))
def test_param_groups_with_their_own_hyperparameters_match_torch(minigrad_cls, torch_cls, options):
    rng = np.random.default_rng(5)
    start = [rng.standard_normal(shape) for shape in SHAPES]
    ours = [mg.Tensor(p.copy(), requires_grad=True) for p in start]
    theirs = [torch.tensor(p.copy(), requires_grad=True) for p in start]
    optimizer = minigrad_cls([{"params": ours[:2]}, {"params": ours[2:], "lr": options["lr"] / 3}], **options)
    with torch_default_dtype(torch.float64):
        reference = torch_cls([{"params": theirs[:2]}, {"params": theirs[2:], "lr": options["lr"] / 3}], **options)
        steps_both(ours, theirs, optimizer, reference)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-10, atol=1e-12)


def steps_both(ours, theirs, optimizer, reference):
    for step in range(50):
        for p, q in zip(ours, theirs):
            p.grad = p.data * 0.5 + np.sin(step + p.data)
            q.grad = torch.from_numpy(q.detach().numpy() * 0.5 + np.sin(step + q.detach().numpy()))
        optimizer.step()
        reference.step()


def test_float32_parameters_stay_float32_and_close_to_torch():
    rng = np.random.default_rng(3)
    start = [rng.standard_normal(shape).astype(np.float32) for shape in SHAPES]
    ours = [mg.Tensor(p.copy(), requires_grad=True) for p in start]
    theirs = [torch.tensor(p.copy(), requires_grad=True) for p in start]
    optimizer, reference = optim.Adam(ours, lr=0.01), torch.optim.Adam(theirs, lr=0.01)
    for step in range(50):
        for p, q in zip(ours, theirs):
            g = np.cos(p.data * step).astype(np.float32)
            p.grad, q.grad = g, torch.from_numpy(g.copy())
        optimizer.step()
        reference.step()
    for p, q in zip(ours, theirs):
        assert p.data.dtype == np.float32 and optimizer.state[p]["exp_avg"].dtype == np.float32
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-5, atol=1e-5)
