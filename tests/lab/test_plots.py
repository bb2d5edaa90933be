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


def legend_texts_of(figure) -> list[str]:
    (legend,) = figure.legends  # one legend for both panels
    return [text.get_text() for text in legend.get_texts()]


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
    legend_texts = legend_texts_of(figure)
    assert any("(diverged)" in text for text in legend_texts)
    assert "minimum" in legend_texts and "start" in legend_texts


def test_saddle_marks_the_saddle_point():
    figure = plot_trajectories([run("saddle", "rmsprop", None, 30)])
    legend_texts = legend_texts_of(figure)
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
    with pytest.raises(SystemExit) as stop:  # argparse refuses the name before anything runs
        main(["lab", "compare", "--function", "bowl", "--optimizers", "sgd", "lionx", "--out", str(tmp_path / "a.png")])
    assert stop.value.code == 2 and "unknown optimizer 'lionx'" in capsys.readouterr().err
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
    # matplotlib's HTML writer embeds each frame (here a JPEG) in base64 next to its player script.
    assert html.count("data:image/jpeg;base64") == animation.frames == 4 + 4  # + the held last frame
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


def test_ipython_displays_an_animation_as_html():
    formatters = pytest.importorskip("IPython.core.formatters")
    animation = lab.animate_trajectories(run("bowl", "sgd", None, 3), max_frames=2)
    data, _ = formatters.DisplayFormatter().format(animation)
    assert "data:image/jpeg;base64" in data["text/html"]


def test_importing_the_lab_does_not_import_matplotlib():
    import subprocess
    import sys

    code = "import sys, minigrad.lab, minigrad.viz; print('matplotlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# ---- what the figures must not do (issue: false cliffs, a star in an optimizer's colour, hidden
# lines, a legend over the data) -------------------------------------------------------------------

def loss_axes_of(figure):
    return figure.axes[1]


@pytest.mark.parametrize("function", ["saddle", "tilted_bowl"])
def test_values_of_both_signs_without_a_known_minimum_get_a_linear_axis(function):
    # symlog squeezes the band around 0 and stretches the rest: a run passing smoothly
    # through f = 0 looks like it falls off a cliff there.
    if function == "tilted_bowl":
        function = lab.objective(lambda x, y: (x - 1) ** 2 + 3 * (y + 0.5) ** 2 + (x * y).tanh(),
                                 window=((-3, 3), (-3, 3)), start=(-2.0, 2.0))
    runs = [run(function, name, None, 100, lr=0.05) for name in ("sgd", "momentum", "adam")]
    values = np.concatenate([t.values for t in runs])
    assert values.min() < 0 < values.max()
    axes = loss_axes_of(plot_trajectories(runs))
    assert axes.get_yscale() == "linear"
    assert axes.get_ylabel() == "f(x_t)"


def test_a_known_minimum_below_zero_gives_a_log_axis_of_the_gap_to_it():
    runs = [run("double_well", name, None, 50) for name in ("sgd", "momentum", "adagrad", "rmsprop", "adam")]
    lowest = min(lab.FUNCTIONS["double_well"].value(m) for m in lab.FUNCTIONS["double_well"].minima)
    assert lowest < 0
    axes = loss_axes_of(plot_trajectories(runs))
    assert axes.get_yscale() == "log"
    assert "f(x_t) - f(x*)" in axes.get_ylabel()
    plotted = [line.get_ydata() for line in axes.get_lines()]
    for trajectory, ydata in zip(runs, plotted):
        assert np.allclose(ydata, trajectory.values - lowest, rtol=1e-12, atol=1e-12)
        assert (ydata > 0).all()


def test_positive_values_over_decades_keep_their_log_axis_and_flat_ones_a_linear_one():
    axes = loss_axes_of(plot_trajectories([run("rosenbrock", "adam", None, 1000)]))
    assert axes.get_yscale() == "log" and axes.get_ylabel() == "f(x_t)"
    axes = loss_axes_of(plot_trajectories([run("bowl", "sgd", None, 2, lr=0.01)]))
    assert axes.get_yscale() == "linear"


