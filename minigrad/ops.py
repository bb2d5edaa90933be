"""The primitives: each one's forward on ndarrays and its gradient rules, side by side.

A primitive is ``Primitive(name, forward, rule_for_input_0, rule_for_input_1, ...)``.
A rule is the vector-Jacobian product for one input::

    rule(g, saved, *inputs, **params) -> gradient for that input

``g`` is d(loss)/d(output), ``saved`` is what the forward kept (its output, unless the
primitive says ``saves=True`` and its forward returns ``(output, saved)``), ``inputs`` are
the input arrays and ``params`` the keyword parameters. A rule may return a gradient of the
broadcast shape: the engine sums it back to the input's shape with ``autograd.unbroadcast``,
the one helper every binary primitive shares, and casts it to the input's dtype. Rules run
only for inputs that require a gradient.

A primitive whose gradients share most of their work (a whole MLP: each layer's gradient
passes through the next) gives one ``joint_rule(g, saved, needs, into, *inputs, **params)``
instead, returning every input's gradient at once (``None`` where ``needs[i]`` is False).
``into[i]``, when not None, is an array of input i's shape and dtype the rule may write that
gradient into and return (a parameter's slot in its optimizer's gradient buffer), saving a
new array and a copy.

Adding an op is adding one ``Primitive`` here (or beside its module, as the fused losses in
``nn/functional.py`` do); ``PRIMITIVES`` lists them all, and a test checks that every one
is gradchecked.
"""
from __future__ import annotations

import builtins
import sys
from typing import Callable

import numpy as np

from minigrad import autograd
from minigrad.autograd import Node, modes
from minigrad.tensor import Tensor

PRIMITIVES: dict[str, "Primitive"] = {}


class Primitive:
    """One differentiable operation: a forward on arrays and one gradient rule per input."""

    __slots__ = ("name", "forward", "rules", "argnum_rule", "joint_rule", "saves", "module")

    def __init__(self, name: str, forward: Callable, *rules: Callable,
                 argnum_rule: Callable | None = None, joint_rule: Callable | None = None,
                 saves: bool = False):
        if name in PRIMITIVES:
            raise ValueError(f"a primitive named {name!r} already exists")
        self.name = name
        self.forward = forward
        self.rules = rules
        self.argnum_rule = argnum_rule  # for variadic primitives: rule(argnum, g, saved, *inputs, **params)
        self.joint_rule = joint_rule  # all inputs at once: rule(g, saved, needs, into, *inputs, **params)
        self.saves = saves
        self.module = sys._getframe(1).f_globals.get("__name__")  # where it is defined, for the docs and tests
        PRIMITIVES[name] = self

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"

    def vjps(self, needs: tuple, g: np.ndarray, saved, arrays: tuple, params: dict, into: tuple | None = None) -> list:
        """The vector-Jacobian products for the inputs where ``needs`` is True (None elsewhere).
        A joint rule may write them into the arrays of ``into`` (see the module's docstring)."""
        if self.joint_rule is not None:
            return self.joint_rule(g, saved, needs, into or (None,) * len(needs), *arrays, **params)
        if self.argnum_rule is not None:
            return [self.argnum_rule(i, g, saved, *arrays, **params) if need else None
                    for i, need in enumerate(needs)]
        return [rule(g, saved, *arrays, **params) if need else None for rule, need in zip(self.rules, needs)]

    def __call__(self, *args, **params) -> Tensor:
        arrays = tuple([a.data if isinstance(a, Tensor) else a for a in args])
        try:
            result = self.forward(*arrays, **params)
        except ValueError as error:
            shapes = ", ".join(str(np.shape(a)) for a in arrays)
            raise ValueError(f"{self.name}: {error} (input shapes {shapes})") from None
        if self.saves:
            out, saved = result
        else:
            out = saved = result
        if type(out) is not np.ndarray:
            out = np.asarray(out)
            if not self.saves:
                saved = out
        if modes.anomaly:
            autograd.check_finite(out, self.name, "forward output")
        tensor = Tensor._from_op(out)
        if modes.grad_enabled:
            for a in args:
                if isinstance(a, Tensor) and a._requires_grad:
                    tensor._requires_grad = True
                    tensor._node = Node(self, args, arrays, saved, params)
                    break
        return tensor


def _kept_dims(g: np.ndarray, ndim: int, axis, keepdims: bool) -> np.ndarray:
    """Reinsert the axes a reduction removed, as size 1, so ``g`` broadcasts against the input."""
    if keepdims or axis is None and g.ndim == ndim:
        return g
    if axis is None:
        return g.reshape((1,) * ndim)
    return np.expand_dims(g, axis)


