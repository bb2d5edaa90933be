"""The lab's pictures: figures and animations as objects (inline in a notebook, saved on
request), and `minigrad lab compare` drawing headless a real PNG and a real animated GIF."""
import numpy as np
import pytest

from minigrad.cli import main
from minigrad.lab import run
from minigrad import lab
from minigrad.lab.plots import COLORS, animate_trajectories, colors_for, plot_trajectories

Image = pytest.importorskip("PIL.Image")
pytest.importorskip("matplotlib")


def pixels_near(image, hex_color: str, tolerance: int = 40) -> int:
    rgb = np.asarray(image.convert("RGB"), dtype=int)
    target = np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(rgb - target).sum(axis=-1) < tolerance).sum())


def test_compare_writes_a_png_with_every_optimizer_in_its_colour(tmp_path, capsys):
    out = tmp_path / "rosenbrock.png"
    names = ["sgd", "momentum", "adagrad", "rmsprop", "adam"]
    assert main(["lab", "compare", "--function", "rosenbrock", "--optimizers", *names,
                 "--steps", "150", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.count("on rosenbrock: 150 steps") == 5 and f"saved {out}" in printed
    assert out.stat().st_size > 50_000
    with Image.open(out) as image:
        assert image.format == "PNG" and image.width > 1000 and image.height > 400
        for name in names:
            assert pixels_near(image, COLORS[name]) > 150, name  # 0 when an optimizer is missing
        assert pixels_near(image, "#ffd700") > 50  # the gold star on the minimum


def test_a_file_name_without_extension_gets_a_png_at_exactly_that_path(tmp_path, capsys):
    out = tmp_path / "bowl_figure"
    assert main(["lab", "compare", "--function", "bowl", "--optimizers", "sgd", "--steps", "5",
                 "--out", str(out)]) == 0
    assert f"saved {out}" in capsys.readouterr().out
    with Image.open(out) as image:
        assert image.format == "PNG"
    assert [p.name for p in tmp_path.iterdir()] == ["bowl_figure"]  # nothing else, no temporary left


def test_compare_writes_an_animated_gif(tmp_path, capsys):
    out = tmp_path / "bowl.gif"
    assert main(["lab", "compare", "--function", "bowl", "--optimizers", "sgd", "adam", "--steps", "12",
                 "--frames", "6", "--out", str(out)]) == 0
    with Image.open(out) as image:
        assert image.format == "GIF" and image.is_animated
        assert image.n_frames >= 6
        first = np.asarray(image.convert("RGB")).copy()
        image.seek(image.n_frames - 1)
        last = np.asarray(image.convert("RGB"))
    assert (first != last).any(), "the frames must show the runs advancing"
    assert out.stat().st_size > 20_000


def test_one_dimensional_functions_plot_the_curve_with_the_steps(tmp_path):
    runs = [run("square20", "sgd", (2.0,), 20, lr=0.1), run("square20", "adam", (2.0,), 20, lr=0.1)]
    assert runs[0].diverged
    figure = plot_trajectories(runs, tmp_path / "square20.png")
    with Image.open(tmp_path / "square20.png") as image:
        assert pixels_near(image, COLORS["sgd"]) > 100 and pixels_near(image, COLORS["adam"]) > 100
    assert plot_trajectories(runs) is not figure  # a new figure each call
    legend_texts = [t.get_text() for axes in figure.axes for t in axes.get_legend().get_texts()]
    assert any("(diverged)" in text for text in legend_texts)
    assert "minimum" in legend_texts and "start" in legend_texts


def test_saddle_marks_the_saddle_point():
    figure = plot_trajectories([run("saddle", "rmsprop", None, 30)])
    legend_texts = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert "saddle point" in legend_texts and "minimum" not in legend_texts


def test_colours_stay_with_their_optimizer():
    runs = [run("bowl", name, None, 2) for name in ("adam", "sgd")]
    assert colors_for(runs) == [COLORS["adam"], COLORS["sgd"]]
    twice = [run("bowl", "sgd", None, 2, lr=0.1), run("bowl", "sgd", None, 2, lr=0.01)]
    first, second = colors_for(twice)
    assert first == COLORS["sgd"] and second not in COLORS.values()
    many = [run("bowl", "adam", None, 1, lr=lr) for lr in (0.1, 0.2, 0.3, 0.4, 0.5)]
    assert len(set(colors_for(many))) == 5


def test_bad_plot_requests(tmp_path, capsys):
    with pytest.raises(ValueError, match="different functions"):
        plot_trajectories([run("bowl", "sgd", None, 2), run("saddle", "sgd", None, 2)])
    with pytest.raises(ValueError, match=".gif"):
        animate_trajectories([run("bowl", "sgd", None, 2)], tmp_path / "x.png")
    code = main(["lab", "compare", "--function", "bowl", "--optimizers", "sgd", "lion", "--out", str(tmp_path / "a.png")])
    assert code == 2 and "unknown optimizer 'lion'" in capsys.readouterr().err
    code = main(["lab", "compare", "--function", "bowl", "--start", "1", "2", "3", "--out", str(tmp_path / "a.png")])
    assert code == 2 and "bowl takes a point with 2 coordinates" in capsys.readouterr().err
    code = main(["lab", "compare", "--function", "bowl", "--optimizers", "sgd", "adam", "--lr", "0.1", "0.2", "0.3",
                 "--out", str(tmp_path / "a.png")])
    assert code == 2 and "--lr takes one value or one per optimizer (2), got 3" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def png_of(displayable) -> bytes:
    """What Jupyter would show for ``displayable`` as image/png (its _repr_png_)."""
    data = displayable._repr_png_()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return data


def test_plot_trajectories_is_public_and_returns_a_figure_that_shows_inline(tmp_path):
    from matplotlib.figure import Figure

    trajectory = run("bowl", "adam", None, 10)
    figure = lab.plot_trajectories(trajectory)  # one run needs no list
    assert isinstance(figure, Figure) and len(figure.axes) == 2
    assert len(png_of(figure)) > 20_000
    assert not list(tmp_path.iterdir())  # no path, no file
    saved = lab.plot_trajectories([trajectory], path=tmp_path / "bowl.png", title="a bowl")
    assert isinstance(saved, Figure) and saved._suptitle.get_text() == "a bowl"
    with Image.open(tmp_path / "bowl.png") as image:
        assert image.format == "PNG"


def test_an_animation_shows_as_a_javascript_player_and_saves_a_gif(tmp_path):
    runs = [run("bowl", name, None, 6) for name in ("sgd", "adam")]
    animation = lab.animate_trajectories(runs, max_frames=4)
    assert not list(tmp_path.iterdir())
    html = animation._repr_html_()
    # matplotlib's HTML writer embeds each frame as a base64 PNG next to its player script.
    assert html.count("data:image/png;base64") == animation.frames == 4 + 4  # + the held last frame
    assert "<script" in html and animation._repr_html_() is html  # drawn once, then kept
    assert "SGD" in repr(animation) and "8 frames" in repr(animation)
    path = animation.save(tmp_path / "bowl.gif")
    with Image.open(path) as image:
        assert image.format == "GIF" and image.n_frames >= 4
    saved_at_once = lab.animate_trajectories(runs, tmp_path / "again.gif", max_frames=4)
    assert (tmp_path / "again.gif").stat().st_size > 10_000 and saved_at_once.frames == 8
    with pytest.raises(ValueError, match="max_frames must be an integer >= 1, got 0"):
        lab.animate_trajectories(runs, max_frames=0)
    with pytest.raises(ValueError, match="as a .gif file, got '.*x.png'"):
        animation.save(tmp_path / "x.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.gif", "bowl.gif"]


def test_importing_the_lab_does_not_import_matplotlib():
    import subprocess
    import sys

    code = "import sys, minigrad.lab, minigrad.viz; print('matplotlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
