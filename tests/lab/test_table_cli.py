"""`minigrad lab table` reproduces the slides' worked examples (the printed numbers are
parsed back and compared with the slides' own, to the digits the slides give)."""
import re
import subprocess
import sys

import numpy as np
import pytest

from minigrad.cli import main
from minigrad.lab import run, step_table


def table(capsys, *arguments) -> tuple[str, dict[str, list[str]]]:
    """Run `minigrad lab table ...`; return its output and its columns by header."""
    assert main(["lab", "table", *arguments]) == 0
    output = capsys.readouterr().out
    lines = output.splitlines()
    header_at = next(i for i, line in enumerate(lines) if line.split()[:1] == ["t"])
    header = lines[header_at]
    # Columns are right-aligned under their headers: cut each row where each header ends.
    ends = [match.end() for match in re.finditer(r"\S+", header)]
    starts = [0] + ends[:-1]
    rows = []
    for line in lines[header_at + 1:]:
        if not line[:1].strip() and not line[:2].strip().isdigit() or not line.split()[0].isdigit():
            break
        rows.append([line[a:b].strip() for a, b in zip(starts, ends)])
    return output, {h: [row[i] for row in rows] for i, h in enumerate(header.split())}


def numbers(cells: list[str]) -> list[float]:
    return [float(c) for c in cells]


def assert_as_on_the_slide(values, shown: list[str]) -> None:
    """The slides round or cut their numbers: each value must be within one unit of the last
    digit the slide shows."""
    for value, text in zip(values, shown, strict=True):
        decimals = len(text.split(".")[1]) if "." in text else 0
        assert abs(value - float(text)) < 10.0 ** -decimals, (value, text)


def test_gradient_descent_on_x_squared_from_70(capsys):
    output, columns = table(capsys, "--function", "square", "--x0", "70", "--optimizer", "sgd",
                            "--lr", "0.1", "--steps", "4")
    assert columns["x_t"] == ["70", "56", "44.8", "35.84", "28.672"]
    assert numbers(columns["f'(x_t)"][:4]) == [140.0, 112.0, 89.6, 71.68]


def test_gradient_descent_keeps_going_like_the_slide(capsys):
    _, columns = table(capsys, "--function", "square", "--x0", "70", "--lr", "0.1", "--steps", "35")
    x = numbers(columns["x_t"])
    np.testing.assert_allclose(x, 70 * 0.8 ** np.arange(36), rtol=1e-5)
    # The slide's later numbers 6.012, 4.81, 3.84, 3.078, 2.46 and 0.069, 0.055, 0.044, 0.035,
    # 0.028 are x_11..x_15 and x_31..x_35 (the slide labels them one step earlier).
    assert_as_on_the_slide(x[11:16], ["6.012", "4.81", "3.84", "3.078", "2.46"])
    assert_as_on_the_slide(x[31:36], ["0.069", "0.055", "0.044", "0.035", "0.028"])


def test_momentum_from_90(capsys):
    output, columns = table(capsys, "--function", "square", "--x0", "90", "--optimizer", "momentum",
                            "--lr", "0.1", "--steps", "5")
    assert_as_on_the_slide(numbers(columns["x_t"]), ["90.0", "72.0", "41.4", "5.58", "-27.77", "-52.23"])
    # the slide's v_t is the update column (it shows -30.59 for -30.6: off in the last digit)
    assert_as_on_the_slide(numbers(columns["update"][1:]), ["-18.0", "-30.6", "-35.82", "-33.354", "-24.46"])
    assert "momentum=0.9" in output


def test_rmsprop_from_9(capsys):
    _, columns = table(capsys, "--function", "square", "--x0", "9", "--optimizer", "rmsprop", "--lr", "0.1",
                       "--alpha", "0.9", "--eps", "1e-7", "--eps-inside-sqrt", "--steps", "3")
    assert_as_on_the_slide(numbers(columns["x_t"]), ["9.0", "8.6837", "8.458", "8.27"])
    assert_as_on_the_slide(numbers(columns["square_avg"][1:]), ["32.4", "59.3", "82.0"])


def test_divergence_on_20x_squared_from_2(capsys):
    _, columns = table(capsys, "--function", "square20", "--x0", "2", "--optimizer", "sgd", "--lr", "0.1",
                       "--steps", "4")
    assert columns["x_t"] == ["2", "-6", "18", "-54", "162"]
    assert numbers(columns["f'(x_t)"][:4]) == [80.0, -240.0, 720.0, -2160.0]


def test_a_long_divergent_run_is_reported_in_the_table(capsys):
    output, _ = table(capsys, "--function", "square20", "--x0", "2", "--lr", "0.1", "--steps", "50")
    assert "DIVERGED at step 8: " in output and "diverged" not in output


def test_steeper_square_overshoots_like_the_slide(capsys):
    _, columns = table(capsys, "--function", "square9", "--x0", "70", "--lr", "0.1", "--steps", "4")
    np.testing.assert_allclose(numbers(columns["x_t"]), [70, -56, 44.8, -35.84, 28.672])


