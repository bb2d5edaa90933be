"""The script that draws the Optimizers page's figures runs, in its fast mode."""
import importlib.util
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "optimizer_figures.py"


def test_optimizer_figures_script_draws_the_requested_figures(tmp_path):
    spec = importlib.util.spec_from_file_location("optimizer_figures", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    wanted = ["lr_schedules", "adam_bias_correction", "sgd_learning_rates"]
    module.main(["--fast", "--out", str(tmp_path), "--only", *wanted])
    drawn = sorted(path.stem for path in tmp_path.glob("*.png"))
    assert drawn == sorted(wanted)
    assert all(path.stat().st_size > 10_000 for path in tmp_path.glob("*.png"))  # real figures, not blanks
