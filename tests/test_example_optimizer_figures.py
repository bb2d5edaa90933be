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


def load_example():
    spec = importlib.util.spec_from_file_location("optimizer_figures", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fast_mode_draws_every_new_optimizers_figure_against_adam(tmp_path):
    module = load_example()
    wanted = [figure.__name__ for figure in module.NEW_RULE_FIGURES]
    module.main(["--fast", "--out", str(tmp_path), "--only", *wanted])
    drawn = {path.stem: path.stat().st_size for path in tmp_path.glob("*.png")}
    assert sorted(drawn) == sorted(wanted)
    assert all(10_000 < size < 100_000 for size in drawn.values()), drawn  # real figures, small


def test_the_guide_shows_each_new_optimizers_committed_figure():
    module = load_example()
    guide = (EXAMPLE.parents[1] / "docs" / "optimizers.md").read_text()
    for figure in module.NEW_RULE_FIGURES:
        committed = module.DOCS_FIGURES / f"{figure.__name__}.png"
        assert committed.exists(), f"run: python examples/optimizer_figures.py --docs --only {figure.__name__}"
        assert committed.stat().st_size < 100_000, committed
        assert f"(figures/optimizers/{figure.__name__}.png)" in guide, figure.__name__


def test_every_optimizer_class_has_a_figure_in_the_guide():
    from minigrad import optim

    module = load_example()
    drawn = {figure.__name__ for figure in module.NEW_RULE_FIGURES}
    slides = {"SGD", "Momentum", "AdaGrad", "Adagrad", "RMSProp", "RMSprop", "Adam", "AdamW"}
    named = {"ScheduleFreeSGD": "schedule_free_vs_adam", "ScheduleFreeAdamW": "schedule_free_vs_adam"}
    beyond = [name for name in optim.__all__ if isinstance(getattr(optim, name), type)
              and issubclass(getattr(optim, name), optim.Optimizer) and name not in slides | {"Optimizer"}]
    missing = [name for name in beyond if named.get(name, f"{name.lower()}_vs_adam") not in drawn]
    assert not missing, f"optimizers without a figure against Adam: {missing}"
