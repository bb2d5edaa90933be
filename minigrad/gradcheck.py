"""Finite-difference gradient checking, usable in anyone's tests.

``gradcheck(fn, inputs)`` compares the gradients backward() computes with central
differences, in float64. For a function with a non-scalar output it checks the
vector-Jacobian product with a fixed random vector (a seeded projection of the output):
one backward pass, and a wrong Jacobian entry is missed only with probability zero.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from minigrad.autograd import enable_grad, no_grad
from minigrad.tensor import Tensor


class GradcheckError(AssertionError):
    """The analytic gradient disagrees with the numeric one; the message says where."""


def gradcheck(fn: Callable[..., Tensor], inputs: Sequence[Tensor], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0) -> bool:
    """Check ``fn(*inputs)``'s gradient with respect to every input that requires grad.

    Inputs are copied to float64 first (the originals and their ``.grad`` are not touched).
    Returns True, or raises ``GradcheckError`` naming the input, the element index, and the
    analytic and numeric values. An element passes if
    ``|analytic - numeric| <= atol + rtol * |numeric|``.
    """
    inputs = list(inputs)
    if not any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
        raise ValueError("gradcheck needs at least one input Tensor with requires_grad=True")
    checked = [_float64_copy(x) for x in inputs]
    with enable_grad():
        output = fn(*checked)
    if not isinstance(output, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(output).__name__}")
    projection = np.random.default_rng(seed).standard_normal(output.shape)
    if output.requires_grad:
        output.backward(projection)

    def projected_output() -> float:
        with no_grad():
            return float(np.sum(np.asarray(fn(*checked).data, dtype=np.float64) * projection))

    for position, (original, x) in enumerate(zip(inputs, checked)):
        if not (isinstance(original, Tensor) and original.requires_grad):
            continue
        analytic = x.grad if x.grad is not None else np.zeros_like(x.data)
        numeric = _numeric_gradient(projected_output, x.data, eps)
        _compare(position, x.data.shape, analytic, numeric, atol, rtol)
    return True


def _float64_copy(x):
    if not isinstance(x, Tensor):
        return x
    return Tensor(np.array(x.data, dtype=np.float64), requires_grad=x.requires_grad)


def _numeric_gradient(f: Callable[[], float], data: np.ndarray, eps: float) -> np.ndarray:
    grad = np.zeros_like(data)
    flat = data.reshape(-1)  # a view: perturbing it perturbs the input in place
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + eps
        upper = f()
        flat[i] = saved - eps
        lower = f()
        flat[i] = saved
        grad.reshape(-1)[i] = (upper - lower) / (2 * eps)
    return grad


def _compare(position: int, shape: tuple, analytic: np.ndarray, numeric: np.ndarray,
             atol: float, rtol: float) -> None:
    bad = ~(np.abs(analytic - numeric) <= atol + rtol * np.abs(numeric))
    if not bad.any():
        return
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    raise GradcheckError(
        f"gradcheck failed for input {position} (shape {shape}) at index {index}: "
        f"analytic {analytic[index]!r}, numeric {numeric[index]!r} "
        f"({int(bad.sum())} of {bad.size} elements differ; atol={atol}, rtol={rtol})"
    )
