"""Backprop views: the graph of an expression, drawn, and a step-by-step trace.

``draw_graph(out)`` returns a drawing: one box per tensor with its op, shape, a value
summary and, once gradients exist, a gradient summary. It is Graphviz DOT text and also
lays itself out as SVG with no program to install, so a notebook shows it inline;
``render_graph(drawing, "graph.svg")`` writes it (PNG and PDF need Graphviz's ``dot``).

``backprop_trace(out)`` runs ``out``'s backward pass (exactly the engine's, through
``autograd.run_backward(..., trace=)``) and records every vector-Jacobian product in the
order it happens: which node, which op, the upstream gradient arriving at the node, the local
gradient and the result sent to the input. Printed, it reads like a hand computation:

    >>> import minigrad as mg
    >>> a = mg.Tensor(2.0, requires_grad=True); b = mg.Tensor(-3.0, requires_grad=True)
    >>> out = a * b + a
    >>> print(backprop_trace(out, names={"a": a, "b": b}))  # doctest: +SKIP

For an elementwise op (add, mul, exp, tanh, ... on inputs of the output's shape) the local
gradient is d node / d input element by element, and the result is upstream * local. For
any other op (matmul, a reduction, a broadcast) it is the local Jacobian, a matrix of
(output size) x (input size), and the result is upstream contracted with it; it is computed
by the engine itself (one vector-Jacobian product per output element), for Jacobians of up
to 4,096 entries, and left out (None) above that.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field

import numpy as np

from minigrad import autograd
from minigrad.io import atomic_path
from minigrad.tensor import Tensor

Names = dict[str, Tensor]


# ---- naming the tensors of a graph ----------------------------------------------------------

def _graph_tensors(root: Tensor) -> list[Tensor]:
    """Every Tensor of root's graph (constants included), inputs before the ops that use them:
    the engine's own order of the op-made tensors, oldest first, each preceded by the leaves
    and constants it is the first to use."""
    if root._node is None:
        return [root]
    made, _ = autograd.made_tensors([root])
    order, seen = [], set()
    for tensor in reversed(made):
        for parent in tensor._node.inputs:
            if isinstance(parent, Tensor) and parent._node is None and id(parent) not in seen:
                seen.add(id(parent))
                order.append(parent)
        order.append(tensor)
    return order


def _name_tensors(order: list[Tensor], root: Tensor, names: Names | None) -> dict[int, str]:
    """Given names first; other leaves that need a gradient x1, x2, ...; constants c1, ...;
    intermediate results t1, t2, ... in forward order; the root 'out' unless named."""
    named = {id(t): n for n, t in (names or {}).items()}
    counters = {"x": 0, "c": 0, "t": 0}
    result: dict[int, str] = {}
    for tensor in order:
        if id(tensor) in named:
            result[id(tensor)] = named[id(tensor)]
            continue
        if tensor is root:
            result[id(tensor)] = "out"
            continue
        kind = "t" if tensor._node is not None else ("x" if tensor.requires_grad else "c")
        counters[kind] += 1
        result[id(tensor)] = f"{kind}{counters[kind]}"
    return result


def _inputs_text(tensor: Tensor, names: dict[int, str]) -> str:
    node = tensor._node
    parts = [names[id(a)] if isinstance(a, Tensor) else summarize(a) for a in node.inputs]
    parts += [f"{k}={v}" for k, v in (node.params or {}).items()]
    return f"{node.primitive.name}({', '.join(parts)})"


def summarize(value, digits: int = 4) -> str:
    """A short text for an array: the numbers when there are at most four, else shape and range."""
    array = np.asarray(value.data if isinstance(value, Tensor) else value)
    if array.size <= 4:
        flat = [f"{v:.{digits}g}" for v in array.ravel().tolist()]
        return flat[0] if array.ndim == 0 else "[" + ", ".join(flat) + "]"
    return (f"min {array.min():.{digits}g} mean {array.mean():.{digits}g} "
            f"max {array.max():.{digits}g}")


# ---- the step-by-step trace ---------------------------------------------------------------

@dataclass
class TraceStep:
    """One vector-Jacobian product: ``result = vjp(upstream)`` for one input of one node."""

    node: str
    op: str
    input: str
    input_index: int
    upstream: np.ndarray
    local: np.ndarray | None
    result: np.ndarray

    root: str = "out"
    elementwise: bool = True

    def __str__(self) -> str:
        head = f"d{self.root}/d{self.input} via {self.node} = {self.op}: upstream {summarize(self.upstream)}"
        if self.elementwise:
            return f"{head} x local d{self.node}/d{self.input} {summarize(self.local)} -> {summarize(self.result)}"
        jacobian = ("(too large to show)" if self.local is None
                    else f"{self.local.shape[0]}x{self.local.shape[1]} {summarize(self.local)}")
        return f"{head} . Jacobian d{self.node}/d{self.input} {jacobian} -> {summarize(self.result)}"


@dataclass
class BackpropTrace:
    """The forward computation and every backward step of one ``backprop_trace`` call."""

    forward: list[str]
    steps: list[TraceStep]
    grads: dict[int, np.ndarray] = field(repr=False)
    names: dict[int, str] = field(repr=False)
    paths: dict[int, int] = field(repr=False)
    root_id: int = 0

    def lines(self) -> list[str]:
        text = ["forward:"] + [f"  {line}" for line in self.forward]
        root = self.names[self.root_id]
        text.append(f"backward (d{root}/d{root} = 1):")
        text += [f"  {number:>2}. {step}" for number, step in enumerate(self.steps, start=1)]
        text.append("gradients:")
        for key, name in self.names.items():
            if key in self.grads:
                note = f"   (sum over {self.paths[key]} paths)" if self.paths.get(key, 0) > 1 else ""
                text.append(f"  d{root}/d{name} = {summarize(self.grads[key])}{note}")
        return text

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        return f"<BackpropTrace: {len(self.forward)} tensors, {len(self.steps)} backward steps>"

    def _repr_html_(self) -> str:
        """The trace as tables, for a notebook: the forward pass, then one row per step."""
        from html import escape

        root = self.names[self.root_id]
        forward = "".join(f"<tr><td style='text-align:left'><code>{escape(line)}</code></td></tr>"
                          for line in self.forward)
        rows = []
        for number, step in enumerate(self.steps, start=1):
            if step.local is None:
                local = "Jacobian too large to show"
            else:
                local = f"{'x' if step.elementwise else 'Jacobian'} {summarize(step.local)}"
            cells = [str(number), f"d{root}/d{step.input} via {step.node} = {step.op}",
                     summarize(step.upstream), local, summarize(step.result)]
            rows.append("<tr>" + "".join(f"<td style='text-align:left'>{escape(c)}</td>" for c in cells) + "</tr>")
        head = "".join(f"<th style='text-align:left'>{h}</th>" for h in
                       ("#", "step", "upstream", "local", "result"))
        return (f"<div><b>forward</b><table>{forward}</table>"
                f"<b>backward</b> (d{escape(root)}/d{escape(root)} = 1)<table><tr>{head}</tr>{''.join(rows)}</table></div>")

    def grad_of(self, tensor: Tensor) -> np.ndarray | None:
        """The total gradient that reached ``tensor`` (intermediate results too)."""
        return self.grads.get(id(tensor))


def backprop_trace(output: Tensor, names: Names | None = None, retain_graph: bool = True) -> BackpropTrace:
    """Run ``output.backward()`` and record each step of it for a student to follow.

    Like ``backward()`` it accumulates gradients into the leaves' ``.grad``. The graph is kept
    by default (``retain_graph=True``) so ``draw_graph(output, trace=...)`` can show every
    node's gradient afterwards. ``output`` must be a one-element tensor that requires grad.
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"backprop_trace needs a Tensor, got {type(output).__name__}")
    if not output.requires_grad:
        raise ValueError("backprop_trace needs an output that requires grad (made from tensors with requires_grad=True)")
    if output.size != 1:
        raise ValueError(f"backprop_trace needs a one-element output, got shape {output.shape}")
    order = _graph_tensors(output)
    tensor_names = _name_tensors(order, output, names)
    forward = []
    for tensor in order:
        name = tensor_names[id(tensor)]
        if tensor._node is None:
            kind = "leaf, requires grad" if tensor.requires_grad else "constant"
            forward.append(f"{name} = {summarize(tensor)}   ({kind})")
        else:
            forward.append(f"{name} = {_inputs_text(tensor, tensor_names)} = {summarize(tensor)}")

    root_name = tensor_names[id(output)]
    seed = np.ones_like(output.data)
    grads: dict[int, np.ndarray] = {id(output): seed}
    paths: dict[int, int] = {}
    steps: list[TraceStep] = []

    def record(tensor, index, upstream, input_grad):
        node = tensor._node
        parent = node.inputs[index]
        elementwise = node.primitive.name in ELEMENTWISE and parent.shape == tensor.shape
        local = _local_derivative(node, index, upstream, elementwise)
        steps.append(TraceStep(tensor_names[id(tensor)], node.primitive.name, tensor_names[id(parent)],
                               index, np.array(upstream), local, np.array(input_grad), root_name, elementwise))
        key = id(parent)
        grads[key] = input_grad.copy() if key not in grads else grads[key] + input_grad
        paths[key] = paths.get(key, 0) + 1

    autograd.run_backward(output, seed, retain_graph=retain_graph, trace=record)
    return BackpropTrace(forward, steps, grads, tensor_names, paths, id(output))


