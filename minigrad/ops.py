"""The primitives: each one's forward on ndarrays and its gradient rules, side by side.

A primitive is ``Primitive(name, forward, rule_for_input_0, rule_for_input_1, ...)``.
A rule is the vector-Jacobian product for one input::

    rule(xp, g, out, *inputs, **params) -> gradient for that input

``g`` is d(loss)/d(output), ``out`` the output, ``inputs`` the inputs and ``params`` the
keyword parameters. ``xp`` is the namespace the rule takes its functions from, with NumPy's
names and meanings: ``arrays`` (NumPy itself, plus two helpers) on the ordinary path, where
everything is an ndarray and nothing is recorded; ``tensors`` (the primitives below) when a
gradient of the gradient is wanted (``create_graph=True``), where everything is a Tensor and
the rule's own operations are recorded. So each rule is written once and is differentiable:
the second derivative is the same machinery run on the rule. Operators (``g * b``, ``-g``,
``g @ w``) and the methods ``sum``/``reshape`` mean the same on both; a rule calls nothing
else that differs between NumPy and minigrad (a test runs every rule both ways).

A rule may return a gradient of the broadcast shape: the engine sums it back to the input's
shape with ``autograd.unbroadcast``, the one helper every binary primitive shares, and casts
it to the input's dtype. Rules run only for inputs that require a gradient.

A primitive whose forward saves something other than its output (``saves=True``: the forward
returns ``(output, saved)``) has rules on raw arrays; it gives a ``composite``, the same
function written in minigrad ops, which the engine differentiates instead when a graph of
the gradient is wanted (the fused MLP and losses do this; a test checks in float64 that the
fast rule equals the autodiff of the composite). Without one, its gradient is
once-differentiable: asking for a second derivative through it raises, naming it.

A primitive whose gradients share most of their work (a whole MLP: each layer's gradient
passes through the next) gives one ``joint_rule(g, saved, needs, into, *inputs, **params)``
instead, returning every input's gradient at once (``None`` where ``needs[i]`` is False).
``into[i]``, when not None, is an array of input i's shape and dtype the rule may write that
gradient into and return (a parameter's slot in its optimizer's gradient buffer), saving a
new array and a copy.

Adding an op is adding one ``Primitive`` here (or beside its module, as the fused losses in
``nn/functional.py`` do); ``PRIMITIVES`` lists them all, and a test checks that every one
is gradchecked and gradgradchecked.
"""
from __future__ import annotations

import builtins
import sys
from types import SimpleNamespace
from typing import Callable

import numpy as np

from minigrad import autograd, dtypes
from minigrad.autograd import Node, modes
from minigrad.tensor import Tensor

PRIMITIVES: dict[str, "Primitive"] = {}