def _reduced_size(a: np.ndarray, axis) -> int:
    if axis is None:
        return a.size
    axes = (axis,) if isinstance(axis, (int, np.integer)) else axis
    return int(np.prod([a.shape[i] for i in axes]))


def _swap_last(x: np.ndarray) -> np.ndarray:
    return x.swapaxes(-1, -2)


# ---- arithmetic --------------------------------------------------------------------------
add = Primitive(
    "add", np.add,
    lambda g, out, a, b: g,
    lambda g, out, a, b: g,
)
sub = Primitive(
    "sub", np.subtract,
    lambda g, out, a, b: g,
    lambda g, out, a, b: -g,
)
mul = Primitive(
    "mul", np.multiply,
    lambda g, out, a, b: g * b,
    lambda g, out, a, b: g * a,
)
div = Primitive(
    "div", np.true_divide,
    lambda g, out, a, b: g / b,
    lambda g, out, a, b: -g * out / b,
)
neg = Primitive(
    "neg", np.negative,
    lambda g, out, a: -g,
)


def _power_grad_exponent(g, out, a, b):
    # d(a^b)/db = a^b log(a); defined for a > 0. At a == 0 the limit (b > 0) is 0.
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a == 0, 0.0, g * out * np.log(a))


power = Primitive(
    "power", np.power,
    lambda g, out, a, b: g * b * np.power(a, b - 1),
    _power_grad_exponent,
)


# ---- matrix product ----------------------------------------------------------------------
def _as_matrices(g, a, b):
    """Promote 1-D operands to matrices as np.matmul does, and give g the axes they lost."""
    if b.ndim == 1:
        b, g = b[:, None], g[..., None]
    if a.ndim == 1:
        a, g = a[None, :], np.expand_dims(g, -2)
    return g, a, b


def _matmul_grad_a(g, out, a, b):
    g, a2, b2 = _as_matrices(g, a, b)
    grad = g @ _swap_last(b2)
    return grad[..., 0, :] if a.ndim == 1 else grad


def _matmul_grad_b(g, out, a, b):
    g, a2, b2 = _as_matrices(g, a, b)
    grad = _swap_last(a2) @ g
    return grad[..., 0] if b.ndim == 1 else grad


