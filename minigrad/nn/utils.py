"""``nn.utils``: gradient clipping and flattening parameters into one vector, as ``torch.nn.utils``.

Every function works on the gradients in place, on ``p.grad.data``: when an optimizer
keeps the gradients in one flat buffer (each ``p.grad`` a view of its slot, see
``optim.Optimizer``), the buffer sees the clipped values, and nothing is rebound. So the
usual order works as in PyTorch::

    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    optimizer.step()

``foreach`` is accepted for PyTorch's signatures and changes nothing (NumPy has no
multi-tensor kernels; the loops here are over a model's handful of arrays).
"""
from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from minigrad import ops
from minigrad.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_",
           "parameters_to_vector", "vector_to_parameters"]


def _tensors(parameters, what: str) -> list[Tensor]:
    """A single Tensor or an iterable of them (a generator is read once) as a list."""
    if isinstance(parameters, Tensor):
        return [parameters]
    try:
        tensors = list(parameters)
    except TypeError:
        raise TypeError(f"{what}: expected a Tensor or an iterable of Tensors, got {type(parameters).__name__}") from None
    for index, tensor in enumerate(tensors):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"{what}: element {index} is a {type(tensor).__name__}, not a Tensor")
    return tensors


def _gradients(parameters, what: str) -> list[np.ndarray]:
    """The arrays of the gradients that exist (``p.grad.data``: the very arrays, to change in place)."""
    return [p.grad.data for p in _tensors(parameters, what) if p.grad is not None]


def _vector_norm(values: np.ndarray, norm_type: float) -> np.floating:
    """||values||_p over all elements, as ``torch.linalg.vector_norm``: the largest |x| for
    inf, the smallest for -inf, the count of non-zeros for 0."""
    flat = values.reshape(-1)
    if norm_type == 2.0:
        return np.sqrt(np.dot(flat, flat)) if flat.dtype.kind == "f" else np.sqrt(np.sum(flat * flat))
    if flat.size == 0:
        return flat.dtype.type(0) if norm_type != -math.inf else flat.dtype.type(np.inf)
    size = np.abs(flat)
    if norm_type == math.inf:
        return size.max()
    if norm_type == -math.inf:
        return size.min()
    if norm_type == 0:
        return flat.dtype.type(np.count_nonzero(flat))
    if norm_type == 1:
        return size.sum()
    return np.sum(size ** norm_type) ** (1.0 / norm_type)


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """The ``norm_type``-norm of all ``tensors`` together (the norm of their norms), as a 0-d
    Tensor; 0 when there are none. Raises RuntimeError on a NaN or infinite norm if
    ``error_if_nonfinite``."""
    arrays = [t.data if isinstance(t, Tensor) else np.asarray(t) for t in
              ([tensors] if isinstance(tensors, (Tensor, np.ndarray)) else list(tensors))]
    norm_type = float(norm_type)
    if not arrays:
        return Tensor(np.array(0.0, dtype=np.float32))
    norms = np.array([_vector_norm(a, norm_type) for a in arrays], dtype=np.result_type(*arrays))
    total = np.asarray(_vector_norm(norms, norm_type), dtype=norms.dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            f"clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            f"`error_if_nonfinite=False`"
        )
    return Tensor(total)


def clip_grads_with_norm_(parameters, max_norm: float, total_norm, foreach=None) -> None:
    """Scale the gradients in place by max_norm / (total_norm + 1e-6) where that is below 1
    (the second half of ``clip_grad_norm_``, for a ``total_norm`` computed elsewhere)."""
    grads = _gradients(parameters, "clip_grads_with_norm_")
    if not grads:
        return
    total = np.asarray(total_norm.data if isinstance(total_norm, Tensor) else total_norm)
    # PyTorch's arithmetic, in the norm's dtype: reciprocal(total + 1e-6) * max_norm, clamped at 1.
    coefficient = np.reciprocal(total + total.dtype.type(1e-6)) * total.dtype.type(max_norm)
    if coefficient >= 1.0:
        return  # clamped to 1: the gradients stay as they are (a NaN norm goes on to NaN, as in PyTorch)
    with np.errstate(invalid="ignore"):  # an infinite gradient times 0 is NaN, as in PyTorch
        for grad in grads:
            grad *= coefficient.astype(grad.dtype)


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    """Scale all gradients together, in place, so that their joint ``norm_type``-norm is at
    most ``max_norm``; returns the norm they had before (a 0-d Tensor), as
    ``torch.nn.utils.clip_grad_norm_``. ``parameters`` is a Tensor or an iterable of them;
    those without a gradient are skipped. ``norm_type`` may be ``inf`` (the largest |g|)."""
    params = _tensors(parameters, "clip_grad_norm_")
    if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float, np.integer, np.floating)):
        raise TypeError(f"clip_grad_norm_: max_norm must be a number, got {max_norm!r}")
    total = get_total_norm([p.grad for p in params if p.grad is not None], norm_type, error_if_nonfinite)
    clip_grads_with_norm_(params, float(max_norm), total)
    return total


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clip every gradient, in place, to [-clip_value, clip_value], as
    ``torch.nn.utils.clip_grad_value_``."""
    if isinstance(clip_value, bool) or not isinstance(clip_value, (int, float, np.integer, np.floating)):
        raise TypeError(f"clip_grad_value_: clip_value must be a number, got {clip_value!r}")
    clip_value = float(clip_value)
    for grad in _gradients(parameters, "clip_grad_value_"):
        np.clip(grad, -clip_value, clip_value, out=grad)


def parameters_to_vector(parameters) -> Tensor:
    """All parameters flattened and joined into one 1-D Tensor, in order (differentiable:
    its gradient flows back to each parameter, as PyTorch's)."""
    params = _tensors(parameters, "parameters_to_vector")
    if not params:
        raise ValueError("parameters_to_vector: got no parameters")
    return ops.concatenate([ops.reshape(p, shape=(-1,)) for p in params], axis=0)


def vector_to_parameters(vec, parameters) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters, in place (each
    parameter keeps its array, so an optimizer's flat buffer stays valid). The inverse of
    ``parameters_to_vector``. Everything is checked before anything is written."""
    if not isinstance(vec, (Tensor, np.ndarray)):
        raise TypeError(f"vector_to_parameters: expected a Tensor, but got: {type(vec).__name__}")
    values = vec.data if isinstance(vec, Tensor) else vec
    params = _tensors(parameters, "vector_to_parameters")
    if values.ndim != 1:
        raise ValueError(f"vector_to_parameters: expected a 1-D vector, got shape {values.shape}")
    needed = sum(p.data.size for p in params)
    if values.size != needed:
        raise ValueError(f"vector_to_parameters: the vector has {values.size} elements, the parameters "
                         f"{needed} ({', '.join(str(p.shape) for p in params)})")
    start = 0
    for param in params:
        stop = start + param.data.size
        param.data[...] = values[start:stop].reshape(param.data.shape)
        start = stop