class Primitive:
    """One differentiable operation: a forward on arrays and one gradient rule per input."""

    __slots__ = ("name", "forward", "rules", "argnum_rule", "joint_rule", "saves", "module", "composite")

    def __init__(self, name: str, forward: Callable, *rules: Callable,
                 argnum_rule: Callable | None = None, joint_rule: Callable | None = None,
                 saves: bool = False, composite: Callable | None = None, register: bool = True):
        if register and name in PRIMITIVES:
            raise ValueError(f"a primitive named {name!r} already exists")
        self.name = name
        self.forward = forward
        self.rules = rules
        self.argnum_rule = argnum_rule  # for variadic primitives: rule(argnum, xp, g, out, *inputs, **params)
        self.joint_rule = joint_rule  # all inputs at once: rule(g, saved, needs, into, *inputs, **params)
        self.saves = saves
        self.composite = composite  # the same function in minigrad ops, for the differentiable path
        self.module = sys._getframe(1).f_globals.get("__name__")  # where it is defined, for the docs and tests
        if register:
            PRIMITIVES[name] = self

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"

    @property
    def differentiable_rules(self) -> bool:
        """Whether the gradient can itself be differentiated (a rule in ``xp`` or a composite)."""
        return self.composite is not None or not (self.saves or self.joint_rule is not None)

    def vjps(self, needs: tuple, g: np.ndarray, saved, arrays: tuple, params: dict, into: tuple | None = None) -> list:
        """The vector-Jacobian products on arrays for the inputs where ``needs`` is True (None
        elsewhere). A joint rule may write them into the arrays of ``into`` (see above)."""
        if self.joint_rule is not None:
            return self.joint_rule(g, saved, needs, into or (None,) * len(needs), *arrays, **params)
        if self.argnum_rule is not None:
            return [self.argnum_rule(i, arrays_ns, g, saved, *arrays, **params) if need else None
                    for i, need in enumerate(needs)]
        return [rule(arrays_ns, g, saved, *arrays, **params) if need else None
                for rule, need in zip(self.rules, needs)]

    def graph_vjps(self, node: Node, needs: tuple, g: Tensor, output: Tensor) -> list:
        """The vector-Jacobian products as Tensors with a graph (``create_graph=True``)."""
        inputs, params = node.inputs, node.params
        if self.composite is not None:
            return _composite_vjps(self, needs, g, inputs, params)
        if not self.differentiable_rules:
            raws = self.vjps(needs, g.data, node.saved, node.arrays, params)
            return [once_differentiable(raw, self.name, g, *inputs) if need else None for raw, need in zip(raws, needs)]
        if self.argnum_rule is not None:
            return [self.argnum_rule(i, tensors, g, output, *inputs, **params) if need else None
                    for i, need in enumerate(needs)]
        return [rule(tensors, g, output, *inputs, **params) if need else None
                for rule, need in zip(self.rules, needs)]

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
        # Only floating-point results carry gradients (an integer cast, a comparison: none).
        if modes.grad_enabled and out.dtype.kind == "f":
            for a in args:
                if isinstance(a, Tensor) and a._requires_grad:
                    tensor._requires_grad = True
                    tensor._node = Node(self, args, arrays, saved, params)
                    break
        return tensor


def _composite_vjps(primitive: Primitive, needs: tuple, g: Tensor, inputs: tuple, params: dict) -> list:
    """Differentiate the primitive's composite form at the node's inputs, recording a graph."""
    wanted = [x for x, need in zip(inputs, needs) if need]
    with autograd.enable_grad():
        recomputed = primitive.composite(*inputs, **params)
    found = autograd.run_backward(recomputed, g, retain_graph=True, create_graph=True,
                                  inputs=wanted, accumulate=False)
    return [found.get(id(x), np.zeros(np.shape(x.data))) if need else None for x, need in zip(inputs, needs)]


def _raise_not_differentiable(argnum, xp, g, out, *tied, value, op):
    raise RuntimeError(
        f"the gradient of '{op}' is not differentiable: its backward is computed on raw arrays "
        f"(it is once-differentiable), so a second derivative through it cannot be taken"
    )


_once = Primitive("once_differentiable", lambda *tied, value, op: value, argnum_rule=_raise_not_differentiable,
                  register=False)


def once_differentiable(value, op: str, *tied) -> Tensor:
    """``value``, a gradient computed on raw arrays, as a Tensor tied to the tensors it
    depends on (the upstream gradient, the op's inputs) that raises, naming ``op``, if
    anything tries to differentiate through it."""
    return _once(*tied, value=np.asarray(value), op=op)


# ---- PyTorch's type promotion ----------------------------------------------------------------
# NumPy and PyTorch agree when every input is of one float dtype (with Python numbers or
# not): that case goes straight to the ufunc, so the float path pays two type checks. The
# others get the dtype of dtypes.result_type (an integer tensor with a Python float is
# float32, int32 with float32 is float32, a float64 0-d tensor does not promote float32).
def _same_float(a, b) -> bool:
    if type(a) is np.ndarray:
        return a.dtype.kind == "f" and (type(b) is float or type(b) is int
                                        or (type(b) is np.ndarray and b.dtype is a.dtype))
    return type(b) is np.ndarray and b.dtype.kind == "f" and (type(a) is float or type(a) is int)