def _matmul_forward(a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        raise ValueError("matmul needs inputs of at least one dimension; use * for scalars")
    try:
        return np.matmul(a, b)
    except ValueError:
        raise ValueError(f"shapes {np.shape(a)} and {np.shape(b)} are not aligned for a matrix product") from None


matmul = Primitive("matmul", _matmul_forward, _matmul_grad_a, _matmul_grad_b)


# ---- reductions --------------------------------------------------------------------------
def _sum(a, axis=None, keepdims=False):
    return np.sum(a, axis=axis, keepdims=keepdims)


def _mean(a, axis=None, keepdims=False):
    if a.size == 0:  # NaN, as PyTorch gives, without NumPy's "mean of empty slice" warning
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.sum(a, axis=axis, keepdims=keepdims) / a.dtype.type(0)
    return np.mean(a, axis=axis, keepdims=keepdims)


def _spread(g, a, axis, keepdims):
    return np.broadcast_to(_kept_dims(g, a.ndim, axis, keepdims), a.shape)


sum = Primitive(
    "sum", _sum,
    lambda g, out, a, axis=None, keepdims=False: _spread(g, a, axis, keepdims),
)
mean = Primitive(
    "mean", _mean,
    # An empty input has an empty gradient: divide by 1 rather than 0 there.
    lambda g, out, a, axis=None, keepdims=False: _spread(g / (_reduced_size(a, axis) or 1), a, axis, keepdims),
)


def _extremum_grad(g, out, a, axis=None, keepdims=False):
    """The gradient goes to the elements equal to the extremum; ties share it evenly
    (a documented choice: PyTorch's full reductions also split evenly)."""
    winners = a == _kept_dims(out, a.ndim, axis, keepdims)
    share = _kept_dims(g, a.ndim, axis, keepdims) / winners.sum(axis=axis, keepdims=True)
    return winners * share


max = Primitive("max", lambda a, axis=None, keepdims=False: np.max(a, axis=axis, keepdims=keepdims), _extremum_grad)
min = Primitive("min", lambda a, axis=None, keepdims=False: np.min(a, axis=axis, keepdims=keepdims), _extremum_grad)


# ---- elementwise functions ---------------------------------------------------------------
exp = Primitive("exp", np.exp, lambda g, out, a: g * out)
log = Primitive("log", np.log, lambda g, out, a: g / a)
sqrt = Primitive("sqrt", np.sqrt, lambda g, out, a: g / (2 * out))
abs = Primitive("abs", np.abs, lambda g, out, a: g * np.sign(a))
relu = Primitive("relu", lambda a: np.maximum(a, 0), lambda g, out, a: g * (a > 0))
tanh = Primitive("tanh", np.tanh, lambda g, out, a: g * (1 - out * out))


def _sigmoid(a):
    # exp of a non-positive number only, so no overflow for large |a|.
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


sigmoid = Primitive("sigmoid", _sigmoid, lambda g, out, a: g * out * (1 - out))


def _clip(a, low=None, high=None):
    if low is None and high is None:
        return a.copy()
    return np.clip(a, low, high)


def _clip_grad(g, out, a, low=None, high=None):
    inside = np.ones(a.shape, dtype=bool)
    if low is not None:
        inside &= a >= low
    if high is not None:
        inside &= a <= high
    return g * inside


clip = Primitive("clip", _clip, _clip_grad)


def _tie_split(g, a, b):
    """maximum/minimum: the winner takes g; on a tie each side gets half (as PyTorch)."""
    return g * ((a > b) + 0.5 * (a == b))


maximum = Primitive(
    "maximum", np.maximum,
    lambda g, out, a, b: _tie_split(g, a, b),
    lambda g, out, a, b: _tie_split(g, b, a),
)
minimum = Primitive(
    "minimum", np.minimum,
    lambda g, out, a, b: _tie_split(g, b, a),
    lambda g, out, a, b: _tie_split(g, a, b),
)
where = Primitive(
    "where", np.where,
    lambda g, out, cond, a, b: np.zeros(np.shape(cond)),  # a condition is not differentiable
    lambda g, out, cond, a, b: np.where(cond, g, 0),
    lambda g, out, cond, a, b: np.where(cond, 0, g),
)
astype = Primitive("astype", lambda a, dtype: a.astype(dtype), lambda g, out, a, dtype: g)


# ---- shape and indexing ------------------------------------------------------------------
reshape = Primitive("reshape", lambda a, shape: np.reshape(a, shape), lambda g, out, a, shape: g.reshape(a.shape))


def _transpose_grad(g, out, a, axes=None):
    return np.transpose(g) if axes is None else np.transpose(g, np.argsort(axes))


transpose = Primitive("transpose", lambda a, axes=None: np.transpose(a, axes), _transpose_grad)


def _is_basic_index(index) -> bool:
    """Basic indexing (ints, slices, None, ...) never selects an element twice."""
    parts = index if isinstance(index, tuple) else (index,)
    return builtins.all(isinstance(p, (int, np.integer, slice, type(None), type(Ellipsis))) for p in parts)


def _getitem_grad(g, out, a, index):
    grad = np.zeros_like(a)
    if _is_basic_index(index):
        grad[index] = g
    else:
        np.add.at(grad, index, g)  # repeated indices accumulate
    return grad


getitem = Primitive("getitem", lambda a, index: a[index], _getitem_grad)


def _normalized_axis(axis: int, ndim: int) -> int:
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for {ndim}-dimensional inputs")
    return axis % ndim


def _concatenate_grad(argnum, g, out, *arrays, axis=0):
    axis = _normalized_axis(axis, g.ndim)
    start = builtins.sum(arrays[i].shape[axis] for i in range(argnum))
    stop = start + arrays[argnum].shape[axis]
    return g[(slice(None),) * axis + (slice(start, stop),)]


def _stack_grad(argnum, g, out, *arrays, axis=0):
    return np.take(g, argnum, axis=_normalized_axis(axis, g.ndim))


_concatenate = Primitive("concatenate", lambda *arrays, axis=0: np.concatenate(arrays, axis=axis),
                         argnum_rule=_concatenate_grad)
_stack = Primitive("stack", lambda *arrays, axis=0: np.stack(arrays, axis=axis), argnum_rule=_stack_grad)


def concatenate(tensors, axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (``np.concatenate``)."""
    if len(tensors) == 0:
        raise ValueError("concatenate needs at least one tensor")
    return _concatenate(*tensors, axis=axis)


def stack(tensors, axis: int = 0) -> Tensor:
    """Join tensors along a new axis (``np.stack``)."""
    if len(tensors) == 0:
        raise ValueError("stack needs at least one tensor")
    return _stack(*tensors, axis=axis)