def test_non_convex_slide_example_from_9_with_lr_10(capsys):
    _, columns = table(capsys, "--function", "log_square", "--x0", "9", "--lr", "10", "--steps", "4")
    assert_as_on_the_slide(numbers(columns["x_t"]), ["9.0", "6.77", "3.82", "-1.39", "12.89"])
    assert_as_on_the_slide(numbers(columns["f'(x_t)"][:4]), ["0.22", "0.295", "0.52", "-1.429"])


def test_two_dimensional_bowl_from_6_9(capsys):
    _, columns = table(capsys, "--function", "bowl", "--x0", "6", "9", "--lr", "0.1", "--steps", "4")
    points = [numbers(cell.strip("()").split(",")) for cell in columns["x_t"]]
    np.testing.assert_allclose(points, [[6, 9], [4.8, 7.2], [3.84, 5.76], [3.072, 4.608], [2.4576, 3.6864]])


def test_adagrad_and_adam_tables_show_their_state(capsys):
    output, columns = table(capsys, "--function", "square", "--x0", "3", "--optimizer", "adagrad", "--lr", "0.5",
                            "--initial-accumulator-value", "0.1", "--eps", "1e-7", "--eps-inside-sqrt", "--steps", "3")
    np.testing.assert_allclose(numbers(columns["sum"])[:2], [0.1, 36.1])
    # AdaGrad's shrinking steps: each move smaller than the last
    moves = np.abs(numbers(columns["update"][1:]))
    assert (np.diff(moves) < 0).all()
    output, columns = table(capsys, "--function", "square", "--x0", "3", "--optimizer", "adam", "--lr", "0.1",
                            "--betas", "0.8", "0.99", "--steps", "2")
    assert {"exp_avg", "exp_avg_sq", "m_hat", "v_hat"} <= set(columns)
    assert float(columns["m_hat"][1]) == pytest.approx(6.0)  # m_1 / (1 - beta1) = g_0
    assert "betas=(0.8, 0.99)" in output


def test_schedule_adds_an_lr_column(capsys):
    _, columns = table(capsys, "--function", "square", "--x0", "-1.5", "--lr", "0.2", "--schedule", "step:2:0.5",
                       "--steps", "4")
    assert columns["lr"] == ["-", "0.2", "0.2", "0.1", "0.1"]


def test_step_table_from_python_matches_the_command(capsys):
    text = step_table(run("square", "sgd", (70.0,), 4, lr=0.1))
    assert main(["lab", "table", "--function", "square", "--x0", "70", "--lr", "0.1", "--steps", "4"]) == 0
    assert capsys.readouterr().out.strip() == text.strip()


@pytest.mark.parametrize("arguments, message", [
    (["--function", "parabola"], "unknown function 'parabola'; choose one of: square, square9"),
    (["--function", "square", "--optimizer", "lionx"], "unknown optimizer 'lionx'; choose one of: sgd, momentum"),
    (["--function", "rosenbrock", "--x0", "1"], r"rosenbrock takes a point with 2 coordinates, got [1.0]"),
    (["--function", "square", "--steps", "0"], "--steps: must be an integer > 0, got 0"),
    (["--function", "square", "--steps", "-2"], "--steps: must be an integer > 0, got -2"),
    (["--function", "square", "--optimizer", "sgd", "--betas", "0.9", "0.99"], "--betas does not apply to sgd (SGD takes: --momentum"),
    (["--function", "square", "--schedule", "cosine"], "bad --schedule 'cosine'"),
])
def test_bad_input_exits_2_with_a_clear_message(capsys, arguments, message):
    try:
        code = main(["lab", "table", *arguments])
    except SystemExit as stop:  # argparse's own checks
        code = stop.code
    assert code == 2
    error = capsys.readouterr().err
    assert message in error
    assert "Traceback" not in error


def test_bad_input_from_the_real_command_has_no_traceback():
    done = subprocess.run([sys.executable, "-m", "minigrad", "lab", "table", "--function", "nope"],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "unknown function 'nope'" in done.stderr and "Traceback" not in done.stderr


def test_functions_lists_every_function(capsys):
    from minigrad.lab import FUNCTIONS
    assert main(["lab", "functions"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == list(FUNCTIONS)


def test_title_names_the_options_that_change_the_numbers(capsys):
    output, _ = table(capsys, "--function", "square", "--x0", "9", "--optimizer", "adam", "--lr", "0.1",
                      "--bias-correction", "false", "--eps", "1e-7", "--eps-inside-sqrt", "--steps", "1")
    title = output.splitlines()[0]
    assert title.startswith("Adam (lr=0.1, betas=(0.9, 0.999), eps=1e-07, bias_correction=False, eps_inside_sqrt=True)")
    output, _ = table(capsys, "--function", "square", "--x0", "9", "--optimizer", "adam", "--steps", "1")
    assert "bias_correction" not in output.splitlines()[0] and "amsgrad" not in output.splitlines()[0]
