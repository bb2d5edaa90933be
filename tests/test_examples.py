"""Every example runs, in its fast mode, as a user would run it, and draws its figure."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ["train_digits.py", "moons_decision_boundary.py", "compare_optimizers.py"]


@pytest.mark.parametrize("script", EXAMPLES)
def test_example_runs_and_saves_its_figure(script, tmp_path):
    figure = tmp_path / "figure.png"
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(ROOT / "examples" / script), "--fast", "--plot", str(figure)],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "accuracy" in done.stdout or "test acc" in done.stdout
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
