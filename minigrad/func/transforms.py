"""Function transforms built on the engine: grad, grad_and_value, vjp, jvp, jacrev, hessian.

Each transform calls the function once on fresh *variables* standing for the arguments it
differentiates, then asks ``autograd.grad`` for the gradients. Two things make them compose
(``grad(grad(f))``, ``jacrev(grad(f))``, ``hessian(f)``, ``vmap(grad(f))``):

- **A variable of its own per transform.** An argument that already belongs to a graph (an
  enclosing transform differentiates through this one, or it is a weight that requires grad)
  enters through a node of its own (an identity reshape), so this transform's gradient counts
  only the paths through *this* argument, never the enclosing transform's (in
  ``grad(lambda x: grad(lambda y: x * y)(x))`` the inner gradient is x, not 2x). Other
  arguments become fresh leaves sharing their data.
- **A graph only when someone outside can use it.** After the call, the transform looks at
  the output's graph: if it reaches a tensor that requires grad and is not one of its own
  variables, the gradients are computed with ``create_graph=True`` (they are differentiable
  functions of that outer tensor); otherwise on the ordinary, fast path, and the results
  come back as plain tensors with no graph. Detected, not guessed: the engine's own graph
  walk (``autograd.made_tensors``) decides.

``jvp`` is built from two vector-Jacobian products (the "double-vjp trick"): the VJP
``u -> J^T u`` is linear in ``u``, so its gradient with respect to ``u`` contracted with the
tangent ``v`` is ``J v``.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from minigrad import autograd, ops
from minigrad.func.pytree import tree_flatten, tree_leaves_with_paths, tree_map, tree_unflatten
from minigrad.tensor import Tensor

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "hessian"]


# ---- arguments and variables -----------------------------------------------------------------
def check_argnums(argnums, fname: str) -> None:
    """``argnums`` must be an int or a non-empty tuple of distinct ints (checked when the
    transform is made; the range is checked at the call, when the arguments are known)."""
    entries = argnums if isinstance(argnums, tuple) else (argnums,)
    if not entries or not all(isinstance(a, int) and not isinstance(a, bool) for a in entries):
        raise TypeError(f"{fname}: argnums must be an int or a non-empty tuple of ints, got {argnums!r}")


def argnum_positions(argnums, nargs: int, fname: str) -> tuple[int, ...]:
    """The positions ``argnums`` names, counted from the front, for a call with ``nargs``
    positional arguments (negative argnums count from the end, as in torch.func)."""
    entries = argnums if isinstance(argnums, tuple) else (argnums,)
    positions = []
    for argnum in entries:
        if not -nargs <= argnum < nargs:
            raise IndexError(
                f"{fname}: argnums={argnums!r} asks for argument {argnum}, but the function was called "
                f"with {nargs} positional argument{'s' if nargs != 1 else ''}"
            )
        positions.append(argnum % nargs)
    if len(set(positions)) != len(positions):
        raise ValueError(f"{fname}: argnums={argnums!r} names the same argument twice")
    return tuple(positions)


def make_variable(leaf, path: str, fname: str) -> Tensor:
    """The tensor a transform differentiates with respect to, standing for ``leaf``."""
    if not isinstance(leaf, Tensor):
        raise TypeError(f"{fname}: argument {path} must be a Tensor to be differentiated, got {type(leaf).__name__}")
    if leaf.dtype.kind != "f":
        raise TypeError(
            f"{fname}: argument {path} has dtype {leaf.dtype}; only floating-point tensors can be differentiated"
        )
    if leaf.requires_grad and autograd.is_grad_enabled():
        # Connected to the graph it belongs to, behind a node of its own (see the module doc).
        return ops.reshape(leaf, shape=leaf.shape)
    return Tensor(leaf.data, requires_grad=True)


class Variables:
    """The variables standing for the differentiated arguments, in a flat list, and how to
    put values shaped like them back into the arguments' structures."""

    def __init__(self, args: tuple, positions: tuple[int, ...], fname: str):
        self.positions = positions
        self.args = list(args)
        self.flat: list[Tensor] = []
        self.specs = []
        for position in positions:
            paths_and_leaves = tree_leaves_with_paths(args[position], f"{position}")
            variables = [make_variable(leaf, path, fname) for path, leaf in paths_and_leaves]
            spec = tree_flatten(args[position])[1]
            self.args[position] = tree_unflatten(spec, variables)
            self.specs.append((spec, len(variables)))
            self.flat += variables

    def rebuild(self, values: list, single: bool) -> Any:
        """``values`` (one per variable) in the structure of the arguments: the structure of
        the one argument if ``single``, else a tuple with one entry per argnum."""
        pieces = []
        start = 0
        for spec, count in self.specs:
            pieces.append(tree_unflatten(spec, values[start:start + count]))
            start += count
        return pieces[0] if single else tuple(pieces)