# Ops that act element by element: with an input of the output's shape, d out_k / d in_j is
# zero unless j == k, so the local derivative is an array of the input's shape.
ELEMENTWISE = {"add", "sub", "mul", "div", "neg", "power", "exp", "log", "sqrt", "abs", "relu", "tanh",
               "sigmoid", "sign", "clip", "maximum", "minimum", "where", "astype", "leaky_relu"}
_LARGEST_JACOBIAN = 4096


def _local_derivative(node, index: int, upstream: np.ndarray, elementwise: bool) -> np.ndarray | None:
    """d node / d input ``index``: elementwise, the engine's rule applied to ones (which is
    the diagonal of the Jacobian there); otherwise the Jacobian, one vector-Jacobian product
    per output element, or None when it would be too large to show."""
    needs = tuple(i == index for i in range(len(node.inputs)))
    if elementwise:
        return node.input_gradients(np.ones_like(upstream), needs)[index]
    in_size = np.asarray(node.arrays[index]).size
    if upstream.size * in_size > _LARGEST_JACOBIAN:
        return None
    rows = []
    for k in range(upstream.size):
        unit = np.zeros(upstream.size, dtype=upstream.dtype)
        unit[k] = 1
        rows.append(node.input_gradients(unit.reshape(upstream.shape), needs)[index].reshape(-1))
    return np.array(rows).reshape(upstream.size, in_size)


