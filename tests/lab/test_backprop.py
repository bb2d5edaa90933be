"""Backprop views: the trace follows the engine's own backward, the DOT text the graph."""
import re
import shutil

import numpy as np
import pytest

import minigrad as mg
from minigrad.lab import backprop_trace, draw_graph, render_graph


def scalar(value):
    return mg.Tensor(np.float64(value), requires_grad=True)


def expression():
    a, b, c, f = scalar(2.0), scalar(-3.0), scalar(10.0), scalar(-2.0)
    e = a * b
    d = e + c
    out = d * f + a.tanh()
    return (a, b, c, f, e, d, out)


def test_trace_gives_the_same_gradients_as_backward():
    a, b, c, f, e, d, out = expression()
    trace = backprop_trace(out, names={"a": a, "b": b, "c": c, "f": f, "e": e, "d": d, "L": out})
    traced = {name: np.array(a.grad) for name, a in zip("abcf", (a, b, c, f))}
    a2, b2, c2, f2, *_, out2 = expression()
    out2.backward()
    for name, tensor in zip("abcf", (a2, b2, c2, f2)):
        np.testing.assert_allclose(traced[name], tensor.grad)
    # by hand: L = (a b + c) f + tanh(a)
    assert trace.grad_of(a) == pytest.approx(-3.0 * -2.0 + 1 - np.tanh(2.0) ** 2)
    assert trace.grad_of(e) == pytest.approx(-2.0) and trace.grad_of(d) == pytest.approx(-2.0)


def test_each_step_is_upstream_times_local_for_elementwise_ops():
    a, b, c, f, e, d, out = expression()
    trace = backprop_trace(out, names={"a": a, "b": b})
    assert len(trace.steps) == 9  # two per binary op, one for tanh
    for step in trace.steps:
        np.testing.assert_allclose(step.result, step.upstream * step.local)
    mul_steps = [s for s in trace.steps if s.node == "t1" and s.op == "mul"]
    assert {s.input: float(s.local) for s in mul_steps} == {"a": -3.0, "b": 2.0}  # d(ab)/da = b


def test_printed_trace_reads_line_by_line():
    a, b, *_, out = expression()
    text = str(backprop_trace(out, names={"a": a, "b": b}))
    lines = text.splitlines()
    assert lines[0] == "forward:" and "backward (dout/dout = 1):" in lines
    assert "  t1 = mul(a, b) = -6" in lines
    assert any(re.search(r"dout/da via t1 = mul: upstream -2 x local dt1/da -3 -> 6$", line) for line in lines)
    assert "  dout/da = 6.071   (sum over 2 paths)" in lines


def test_trace_matches_torch_on_a_vector_expression():
    torch = pytest.importorskip("torch")
    x_values = np.array([0.5, -1.0, 2.0])
    w_values = np.array([[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]])
    x, w = mg.Tensor(x_values, requires_grad=True), mg.Tensor(w_values, requires_grad=True)
    trace = backprop_trace(((x @ w).sigmoid() * 3.0).sum(), names={"x": x, "w": w})
    tx = torch.tensor(x_values, requires_grad=True)
    tw = torch.tensor(w_values, requires_grad=True)
    ((tx @ tw).sigmoid() * 3.0).sum().backward()
    np.testing.assert_allclose(trace.grad_of(x), tx.grad.numpy())
    np.testing.assert_allclose(x.grad, tx.grad.numpy())
    np.testing.assert_allclose(trace.grad_of(w), tw.grad.numpy())
    assert [s.op for s in trace.steps][:2] == ["sum", "mul"]


def test_draw_graph_has_one_box_per_tensor_and_one_edge_per_input():
    a, b, c, f, e, d, out = expression()
    dot = draw_graph(out, names={"a": a, "b": b, "c": c, "f": f})
    assert dot.startswith("digraph minigrad {") and dot.rstrip().endswith("}")
    boxes = re.findall(r'^  n\d+ \[label="([^"]*)"', dot, re.M)
    assert len(boxes) == 9  # 4 leaves, 5 ops
    assert sum(label.startswith("a  (leaf)") for label in boxes) == 1
    assert {label.split("\\n")[0].split(" = ")[-1] for label in boxes if " = " in label} == {"mul", "add", "tanh"}
    assert len(re.findall(r"->", dot)) == 9
    assert "\\ngrad " not in dot  # no backward yet


def test_draw_graph_after_the_trace_shows_every_gradient():
    a, b, c, f, e, d, out = expression()
    trace = backprop_trace(out, names={"a": a})
    dot = draw_graph(out, trace=trace)
    assert dot.count("\\ngrad ") == 9
    assert "a  (leaf)\\nscalar\\nvalue 2\\ngrad 6.071" in dot


