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

What each rule reads of the node (input positions, and "out" for the output) is listed in
``READS`` below: after an in-place op overwrote one of those values, the engine refuses to
compute that gradient (``versions.py``). A primitive not listed reads everything; a test
checks every listing by running the rules with the unlisted values replaced by NaN.

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

    __slots__ = ("name", "forward", "rules", "argnum_rule", "joint_rule", "saves", "module", "composite", "reads")

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
        self.reads = None  # what the rules read, for the in-place checks (see READS below)
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


def _getitem_forward(a, index):
    out = a[index]
    if type(out) is not np.ndarray and _is_basic_index(index):
        # NumPy gives a scalar for a[i, j]; PyTorch gives a 0-d view (writes to it reach a).
        out = a[(index if isinstance(index, tuple) else (index,)) + (Ellipsis,)]
    return out


getitem = Primitive("getitem", _getitem_forward,
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


# ---- more elementwise functions (PyTorch's math) ---------------------------------------------
_LN2 = float(np.log(2.0))
_LN10 = float(np.log(10.0))
_TWO_OVER_SQRT_PI = float(2.0 / np.sqrt(np.pi))


def _unary(name: str, function, rule) -> "Primitive":
    """A float function of one tensor (integers are taken in the default float dtype)."""
    return Primitive(name, _floating(function), rule)


def _scipy_special(name: str):
    def compute(a):
        from scipy import special  # imported on first use: scipy is heavy

        return getattr(special, name)(a)
    compute.__name__ = name
    return compute


sin = _unary("sin", np.sin, lambda xp, g, out, a: g * xp.cos(a))
cos = _unary("cos", np.cos, lambda xp, g, out, a: -g * xp.sin(a))
tan = _unary("tan", np.tan, lambda xp, g, out, a: g * (1 + out * out))
asin = _unary("asin", np.arcsin, lambda xp, g, out, a: g / xp.sqrt(1 - a * a))
acos = _unary("acos", np.arccos, lambda xp, g, out, a: -g / xp.sqrt(1 - a * a))
atan = _unary("atan", np.arctan, lambda xp, g, out, a: g / (1 + a * a))
sinh = _unary("sinh", np.sinh, lambda xp, g, out, a: g * xp.cosh(a))
cosh = _unary("cosh", np.cosh, lambda xp, g, out, a: g * xp.sinh(a))
asinh = _unary("asinh", np.arcsinh, lambda xp, g, out, a: g / xp.sqrt(a * a + 1))
acosh = _unary("acosh", np.arccosh, lambda xp, g, out, a: g / xp.sqrt(a * a - 1))
atanh = _unary("atanh", np.arctanh, lambda xp, g, out, a: g / (1 - a * a))
rsqrt = _unary("rsqrt", lambda a: 1 / np.sqrt(a), lambda xp, g, out, a: -0.5 * g * out * out * out)
log2 = _unary("log2", np.log2, lambda xp, g, out, a: g / (a * _LN2))
log10 = _unary("log10", np.log10, lambda xp, g, out, a: g / (a * _LN10))
log1p = _unary("log1p", np.log1p, lambda xp, g, out, a: g / (1 + a))
exp2 = _unary("exp2", np.exp2, lambda xp, g, out, a: g * out * _LN2)
expm1 = _unary("expm1", np.expm1, lambda xp, g, out, a: g * (out + 1))
erf = _unary("erf", _scipy_special("erf"), lambda xp, g, out, a: g * _TWO_OVER_SQRT_PI * xp.exp(-a * a))
erfc = _unary("erfc", _scipy_special("erfc"), lambda xp, g, out, a: -g * _TWO_OVER_SQRT_PI * xp.exp(-a * a))
# d erfinv(y)/dy = sqrt(pi)/2 exp(erfinv(y)^2)
erfinv = _unary("erfinv", _scipy_special("erfinv"), lambda xp, g, out, a: g / _TWO_OVER_SQRT_PI * xp.exp(out * out))


def _keeping_integers(function):
    """A rounding function: integers are already whole, and stay integers (as PyTorch)."""
    def forward(a, **params):
        return a.copy() if a.dtype.kind != "f" else function(a, **params)
    forward.__name__ = function.__name__
    return forward


# Piecewise constant: zero gradients, as PyTorch gives.
floor = Primitive("floor", _keeping_integers(np.floor), lambda xp, g, out, a: g * 0)
ceil = Primitive("ceil", _keeping_integers(np.ceil), lambda xp, g, out, a: g * 0)
trunc = Primitive("trunc", _keeping_integers(np.trunc), lambda xp, g, out, a: g * 0)
round = Primitive("round", _keeping_integers(lambda a, decimals=0: np.round(a, decimals)),
                  lambda xp, g, out, a, decimals=0: g * 0)

atan2 = Primitive(
    "atan2", _promoting(np.arctan2, floating=True),
    lambda xp, g, out, a, b: g * b / (a * a + b * b),
    lambda xp, g, out, a, b: -g * a / (a * a + b * b),
)
hypot = Primitive(
    "hypot", _promoting(np.hypot, floating=True),
    lambda xp, g, out, a, b: g * a / out,
    lambda xp, g, out, a, b: g * b / out,
)
# log(e^a + e^b): d/da = e^(a - out), no overflow for any magnitude.
logaddexp = Primitive(
    "logaddexp", _promoting(np.logaddexp, floating=True),
    lambda xp, g, out, a, b: g * xp.exp(a - out),
    lambda xp, g, out, a, b: g * xp.exp(b - out),
)
logaddexp2 = Primitive(
    "logaddexp2", _promoting(np.logaddexp2, floating=True),
    lambda xp, g, out, a, b: g * xp.exp((a - out) * _LN2),
    lambda xp, g, out, a, b: g * xp.exp((b - out) * _LN2),
)


def _checked_integer_division(function):
    """Integer division by zero raises (as PyTorch) instead of NumPy's warning and 0."""
    def forward(a, b):
        if _same_float(a, b):
            return function(a, b)
        a, b = promoted(a, b)
        if a.dtype.kind in "iub" and np.any(b == 0):
            raise ZeroDivisionError(f"{function.__name__}: integer division by zero")
        return function(a, b)
    forward.__name__ = function.__name__
    return forward


def _trunc_divide(a, b):
    if a.dtype.kind == "f":
        return np.trunc(a / b)
    quotient = np.floor_divide(a, b)
    # Floor and truncation differ where the division is inexact and the signs differ.
    return quotient + ((np.remainder(a, b) != 0) & ((a < 0) != (b < 0)))


_trunc_divide.__name__ = "trunc_divide"

# remainder = a - floor(a / b) b (the sign of b, Python's %); fmod = a - trunc(a / b) b (C's).
remainder = Primitive(
    "remainder", _checked_integer_division(np.remainder),
    lambda xp, g, out, a, b: g,
    lambda xp, g, out, a, b: -g * xp.floor(a / b),
)
fmod = Primitive(
    "fmod", _checked_integer_division(np.fmod),
    lambda xp, g, out, a, b: g,
    lambda xp, g, out, a, b: -g * xp.trunc(a / b),
)
# Rounded quotients are piecewise constant: zero gradients (as PyTorch's rounding_mode).
floor_divide = Primitive("floor_divide", _checked_integer_division(np.floor_divide),
                         lambda xp, g, out, a, b: g * 0, lambda xp, g, out, a, b: g * 0)
trunc_divide = Primitive("trunc_divide", _checked_integer_division(_trunc_divide),
                         lambda xp, g, out, a, b: g * 0, lambda xp, g, out, a, b: g * 0)


def _clamp_forward(a, low, high):
    present = [x for x in (a, low, high) if x is not None]
    if not builtins.all(_same_float(a, x) for x in present[1:]):
        present = list(promoted(*present))
    a = present.pop(0)
    if low is not None:
        a = np.maximum(a, present.pop(0))
    if high is not None:
        a = np.minimum(a, present.pop(0))  # where low > high, every element is high (as PyTorch)
    return a


def _clamp_grad_input(xp, g, out, a, low, high):
    inside = True
    if low is not None:
        inside = inside & (a >= low)
    if high is not None:
        inside = inside & (a <= high)
    return xp.where(inside, g, 0)


def _clamp_grad_low(xp, g, out, a, low, high):
    below = a < low
    return xp.where(below if high is None else below & (low < high), g, 0)


def _clamp_grad_high(xp, g, out, a, low, high):
    above = a > high
    # Where low > high the result is high everywhere: high gets the gradient.
    return xp.where(above if low is None else above | (high < low), g, 0)


# clamp with tensor bounds (the scalar bounds go through `clip`): the input gets the gradient
# where it is within the bounds, each bound where it decides the result (PyTorch's formulas).
clamp = Primitive("clamp", _clamp_forward, _clamp_grad_input, _clamp_grad_low, _clamp_grad_high)


# ---- more reductions ---------------------------------------------------------------------------
def _logsumexp_forward(a, axis=None, keepdims=False):
    axes = _axes(axis, a.ndim)
    if a.size == 0:
        with np.errstate(divide="ignore"):
            return np.log(np.sum(np.exp(a), axis=axes, keepdims=keepdims))
    peak = np.max(a, axis=axes, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0)  # all -inf (or an inf) needs no shift
    with np.errstate(divide="ignore"):
        total = np.log(np.sum(np.exp(a - peak), axis=axes, keepdims=True)) + peak
    return total if keepdims else np.squeeze(total, axis=axes) if axes is not None else total.reshape(())


logsumexp = Primitive(
    "logsumexp", _floating(_logsumexp_forward),
    # d/da of log sum exp(a) = softmax(a) = exp(a - out)
    lambda xp, g, out, a, axis=None, keepdims=False:
        _kept_dims(xp, g, a.ndim, axis, keepdims) * xp.exp(a - _kept_dims(xp, out, a.ndim, axis, keepdims)),
)


def _axis_positions(shape: tuple, axis: int) -> np.ndarray:
    """0, 1, ..., n-1 along ``axis``, shaped to broadcast against an array of ``shape``."""
    positions = np.arange(shape[axis])
    return positions.reshape([-1 if d == axis else 1 for d in range(len(shape))])


def _reverse_cumsum(xp, g, axis: int):
    return xp.flip(xp.cumsum(xp.flip(g, axis), axis), axis)


def _cumsum_forward(a, axis):
    return np.cumsum(a, axis=axis)


cumsum = Primitive("cumsum", _cumsum_forward, lambda xp, g, out, a, axis: _reverse_cumsum(xp, g, axis))


def _cumprod_grad(xp, g, out, a, axis):
    """grad_i = sum_{j>=i} g_j prod_{k<=j, k!=i} a_k, exact with zeros in ``a``.

    Before the first zero (at z) of a slice, a_i != 0 and the sum is sum_{j>=i} g_j out_j /
    a_i (out_j = 0 from z on). At z it is prod_{k<z} a_k sum_{j>=z} g_j prod_{z<k<=j} a_k.
    After z every product holds a_z = 0."""
    raw = np.asarray(a)
    if raw.size == 0:
        return g * 0
    zero = raw == 0
    positions = _axis_positions(raw.shape, axis)
    first_zero = np.where(zero.any(axis=axis, keepdims=True), zero.argmax(axis=axis, keepdims=True), raw.shape[axis])
    before, at, after = positions < first_zero, positions == first_zero, positions > first_zero
    part_before = xp.where(before, _reverse_cumsum(xp, g * out, axis) / xp.where(before, a, 1), 0)
    if not at.any():
        return part_before
    last = (slice(None),) * axis + (slice(-1, None),)
    product_before_zero = xp.cumprod(xp.where(before, a, 1), axis)[last]
    products_after_zero = xp.cumprod(xp.where(after, a, 1), axis)
    weighted = xp.where(positions >= first_zero, g * products_after_zero, 0).sum(axis=axis, keepdims=True)
    return part_before + xp.where(at, product_before_zero * weighted, 0)


def _cumprod_forward(a, axis):
    return np.cumprod(a, axis=axis)


cumprod = Primitive("cumprod", _cumprod_forward, _cumprod_grad)


def _prod_forward(a, axis=None, keepdims=False):
    return np.prod(a, axis=axis, keepdims=keepdims)


def _prod_grad(xp, g, out, a, axis=None, keepdims=False):
    """The gradient of the product over one axis (or all): the cumulative product's rule with
    the upstream gradient on the last position only (exact with zeros)."""
    if axis is None:
        flat = xp.reshape(a, (-1,))
        grad = _prod_grad(xp, xp.reshape(g, (1,)), None, flat, axis=0, keepdims=True)
        return xp.reshape(grad, a.shape)
    if a.ndim == 0:
        return g
    g_kept = _kept_dims(xp, g, a.ndim, axis, keepdims)
    is_last = _axis_positions(a.shape, axis) == a.shape[axis] - 1
    return _cumprod_grad(xp, xp.where(is_last, g_kept, 0), xp.cumprod(a, axis), a, axis)


prod = Primitive("prod", _prod_forward, _prod_grad)


def _logcumsumexp_forward(a, axis):
    if a.shape[axis] == 0:
        return a.copy()
    with np.errstate(invalid="ignore"):
        return np.logaddexp.accumulate(a, axis=axis)


def _logcumsumexp_grad(xp, g, out, a, axis):
    """grad_i = sum_{j>=i} g_j exp(a_i - out_j), summed in log space separately for the
    positive and the negative g_j (so no exp can overflow, for any magnitude of a)."""
    raw_g = np.asarray(g)
    total = 0
    for sign, chosen in ((1, raw_g > 0), (-1, raw_g < 0)):
        if not chosen.any():
            continue
        magnitude = xp.where(chosen, g * sign, 1)  # log of 1 where unused: no -inf in a gradient
        terms = xp.where(chosen, xp.log(magnitude) - out, -np.inf)
        accumulated = xp.flip(xp.logcumsumexp(xp.flip(terms, axis), axis), axis)
        total = total + sign * xp.exp(a + accumulated)
    return total if not isinstance(total, int) else g * 0


logcumsumexp = Primitive("logcumsumexp", _floating(_logcumsumexp_forward), _logcumsumexp_grad)


def _vector_norm_forward(a, ord=2.0, axis=None, keepdims=False):
    axes = _axes(axis, a.ndim)
    magnitude = np.abs(a)
    if ord == np.inf:
        return np.max(magnitude, axis=axes, keepdims=keepdims, initial=0)
    if ord == -np.inf:
        return np.min(magnitude, axis=axes, keepdims=keepdims)
    if ord == 0:
        return np.sum(a != 0, axis=axes, keepdims=keepdims).astype(a.dtype)
    if ord == 1:
        return np.sum(magnitude, axis=axes, keepdims=keepdims)
    if ord == 2:
        return np.sqrt(np.sum(a * a, axis=axes, keepdims=keepdims))
    return np.sum(magnitude ** ord, axis=axes, keepdims=keepdims) ** (1.0 / ord)


def _vector_norm_grad(xp, g, out, a, ord=2.0, axis=None, keepdims=False):
    """The norm's gradient; 0 where the norm is 0 (as PyTorch: a subgradient)."""
    g = _kept_dims(xp, g, a.ndim, axis, keepdims)
    norm = _kept_dims(xp, out, a.ndim, axis, keepdims)
    if ord == 0:
        return g * 0 * a
    if ord in (np.inf, -np.inf):  # like max |a|: ties share the gradient evenly
        winners = xp.abs(a) == norm
        return xp.sign(a) * winners * (g / winners.sum(axis=_axes(axis, a.ndim), keepdims=True))
    if ord == 1:
        return g * xp.sign(a)
    zero = np.asarray(norm) == 0
    safe_norm = xp.where(zero, 1, norm)
    if ord == 2:
        return xp.where(zero, 0, g * a / safe_norm)
    scaled = xp.sign(a) * xp.power(xp.abs(a), ord - 1)
    return xp.where(zero, 0, g * scaled / xp.power(safe_norm, ord - 1))


vector_norm = Primitive("vector_norm", _floating(_vector_norm_forward), _vector_norm_grad)


# ---- writing into a copy: setitem, scatter ------------------------------------------------------
def _written_mask(shape: tuple, index) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    mask[index] = True
    return mask


def _index_put_forward(a, values, index, accumulate=False):
    out = a.copy()
    if accumulate:
        np.add.at(out, index, values)
    else:
        out[index] = values
    return out


def _index_put_grad_input(xp, g, out, a, values, index, accumulate=False):
    return g if accumulate else xp.where(_written_mask(a.shape, index), 0, g)


# ``a`` with ``values`` written (or added, with accumulate) at ``index``, out of place: what
# ``t[index] = values``, scatter, index_copy and index_add compute. The gradient of the values
# is the gradient at the places they went.
index_put = Primitive(
    "index_put", _index_put_forward, _index_put_grad_input,
    lambda xp, g, out, a, values, index, accumulate=False: g[index],
)


def _scatter_extremum_forward(a, src, index, reduce, include_self):
    out = a.copy()
    ufunc = np.maximum if reduce == "amax" else np.minimum
    if not include_self:
        out[index] = -np.inf if reduce == "amax" else np.inf
        if out.dtype.kind != "f":
            out[index] = np.iinfo(out.dtype).min if reduce == "amax" else np.iinfo(out.dtype).max
    ufunc.at(out, index, src)
    return out


def _scatter_extremum_shares(xp, out, a, src, index, include_self):
    """Where the maximum (minimum) came from: the winners among the written values and the
    input, and how many tie at each place (the gradient is split evenly among them)."""
    raw_out = np.asarray(out)
    src_wins = np.asarray(src) == raw_out[index]
    written = _written_mask(a.shape, index)
    self_wins = (np.asarray(a) == raw_out) & written & include_self
    count = _put_add_forward(src_wins.astype(raw_out.dtype), a.shape, index) + self_wins
    return src_wins, self_wins, written, np.where(count == 0, 1, count)


def _scatter_extremum_grad_input(xp, g, out, a, src, index, reduce, include_self):
    _, self_wins, written, count = _scatter_extremum_shares(xp, out, a, src, index, include_self)
    return xp.where(written, g * self_wins / count, g)


def _scatter_extremum_grad_src(xp, g, out, a, src, index, reduce, include_self):
    src_wins, _, _, count = _scatter_extremum_shares(xp, out, a, src, index, include_self)
    return (g / count)[index] * src_wins


scatter_extremum = Primitive("scatter_extremum", _scatter_extremum_forward,
                             _scatter_extremum_grad_input, _scatter_extremum_grad_src)


def _scatter_prod_forward(a, src, index, include_self):
    out = a.copy()
    if not include_self:
        out[index] = 1
    np.multiply.at(out, index, src)
    return out


def _product_of_others(xp, g, out, value, nonzero_product, zero_count):
    """d(product)/d(value) for one factor: out / value without zeros, the product of the
    others where this factor is the only zero, 0 where another factor is zero."""
    raw = np.asarray(value)
    lone_zero = (zero_count == 1) & (raw == 0)
    no_zero = zero_count == 0
    quotient = out / xp.where(no_zero & (raw != 0), value, 1)
    return g * (xp.where(no_zero, quotient, 0) + xp.where(lone_zero, nonzero_product, 0))


def _scatter_prod_parts(xp, a, src, index, include_self):
    raw_a, raw_src = np.asarray(a), np.asarray(src)
    written = _written_mask(a.shape, index)
    zero_count = _put_add_forward((raw_src == 0).astype(np.int64), a.shape, index)
    if include_self:
        zero_count = zero_count + ((raw_a == 0) & written)
    # The product of the non-zero factors, itself a scatter product (so differentiable).
    nonzero_product = xp.scatter_prod(xp.where(raw_a == 0, 1, a), xp.where(raw_src == 0, 1, src),
                                      index, include_self)
    return written, zero_count, nonzero_product


def _scatter_prod_grad_input(xp, g, out, a, src, index, include_self):
    written, zero_count, nonzero_product = _scatter_prod_parts(xp, a, src, index, include_self)
    if not include_self:
        return xp.where(written, 0, g)
    return xp.where(written, _product_of_others(xp, g, out, a, nonzero_product, zero_count), g)


def _scatter_prod_grad_src(xp, g, out, a, src, index, include_self):
    written, zero_count, nonzero_product = _scatter_prod_parts(xp, a, src, index, include_self)
    return _product_of_others(xp, g[index], out[index], src, nonzero_product[index], zero_count[index])


scatter_prod = Primitive("scatter_prod", _scatter_prod_forward, _scatter_prod_grad_input, _scatter_prod_grad_src)


# ---- einsum ------------------------------------------------------------------------------------
def _einsum_forward(*operands, equation):
    return np.einsum(equation, *operands, optimize=len(operands) > 2)


def _einsum_grad(argnum, xp, g, out, *operands, equation):
    """Operand k's gradient: the einsum of g with the other operands onto k's subscripts,
    broadcast along the subscripts only k has (summed away in the forward)."""
    inputs, output = equation.split("->")
    subscripts = inputs.split(",")
    mine = subscripts[argnum]
    others = [s for i, s in enumerate(subscripts) if i != argnum]
    seen = set(output).union(*others)
    kept = "".join(letter for letter in mine if letter in seen)
    terms = [output] + others
    grad = xp.einsum(",".join(terms) + "->" + kept, g, *[op for i, op in enumerate(operands) if i != argnum])
    if kept == mine:
        return grad
    shape = [operands[argnum].shape[i] if letter in seen else 1 for i, letter in enumerate(mine)]
    return xp.broadcast_to(xp.reshape(grad, tuple(shape)), operands[argnum].shape)


# ``equation`` is explicit ("ij,jk->ik") with no letter twice in one operand and no ellipsis:
# functions.einsum brings any equation to that form first.
einsum = Primitive("einsum", _einsum_forward, argnum_rule=_einsum_grad)


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
    sin=np.sin, cos=np.cos, sinh=np.sinh, cosh=np.cosh, sqrt=np.sqrt, abs=np.abs,
    floor=np.floor, trunc=np.trunc, flip=np.flip,
    cumsum=lambda a, axis: np.cumsum(a, axis=axis),
    cumprod=lambda a, axis: np.cumprod(a, axis=axis),
    logcumsumexp=_logcumsumexp_forward,
    einsum=lambda equation, *operands: _einsum_forward(*operands, equation=equation),
    scatter_prod=_scatter_prod_forward,
)