# ---- the graph as DOT -----------------------------------------------------------------------

def draw_graph(tensor: Tensor, names: Names | None = None, trace: BackpropTrace | None = None,
               path: str | os.PathLike | None = None, model=None, fused: bool = False) -> "GraphDrawing":
    """``tensor``'s graph, drawn: DOT text (what ``str`` gives, for Graphviz) that also draws
    itself as SVG with no program to install (``.svg()``; a notebook shows it inline).

    Each box: name and op, shape, value summary, and the gradient (from ``trace`` for every
    node, else ``.grad`` where the engine kept one: leaves, and tensors that ``retain_grad()``).
    ``model`` names its parameters by their module path (``0.weight``). A fused ``nn.MLP``
    node is drawn layer by layer (linear, activation, ...), as a student computes it, unless
    ``fused=True``. With ``path`` the drawing is also written there (see ``render_graph``).
    """
    if model is not None:
        names = {**{name: param for name, param in model.named_parameters()}, **(names or {})}
    order = _graph_tensors(tensor)
    tensor_names = dict(trace.names) if trace is not None and names is None else _name_tensors(order, tensor, names)
    if any(id(t) not in tensor_names for t in order):
        tensor_names = _name_tensors(order, tensor, names)
    grads = {id(item): (trace.grads.get(id(item)) if trace is not None else item.grad) for item in order}
    inputs_of = {id(t): t._node.inputs for t in order if t._node is not None}
    if not fused:
        order = _unfused(order, tensor_names, grads, inputs_of)
    boxes, edges = [], []
    number = {id(item): i for i, item in enumerate(order)}
    for item in order:
        key = id(item)
        boxes.append(_Box(f"n{number[key]}", _box_text(item, tensor_names[key], grads.get(key)).split("\n"),
                          _fill(item, item is tensor), key))
    for item in order:
        if item._node is None:
            continue
        item_inputs = inputs_of[id(item)]
        inputs = [p for p in item_inputs if isinstance(p, Tensor)]
        ordered = len(item_inputs) > 1 and item._node.primitive.name in _ORDERED
        for index, parent in enumerate(item_inputs):
            if isinstance(parent, Tensor) and id(parent) in number:
                edges.append((number[id(parent)], number[id(item)], str(index) if ordered and len(inputs) > 1 else ""))
    drawing = GraphDrawing(_dot_text(boxes, edges), boxes, edges)
    if path is not None:
        render_graph(drawing, path)
    return drawing


