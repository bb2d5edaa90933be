"""Backprop step by step: the forward values, every vector-Jacobian product, the graph.

The expression is a one-neuron example: L = tanh(w1 x1 + w2 x2 + b). The trace prints each
backward step as upstream x local -> result, the same numbers as a hand computation, and
checks them against backward(); the graph is written as Graphviz DOT (and as SVG when the
dot program is installed).

    python examples/backprop_trace.py
    python examples/backprop_trace.py --fast --out /tmp/x
"""
import argparse
import os
import shutil

import numpy as np

import minigrad as mg
from minigrad.lab import backprop_trace, draw_graph, render_graph


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="the same, quickly (it already is)")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "docs", "figures"),
                        help="where to write neuron.dot (and neuron.svg)")
    args = parser.parse_args()

    def value(v):
        return mg.Tensor(np.float64(v), requires_grad=True)

    x1, x2, w1, w2, b = value(2.0), value(0.5), value(-3.0), value(1.5), value(6.5)
    n = x1 * w1 + x2 * w2 + b
    L = n.tanh()
    names = {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b, "n": n, "L": L}
    trace = backprop_trace(L, names=names)
    print(trace)

    # The engine's own backward gives the same numbers.
    again = {k: value(v.data) for k, v in names.items() if k in ("x1", "x2", "w1", "w2", "b")}
    (again["x1"] * again["w1"] + again["x2"] * again["w2"] + again["b"]).tanh().backward()
    for name, tensor in again.items():
        assert np.allclose(tensor.grad, trace.grad_of(names[name])), name
    print("\nbackward() agrees on every leaf:",
          ", ".join(f"{k}.grad = {float(t.grad):.4g}" for k, t in again.items()))

    os.makedirs(args.out, exist_ok=True)
    dot = draw_graph(L, trace=trace)
    print("saved", render_graph(dot, os.path.join(args.out, "neuron.dot")))
    if shutil.which("dot"):
        print("saved", render_graph(dot, os.path.join(args.out, "neuron.svg")))


if __name__ == "__main__":
    main()
