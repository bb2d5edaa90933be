"""Each optimizer does PyTorch's operations in PyTorch's order: in float64 the trajectories
agree to the last bit, even where the dynamics amplify every rounding difference.

The check runs on a double well per coordinate (gradient p^3 - c p) with step sizes that make
the run chaotic: a change of one unit in the last place of the start grows past 1e-6 within
the run (checked below, so the agreement cannot come from dynamics that forget differences).

Three things of PyTorch's CPU build are not operation order. Its vectorized kernels fuse
``x + a * b`` (add with alpha, addcmul, lerp) into one rounding (FMA) on CPUs that have it; its
float64 ``sqrt`` (Intel MKL's) is one unit in the last place off for about 1% of inputs; and
its ``dot`` (MKL's) sums in its own order. Each makes a chaotic run drift apart within a few
dozen steps. So PyTorch runs in a child process, with NumPy's sqrt and dot in place of its
own, in one of two modes:

- ``plain``: ``ATEN_CPU_CAPABILITY=default`` (its plain kernels, one rounding per operation),
  for the optimizers whose rules are NumPy expressions (every one but SGD and L-BFGS);
- ``fused``: its stock kernels, for SGD and L-BFGS, which add ``x + a * v`` as PyTorch's
  ``x.add_(v, alpha=a)`` rounds it on such a CPU, once (BLAS axpy; see
  ``minigrad.optim.functional._add_scaled_``). Skipped where either side rounds twice.

Running this file as a script is that child: it prints PyTorch's trajectories as JSON.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

SHAPES = [(3, 4), (4,), (2,)]
STEPS = 300
CHECKPOINTS = (0, 1, 2, 10, 50, 100, 200, STEPS - 1)

# Optimizers whose adds are fused (checked against PyTorch's stock kernels).
FUSED = {"SGD", "LBFGS"}

# (case id, minigrad class, torch class, options, chaotic). With maximize=True the gradient
# is negated, so the dynamics stay the same. A chaotic case must also show that an ulp-level
# difference grows (an lr one ulp larger moves the end point by more than 1e-6); the others
# (SGD and AdaGrad settle into a well here) must still agree bit for bit at every checkpoint.
CASES = [
    ("rmsprop-centered-momentum", "RMSprop", "RMSprop",
     {"lr": 0.1, "alpha": 0.83, "momentum": 0.9, "centered": True}, True),
    ("rmsprop", "RMSprop", "RMSprop", {"lr": 0.3, "alpha": 0.9}, True),
    ("rmsprop-wd-max", "RMSprop", "RMSprop", {"lr": 0.6, "alpha": 0.5, "weight_decay": 0.01, "maximize": True}, True),
    ("sgd-momentum", "SGD", "SGD", {"lr": 0.05, "momentum": 0.9}, False),
    ("sgd-nesterov-wd", "SGD", "SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.02}, False),
    ("sgd-dampening-max", "SGD", "SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3, "maximize": True}, False),
    ("adagrad", "Adagrad", "Adagrad", {"lr": 1.0, "lr_decay": 0.001, "weight_decay": 0.01}, False),
    ("adam", "Adam", "Adam", {"lr": 0.3, "betas": (0.5, 0.9)}, True),
    ("adam-amsgrad-wd", "Adam", "Adam", {"lr": 0.3, "betas": (0.5, 0.9), "amsgrad": True, "weight_decay": 0.01}, False),
    ("adamw-max", "AdamW", "AdamW", {"lr": 0.3, "betas": (0.5, 0.9), "weight_decay": 0.05, "maximize": True}, True),
    ("adamax", "Adamax", "Adamax", {"lr": 0.1, "betas": (0.5, 0.9)}, True),
    ("adamax-wd-max", "Adamax", "Adamax", {"lr": 0.3, "betas": (0.5, 0.9), "weight_decay": 0.01, "maximize": True},
     True),
    ("adadelta", "Adadelta", "Adadelta", {"lr": 50.0, "rho": 0.5}, True),
    ("adadelta-wd", "Adadelta", "Adadelta", {"lr": 50.0, "rho": 0.9, "eps": 1e-5, "weight_decay": 0.01}, True),
    ("nadam", "NAdam", "NAdam", {"lr": 0.3}, True),
    ("nadam-decoupled", "NAdam", "NAdam",
     {"lr": 0.3, "betas": (0.5, 0.9), "momentum_decay": 0.01, "weight_decay": 0.02, "decoupled_weight_decay": True},
     True),
    ("nadam-l2-max", "NAdam", "NAdam", {"lr": 0.3, "weight_decay": 0.02, "maximize": True}, True),
    ("radam", "RAdam", "RAdam", {"lr": 0.3, "betas": (0.5, 0.9)}, True),
    ("radam-decoupled-max", "RAdam", "RAdam",
     {"lr": 0.3, "betas": (0.5, 0.9), "weight_decay": 0.02, "decoupled_weight_decay": True, "maximize": True}, True),
    ("rprop", "Rprop", "Rprop", {"lr": 0.1, "etas": (0.3, 1.9), "step_sizes": (1e-6, 1.0)}, False),
    ("rprop-max", "Rprop", "Rprop", {"lr": 0.5, "maximize": True}, False),
    ("asgd", "ASGD", "ASGD", {"lr": 0.1, "t0": 50.0, "lambd": 0.01, "weight_decay": 0.01}, False),
]


# L-BFGS on the 2-D Rosenbrock function from (-1.2, 1): 12 calls of step(closure), against
# PyTorch with NumPy's dot (MKL's dot rounded differently even on two coordinates on one of
# the CPUs this ran on; tests/optim/test_lbfgs.py compares long vectors to 1e-5).
LBFGS_CASES = [
    ("lbfgs", {"lr": 0.5, "history_size": 3, "max_iter": 7}),
    ("lbfgs-lr1", {"lr": 1.0}),  # jumps to (19.6, 43.5) and back: sensitive to every rounding
    ("lbfgs-strong-wolfe", {"lr": 1.0, "line_search_fn": "strong_wolfe"}),
    ("lbfgs-strong-wolfe-short", {"lr": 0.3, "line_search_fn": "strong_wolfe", "history_size": 4, "max_eval": 12}),
]
LBFGS_CALLS = 12


def rosenbrock(v: np.ndarray) -> tuple[float, np.ndarray]:
    x, y = v
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2, np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def start_and_curvature(seed: int = 0):
    rng = np.random.default_rng(seed)
    start = [rng.standard_normal(shape) for shape in SHAPES]
    curvature = [rng.uniform(0.1, 2.0, shape) for shape in SHAPES]
    return start, curvature


def gradient(p: np.ndarray, c: np.ndarray, options: dict) -> np.ndarray:
    """Of sum(p^4 / 4 - c p^2 / 2): two wells per coordinate; negated when maximizing."""
    g = p * p * p - c * p
    return -g if options.get("maximize") else g


def rounds_once(add_scaled) -> bool:
    """Whether ``add_scaled(target, x, alpha)`` (target <- target + alpha * x) rounds once:
    (1 + 2^-12)^2 = 1 + 2^-11 + 2^-24 needs one bit more than a float32 has."""
    x = np.array([1 + 2.0**-12], dtype=np.float32)
    target = np.array([-1.0], dtype=np.float32)
    return float(add_scaled(target, x, float(x[0]))[0]) == 2.0**-11 + 2.0**-24


def torch_trajectories(mode: str) -> dict:
    """The child process: PyTorch with NumPy's sqrt and dot, every case of ``mode``."""
    import torch

    capability = torch.backends.cpu.get_cpu_capability()
    if mode == "plain" and capability != "DEFAULT":
        return {"skip": f"PyTorch ignored ATEN_CPU_CAPABILITY=default (runs {capability})"}
    if mode == "fused" and not rounds_once(lambda t, x, a: torch.from_numpy(t).add_(torch.from_numpy(x), alpha=a)):
        return {"skip": f"PyTorch's add with alpha rounds twice on this CPU (its kernels: {capability})"}

    def sqrt(self):
        return torch.from_numpy(np.asarray(np.sqrt(self.detach().numpy())))

    def sqrt_(self):
        self.copy_(sqrt(self))
        return self

    def dot(self, other):
        return torch.from_numpy(np.asarray(np.dot(self.detach().numpy(), other.detach().numpy())))

    torch.Tensor.sqrt, torch.Tensor.sqrt_, torch.Tensor.dot = sqrt, sqrt_, dot
    # NAdam's mu_product, ASGD's eta and mu: float64 as minigrad's Python floats (see ASGD).
    torch.set_default_dtype(torch.float64)
    result = {}
    for case_id, minigrad_name, torch_name, options, _ in CASES:
        if (minigrad_name in FUSED) != (mode == "fused"):
            continue
        start, curvature = start_and_curvature()
        params = [torch.tensor(p.copy(), requires_grad=True) for p in start]
        optimizer = getattr(torch.optim, torch_name)(params, **options)
        checkpoints = {}
        for step in range(STEPS):
            for p, c in zip(params, curvature):
                p.grad = torch.from_numpy(gradient(p.detach().numpy(), c, options))
            optimizer.step()
            if step in CHECKPOINTS:
                checkpoints[step] = [p.detach().numpy().ravel().tolist() for p in params]
                checkpoints[step] += [optimizer.state[p]["ax"].numpy().ravel().tolist()
                                      for p in params if "ax" in optimizer.state[p]]
        result[case_id] = checkpoints
    for case_id, options in LBFGS_CASES if mode == "fused" else ():
        point = torch.tensor([-1.2, 1.0], dtype=torch.float64, requires_grad=True)
        optimizer = torch.optim.LBFGS([point], **options)

        def closure():
            loss, grad = rosenbrock(point.detach().numpy())
            point.grad = torch.from_numpy(grad)
            return loss

        result[case_id] = [[*point.detach().numpy().tolist(), optimizer.step(closure)] for _ in range(LBFGS_CALLS)]
    return result


