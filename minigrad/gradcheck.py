"""Finite-difference gradient checking, usable in anyone's tests.

``gradcheck(fn, inputs)`` compares the gradients backward() computes with central
differences, in float64. For a function with a non-scalar output it checks the
vector-Jacobian product with a fixed random vector (a seeded projection of the output):
one backward pass, and a wrong Jacobian entry is missed only with probability zero.

``gradgradcheck(fn, inputs)`` does the same one order up, as PyTorch's: it checks the
gradient of the vector-Jacobian product ``grad(fn(inputs), inputs, v, create_graph=True)``
with respect to the inputs and to ``v``, so a wrong second derivative of any op shows.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from minigrad.autograd import backward, enable_grad, grad, no_grad
from minigrad.tensor import Tensor


class GradcheckError(AssertionError):
    """The analytic gradient disagrees with the numeric one; the message says where."""


def gradcheck(fn: Callable[..., Tensor], inputs: Sequence[Tensor], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0, what: str = "gradcheck") -> bool:
    """Check ``fn(*inputs)``'s gradient with respect to every input that requires grad.

    ``fn`` returns a Tensor, or a tuple of Tensors (None entries are constants). Inputs are
    copied to float64 first (the originals and their ``.grad`` are not touched). Returns
    True, or raises ``GradcheckError`` naming the input, the element index, and the
    analytic and numeric values. An element passes if
    ``|analytic - numeric| <= atol + rtol * |numeric|``.
    """
    inputs = list(inputs)
    if not any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
        raise ValueError(f"{what} needs at least one input Tensor with requires_grad=True")
    checked = [_float64_copy(x) for x in inputs]
    with enable_grad():
        outputs = _outputs(fn(*checked), what)
    rng = np.random.default_rng(seed)
    projections = [rng.standard_normal(out.shape) for out in outputs]
    differentiable = [(out, p) for out, p in zip(outputs, projections) if out.requires_grad]
    if differentiable:
        backward([out for out, _ in differentiable], [p for _, p in differentiable])

    def projected_output() -> float:
        with no_grad():
            values = _outputs(fn(*checked), what)
        return float(sum(np.sum(np.asarray(v.data, dtype=np.float64) * p) for v, p in zip(values, projections)))

    for position, (original, x) in enumerate(zip(inputs, checked)):
        if not (isinstance(original, Tensor) and original.requires_grad):
            continue
        analytic = x.grad.data if x.grad is not None else np.zeros_like(x.data)
        numeric = _numeric_gradient(projected_output, x.data, eps)
        _compare(position, x.data.shape, analytic, numeric, atol, rtol, what)
    return True


def _outputs(result, what: str) -> list[Tensor]:
    """``fn``'s result as a list of Tensors (a None entry, an unused gradient, is dropped)."""
    values = result if isinstance(result, (tuple, list)) else (result,)
    outputs = []
    for value in values:
        if value is None:
            continue
        if not isinstance(value, Tensor):
            raise TypeError(f"{what}: fn must return a Tensor or a tuple of Tensors, got {type(value).__name__}")
        outputs.append(value)
    if not outputs:
        raise ValueError(f"{what}: fn returned no Tensor")
    return outputs


def gradgradcheck(fn: Callable[..., Tensor], inputs: Sequence[Tensor], grad_outputs: Sequence | None = None,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0) -> bool:
    """Check the second derivatives of ``fn`` against finite differences of its gradient.

    As ``torch.autograd.gradgradcheck``: with ``v`` (``grad_outputs``, random and seeded
    when not given), the function ``(inputs, v) -> grad(fn(inputs), inputs, v,
    create_graph=True)`` is gradchecked with respect to the inputs and to ``v``. Returns True,
    or raises ``GradcheckError`` naming the input (numbered as in ``inputs`` followed by the
    ``v`` of each output), the element and both values.
    """
    inputs = list(inputs)
    differentiable = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not differentiable:
        raise ValueError("gradgradcheck needs at least one input Tensor with requires_grad=True")
    with enable_grad():
        outputs = _outputs(fn(*[_float64_copy(x) for x in inputs]), "gradgradcheck")
    if grad_outputs is None:
        rng = np.random.default_rng(seed + 1)
        grad_outputs = [rng.standard_normal(out.shape) for out in outputs]
    grad_outputs = [Tensor(np.array(np.asarray(v), dtype=np.float64), requires_grad=True) for v in grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"gradgradcheck: {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    count = len(inputs)

    def first_derivatives(*values):
        xs, vs = values[:count], values[count:]
        with enable_grad():  # also while gradcheck evaluates it for finite differences
            outs = _outputs(fn(*xs), "gradgradcheck")
            wanted = [xs[i] for i in differentiable]
            used = [(out, v) for out, v in zip(outs, vs) if out.requires_grad]
            if not used:
                return None
            return grad([o for o, _ in used], wanted, [v for _, v in used], create_graph=True, allow_unused=True)

    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol, seed=seed,
                     what="gradgradcheck")


def _float64_copy(x):
    if not isinstance(x, Tensor):
        return x
    # C order: the finite differences perturb the array through a flat view of it
    return Tensor(np.array(x.data, dtype=np.float64, order="C"), requires_grad=x.requires_grad)


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
             atol: float, rtol: float, what: str = "gradcheck") -> None:
    bad = ~(np.abs(analytic - numeric) <= atol + rtol * np.abs(numeric))
    if not bad.any():
        return
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    raise GradcheckError(
        f"{what} failed for input {position} (shape {shape}) at index {index}: "
        f"analytic {float(analytic[index])!r}, numeric {float(numeric[index])!r} "
        f"({int(bad.sum())} of {bad.size} elements differ; atol={atol}, rtol={rtol})"
    )
