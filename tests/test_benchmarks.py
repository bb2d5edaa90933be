"""The step benchmark: its NumPy floor computes the very step minigrad computes (so the
comparison is honest), its timing loop is fair, and the command runs. No timings are
asserted: machines are noisy."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from bench_step import interleaved  # noqa: E402
from minigrad_step import MinigradMLP  # noqa: E402
from numpy_floor import NumpyMLP  # noqa: E402
from workloads import CONFIGS, LARGE, Config, init_weights, make_batch  # noqa: E402

SMALL_CONFIGS = [c for c in CONFIGS if c is not LARGE] + [Config((5, 7, 3), 4)]


def _assert_close_lists(actual, expected, rtol=2e-4, atol=2e-6):
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        assert a.shape == e.shape
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol)


@pytest.mark.parametrize("config", SMALL_CONFIGS, ids=lambda c: c.name)
def test_floor_computes_minigrads_loss_and_gradients(config):
    weights = init_weights(config.sizes, seed=3)
    X, y = make_batch(config, seed=4)
    floor = NumpyMLP(weights)
    mini = MinigradMLP(weights)

    floor_loss = floor.loss_and_grads(X, y)
    loss = mini.loss(mg.Tensor(X), y)
    loss.backward()

    assert loss.dtype == np.float32
    assert floor_loss == pytest.approx(loss.item(), rel=1e-5)
    _assert_close_lists(mini.gradients(), floor.grads)


@pytest.mark.parametrize("flat", [False, True], ids=["per-parameter", "flat"])
@pytest.mark.parametrize("config", SMALL_CONFIGS[:2], ids=lambda c: c.name)
def test_floor_adam_steps_land_where_minigrads_do(config, flat):
    weights = init_weights(config.sizes, seed=5)
    X, y = make_batch(config, seed=6)
    floor = NumpyMLP(weights, flat=flat)
    mini = MinigradMLP(weights)
    for _ in range(3):
        floor_loss = floor.step(X, y)
        loss = mini.step(mg.Tensor(X), y)
        assert floor_loss == pytest.approx(loss.item(), rel=1e-4)
    params = [p.data for _, p in mini.model.named_parameters()]
    params = [p.T if mini.transposed and p.ndim == 2 else p for p in params]
    _assert_close_lists(params, floor.params, rtol=1e-5, atol=1e-6)
    # The weights moved: a step that did nothing would also "agree".
    assert not np.allclose(floor.params[0], weights[0][0])


def test_floor_computes_torchs_loss_and_gradients():
    torch = pytest.importorskip("torch")
    from torch_step import TorchMLP

    config = SMALL_CONFIGS[1]
    weights = init_weights(config.sizes, seed=7)
    X, y = make_batch(config, seed=8)
    floor = NumpyMLP(weights)
    reference = TorchMLP(weights)
    loss = reference.loss_and_grads(torch.from_numpy(X), torch.from_numpy(y))
    assert floor.loss_and_grads(X, y) == pytest.approx(loss, rel=1e-5)
    _assert_close_lists(floor.grads, reference.gradients())


def test_interleaved_calls_every_runner_equally_and_rotates_the_order():
    calls = []
    runners = {name: (lambda name=name: calls.append(name)) for name in "abc"}
    times = interleaved(runners, rounds=4, repeats=2, warmup=1)
    assert sorted(times) == ["a", "b", "c"]
    assert all(t >= 0 for t in times.values())
    assert [calls.count(name) for name in "abc"] == [10, 10, 10]
    firsts = [calls[i] for i in range(0, len(calls), 6)]  # who led each round
    assert firsts == ["a", "b", "c", "a", "b"]


def test_the_benchmark_command_runs_and_reports_every_section():
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_step.py"), "--quick", "--json", "--rounds", "1", "--clock", "cpu"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["threads"] == 1 and report["clock"] == "cpu"
    expected = {"minigrad", "numpy", "numpy_flat"}
    if importlib.util.find_spec("torch"):
        expected |= {"torch", "torch_fused"}
    assert [row["config"] for row in report["steps"]] == [c.name for c in CONFIGS]
    for row in report["steps"]:
        assert set(row["us"]) == expected
        assert all(us > 0 for us in row["us"].values())
        assert row["minigrad/numpy"] == pytest.approx(row["us"]["minigrad"] / row["us"]["numpy"])
    assert set(report["epoch"]["us"]) == {"minigrad", "numpy", "sklearn", "sklearn_float64"}
    assert [row["optimizer"] for row in report["optimizers"]] == ["SGD", "Momentum", "AdaGrad", "RMSProp", "Adam"]
    memory = report["memory"]
    assert memory["steps"] == [30, 300]
    assert 0 < memory["rss_mb"][0] <= memory["peak_rss_mb"] + 1
    assert memory["growth_mb"] == pytest.approx(memory["rss_mb"][1] - memory["rss_mb"][0])


def test_the_benchmark_command_rejects_a_thread_count_below_one():
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_step.py"), "--threads", "0"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2
    assert "--threads must be at least 1, got 0" in done.stderr
