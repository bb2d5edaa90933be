"""The slides' averaging tables (seeds/002): the same numbers, and the same as the optimizers' buffers."""
import numpy as np
import pytest

from minigrad import lab
from minigrad.lab.averaging import (
    SLIDES_SERIES, averaging_table, ema_weights, exponential_average, plot_averages, round_half_up,
    simple_moving_average,
)
from minigrad.optim import functional as F

# As printed on the slides "How to Use historical Data", one decimal each.
SLIDES_SMA_K2 = "5.5 7.0 5.5 3.0 4.0 8.0 4.5 4.0 6.0".split()
SLIDES_EMA_RHO_HALF = "3.0 5.5 5.8 5.4 3.2 5.1 7.0 3.5 5.8 4.9".split()


def printed(values) -> list[str]:
    return [round_half_up(v, 1) for v in values]


def test_the_simple_moving_average_gives_the_slides_row():
    assert SLIDES_SERIES == (3, 8, 6, 5, 1, 7, 9, 0, 8, 4)
    averages = simple_moving_average(SLIDES_SERIES, k=2)
    assert printed(averages) == SLIDES_SMA_K2
    assert averages.tolist() == [5.5, 7.0, 5.5, 3.0, 4.0, 8.0, 4.5, 4.0, 6.0]  # exact: halves of integers
    assert simple_moving_average([1, 2, 3, 4], k=3).tolist() == [2.0, 3.0]
    assert simple_moving_average([1, 2, 3], k=1).tolist() == [1.0, 2.0, 3.0]


def test_the_exponential_average_from_the_first_value_gives_the_slides_row():
    averages = exponential_average(SLIDES_SERIES, rho=0.5, start="first")
    assert printed(averages) == SLIDES_EMA_RHO_HALF
    # The exact values behind the printed ones (the slides round the exact recursion).
    assert averages[:4].tolist() == [3.0, 5.5, 5.75, 5.375]


def test_the_average_from_zero_starts_low_and_bias_correction_lifts_it():
    from_zero = exponential_average(SLIDES_SERIES, rho=0.5, start="zero")
    # V_1 = 0.5 * 0 + 0.5 * 3; V_3 = 0.125 s_1 + 0.25 s_2 + 0.5 s_3 (the slides' expansion).
    assert from_zero[0] == 1.5 and from_zero[1] == 4.75
    assert from_zero[2] == 0.125 * 3 + 0.25 * 8 + 0.5 * 6 == 5.375
    corrected = exponential_average(SLIDES_SERIES, rho=0.5, start="zero", bias_correction=True)
    assert corrected[0] == 3.0  # = s_1: the correction undoes the start at 0
    assert np.allclose(corrected, from_zero / (1 - 0.5 ** np.arange(1, 11)), rtol=0, atol=1e-15)
    assert printed(corrected[:3]) == ["3.0", "6.3", "6.1"]  # 4.75 / 0.75, 5.375 / 0.875


def test_the_weights_of_the_slides_example():
    # "V_3 = rho^2 (1 - rho) s_1 + rho (1 - rho) s_2 + (1 - rho) s_3"
    assert ema_weights(0.5, 3).tolist() == [0.125, 0.25, 0.5]
    assert np.allclose(ema_weights(0.9, 3), [0.081, 0.09, 0.1], rtol=0, atol=1e-15)
    # For rho = 0.98 the slide prints 0.0392 s_1 + 0.0196 s_2 + 0.02 s_3; by the formula above
    # it (and the lab) the weight of s_1 is 0.98^2 * 0.02 = 0.019208: the slide doubled it.
    assert np.allclose(ema_weights(0.98, 3), [0.019208, 0.0196, 0.02], rtol=0, atol=1e-15)
    assert np.isclose(ema_weights(0.5, 10).sum(), 1 - 0.5**10)
    series = np.array(SLIDES_SERIES)
    assert np.isclose(ema_weights(0.5, 10) @ series, exponential_average(series, 0.5, "zero")[-1])


def optimizer_buffers(series, **sgd_options) -> np.ndarray:
    """Feed the series to SGD's functional rule as gradients (lr 0: the point stays put) and
    read its momentum buffer after each step."""
    param = np.zeros(1)
    state = F.sgd_init(param, momentum=sgd_options["momentum"])
    buffers = []
    for value in series:
        F.sgd(param, np.array([float(value)]), state, lr=0.0, **sgd_options)
        buffers.append(float(state["momentum_buffer"][0]))
    return np.array(buffers)