def to_lab(rgb) -> np.ndarray:
    """sRGB (0..1) to CIELAB (D65): distances there follow what the eye sees."""
    rgb = np.asarray(rgb, dtype=float)[:3]
    linear = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    f = np.cbrt(xyz / [0.95047, 1.0, 1.08883])
    f = np.where(xyz / [0.95047, 1.0, 1.08883] > 216 / 24389, f, (24389 / 27 * xyz / [0.95047, 1.0, 1.08883] + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def assert_no_line_shares_the_colour(rgb):
    """The mark is a neutral (no hue a line could have) far from every colour a run may get."""
    from matplotlib.colors import to_rgb

    from minigrad.lab.plots import _SPARE_COLORS

    mark = to_lab(to_rgb(rgb))
    assert np.hypot(mark[1], mark[2]) < 10, f"the mark has a hue: {rgb}"
    for color in list(COLORS.values()) + _SPARE_COLORS:
        assert np.linalg.norm(mark - to_lab(to_rgb(color))) > 40, (rgb, color)


def test_the_minimum_star_shares_no_colour_with_any_optimizer(tmp_path):
    runs = [run("rosenbrock", name, None, 40) for name in ("sgd", "momentum", "adagrad", "rmsprop", "adam")]
    figure = plot_trajectories(runs)
    stars = [line for line in figure.axes[0].get_lines() if line.get_marker() == "*"]
    assert len(stars) == 1
    assert_no_line_shares_the_colour(stars[0].get_markerfacecolor())
    # In the GIF too, where colours are reduced to a palette: the pixel at the star's centre.
    animation = animate_trajectories(runs, tmp_path / "rosenbrock.gif", max_frames=3)
    x, y = animation.figure.axes[0].transData.transform((1.0, 1.0))
    with Image.open(tmp_path / "rosenbrock.gif") as image:
        image.seek(image.n_frames - 1)
        pixels = np.asarray(image.convert("RGB"))
    centre = pixels[int(round(pixels.shape[0] - y)), int(round(x))] / 255
    assert_no_line_shares_the_colour(centre)


def test_every_run_shows_where_lines_coincide(tmp_path):
    # On the double well AdaGrad's and RMSProp's loss curves are the same after a few steps:
    # drawn alike, the later one hid the other entirely.
    runs = [run("double_well", name, None, 50) for name in ("sgd", "momentum", "adagrad", "rmsprop", "adam")]
    figure = plot_trajectories(runs, tmp_path / "double_well.png")
    loss_lines = loss_axes_of(figure).get_lines()
    assert len({line.get_marker() for line in loss_lines}) == len(runs)
    assert loss_lines[0].get_linestyle() == "-" and all(line.get_linestyle() == "--" for line in loss_lines[1:])
    assert [line.get_zorder() for line in loss_lines] == sorted(line.get_zorder() for line in loss_lines)
    with Image.open(tmp_path / "double_well.png") as image:
        width = image.width
        loss_panel = image.crop((width // 2 + 60, 0, width, image.height))
        for name in ("sgd", "momentum", "adagrad", "rmsprop", "adam"):
            assert pixels_near(loss_panel, COLORS[name]) > 150, name


def legend_boxes(figure):
    renderer = figure.canvas.get_renderer()
    legends = list(figure.legends) + [axes.get_legend() for axes in figure.axes if axes.get_legend()]
    return [legend.get_window_extent(renderer) for legend in legends]


def test_legends_cover_no_data():
    from minigrad.optim import lr_scheduler

    # The Optimizers page's schedule figure, whose legend sat on the curves.
    function = lab.objective(lab.FUNCTIONS["log_square"].formula, name="log_square", window=((-2.0, 2.0),),
                             minima=((0.0,),))
    runs = [run(function, "sgd", -1.5, 50, lr=0.2, label="SGD, constant lr 0.2"),
            run(function, "sgd", -1.5, 50, lr=0.2, label="SGD, lr 0.2 * 0.5^(s/10)",
                schedule=lambda opt: lr_scheduler.ExponentialDecayLR(opt, decay_rate=0.5, decay_steps=10))]
    for runs in (runs, [run("rosenbrock", name, None, 200) for name in ("sgd", "momentum", "adam")]):
        figure = plot_trajectories(runs)
        figure.canvas.draw()
        boxes = legend_boxes(figure)
        assert boxes
        for axes in figure.axes:
            for line in axes.get_lines():
                points = axes.transData.transform(np.column_stack([line.get_xdata(), line.get_ydata()]))
                for box in boxes:
                    inside = ((points[:, 0] > box.x0) & (points[:, 0] < box.x1)
                              & (points[:, 1] > box.y0) & (points[:, 1] < box.y1))
                    assert not inside.any(), f"a legend covers {line.get_label() or 'a line'}"