def _unfused(order: list, names: dict, grads: dict, inputs_of: dict) -> list:
    """Replace each fused ``mlp`` node by its layers (the composite the engine differentiates
    for second derivatives): the same values, one box per linear map and activation. Where
    the fused node's gradient is known, the layers' gradients are computed from it. Fills
    ``names``, ``grads`` and ``inputs_of`` (the inputs each box is drawn from) for the new
    boxes; the graph itself is not changed."""
    from minigrad.autograd import enable_grad, grad

    if not any(t._node is not None and t._node.primitive.name == "mlp" for t in order):
        return order
    result, replaced = [], {}
    for item in order:
        node = item._node
        if node is None or node.primitive.name != "mlp":
            result.append(item)
            continue
        with enable_grad():
            inputs = [replaced.get(id(x), x) for x in node.inputs]
            layers_out = node.primitive.composite(*inputs, **node.params)
        inner = [t for t in _graph_tensors(layers_out) if t._node is not None and not any(t is x for x in inputs)]
        upstream = grads.get(id(item))
        if upstream is not None:
            found = grad(layers_out, inner, grad_outputs=np.asarray(upstream), retain_graph=True, allow_unused=True)
            grads.update({id(t): g for t, g in zip(inner, found)})
        base = names.get(id(item), "t")
        for number, t in enumerate(inner, start=1):
            names[id(t)] = names[id(item)] if t is layers_out else f"{base}.{number}"
        replaced[id(item)] = layers_out
        result.extend(inner)
        inputs_of.update({id(t): t._node.inputs for t in inner})
    for item in result:  # users of a fused node are drawn from its last layer
        if item._node is not None:
            inputs_of[id(item)] = tuple(replaced.get(id(x), x) for x in inputs_of[id(item)])
    return result


@dataclass
class _Box:
    name: str
    lines: list[str]
    fill: str
    key: int


class GraphDrawing(str):
    """A graph as DOT text (the string itself) that also draws itself as SVG: ``svg()``
    lays it out top-down in layers (inputs at the top, the output at the bottom) with no
    external program, and a notebook displays it inline."""

    _boxes: list
    _edges: list

    def __new__(cls, dot: str, boxes: list, edges: list):
        drawing = super().__new__(cls, dot)
        drawing._boxes, drawing._edges = boxes, edges
        return drawing

    def svg(self) -> str:
        return _svg(self._boxes, self._edges)

    def _repr_svg_(self) -> str:
        return self.svg()