def needs_graph(outputs: list[Tensor], variables: list[Tensor]) -> bool:
    """Whether the outputs' graph reaches a tensor that requires grad other than the
    transform's own fresh variables: then an enclosing computation can differentiate the
    results, and they must be computed with ``create_graph=True``."""
    roots = [out for out in outputs if isinstance(out, Tensor) and out.requires_grad]
    if not roots:
        return False
    own = {id(v) for v in variables if v.is_leaf}
    _, leaves = autograd.made_tensors(roots)
    return any(key not in own for key in leaves)


def zeros_like(tensor: Tensor) -> Tensor:
    return Tensor(np.zeros_like(tensor.data))


def _detached(value):
    return value.detach() if isinstance(value, Tensor) else value


def split_aux(result, has_aux: bool, fname: str):
    """``(output, aux)`` from the function's result (aux None without ``has_aux``)."""
    if not has_aux:
        return result, None
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        got = f"a {type(result).__name__} of length {len(result)}" if isinstance(result, (tuple, list)) \
            else f"a {type(result).__name__}"
        raise TypeError(f"{fname}: with has_aux=True the function must return a pair (output, aux), got {got}")
    return result[0], result[1]


def output_leaves(output, fname: str) -> tuple[list[Tensor], Any]:
    """The function's output as a flat list of floating-point Tensors, and its structure."""
    leaves, spec = tree_flatten(output)
    for path, leaf in tree_leaves_with_paths(output):
        where = f"output{path}" if path else "the output"
        if not isinstance(leaf, Tensor):
            raise TypeError(f"{fname}: {where} must be a Tensor, got {type(leaf).__name__}")
        if leaf.dtype.kind != "f":
            raise TypeError(f"{fname}: {where} has dtype {leaf.dtype}; only floating-point outputs can be differentiated")
    return leaves, spec


def gradients(outputs: list[Tensor], variables: list[Tensor], seeds: list | None, create_graph: bool,
              retain_graph: bool) -> list[Tensor]:
    """d(sum of seeds . outputs)/d(variables), zeros where a variable is not used. Outputs
    with no graph contribute nothing."""
    pairs = [(out, seed) for out, seed in zip(outputs, seeds or [None] * len(outputs)) if out.requires_grad]
    if not pairs or not variables:
        return [zeros_like(v) for v in variables]
    found = autograd.grad([out for out, _ in pairs], variables,
                          grad_outputs=None if seeds is None else [seed for _, seed in pairs],
                          create_graph=create_graph, retain_graph=retain_graph, allow_unused=True)
    return [g if g is not None else zeros_like(v) for g, v in zip(found, variables)]


class Transformed:
    """A transformed function: callable like the original, with its name and docstring, and
    a repr that says what was done to it (``grad(loss, argnums=0)``)."""

    def __init__(self, func: Callable, name: str, **options):
        if not callable(func):
            raise TypeError(f"{name}: expected a function, got {type(func).__name__}")
        functools.update_wrapper(self, func, updated=())
        self.func = func
        self.transform_name = name
        self.options = options

    def __repr__(self) -> str:
        inner = repr(self.func) if isinstance(self.func, Transformed) else getattr(self.func, "__name__", repr(self.func))
        options = "".join(f", {key}={value!r}" for key, value in self.options.items())
        return f"{self.transform_name}({inner}{options})"


# ---- grad and grad_and_value -------------------------------------------------------------------
class GradTransform(Transformed):
    """What ``grad`` and ``grad_and_value`` return. ``vmap`` recognizes it: a per-sample
    gradient of a small network's loss has a fast path (see ``minigrad.func.per_sample``)."""

    def __init__(self, func: Callable, argnums, has_aux: bool, with_value: bool):
        name = "grad_and_value" if with_value else "grad"
        check_argnums(argnums, name)
        super().__init__(func, name, argnums=argnums, has_aux=has_aux)
        self.argnums = argnums
        self.has_aux = bool(has_aux)
        self.with_value = with_value

    def __call__(self, *args, **kwargs):
        grads, value, aux = self.compute(args, kwargs)
        if self.with_value:
            return (grads, (value, aux)) if self.has_aux else (grads, value)
        return (grads, aux) if self.has_aux else grads

    def compute(self, args: tuple, kwargs: dict):
        """The gradients (in the arguments' structure), the value and the aux of one call."""
        fname = f"{self.transform_name}({getattr(self.func, '__name__', 'f')})"
        positions = argnum_positions(self.argnums, len(args), fname)
        variables = Variables(args, positions, fname)
        with autograd.enable_grad():
            result = self.func(*variables.args, **kwargs)
        output, aux = split_aux(result, self.has_aux, fname)
        check_scalar_output(output, fname)
        graph = needs_graph([output], variables.flat)
        grads = gradients([output], variables.flat, None, create_graph=graph, retain_graph=graph)
        if not graph:
            output, aux = output.detach(), tree_map(_detached, aux)
        return variables.rebuild(grads, single=isinstance(self.argnums, int)), output, aux