def _flip(a, axis: int):
    return getitem(a, index=(slice(None),) * axis + (slice(None, None, -1),))


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
    sin=sin, cos=cos, sinh=sinh, cosh=cosh, sqrt=sqrt, abs=abs, floor=floor, trunc=trunc, flip=_flip,
    cumsum=lambda a, axis: cumsum(a, axis=axis),
    cumprod=lambda a, axis: cumprod(a, axis=axis),
    logcumsumexp=lambda a, axis: logcumsumexp(a, axis=axis),
    einsum=lambda equation, *operands: einsum(*operands, equation=equation),
    scatter_prod=lambda a, src, index, include_self: scatter_prod(a, src, index=index, include_self=include_self),
)


# ---- what the rules read -------------------------------------------------------------------------
# Per primitive, one entry per rule (argnum-rule primitives: one entry for all inputs): the
# input positions and "out" whose values the rule uses (shapes and dtypes do not count). An
# in-place write into one of them, after the node was made, makes the gradient refuse.
_NOTHING, _OUT = (), ("out",)
READS = {
    "add": (_NOTHING, _NOTHING), "sub": (_NOTHING, _NOTHING), "mul": ((1,), (0,)),
    "div": ((1,), (1, "out")), "neg": (_NOTHING,), "power": ((0, 1), (0, 1, "out")),
    "matmul": ((1,), (0,)), "sum": (_NOTHING,), "mean": (_NOTHING,), "max": ((0, "out"),),
    "min": ((0, "out"),), "exp": (_OUT,), "log": ((0,),), "sqrt": (_OUT,), "abs": ((0,),),
    "relu": ((0,),), "tanh": (_OUT,), "sign": (_NOTHING,), "sigmoid": (_OUT,), "clip": ((0,),),
    "maximum": ((0, 1), (0, 1)), "minimum": ((0, 1), (0, 1)), "where": (_NOTHING, (0,), (0,)),
    "astype": (_NOTHING,), "clone": (_NOTHING,), "reshape": (_NOTHING,), "broadcast_to": (_NOTHING,),
    "transpose": (_NOTHING,), "getitem": (_NOTHING,), "put_add": (_NOTHING,),
    "concatenate": (_NOTHING,), "stack": (_NOTHING,),
    **{name: ((0,),) for name in ("sin", "cos", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh",
                                  "atanh", "log2", "log10", "log1p", "erf", "erfc")},
    **{name: (_OUT,) for name in ("tan", "rsqrt", "exp2", "expm1", "erfinv")},
    **{name: (_NOTHING,) for name in ("floor", "ceil", "trunc", "round")},
    "atan2": ((0, 1), (0, 1)), "hypot": ((0, "out"), (1, "out")),
    "logaddexp": ((0, "out"), (1, "out")), "logaddexp2": ((0, "out"), (1, "out")),
    "remainder": (_NOTHING, (0, 1)), "fmod": (_NOTHING, (0, 1)),
    "floor_divide": (_NOTHING, _NOTHING), "trunc_divide": (_NOTHING, _NOTHING),
    "clamp": ((0, 1, 2), (0, 1, 2), (0, 1, 2)), "logsumexp": ((0, "out"),), "cumsum": (_NOTHING,),
    "cumprod": ((0, "out"),), "prod": ((0,),), "logcumsumexp": ((0, "out"),),
    "vector_norm": ((0, "out"),), "index_put": (_NOTHING, _NOTHING),
}
for _name, _reads in READS.items():
    PRIMITIVES[_name].reads = _reads
