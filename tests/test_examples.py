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


# ---- the figure scripts write into the docs only when asked (issue 17, item 9) ------------

def load_example(name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name.removesuffix(".py"), ROOT / "examples" / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("script, default", [("optimizer_lab.py", "lab_figures"),
                                             ("optimizer_figures.py", "optimizer_figures")])
def test_figure_scripts_write_into_the_docs_only_with_docs(script, default, capsys):
    module = load_example(script)
    assert Path(module.parse_arguments([]).out) == Path(default)  # relative: the current folder
    assert Path(module.parse_arguments(["--fast"]).out) == Path(default)
    docs = Path(module.parse_arguments(["--docs"]).out).resolve()
    assert docs.is_relative_to(ROOT / "docs" / "figures")
    for refused in (["--docs", "--fast"], ["--docs", "--out", "x"]):
        with pytest.raises(SystemExit) as stop:
            module.parse_arguments(refused)
        assert stop.value.code == 2


def test_drawing_a_docs_figure_without_options_leaves_the_docs_alone(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    tracked = ROOT / "docs" / "figures" / "optimizers" / "lr_schedules.png"
    before = tracked.read_bytes()
    monkeypatch.chdir(tmp_path)
    load_example("optimizer_figures.py").main(["--only", "lr_schedules"])  # full quality, no --out
    assert tracked.read_bytes() == before
    drawn = tmp_path / "optimizer_figures" / "lr_schedules.png"
    assert drawn.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert oct(drawn.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
