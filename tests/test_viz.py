"""minigrad.viz: each plot returns a Figure that shows inline in a notebook, and path= also saves it."""
import numpy as np
import pytest

pytest.importorskip("matplotlib")
Image = pytest.importorskip("PIL.Image")

from matplotlib.figure import Figure  # noqa: E402

from minigrad import nn, viz  # noqa: E402
from minigrad.train import History  # noqa: E402


def falling_history(epochs: int = 6, validation: bool = True) -> History:
    history = History()
    for epoch in range(1, epochs + 1):
        history.epoch.append(epoch)
        history.train_loss.append(2.0 / epoch**2)
        history.train_accuracy.append(1 - 0.5 / epoch)
        if validation:
            history.val_loss.append(2.5 / epoch**2)
            history.val_accuracy.append(1 - 0.6 / epoch)
    return history


def shows_inline(figure) -> bool:
    return isinstance(figure, Figure) and figure._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_history_returns_the_figure_and_saves_only_when_asked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    figure = viz.plot_history(falling_history(), title="six epochs")
    assert shows_inline(figure) and not list(tmp_path.iterdir())
    loss_axes, accuracy_axes = figure.axes
    assert loss_axes.get_yscale() == "log"  # the loss falls by a factor of 36
    assert [t.get_text() for t in loss_axes.get_legend().get_texts()] == ["train", "test"]
    # The command line's call form: the path second, positionally.
    again = viz.plot_history(falling_history(validation=False), tmp_path / "curves.png", title="t")
    assert shows_inline(again)
    with Image.open(tmp_path / "curves.png") as image:
        assert image.format == "PNG"


def test_plot_comparison_returns_the_figure(tmp_path):
    histories = {"SGD (lr=0.1)": falling_history(), "Adam (lr=0.001)": falling_history(4)}
    figure = viz.plot_comparison(histories)
    assert shows_inline(figure)
    assert [t.get_text() for t in figure.axes[0].get_legend().get_texts()] == list(histories)
    viz.plot_comparison(histories, tmp_path / "compare.png", title="two")
    assert (tmp_path / "compare.png").read_bytes()[:4] == b"\x89PNG"


def test_plot_decision_boundary_returns_the_figure(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 2))
    y = (X[:, 0] > 0).astype(np.int64)
    model = nn.MLP([2, 4, 2])
    figure = viz.plot_decision_boundary(model, X, y, resolution=40)
    assert shows_inline(figure)
    viz.plot_decision_boundary(model, X, y, tmp_path / "boundary.png", resolution=40)
    assert (tmp_path / "boundary.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match=r"2-D features, got X of shape \(40, 3\)"):
        viz.plot_decision_boundary(model, np.zeros((40, 3)), y)


def test_ipython_displays_the_figure_as_a_png_without_pyplot():
    formatters = pytest.importorskip("IPython.core.formatters")
    figure = viz.plot_history(falling_history())
    data, _ = formatters.DisplayFormatter().format(figure)
    assert data["image/png"][:8] == b"\x89PNG\r\n\x1a\n"