def test_the_averages_are_the_optimizers_buffers():
    # The bridge to momentum: PyTorch's buffer with dampening = momentum starts at the first
    # gradient, the slides' EMA momentum and Adam's m_t start at 0, Adam's m^_t is corrected.
    series = SLIDES_SERIES
    assert np.array_equal(optimizer_buffers(series, momentum=0.5, dampening=0.5),
                          exponential_average(series, 0.5, "first"))
    assert np.array_equal(optimizer_buffers(series, momentum=0.5, ema=True),
                          exponential_average(series, 0.5, "zero"))
    param, state = np.zeros(1), F.adam_init(np.zeros(1))
    m, m_hat = [], []
    for value in series:
        trace = {}
        F.adam(param, np.array([float(value)]), state, lr=0.0, betas=(0.5, 0.999), trace=trace)
        m.append(float(state["exp_avg"][0]))
        m_hat.append(float(trace["m_hat"][0]))
    assert np.allclose(m, exponential_average(series, 0.5, "zero"), rtol=1e-15, atol=0)
    assert np.allclose(m_hat, exponential_average(series, 0.5, "zero", bias_correction=True), rtol=1e-15, atol=0)


def test_the_table_prints_the_slides_rows_in_its_columns():
    table = averaging_table()
    lines = table.splitlines()
    assert lines[0] == "Averaging the series 3 8 6 5 1 7 9 0 8 4 (k = 2, rho = 0.5)"
    header = lines[1].split("  ")
    assert [h.strip() for h in header if h.strip()] == ["t", "s_t", "SMA_t (k=2)", "EMA_t (from s_1)",
                                                        "V_t (V_0 = 0)", "V_t / (1 - rho^t)"]
    rows = [line.split() for line in lines[2:13]]
    assert [row[0] for row in rows] == [str(t) for t in range(1, 12)]
    assert [row[2] for row in rows] == ["-", "-"] + SLIDES_SMA_K2  # SMA_3 .. SMA_11
    assert [row[3] for row in rows] == SLIDES_EMA_RHO_HALF + ["-"]
    assert [row[4] for row in rows][:3] == ["1.5", "4.8", "5.4"]  # 4.75 rounds up, as by hand
    assert [row[5] for row in rows][:2] == ["3.0", "6.3"]
    assert "SMA_t = (s_(t-1) + ... + s_(t-2)) / 2" in table
    two_decimals = averaging_table([1, 2], k=1, rho=0.9, decimals=2)
    assert "0.10" in two_decimals and "1.00" in two_decimals


def test_rounding_is_half_up_as_by_hand():
    assert [round_half_up(v) for v in (5.75, 0.25, 5.375, -2.25, -0.01, 7.046875)] == \
        ["5.8", "0.3", "5.4", "-2.3", "0.0", "7.0"]
    assert round_half_up(4.75, 2) == "4.75" and round_half_up(3, 0) == "3"


@pytest.mark.parametrize("call, message", [
    (lambda: simple_moving_average(SLIDES_SERIES, k=11), "k must be an integer from 1 to the series' length 10, got 11"),
    (lambda: simple_moving_average(SLIDES_SERIES, k=0), "got 0"),
    (lambda: simple_moving_average(SLIDES_SERIES, k=2.0), "got 2.0"),
    (lambda: simple_moving_average([], k=1), "non-empty 1-D"),
    (lambda: simple_moving_average([[1, 2]], k=1), r"shape \(1, 2\)"),
    (lambda: simple_moving_average([1, float("nan")], k=1), "finite"),
    (lambda: simple_moving_average(["a", "b"], k=1), "must be numbers"),
    (lambda: exponential_average(SLIDES_SERIES, rho=1.0), "0 <= rho < 1, got 1.0"),
    (lambda: exponential_average(SLIDES_SERIES, rho=-0.1), "got -0.1"),
    (lambda: exponential_average(SLIDES_SERIES, start="one"), "start must be one of"),
    (lambda: exponential_average(SLIDES_SERIES, bias_correction=True), "start='zero'"),
    (lambda: ema_weights(0.5, 0), "t must be an integer >= 1, got 0"),
    (lambda: averaging_table(SLIDES_SERIES, k=20), "got 20"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_the_plot_shows_every_average_and_the_weights(tmp_path):
    pytest.importorskip("matplotlib")
    figure = plot_averages(path=tmp_path / "averages.png")
    series_axes, weight_axes = figure.axes
    lines = {line.get_label(): line for line in series_axes.get_lines()}
    assert len(lines) == 5
    sma = lines["SMA_t, the 2 values before t"]
    assert sma.get_xdata().tolist() == list(range(3, 12)) and sma.get_ydata().tolist() == [float(v) for v in SLIDES_SMA_K2]
    assert printed(lines["EMA_t from EMA_1 = s_1"].get_ydata()) == SLIDES_EMA_RHO_HALF
    heights = [patch.get_height() for patch in weight_axes.patches]
    assert np.allclose(heights[10:], ema_weights(0.5, 10)) and heights[:10] == [0.0] * 8 + [0.5, 0.5]
    assert (tmp_path / "averages.png").read_bytes()[:4] == b"\x89PNG"
    assert lab.averaging_table is averaging_table and lab.plot_averages is plot_averages


def test_the_lab_page_shows_the_table_the_code_prints():
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "lab.md").read_text()
    assert "```text\n" + averaging_table() + "\n```" in page