def _dot_text(boxes: list, edges: list) -> str:
    lines = [
        "digraph minigrad {",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];',
        '  edge [color="#555555"];',
    ]
    lines += [f'  {box.name} [label="{_escape(chr(10).join(box.lines))}", fillcolor="{box.fill}"];' for box in boxes]
    lines += [f"  n{a} -> n{b}" + (f' [label="{label}"]' if label else "") + ";" for a, b, label in edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


_CHAR_WIDTH, _LINE_HEIGHT, _PAD, _GAP_X, _GAP_Y = 7.2, 15, 8, 22, 46


def _layers(count: int, edges: list) -> list[int]:
    """A layer per box: ops one below their lowest input, inputs just above their first user."""
    parents: dict[int, list[int]] = {i: [] for i in range(count)}
    children: dict[int, list[int]] = {i: [] for i in range(count)}
    for a, b, _ in edges:
        parents[b].append(a)
        children[a].append(b)
    layer = [0] * count
    for i in range(count):  # boxes come inputs first, so parents are placed before children
        if parents[i]:
            layer[i] = 1 + max(layer[p] for p in parents[i])
    for i in range(count):
        if not parents[i] and children[i]:
            layer[i] = min(layer[c] for c in children[i]) - 1
    return layer


def _svg(boxes: list, edges: list) -> str:
    """Lay the boxes out in layers, top-down, and draw them. An edge that skips layers runs
    through a thin placeholder in each layer it crosses (the usual layered-drawing device),
    so it never passes behind a box; boxes in a layer are ordered by the mean position of
    their inputs, which keeps crossings few."""
    from html import escape

    layer = _layers(len(boxes), edges)
    widths = [max(len(line) for line in box.lines) * _CHAR_WIDTH + 2 * _PAD for box in boxes]
    heights = [len(box.lines) * _LINE_HEIGHT + 2 * _PAD for box in boxes]
    routes = []  # per edge: the chain of node indices it runs through, placeholders included
    for a, b, _ in edges:
        chain = [a]
        for step in range(layer[a] + 1, layer[b]):
            layer.append(step)
            widths.append(8.0)
            heights.append(0.0)
            chain.append(len(layer) - 1)
        routes.append(chain + [b])
    parents: dict[int, list[int]] = {}
    for chain in routes:
        for upper, lower in zip(chain, chain[1:]):
            parents.setdefault(lower, []).append(upper)
    rows: dict[int, list[int]] = {}
    for i, l in enumerate(layer):
        rows.setdefault(l, []).append(i)
    row_width = {l: sum(widths[i] for i in row) + _GAP_X * (len(row) - 1) for l, row in rows.items()}
    total_width = max(row_width.values()) + 40
    x_center = [0.0] * len(layer)
    y_top: dict[int, float] = {}
    row_height: dict[int, float] = {}
    y = 20.0
    for l in sorted(rows):
        row = rows[l]
        if l > min(rows):
            row.sort(key=lambda i: np.mean([x_center[p] for p in parents[i]]) if i in parents else 0.0)
        x = (total_width - row_width[l]) / 2
        for i in row:
            x_center[i] = x + widths[i] / 2
            x += widths[i] + _GAP_X
        y_top[l] = y
        row_height[l] = max(heights[i] for i in row) or _LINE_HEIGHT
        y += row_height[l] + _GAP_Y
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_width:.0f}" height="{y - _GAP_Y + 20:.0f}" '
             f'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="12">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>']
    incoming: dict[int, list[int]] = {}
    for number, (a, b, _) in enumerate(edges):
        incoming.setdefault(b, []).append(number)
    for number, ((a, b, label), chain) in enumerate(zip(edges, routes)):
        # arrivals spread over the top of the box, in the order of the inputs
        slot = sorted(incoming[b], key=lambda e: x_center[routes[e][-2]]).index(number)
        arrive_x = x_center[b] - widths[b] / 2 + widths[b] * (slot + 1) / (len(incoming[b]) + 1)
        points = [(x_center[a], y_top[layer[a]] + heights[a])]
        for middle in chain[1:-1]:
            points += [(x_center[middle], y_top[layer[middle]]),
                       (x_center[middle], y_top[layer[middle]] + row_height[layer[middle]])]
        points.append((arrive_x, y_top[layer[b]]))
        path = f"M {points[0][0]:.1f} {points[0][1]:.1f}"
        for (x1, y1), (x2, y2) in zip(points, points[1:]):
            bend = (y1 + y2) / 2
            path += f" C {x1:.1f} {bend:.1f}, {x2:.1f} {bend:.1f}, {x2:.1f} {y2:.1f}"
        parts.append(f'<path d="{path}" fill="none" stroke="#555" stroke-width="1.2" marker-end="url(#arrow)"/>')
        if label:
            parts.append(f'<text x="{arrive_x + 4:.1f}" y="{y_top[layer[b]] - 6:.1f}" fill="#555">{label}</text>')
    for i, box in enumerate(boxes):
        left, top = x_center[i] - widths[i] / 2, y_top[layer[i]]
        parts.append(f'<g id="{box.name}"><rect x="{left:.1f}" y="{top:.1f}" width="{widths[i]:.1f}" '
                     f'height="{heights[i]:.1f}" rx="6" fill="{box.fill}" stroke="#666"/>')
        for k, line in enumerate(box.lines):
            weight = ' font-weight="bold"' if k == 0 else ""
            parts.append(f'<text x="{left + _PAD:.1f}" y="{top + _PAD + (k + 0.8) * _LINE_HEIGHT:.1f}"{weight}>'
                         f"{escape(line)}</text>")
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


