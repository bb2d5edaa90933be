"""benchmarks/bench_optim.py compares equal work and runs. No timings are asserted."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import bench_optim  # noqa: E402


@pytest.mark.parametrize("workload", ["mlp", "vector-100"])
def test_both_sides_of_every_row_compute_the_same_steps(workload):
    pytest.importorskip("torch")
    assert bench_optim.check_same_work(steps=4, workload=workload, dtype=np.float64) == []


def test_every_optimizer_of_the_package_has_a_row():
    from minigrad import optim

    rows = {name for _, name, _, _ in bench_optim.OPTIMIZERS}
    classes = {name for name in optim.__all__ if isinstance(getattr(optim, name), type)}
    aliases = {"AdaGrad", "RMSProp", "Momentum", "Optimizer"}  # same classes under PyTorch's names, the base
    assert classes - aliases == rows


def test_the_command_runs_and_reports_json():
    done = subprocess.run([sys.executable, str(BENCHMARKS / "bench_optim.py"), "--quick", "--json",
                           "--workloads", "vector-100", "--optimizers", "Adam", "LBFGS", "Lion"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [row["optimizer"] for row in report["rows"]] == ["Adam", "LBFGS", "Lion"]
    assert all(row["us"]["minigrad"] > 0 for row in report["rows"])
    assert "torch" not in report["rows"][2]["us"]  # Lion has no torch.optim counterpart
