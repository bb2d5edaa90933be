"""Averaging a series, the lecture's bridge from "use the history" to momentum (seeds/002).

The slides take the series 3 8 6 5 1 7 9 0 8 4 and average it three ways:

- the simple moving average of the k values before t, SMA_t = (s_{t-1} + ... + s_{t-k}) / k
  (k = 2: 5.5 7.0 5.5 3.0 4.0 8.0 4.5 4.0 6.0);
- the exponential average EMA_t = rho EMA_{t-1} + (1 - rho) s_t started from the first value,
  EMA_1 = s_1 (rho = 0.5: 3.0 5.5 5.8 5.4 3.2 5.1 7.0 3.5 5.8 4.9);
- the same started from V_0 = 0, which expands to V_t = sum_i rho^(t-i) (1 - rho) s_i: its
  weights sum to 1 - rho^t, so it starts low, and dividing by 1 - rho^t (bias correction,
  as Adam does) removes that.

These are exactly the optimizers' buffers: PyTorch's SGD momentum buffer with
``dampening=momentum`` is the average from the first value, the slides' EMA momentum
(``ema=True``) and Adam's m_t the one from zero, Adam's m^_t the bias-corrected one.
"""
from __future__ import annotations

import numbers
import os
from decimal import ROUND_HALF_UP, Decimal
from typing import Sequence

import numpy as np

from minigrad.lab.table import format_table

SLIDES_SERIES = (3.0, 8.0, 6.0, 5.0, 1.0, 7.0, 9.0, 0.0, 8.0, 4.0)
STARTS = ("first", "zero")


def check_series(series) -> np.ndarray:
    """``series`` as a 1-D float64 array of finite numbers, or a ValueError naming what is wrong."""
    try:
        array = np.asarray(series, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"a series must be numbers, got {series!r:.80}") from None
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"a series must be a non-empty 1-D sequence of numbers, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"a series must be finite, got {array.tolist()!r:.80}")
    return array


def _check_rho(rho) -> float:
    if isinstance(rho, bool) or not isinstance(rho, numbers.Real) or not 0 <= rho < 1:
        raise ValueError(f"rho must be a number with 0 <= rho < 1, got {rho!r}")
    return float(rho)


def _check_window(k, length: int) -> int:
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 1 <= k <= length:
        raise ValueError(f"k must be an integer from 1 to the series' length {length}, got {k!r}")
    return int(k)


def simple_moving_average(series, k: int = 2) -> np.ndarray:
    """The mean of every k consecutive values: ``len(series) - k + 1`` numbers.

    By the slides' formula SMA_t = (s_{t-1} + ... + s_{t-k}) / k these are SMA_{k+1} ..
    SMA_{n+1}: the average of the k values before t (the last one looks past the series).
    """
    values = check_series(series)
    k = _check_window(k, values.size)
    sums = np.convolve(values, np.ones(k), mode="valid")
    return sums / k


def exponential_average(series, rho: float = 0.5, start: str = "first", bias_correction: bool = False) -> np.ndarray:
    """V_t = rho V_{t-1} + (1 - rho) s_t for t = 1..n, one number per value of the series.

    ``start="first"``: V_1 = s_1 (the slides' first EMA table). ``start="zero"``: V_0 = 0, so
    V_1 = (1 - rho) s_1; with ``bias_correction`` each V_t is divided by 1 - rho^t, the sum
    of its weights. An average from the first value has no such bias: asking to correct it
    is a ValueError.
    """
    values = check_series(series)
    rho = _check_rho(rho)
    if start not in STARTS:
        raise ValueError(f"start must be one of {STARTS}, got {start!r}")
    if bias_correction and start != "zero":
        raise ValueError("bias correction divides by 1 - rho^t, the weight an average started at V_0 = 0 "
                         "gives the data; an average started from the first value has no bias: use start='zero'")
    averages = np.empty_like(values)
    average = values[0] if start == "first" else (1 - rho) * values[0]  # rho * V_0 + (1 - rho) s_1
    averages[0] = average
    for t in range(1, values.size):
        average = rho * average + (1 - rho) * values[t]
        averages[t] = average
    if bias_correction:
        averages /= 1 - rho ** np.arange(1, values.size + 1)
    return averages


def ema_weights(rho: float, t: int) -> np.ndarray:
    """The weights of s_1 .. s_t in V_t started from V_0 = 0: rho^(t-i) (1 - rho).

    The slides' example: rho = 0.5, t = 3 gives V_3 = 0.125 s_1 + 0.25 s_2 + 0.5 s_3.
    """
    rho = _check_rho(rho)
    if isinstance(t, bool) or not isinstance(t, numbers.Integral) or t < 1:
        raise ValueError(f"t must be an integer >= 1, got {t!r}")
    return rho ** np.arange(t - 1, -1, -1, dtype=np.float64) * (1 - rho)


def round_half_up(value: float, decimals: int = 1) -> str:
    """``value`` with ``decimals`` digits after the point, halves rounded up as by hand
    (5.75 -> 5.8, 0.25 -> 0.3) from the number's shortest decimal form."""
    rounded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return str(rounded.copy_abs() if rounded == 0 else rounded)  # no "-0.0"