def _cast(value, dtype: np.dtype):
    """An operand in ``dtype``: arrays cast if they differ, numbers as 0-d arrays (cast as C
    casts, so an int that does not fit wraps, as in PyTorch)."""
    if isinstance(value, np.ndarray):
        return value if value.dtype == dtype else value.astype(dtype)
    return np.array(value).astype(dtype)


def promoted(*operands, floating: bool = False) -> tuple:
    """``operands`` cast to their PyTorch result dtype (at least the default float dtype
    when ``floating``: true division, and functions like exp of integers)."""
    dtype = dtypes.result_type(*operands)
    if floating and dtype.kind != "f":
        dtype = dtypes.get_default_dtype()
    return tuple(_cast(value, dtype) for value in operands)


def _promoting(ufunc, floating: bool = False):
    """``ufunc(a, b)`` with PyTorch's promotion of the two operands."""
    def forward(a, b):
        if _same_float(a, b):
            return ufunc(a, b)
        a, b = promoted(a, b, floating=floating)
        out = ufunc(a, b)
        # NumPy has no loop for some small types (bool ** bool gives int8): keep PyTorch's dtype.
        return out if out.dtype == a.dtype else out.astype(a.dtype)
    forward.__name__ = forward.__qualname__ = ufunc.__name__
    return forward


def _floating(function):
    """A function of floats (exp, sin, ...): an integer or bool input is taken in the default
    float dtype first, as PyTorch does (NumPy would give float64, or float16 for int8)."""
    def forward(a, *args, **params):
        if a.dtype.kind != "f":
            a = a.astype(dtypes.get_default_dtype())
        return function(a, *args, **params)
    forward.__name__ = forward.__qualname__ = getattr(function, "__name__", "forward")
    return forward


# ---- arithmetic --------------------------------------------------------------------------
add = Primitive(
    "add", _promoting(np.add),
    lambda xp, g, out, a, b: g,
    lambda xp, g, out, a, b: g,
)
sub = Primitive(
    "sub", _promoting(np.subtract),
    lambda xp, g, out, a, b: g,
    lambda xp, g, out, a, b: -g,
)
mul = Primitive(
    "mul", _promoting(np.multiply),
    lambda xp, g, out, a, b: g * b,
    lambda xp, g, out, a, b: g * a,
)
div = Primitive(
    "div", _promoting(np.true_divide, floating=True),
    lambda xp, g, out, a, b: g / b,
    lambda xp, g, out, a, b: -g * out / b,
)
neg = Primitive(
    "neg", np.negative,
    lambda xp, g, out, a: -g,
)


def _power_grad_base(xp, g, out, a, b):
    # d(a^b)/da = b a^(b-1); 0 where b == 0, even at a == 0 (as PyTorch: not 0 * inf).
    with np.errstate(divide="ignore", invalid="ignore"):
        grad = g * b * xp.power(a, b - 1)
        if isinstance(b, (int, float)) and b != 0:
            return grad  # the usual x ** 2: no zero exponent to mask
        return xp.where(b == 0, 0.0, grad)


def _power_grad_exponent(xp, g, out, a, b):
    # d(a^b)/db = a^b log(a). At a == 0 with b >= 0 the limit is 0; with b < 0 it is
    # inf * -inf = -inf, as PyTorch gives.
    with np.errstate(divide="ignore", invalid="ignore"):
        return xp.where((a == 0) & (b >= 0), 0.0, g * out * xp.log(a))


power = Primitive("power", _promoting(np.power), _power_grad_base, _power_grad_exponent)


# ---- matrix product ----------------------------------------------------------------------
def _as_matrices(xp, g, a, b):
    """Promote 1-D operands to matrices as np.matmul does, and give g the axes they lost."""
    if b.ndim == 1:
        b, g = xp.expand_dims(b, -1), xp.expand_dims(g, -1)
    if a.ndim == 1:
        a, g = xp.expand_dims(a, 0), xp.expand_dims(g, -2)
    return g, a, b


