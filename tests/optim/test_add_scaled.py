"""optim.functional._add_scaled_: target + alpha * x rounded once, in place, for every layout."""
from fractions import Fraction

import numpy as np
import pytest

from minigrad.optim.functional import _add_scaled_


def correctly_rounded(value: Fraction, dtype) -> np.generic:
    """``value`` rounded once to ``dtype`` (to nearest, ties to even)."""
    guess = np.array(float(value), dtype=dtype)
    candidates = [np.nextafter(guess, -np.inf), guess, np.nextafter(guess, np.inf)]
    distance = [abs(Fraction(float(c)) - value) for c in candidates]
    best = min(distance)
    ties = [c for c, d in zip(candidates, distance) if d == best]
    return min(ties, key=lambda c: int(c.view(np.int64 if dtype == np.float64 else np.int32)) & 1)[()]


def exact_fma(target: np.ndarray, x: np.ndarray, alpha: float) -> np.ndarray:
    """target + alpha * x computed exactly, then rounded once; alpha first becomes the
    arrays' dtype, as BLAS (and PyTorch) take it."""
    alpha = Fraction(float(np.array(alpha, dtype=target.dtype)))
    values = zip(target.ravel().tolist(), np.broadcast_to(x, target.shape).ravel().tolist())
    flat = [correctly_rounded(Fraction(t) + alpha * Fraction(v), target.dtype) for t, v in values]
    return np.array(flat, dtype=target.dtype).reshape(target.shape)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["contiguous", "transposed target", "strided x", "2-D"])
def test_rounds_once_in_place_whatever_the_layout(dtype, layout):
    rng = np.random.default_rng(0)
    target = rng.standard_normal((6, 5)).astype(dtype)
    x = rng.standard_normal((6, 5)).astype(dtype)
    if layout == "transposed target":
        target, x = target.T, x.T
    elif layout == "strided x":
        x = rng.standard_normal((6, 10)).astype(dtype)[:, ::2]
    elif layout != "2-D":
        target, x = target.ravel(), x.ravel()
    alpha = 0.1 + 2.0**-30
    expected = exact_fma(target, x, alpha)
    before = target
    result = _add_scaled_(target, x, alpha)
    assert result is before
    np.testing.assert_array_equal(target, expected)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_rounds_once_at_every_size_the_remainder_of_blas_unrolled_loop_included(dtype):
    # BLAS axpy fuses only in its unrolled loop (16 or 32 numbers at a time on AVX2 CPUs);
    # the numbers after the last full unroll must be rounded once too.
    rng = np.random.default_rng(1)
    for size in (1, 5, 15, 16, 17, 29, 31, 32, 33, 47, 63, 100, 127, 128, 129, 200, 255, 257, 300):
        target = rng.standard_normal(size).astype(dtype)
        x = rng.standard_normal(size).astype(dtype)
        alpha = -(0.1 + 2.0**-30)
        expected = exact_fma(target, x, alpha)
        np.testing.assert_array_equal(_add_scaled_(target, x, alpha), expected, err_msg=f"size {size}")


def test_a_zero_alpha_keeps_inf_times_zero_as_nan_like_pytorch():
    target = np.array([1.0, 2.0])
    with np.errstate(invalid="ignore"):
        _add_scaled_(target, np.array([np.inf, 1.0]), 0.0)
    assert np.isnan(target[0]) and target[1] == 2.0


def test_other_dtypes_and_empty_arrays_take_numpys_two_roundings():
    half = np.array([1.0, 2.0], dtype=np.float16)
    _add_scaled_(half, np.array([1.0, 1.0], dtype=np.float16), 0.5)
    np.testing.assert_array_equal(half, np.array([1.5, 2.5], dtype=np.float16))
    mixed = np.array([1.0, 2.0])
    _add_scaled_(mixed, np.array([1.0, 1.0], dtype=np.float32), 2.0)
    np.testing.assert_array_equal(mixed, [3.0, 4.0])
    empty = np.zeros(0, np.float32)
    assert _add_scaled_(empty, np.zeros(0, np.float32), 1.0) is empty