def check_scalar_output(output, fname: str) -> None:
    if not isinstance(output, Tensor):
        raise TypeError(f"{fname}: the function must return a scalar Tensor, got {type(output).__name__}")
    if output.ndim != 0:
        raise ValueError(
            f"{fname}: the function must return a scalar (0-dimensional) Tensor, got shape {output.shape}; "
            f"for a non-scalar output use vjp or jacrev"
        )
    if output.dtype.kind != "f":
        raise TypeError(f"{fname}: the function returned dtype {output.dtype}; only floating-point outputs can be differentiated")


def grad(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> GradTransform:
    """The gradient of a function that returns a scalar Tensor, as ``torch.func.grad``.

    ``grad(f)(*args)`` is d f(*args) / d args[argnums]: shaped like that argument (a dict of
    Tensors gives a dict of gradients), a tuple of them when ``argnums`` is a tuple. With
    ``has_aux=True``, ``f`` returns ``(output, aux)`` and the result is ``(gradients, aux)``.
    An argument the output does not depend on gets zeros. Transforms compose: ``grad(grad(f))``
    is the second derivative. As in torch.func, an argument that requires grad (a model's
    Parameter, say) makes the result differentiable with respect to it, which costs a graph:
    pass ``p.detach()`` when only the gradient's value is wanted.

    >>> import minigrad as mg
    >>> from minigrad.func import grad
    >>> f = lambda x: (x ** 3).sum()
    >>> grad(f)(mg.tensor([1.0, 2.0]))
    Tensor([ 3., 12.], dtype=float32)
    >>> grad(grad(lambda x: x ** 3))(mg.tensor(2.0))
    Tensor(12., dtype=float32)
    >>> loss = lambda p, x: ((x * p["w"] + p["b"]) ** 2).sum()
    >>> g = grad(loss)({"w": mg.tensor(1.0), "b": mg.tensor(0.5)}, mg.tensor([1.0, 2.0]))
    >>> {name: float(value) for name, value in g.items()}
    {'w': 13.0, 'b': 8.0}
    """
    return GradTransform(func, argnums, has_aux, with_value=False)


def grad_and_value(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> GradTransform:
    """``grad`` that also returns the function's value: ``(gradients, value)``, or
    ``(gradients, (value, aux))`` with ``has_aux``, as ``torch.func.grad_and_value``.

    >>> import minigrad as mg
    >>> from minigrad.func import grad_and_value
    >>> g, value = grad_and_value(lambda x: (x * x).sum())(mg.tensor([3.0]))
    >>> g, value
    (Tensor([6.], dtype=float32), Tensor(9., dtype=float32))
    """
    return GradTransform(func, argnums, has_aux, with_value=True)


# ---- vjp ---------------------------------------------------------------------------------------
def vjp(func: Callable, *primals, has_aux: bool = False):
    """``(output, vjp_fn)``: the function's output at ``primals`` and its vector-Jacobian
    product, as ``torch.func.vjp``. ``vjp_fn(cotangents)``, with cotangents shaped like the
    output, returns a tuple with one entry per primal: the sum over outputs of
    ``cotangent . d output / d primal``. It can be called many times. With ``has_aux``,
    ``(output, vjp_fn, aux)``.

    >>> import minigrad as mg
    >>> from minigrad.func import vjp
    >>> out, vjp_fn = vjp(lambda x: x * x, mg.tensor([1.0, 2.0]))
    >>> vjp_fn(mg.tensor([1.0, 10.0]))
    (Tensor([ 2., 40.], dtype=float32),)
    """
    fname = f"vjp({getattr(func, '__name__', 'f')})"
    variables = Variables(primals, tuple(range(len(primals))), fname)
    with autograd.enable_grad():
        result = func(*variables.args)
    output, aux = split_aux(result, has_aux, fname)
    outputs, out_spec = output_leaves(output, fname)
    graph = needs_graph(outputs, variables.flat)

    def vjp_fn(cotangents):
        seeds = _cotangent_leaves(cotangents, outputs, out_spec, fname)
        # A cotangent that requires grad (the double-vjp of jvp) makes the result a function of it.
        create = graph or any(seed.requires_grad for seed in seeds)
        grads = gradients(outputs, variables.flat, seeds, create_graph=create, retain_graph=True)
        return variables.rebuild(grads, single=False)

    if not graph:
        output, aux = tree_map(_detached, output), tree_map(_detached, aux)
    return (output, vjp_fn, aux) if has_aux else (output, vjp_fn)


def _cotangent_leaves(cotangents, outputs: list[Tensor], out_spec, fname: str) -> list[Tensor]:
    """The cotangents as Tensors, one per output leaf, checked against the outputs."""
    leaves, spec = tree_flatten(cotangents)
    if spec != out_spec:
        raise ValueError(
            f"{fname}: the cotangents have structure {spec.describe()}, but the output has structure {out_spec.describe()}"
        )
    checked = []
    for (path, leaf), out in zip(tree_leaves_with_paths(cotangents), outputs):
        where = f"cotangent{path}" if path else "the cotangent"
        if not isinstance(leaf, Tensor):
            raise TypeError(f"{fname}: {where} must be a Tensor, got {type(leaf).__name__}")
        if leaf.shape != out.shape:
            raise ValueError(f"{fname}: {where} has shape {leaf.shape}, but the output it goes with has shape {out.shape}")
        checked.append(leaf)
    return checked


# ---- jvp ---------------------------------------------------------------------------------------
def jvp(func: Callable, primals: tuple, tangents: tuple, *, has_aux: bool = False):
    """``(output, jvp_out)``: the function's output at ``primals`` and the Jacobian-vector
    product ``J tangents``, as ``torch.func.jvp``; ``(output, jvp_out, aux)`` with ``has_aux``.
    ``primals`` and ``tangents`` are tuples, one tangent per primal, shaped like it.

    Forward mode is computed from two reverse passes: ``g(u) = J^T u`` is linear in ``u``,
    and its vector-Jacobian product with the tangent is ``J tangent``.

    >>> import minigrad as mg
    >>> from minigrad.func import jvp
    >>> out, tangent_out = jvp(lambda x: x ** 2, (mg.tensor([1.0, 3.0]),), (mg.tensor([1.0, 0.5]),))
    >>> tangent_out
    Tensor([2., 3.], dtype=float32)
    """
    fname = f"jvp({getattr(func, '__name__', 'f')})"
    primals, tangents = _checked_primals_and_tangents(primals, tangents, fname)
    variables = Variables(primals, tuple(range(len(primals))), fname)
    tangent_leaves = [leaf for tangent in tangents for leaf in tree_flatten(tangent)[0]]
    with autograd.enable_grad():
        result = func(*variables.args)
    output, aux = split_aux(result, has_aux, fname)
    outputs, out_spec = output_leaves(output, fname)
    graph = needs_graph(outputs, variables.flat) or any(t.requires_grad for t in tangent_leaves)
    dummies = [Tensor(np.zeros_like(out.data), requires_grad=True) for out in outputs]
    # First reverse pass: J^T u as a graph, a linear function of the dummy cotangents u.
    transposed = gradients(outputs, variables.flat, dummies, create_graph=True, retain_graph=True)
    used = [(g, t) for g, t in zip(transposed, tangent_leaves) if g.requires_grad]
    # Second reverse pass: d<J^T u, v>/du = J v.
    tangent_out = gradients([g for g, _ in used], dummies, [t for _, t in used], create_graph=graph,
                            retain_graph=graph)
    if not graph:
        output, aux = tree_map(_detached, output), tree_map(_detached, aux)
    tangent_out = tree_unflatten(out_spec, tangent_out)
    return (output, tangent_out, aux) if has_aux else (output, tangent_out)


def _checked_primals_and_tangents(primals, tangents, fname: str) -> tuple[tuple, tuple]:
    for name, value in (("primals", primals), ("tangents", tangents)):
        if not isinstance(value, (tuple, list)):
            raise TypeError(f"{fname}: {name} must be a tuple (one entry per argument), got {type(value).__name__}")
    if len(primals) != len(tangents):
        raise ValueError(f"{fname}: {len(primals)} primals but {len(tangents)} tangents; give one tangent per primal")
    for position, (primal, tangent) in enumerate(zip(primals, tangents)):
        primal_spec, tangent_spec = tree_flatten(primal)[1], tree_flatten(tangent)[1]
        if primal_spec != tangent_spec:
            raise ValueError(
                f"{fname}: tangent {position} has structure {tangent_spec.describe()}, "
                f"but primal {position} has structure {primal_spec.describe()}"
            )
        for (path, p), (_, t) in zip(tree_leaves_with_paths(primal, f"{position}"),
                                     tree_leaves_with_paths(tangent, f"{position}")):
            if not isinstance(t, Tensor):
                raise TypeError(f"{fname}: tangent {path} must be a Tensor, got {type(t).__name__}")
            if isinstance(p, Tensor) and t.shape != p.shape:
                raise ValueError(f"{fname}: tangent {path} has shape {t.shape}, but its primal has shape {p.shape}")
    return tuple(primals), tuple(tangents)


# ---- jacrev and hessian ------------------------------------------------------------------------
class JacrevTransform(Transformed):
    def __init__(self, func: Callable, argnums, has_aux: bool):
        check_argnums(argnums, "jacrev")
        super().__init__(func, "jacrev", argnums=argnums)
        self.argnums = argnums
        self.has_aux = bool(has_aux)

    def __call__(self, *args, **kwargs):
        fname = f"jacrev({getattr(self.func, '__name__', 'f')})"
        positions = argnum_positions(self.argnums, len(args), fname)
        variables = Variables(args, positions, fname)
        with autograd.enable_grad():
            result = self.func(*variables.args, **kwargs)
        output, aux = split_aux(result, self.has_aux, fname)
        outputs, out_spec = output_leaves(output, fname)
        graph = needs_graph(outputs, variables.flat)
        jacobians = [variables.rebuild(_jacobian_rows(out, variables.flat, graph), single=isinstance(self.argnums, int))
                     for out in outputs]
        jacobian = tree_unflatten(out_spec, jacobians)
        if not graph:
            aux = tree_map(_detached, aux)
        return (jacobian, aux) if self.has_aux else jacobian


def _jacobian_rows(out: Tensor, variables: list[Tensor], graph: bool) -> list[Tensor]:
    """For each variable, d out / d variable of shape out.shape + variable.shape: one
    reverse pass per element of ``out`` (a row of the Jacobian each)."""
    if not out.requires_grad:
        return [Tensor(np.zeros(out.shape + v.shape, dtype=v.dtype)) for v in variables]
    rows: list[list[Tensor]] = [[] for _ in variables]
    for index in range(out.size):
        seed = np.zeros(out.shape, dtype=out.dtype)
        seed.flat[index] = 1
        for row, g in zip(rows, gradients([out], variables, [seed], create_graph=graph, retain_graph=True)):
            row.append(g)
    jacobians = []
    for row, v in zip(rows, variables):
        if not row:  # an empty output has an empty Jacobian
            jacobians.append(Tensor(np.zeros(out.shape + v.shape, dtype=v.dtype)))
        elif graph:
            jacobians.append(ops.stack(row).reshape(out.shape + v.shape))
        else:
            jacobians.append(Tensor(np.stack([g.data for g in row]).reshape(out.shape + v.shape)))
    return jacobians


def jacrev(func: Callable, argnums: int | tuple[int, ...] = 0, *, has_aux: bool = False) -> JacrevTransform:
    """The Jacobian by reverse mode, as ``torch.func.jacrev``: for an output of shape ``O``
    and an argument of shape ``I``, a Tensor of shape ``O + I``. Outputs and arguments may be
    pytrees: the result nests the output's structure outside the arguments' (a tuple over
    ``argnums`` when it is a tuple). One reverse pass per output element.

    >>> import minigrad as mg
    >>> from minigrad.func import jacrev
    >>> jacrev(lambda x: x * x)(mg.tensor([1.0, 2.0]))
    Tensor([[2., 0.],
            [0., 4.]], dtype=float32)
    """
    return JacrevTransform(func, argnums, has_aux)


def hessian(func: Callable, argnums: int | tuple[int, ...] = 0) -> JacrevTransform:
    """The Hessian of a scalar function, ``jacrev(jacrev(func, argnums), argnums)``, as
    ``torch.func.hessian`` (which computes the same matrix by forward over reverse mode).
    For an argument of shape ``I`` a Tensor of shape ``I + I``; for a dict of parameters a
    dict of dicts (``H[a][b]`` of shape ``a.shape + b.shape``).

    >>> import minigrad as mg
    >>> from minigrad.func import hessian
    >>> hessian(lambda x: (x[0] ** 2) * x[1])(mg.tensor([1.0, 3.0]))
    Tensor([[6., 2.],
            [2., 0.]], dtype=float32)
    """
    return jacrev(jacrev(func, argnums), argnums)