def _matmul_grad_a(xp, g, out, a, b):
    g, a2, b2 = _as_matrices(xp, g, a, b)
    grad = g @ xp.swapaxes(b2, -1, -2)
    return grad[..., 0, :] if a.ndim == 1 else grad


def _matmul_grad_b(xp, g, out, a, b):
    g, a2, b2 = _as_matrices(xp, g, a, b)
    grad = xp.swapaxes(a2, -1, -2) @ g
    return grad[..., 0] if b.ndim == 1 else grad


def _matmul_forward(a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        raise ValueError("matmul needs inputs of at least one dimension; use * for scalars")
    if getattr(a, "dtype", None) != getattr(b, "dtype", None):
        a, b = promoted(np.asarray(a), np.asarray(b))
    try:
        return np.matmul(a, b)
    except ValueError:
        raise ValueError(f"shapes {np.shape(a)} and {np.shape(b)} are not aligned for a matrix product") from None


matmul = Primitive("matmul", _matmul_forward, _matmul_grad_a, _matmul_grad_b)


# ---- reductions --------------------------------------------------------------------------
def _axes(axis, ndim: int) -> tuple | None:
    """A reduction's axes as non-negative ints (None: all). A 0-d input takes axis 0 or -1
    as PyTorch does (the reduction is then the identity)."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    span = builtins.max(ndim, 1)
    for ax in axes:
        if not -span <= ax < span:
            raise IndexError(f"dim {ax} is out of range for a tensor of {ndim} dimensions "
                             f"(expected a dim in [{-span}, {span - 1}])")
    return tuple(sorted({int(ax) % span for ax in axes})) if ndim else ()


def _kept_dims(xp, g, ndim: int, axis, keepdims: bool):
    """Reinsert the axes a reduction removed, as size 1, so ``g`` broadcasts against the input."""
    if keepdims or g.ndim == ndim:
        return g
    axes = _axes(axis, ndim)
    shape = list(g.shape)
    for ax in range(ndim) if axes is None else axes:
        shape.insert(ax, 1)
    return xp.reshape(g, tuple(shape))


def _reduced_size(a, axis) -> int:
    axes = _axes(axis, a.ndim)
    if axes is None:
        return int(np.prod(a.shape))
    return int(np.prod([a.shape[i] for i in axes]))


def _sum(a, axis=None, keepdims=False):
    return np.sum(a, axis=_axes(axis, a.ndim), keepdims=keepdims)


def _mean(a, axis=None, keepdims=False):
    axes = _axes(axis, a.ndim)
    if a.size == 0:  # NaN, as PyTorch gives, without NumPy's "mean of empty slice" warning
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.sum(a, axis=axes, keepdims=keepdims) / a.dtype.type(0)
    return np.mean(a, axis=axes, keepdims=keepdims)


def _spread(xp, g, a, axis, keepdims):
    return xp.broadcast_to(_kept_dims(xp, g, a.ndim, axis, keepdims), a.shape)


sum = Primitive(
    "sum", _sum,
    lambda xp, g, out, a, axis=None, keepdims=False: _spread(xp, g, a, axis, keepdims),
)
mean = Primitive(
    "mean", _mean,
    # An empty input has an empty gradient: divide by 1 rather than 0 there.
    lambda xp, g, out, a, axis=None, keepdims=False: _spread(xp, g / (_reduced_size(a, axis) or 1), a, axis, keepdims),
)


def _extremum_grad(xp, g, out, a, axis=None, keepdims=False):
    """The gradient goes to the elements equal to the extremum; ties share it evenly
    (a documented choice: PyTorch's full reductions also split evenly)."""
    winners = a == _kept_dims(xp, out, a.ndim, axis, keepdims)
    count = winners.sum(axis=_axes(axis, a.ndim), keepdims=True)
    return winners * (_kept_dims(xp, g, a.ndim, axis, keepdims) / count)


def _extremum(reduce):
    return lambda a, axis=None, keepdims=False: reduce(a, axis=_axes(axis, a.ndim), keepdims=keepdims)


max = Primitive("max", _extremum(np.max), _extremum_grad)
min = Primitive("min", _extremum(np.min), _extremum_grad)


# ---- elementwise functions ---------------------------------------------------------------
exp = Primitive("exp", _floating(np.exp), lambda xp, g, out, a: g * out)
log = Primitive("log", _floating(np.log), lambda xp, g, out, a: g / a)
sqrt = Primitive("sqrt", _floating(np.sqrt), lambda xp, g, out, a: g / (2 * out))
abs = Primitive("abs", np.abs, lambda xp, g, out, a: g * xp.sign(a))
relu = Primitive("relu", lambda a: np.maximum(a, 0), lambda xp, g, out, a: g * (a > 0))
tanh = Primitive("tanh", _floating(np.tanh), lambda xp, g, out, a: g * (1 - out * out))
# Piecewise constant: the gradient is zero wherever it is defined (as PyTorch's sign).
sign = Primitive("sign", np.sign, lambda xp, g, out, a: g * 0)


def stable_sigmoid(a: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-a)) from the exp of a non-positive number only: no overflow for large |a|."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


sigmoid = Primitive("sigmoid", _floating(stable_sigmoid), lambda xp, g, out, a: g * out * (1 - out))


def _clip(a, low=None, high=None):
    if low is None and high is None:
        return a.copy()
    return np.clip(a, low, high)


def _clip_grad(xp, g, out, a, low=None, high=None):
    if low is not None:
        g = g * (a >= low)
    if high is not None:
        g = g * (a <= high)
    return g


clip = Primitive("clip", _clip, _clip_grad)


def _tie_split(g, a, b):
    """maximum/minimum: the winner takes g; on a tie each side gets half (as PyTorch)."""
    return g * ((a > b) + 0.5 * (a == b))


maximum = Primitive(
    "maximum", _promoting(np.maximum),
    lambda xp, g, out, a, b: _tie_split(g, a, b),
    lambda xp, g, out, a, b: _tie_split(g, b, a),
)
minimum = Primitive(
    "minimum", _promoting(np.minimum),
    lambda xp, g, out, a, b: _tie_split(g, b, a),
    lambda xp, g, out, a, b: _tie_split(g, a, b),
)
def _where_forward(condition, a, b):
    if _same_float(a, b):
        return np.where(condition, a, b)
    return np.where(condition, *promoted(a, b))


where = Primitive(
    "where", _where_forward,
    lambda xp, g, out, cond, a, b: g * 0,  # a condition is piecewise constant
    lambda xp, g, out, cond, a, b: xp.where(cond, g, 0),
    lambda xp, g, out, cond, a, b: xp.where(cond, 0, g),
)


def _astype(a, dtype):
    return a.astype(dtype)


astype = Primitive("astype", _astype, lambda xp, g, out, a, dtype: g)
clone = Primitive("clone", np.copy, lambda xp, g, out, a: g)


# ---- shape and indexing ------------------------------------------------------------------
reshape = Primitive("reshape", lambda a, shape: np.reshape(a, shape),
                    lambda xp, g, out, a, shape: xp.reshape(g, a.shape))
# The gradient of a broadcast is the sum back to the input's shape: the engine's unbroadcast.
broadcast_to_op = Primitive("broadcast_to", lambda a, shape: np.broadcast_to(a, shape),
                            lambda xp, g, out, a, shape: g)


def broadcast_to(a, shape) -> Tensor:
    """``a`` repeated along new or size-1 axes to ``shape`` (``np.broadcast_to``); its
    gradient sums back."""
    return broadcast_to_op(a, shape=tuple(shape))


def _normalized_axes(axes, ndim: int) -> tuple | None:
    """A permutation of the axes with negative ones counted from the end (the gradient
    inverts it, which needs the plain spelling)."""
    if axes is None:
        return None
    normal = tuple(int(ax) + ndim if ax < 0 else int(ax) for ax in axes)
    if sorted(normal) != list(range(ndim)):
        raise ValueError(f"axes {tuple(axes)} are not a permutation of the {ndim} axes")
    return normal


def _transpose_forward(a, axes=None):
    return np.transpose(a, _normalized_axes(axes, a.ndim))


def _transpose_grad(xp, g, out, a, axes=None):
    axes = _normalized_axes(axes, a.ndim)
    return xp.transpose(g) if axes is None else xp.transpose(g, tuple(np.argsort(axes).tolist()))


transpose = Primitive("transpose", _transpose_forward, _transpose_grad)


def _is_basic_index(index) -> bool:
    """Basic indexing (ints, slices, None, ...) never selects an element twice."""
    parts = index if isinstance(index, tuple) else (index,)
    return builtins.all(isinstance(p, (int, np.integer, slice, type(None), type(Ellipsis))) for p in parts)


def _put_add_forward(values, shape, index):
    """Zeros of ``shape`` with ``values`` added at ``index`` (repeated indices accumulate):
    the adjoint of ``getitem``."""
    grad = np.zeros(shape, dtype=values.dtype)
    if _is_basic_index(index):
        grad[index] = values
    else:
        np.add.at(grad, index, values)
    return grad


getitem = Primitive("getitem", lambda a, index: a[index],
                    lambda xp, g, out, a, index: xp.put_add(g, a.shape, index))
put_add = Primitive("put_add", _put_add_forward,
                    lambda xp, g, out, values, shape, index: g[index])


def _normalized_axis(axis: int, ndim: int) -> int:
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for {ndim}-dimensional inputs")
    return axis % ndim


def _concatenate_grad(argnum, xp, g, out, *arrays, axis=0):
    axis = _normalized_axis(axis, g.ndim)
    start = builtins.sum(arrays[i].shape[axis] for i in range(argnum))
    stop = start + arrays[argnum].shape[axis]
    return g[(slice(None),) * axis + (slice(start, stop),)]


def _stack_grad(argnum, xp, g, out, *arrays, axis=0):
    return g[(slice(None),) * _normalized_axis(axis, g.ndim) + (argnum,)]


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


# ---- the two namespaces a rule computes with ------------------------------------------------
def _expand_dims(a, axis: int):
    shape = list(a.shape)
    shape.insert(axis % (a.ndim + 1), 1)
    return reshape(a, shape=tuple(shape))


def _swapaxes(a, axis1: int, axis2: int):
    order = list(range(a.ndim))
    order[axis1], order[axis2] = order[axis2], order[axis1]
    return transpose(a, axes=tuple(order))


# The ordinary path: NumPy's own functions on arrays.
arrays_ns = SimpleNamespace(
    sign=np.sign, exp=np.exp, log=np.log, power=np.power, where=np.where, tanh=np.tanh,
    broadcast_to=np.broadcast_to, reshape=np.reshape, transpose=np.transpose,
    expand_dims=np.expand_dims, swapaxes=np.swapaxes, matmul=np.matmul,
    sum=lambda a, axis=None, keepdims=False: np.sum(a, axis=axis, keepdims=keepdims),
    sigmoid=stable_sigmoid,
    put_add=_put_add_forward,
)

# The differentiable path: the same names and meanings, as recorded primitives on Tensors.
tensors = SimpleNamespace(
    sign=sign, exp=exp, log=log, power=power, where=where, tanh=tanh,
    broadcast_to=broadcast_to,
    reshape=lambda a, shape: reshape(a, shape=tuple(shape)),
    transpose=lambda a, axes=None: transpose(a, axes=None if axes is None else tuple(axes)),
    expand_dims=_expand_dims, swapaxes=_swapaxes, matmul=matmul,
    sum=lambda a, axis=None, keepdims=False: sum(a, axis=axis, keepdims=keepdims),
    sigmoid=sigmoid,
    put_add=lambda values, shape, index: put_add(values, shape=tuple(shape), index=index),
)