# Ops whose inputs play different parts: number the edges so a reader knows which is which.
_ORDERED = {"sub", "div", "power", "matmul", "where", "maximum", "minimum"}


def _box_text(tensor: Tensor, name: str, grad) -> str:
    if tensor._node is None:
        head = f"{name}  ({'leaf' if tensor.requires_grad else 'constant'})"
    else:
        head = f"{name} = {tensor._node.primitive.name}"
    lines = [head, f"shape {tensor.shape}" if tensor.shape else "scalar", f"value {summarize(tensor)}"]
    if grad is not None:
        lines.append(f"grad {summarize(grad)}")
    return "\n".join(lines)


def _fill(tensor: Tensor, is_root: bool) -> str:
    if is_root:
        return "#f6c6c6"
    if tensor._node is None:
        return "#cfe3f6" if tensor.requires_grad else "#eeeeee"
    return "#fdf1c7"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render_graph(dot: str, path: str | os.PathLike) -> str:
    """Write a graph to ``path``: ``.dot``/``.gv`` as text; ``.svg`` of a ``draw_graph``
    drawing with minigrad's own layout; other DOT text and ``.png``/``.pdf`` through
    Graphviz's ``dot`` program (a RuntimeError says so if it is not on PATH). The file appears
    whole or not at all (written to a temporary file, then renamed)."""
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower().lstrip(".")
    if suffix not in ("dot", "gv", "svg", "png", "pdf"):
        raise ValueError(f"cannot write a graph as {path!r}: use a .dot, .gv, .svg, .png or .pdf file")
    if suffix in ("dot", "gv") or suffix == "svg" and isinstance(dot, GraphDrawing):
        text = dot.svg() if suffix == "svg" else str(dot)
        with atomic_path(path) as temporary, open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
        return path
    program = shutil.which("dot")
    if program is None:
        raise RuntimeError(
            f"rendering {path!r} needs Graphviz's 'dot' program, which is not on PATH; install Graphviz, "
            f"or save the DOT text with a .dot suffix and render it elsewhere"
        )

    with atomic_path(path) as temporary:
        subprocess.run([program, f"-T{suffix}", "-o", temporary], input=dot, text=True, check=True,
                       capture_output=True)
    return path