def averaging_table(series: Sequence[float] = SLIDES_SERIES, k: int = 2, rho: float = 0.5,
                    decimals: int = 1) -> str:
    """The slides' averaging tables side by side, one row per t: the data s_t, SMA_t (the
    mean of the k values before t, so it starts at t = k + 1 and runs one row past the
    data), the EMA from the first value, the EMA from V_0 = 0 and that one bias-corrected.
    Numbers are rounded to ``decimals`` digits, halves up, as the slides print them."""
    values = check_series(series)
    k = _check_window(k, values.size)
    rho = _check_rho(rho)
    n = values.size
    rows = range(1, n + 2)  # t = 1 .. n + 1: the last SMA averages the series' last k values
    sma = simple_moving_average(values, k)
    from_first = exponential_average(values, rho, "first")
    from_zero = exponential_average(values, rho, "zero")
    corrected = exponential_average(values, rho, "zero", bias_correction=True)

    def column(numbers_by_t: dict[int, float]) -> list[str]:
        return [round_half_up(numbers_by_t[t], decimals) if t in numbers_by_t else "-" for t in rows]

    data = dict(zip(range(1, n + 1), values))
    columns = [
        ("t", list(rows)),
        ("s_t", column(data)),
        (f"SMA_t (k={k})", column(dict(zip(range(k + 1, n + 2), sma)))),
        ("EMA_t (from s_1)", column(dict(zip(range(1, n + 1), from_first)))),
        ("V_t (V_0 = 0)", column(dict(zip(range(1, n + 1), from_zero)))),
        ("V_t / (1 - rho^t)", column(dict(zip(range(1, n + 1), corrected)))),
    ]
    notes = [
        f"SMA_t = (s_(t-1) + ... + s_(t-{k})) / {k}: the {k} values before t",
        f"EMA_t = {rho:g} EMA_(t-1) + {1 - rho:g} s_t, EMA_1 = s_1",
        f"V_t = {rho:g} V_(t-1) + {1 - rho:g} s_t, V_0 = 0: its weights sum to 1 - {rho:g}^t,",
        "  so it starts low; dividing by that sum (bias correction) lifts it",
    ]
    title = f"Averaging the series {' '.join(f'{v:g}' for v in values)} (k = {k}, rho = {rho:g})"
    return format_table(title, columns, notes)


def plot_averages(series: Sequence[float] = SLIDES_SERIES, k: int = 2, rho: float = 0.5,
                  path: str | os.PathLike | None = None):
    """Left: the series with its simple moving average and the three exponential averages;
    right: the weight each value gets in the last average, simple against exponential.
    Returns the Figure (inline in a notebook); ``path`` also writes it."""
    from minigrad.lab.plots import COLORS, _figure, _save

    values = check_series(series)
    k = _check_window(k, values.size)
    rho = _check_rho(rho)
    n = values.size
    t = np.arange(1, n + 1)
    figure = _figure(12.5, 4.8)
    series_axes, weight_axes = figure.subplots(1, 2, width_ratios=[1.5, 1])

    series_axes.plot(t, values, "o", color="#555555", markersize=7, label="data s_t", zorder=5)
    series_axes.plot(np.arange(k + 1, n + 2), simple_moving_average(values, k), color=COLORS["adagrad"],
                     marker="s", linestyle=(0, (6, 2.5)), linewidth=2, label=f"SMA_t, the {k} values before t")
    series_axes.plot(t, exponential_average(values, rho, "first"), color=COLORS["momentum"], marker="^",
                     linewidth=2, label="EMA_t from EMA_1 = s_1")
    series_axes.plot(t, exponential_average(values, rho, "zero"), color=COLORS["sgd"], marker="v",
                     linestyle=(0, (1.2, 1.6)), linewidth=2.2, label="V_t from V_0 = 0 (starts low)")
    series_axes.plot(t, exponential_average(values, rho, "zero", bias_correction=True), color=COLORS["adam"],
                     marker="D", linestyle=(0, (6, 2, 1.5, 2)), linewidth=2, label="V_t / (1 - rho^t)")
    series_axes.set_xlabel("t", fontsize=12)
    series_axes.set_xticks(np.arange(1, n + 2))
    series_axes.set_title(f"averages of the series, k = {k}, rho = {rho:g}", fontsize=12)
    series_axes.grid(True, alpha=0.3)

    past = np.arange(1, n + 1)
    simple = np.where(past > n - k, 1.0 / k, 0.0)  # the SMA after the series: its last k values
    weight_axes.bar(past - 0.2, simple, width=0.4, color=COLORS["adagrad"], label=f"SMA: 1/{k} each")
    exponential = ema_weights(rho, n)
    weight_axes.bar(past + 0.2, exponential, width=0.4, color=COLORS["sgd"],
                    label=f"V_{n}: {rho:g}^({n}-i) (1-{rho:g}), sum {exponential.sum():.4g}")
    weight_axes.set_xlabel("i (which value of the series)", fontsize=12)
    weight_axes.set_ylabel("weight of s_i", fontsize=12)
    weight_axes.set_xticks(past)
    weight_axes.set_title("weight of each value in the last average", fontsize=12)
    weight_axes.grid(True, axis="y", alpha=0.3)
    for axes in (series_axes, weight_axes):
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=9.5, frameon=False)
    figure.suptitle("From averaging to momentum: the slides' series under a moving and an exponential average",
                    fontsize=13)
    if path is not None:
        _save(figure, path)
    return figure
