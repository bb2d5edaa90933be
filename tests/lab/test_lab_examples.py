"""The lab's examples run in their fast mode and write what they promise."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_example(name: str, out: Path) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    done = subprocess.run([sys.executable, str(ROOT / "examples" / name), "--fast", "--out", str(out)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_optimizer_lab_example(tmp_path):
    pytest.importorskip("matplotlib")
    output = run_example("optimizer_lab.py", tmp_path)
    assert "28.672" in output and "-52.2378" in output and "8.68377" in output and "162" in output
    assert "DIVERGED" in output  # SGD with lr 0.01 on Rosenbrock
    assert "LBFGS (lr=1) on rosenbrock: 100 steps" in output and "Lookahead(Adam) (lr=0.05) on" in output
    assert "x_t (eval)" in output and "mu_product" in output  # the new rules' step tables
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["lab_rosenbrock.png", "lab_elongated.png", "lab_saddle.png", "lab_square.png",
                            "lab_double_well.png", "lab_adagrad_steps.png", "lab_saddle.gif", "lab_rosenbrock.gif",
                            "lab_averaging.png", "lab_arrows_rosenbrock.png", "lab_accumulators.png",
                            "lab_eigen_elongated.png", "lab_noise.png"])
    assert all((tmp_path / name).stat().st_size > 10_000 for name in names)


def test_the_fast_mode_never_overwrites_the_docs_figures(tmp_path):
    pytest.importorskip("matplotlib")
    docs_figure = ROOT / "docs" / "figures" / "lab_square.png"
    before = docs_figure.read_bytes()
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "optimizer_lab.py"), "--fast"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    assert docs_figure.read_bytes() == before
    assert (tmp_path / "lab_figures" / "lab_square.png").stat().st_size > 10_000


def test_backprop_trace_example(tmp_path):
    output = run_example("backprop_trace.py", tmp_path)
    assert "backward() agrees on every leaf" in output
    assert "dL/dn via L = tanh" in output
    assert (tmp_path / "neuron.dot").read_text().startswith("digraph minigrad {")