def test_draw_graph_after_backward_needs_the_graph_kept():
    a, *_, out = expression()
    out.backward(retain_graph=True)
    assert "grad 6.071" in draw_graph(out, names={"a": a})  # leaves keep .grad
    *_, out = expression()
    out.backward()
    with pytest.raises(RuntimeError, match="freed by backward.*retain_graph=True"):
        draw_graph(out)


def test_constants_appear_as_constants():
    x = scalar(3.0)
    dot = draw_graph(x * mg.Tensor(np.float64(2.0)) + 1.0)
    assert "(constant)" in dot and "(leaf)" in dot


def test_render_writes_dot_text_and_needs_graphviz_for_images(tmp_path, monkeypatch):
    *_, out = expression()
    dot = draw_graph(out)
    assert render_graph(dot, tmp_path / "g.dot") == str(tmp_path / "g.dot")
    assert (tmp_path / "g.dot").read_text() == dot
    with pytest.raises(ValueError, match=r"\.dot, \.gv, \.svg, \.png or \.pdf"):
        render_graph(dot, tmp_path / "g.txt")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert render_graph(dot, tmp_path / "g.svg")  # a drawing lays itself out: no Graphviz
    assert (tmp_path / "g.svg").read_text().startswith("<svg")
    with pytest.raises(RuntimeError, match="Graphviz's 'dot' program"):
        render_graph(dot, tmp_path / "g.png")
    with pytest.raises(RuntimeError, match="Graphviz's 'dot' program"):
        render_graph(str(dot), tmp_path / "plain.svg")  # bare DOT text has no layout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.dot", "g.svg"]


def test_the_drawing_is_a_layered_svg_with_every_box_and_edge():
    a, b, c, f, e, d, out = expression()
    trace = backprop_trace(out, names={"a": a, "b": b})
    svg = draw_graph(out, trace=trace)._repr_svg_()
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert svg.count("<rect") == 9 and svg.count('stroke-width="1.2"') == 9
    assert "grad 6.071" in svg and "a  (leaf)" in svg
    tops = {m[0]: float(m[1]) for m in re.findall(r'<g id="(n\d+)"><rect x="[\d.]+" y="([\d.]+)"', svg)}
    assert max(tops.values()) == tops[f"n{len(tops) - 1}"]  # the output is drawn lowest


def test_an_mlp_is_drawn_layer_by_layer_with_parameters_named_by_module_path():
    from minigrad import nn

    model = nn.MLP([3, 4, 2], seed=0)
    x = mg.Tensor(np.ones((5, 3), dtype=np.float32))
    loss = nn.functional.cross_entropy(model(x), np.array([0, 1, 0, 1, 1]))
    trace = backprop_trace(loss)
    layered = draw_graph(loss, model=model, trace=trace)
    assert "0.weight  (leaf)" in layered and "2.bias  (leaf)" in layered
    assert [line.split(" = ")[-1] for line in re.findall(r'label="(t[\d.]* = \w+)', layered)] == \
        ["linear", "relu", "linear", "cross_entropy"] or "= relu" in layered
    assert "= mlp" not in layered and "= mlp" in draw_graph(loss, model=model, fused=True)
    assert loss.grad_fn.primitive.name == "cross_entropy"  # drawing changed nothing
    # the layers' gradients come from the fused node's: the last linear map's is softmax - onehot
    assert layered.count("\\ngrad ") == 8  # every box but the input batch, a constant


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_render_svg_with_graphviz(tmp_path):
    *_, out = expression()
    path = render_graph(draw_graph(out), tmp_path / "g.svg")
    assert "<svg" in open(path).read()


def test_trace_rejects_what_has_no_backward():
    with pytest.raises(ValueError, match="requires grad"):
        backprop_trace(mg.Tensor(1.0))
    with pytest.raises(ValueError, match=r"one-element output, got shape \(3,\)"):
        backprop_trace(mg.Tensor(np.ones(3), requires_grad=True) * 2)


def test_the_trace_displays_as_html_tables_in_a_notebook_and_as_text_elsewhere():
    a, b, c, f, e, d, out = expression()
    trace = backprop_trace(out, names={"a": a, "b": b})
    html = trace._repr_html_()
    assert html.count("<tr>") == len(trace.forward) + len(trace.steps) + 1
    assert "dout/da via t1 = mul" in html and "<table>" in html
    assert "lines" not in repr(trace) and repr(trace).startswith("<BackpropTrace: 9 tensors, 9 backward steps")
    assert str(trace).startswith("forward:")