def run_child(mode: str) -> dict:
    pytest.importorskip("torch")
    env = dict(os.environ)
    env.pop("ATEN_CPU_CAPABILITY", None)
    if mode == "plain":
        env["ATEN_CPU_CAPABILITY"] = "default"
    done = subprocess.run([sys.executable, __file__, mode], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    if "skip" in result:
        pytest.skip(result["skip"])
    return result


@pytest.fixture(scope="module")
def reference():
    return run_child("plain")


@pytest.fixture(scope="module")
def fused_reference():
    from minigrad.optim.functional import _add_scaled_

    if not rounds_once(_add_scaled_):
        pytest.skip("this machine's BLAS axpy rounds twice (no FMA kernel): SGD and L-BFGS round as "
                    "PyTorch's plain kernels here, not as its stock ones")
    return run_child("fused")


def test_the_fused_add_rounds_once_like_pytorch_and_the_plain_kernels_twice():
    """What the two references rest on, shown on one number."""
    torch = pytest.importorskip("torch")
    from minigrad.optim.functional import _add_scaled_

    def plain(target, x, alpha):
        target += np.multiply(x, alpha)
        return target

    assert not rounds_once(plain)
    if not rounds_once(lambda t, x, a: torch.from_numpy(t).add_(torch.from_numpy(x), alpha=a)):
        pytest.skip("PyTorch's add with alpha rounds twice on this CPU")
    assert rounds_once(_add_scaled_)


def our_trajectory(minigrad_name: str, options: dict) -> dict:
    import minigrad as mg
    from minigrad import optim

    start, curvature = start_and_curvature()
    params = [mg.Tensor(p.copy(), requires_grad=True) for p in start]
    optimizer = getattr(optim, minigrad_name)(params, **options)
    checkpoints = {}
    for step in range(STEPS):
        for p, c in zip(params, curvature):
            p.grad = gradient(p.data, c, options)
        optimizer.step()
        if step in CHECKPOINTS:
            checkpoints[str(step)] = [p.data.ravel().copy() for p in params]
            checkpoints[str(step)] += [optimizer.state[p]["ax"].ravel().copy()
                                       for p in params if "ax" in optimizer.state[p]]
    return checkpoints


@pytest.mark.parametrize("case_id, minigrad_name, torch_name, options, chaotic", CASES, ids=[c[0] for c in CASES])
def test_trajectory_agrees_with_pytorch_bit_for_bit(request, case_id, minigrad_name, torch_name, options, chaotic):
    reference = request.getfixturevalue("fused_reference" if minigrad_name in FUSED else "reference")
    ours = our_trajectory(minigrad_name, options)
    assert all(np.isfinite(p).all() for p in ours[str(STEPS - 1)]), f"{case_id} diverged"
    for step, theirs in reference[case_id].items():
        assert len(ours[step]) == len(theirs)
        for mine, their in zip(ours[step], theirs):
            np.testing.assert_array_equal(mine, np.array(their), err_msg=f"{case_id}, step {step}")
    if chaotic:
        nudged = our_trajectory(minigrad_name, {**options, "lr": float(np.nextafter(options["lr"], 1))})
        last = str(STEPS - 1)
        spread = max(np.max(np.abs(a - b)) for a, b in zip(ours[last], nudged[last]))
        assert spread > 1e-6, f"{case_id}: an lr one ulp larger moved the end only by {spread:.1e}: not chaotic"


@pytest.mark.parametrize("case_id, options", LBFGS_CASES, ids=[c[0] for c in LBFGS_CASES])
def test_lbfgs_agrees_with_pytorch_bit_for_bit(fused_reference, case_id, options):
    import minigrad as mg
    from minigrad import optim

    point = mg.Tensor(np.array([-1.2, 1.0]), requires_grad=True)
    optimizer = optim.LBFGS([point], **options)

    def closure():
        loss, grad = rosenbrock(point.data)
        point.grad = grad
        return loss

    ours = [[*point.data.tolist(), optimizer.step(closure)] for _ in range(LBFGS_CALLS)]
    # each row: the point before the call, then the loss the call returns
    assert ours == fused_reference[case_id]
    assert np.abs(point.data - 1).max() < 1e-3


if __name__ == "__main__":
    print(json.dumps(torch_trajectories(sys.argv[1])))
