"""Time optimizer.step() of every minigrad optimizer next to torch.optim's, in one process.

    python benchmarks/bench_optim.py [--json] [--quick] [--threads N] [--workloads ...] [--dtype ...]

Workloads (the parameters an optimizer updates, with fixed seeded gradients):
  mlp         the 6 parameters of the 64-128-128-10 MLP (26,122 numbers): many small
              tensors, where Python overhead per parameter decides;
  vector-100, vector-10k, vector-1m
              one tensor of 100, 10,000 or 1,000,000 numbers: overhead, then arithmetic.

Each row is one optimizer with the same hyperparameters on both sides (its torch.optim
counterpart with its defaults: foreach on CPU is off, so PyTorch loops over the parameters),
float32 by default. The gradients are set once and stay, so step() alone is timed: no
backward, no copy (minigrad's first step moves them into its flat buffer, PyTorch's stay
where they are). L-BFGS does one iteration (max_iter=1, history_size=10) per step; its
closure sets the gradient of |theta|^2 / 2 the same way on both sides. Lion, AdaBelief, Yogi,
LAMB, Lookahead and the schedule-free pair have no torch.optim counterpart (optax has them;
timing jitted JAX against eager NumPy would not compare the same thing): their rows show
minigrad alone, next to Adam for scale.

Timing and fairness as in bench_step.py: interleaved rounds (rotating order), the median
over rounds, the same thread count for NumPy's BLAS and PyTorch (default 1).
``check_same_work`` (used by tests/optim/test_bench_optim.py) runs each pair a few steps
and checks both land on the same parameters.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # benchmark the minigrad of this checkout
sys.path.insert(0, str(HERE))

import bench_step  # noqa: E402
from bench_step import CLOCKS, _fmt_us, calibrate_repeats, interleaved, machine, set_threads  # noqa: E402
from workloads import MIDDLE, init_weights  # noqa: E402

WORKLOADS = ("mlp", "vector-100", "vector-10k", "vector-1m")

# (row name, minigrad class, torch.optim class or None, hyperparameters for both)
OPTIMIZERS: list[tuple[str, str, str | None, dict[str, Any]]] = [
    ("SGD", "SGD", "SGD", {"lr": 0.01}),
    ("SGD momentum", "SGD", "SGD", {"lr": 0.01, "momentum": 0.9}),
    ("SGD nesterov", "SGD", "SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-4}),
    ("Adagrad", "Adagrad", "Adagrad", {"lr": 0.01}),
    ("RMSprop", "RMSprop", "RMSprop", {"lr": 0.01}),
    ("RMSprop centered momentum", "RMSprop", "RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True}),
    ("Adam", "Adam", "Adam", {"lr": 1e-3}),
    ("Adam amsgrad", "Adam", "Adam", {"lr": 1e-3, "amsgrad": True}),
    ("AdamW", "AdamW", "AdamW", {"lr": 1e-3}),
    ("Adamax", "Adamax", "Adamax", {"lr": 2e-3}),
    ("Adadelta", "Adadelta", "Adadelta", {"lr": 1.0}),
    ("NAdam", "NAdam", "NAdam", {"lr": 2e-3}),
    ("NAdam decoupled", "NAdam", "NAdam", {"lr": 2e-3, "weight_decay": 1e-2, "decoupled_weight_decay": True}),
    ("RAdam", "RAdam", "RAdam", {"lr": 1e-3}),
    ("Rprop", "Rprop", "Rprop", {"lr": 1e-3}),
    ("ASGD", "ASGD", "ASGD", {"lr": 1e-2, "t0": 10.0}),
    ("LBFGS", "LBFGS", "LBFGS", {"lr": 0.1, "max_iter": 1, "history_size": 10}),
    ("Lion", "Lion", None, {"lr": 1e-4}),
    ("AdaBelief", "AdaBelief", None, {"lr": 1e-3}),
    ("Yogi", "Yogi", None, {"lr": 1e-2}),
    ("LAMB", "LAMB", None, {"lr": 1e-3, "weight_decay": 1e-2}),
    ("Lookahead(Adam)", "Lookahead", None, {"lr": 1e-3}),
    ("ScheduleFreeSGD", "ScheduleFreeSGD", None, {"lr": 0.1}),
    ("ScheduleFreeAdamW", "ScheduleFreeAdamW", None, {"lr": 2.5e-3}),
]


def shapes_of(workload: str) -> list[tuple[int, ...]]:
    if workload == "mlp":  # each Linear's (in, out) weight and its bias
        return [shape for W, b in init_weights(MIDDLE.sizes) for shape in (W.shape, b.shape)]
    size = {"vector-100": 100, "vector-10k": 10_000, "vector-1m": 1_000_000}[workload]
    return [(size,)]


def start_values(workload: str, dtype) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Seeded parameters and gradients (the MLP's are its init weights)."""
    rng = np.random.default_rng(0)
    if workload == "mlp":
        params = [array.astype(dtype) for W, b in init_weights(MIDDLE.sizes) for array in (W, b)]
    else:
        params = [rng.standard_normal(shape).astype(dtype) for shape in shapes_of(workload)]
    grads = [rng.standard_normal(p.shape).astype(dtype) * 0.1 for p in params]
    return params, grads


def make_minigrad(name: str, options: dict, params: list[np.ndarray], grads: list[np.ndarray]) -> Callable[[], Any]:
    """A step() of the minigrad optimizer, gradients in place."""
    import minigrad as mg
    from minigrad import optim

    tensors = [mg.Tensor(p.copy(), requires_grad=True) for p in params]
    for tensor, grad in zip(tensors, grads):
        tensor.grad = grad.copy()
    if name == "Lookahead":
        optimizer = optim.Lookahead(optim.Adam(tensors, **options))
    else:
        optimizer = getattr(optim, name)(tensors, **options)
    if name == "LBFGS":
        def closure():  # the gradient of |theta|^2 / 2, written where backward would write it
            for tensor in tensors:
                np.copyto(np.asarray(tensor.grad), tensor.data)
            return 0.0
        step = lambda: optimizer.step(closure)  # noqa: E731
    else:
        step = optimizer.step
    return _with_tensors(step, tensors)


def make_torch(name: str, options: dict, params: list[np.ndarray], grads: list[np.ndarray]) -> Callable[[], Any]:
    import torch

    tensors = [torch.tensor(p.copy(), requires_grad=True) for p in params]
    for tensor, grad in zip(tensors, grads):
        tensor.grad = torch.from_numpy(grad.copy())
    optimizer = getattr(torch.optim, name)(tensors, **options)
    if name == "LBFGS":
        def closure():
            with torch.no_grad():
                for tensor in tensors:
                    tensor.grad.copy_(tensor)
            return 0.0
        step = lambda: optimizer.step(closure)  # noqa: E731
    else:
        step = optimizer.step
    return _with_tensors(step, tensors)


def _with_tensors(step: Callable[[], Any], tensors: list) -> Callable[[], Any]:
    """The step, carrying the tensors it updates (for check_same_work)."""
    def run():
        return step()
    run.tensors = tensors
    return run


def values_of(tensors: list) -> list[np.ndarray]:
    """The parameters' values, from minigrad Tensors or PyTorch tensors."""
    return [t.detach().numpy() if type(t).__module__.startswith("torch") else np.asarray(t.data) for t in tensors]


def check_same_work(steps: int = 5, workload: str = "mlp", dtype=np.float64, rtol: float = 1e-9) -> list[str]:
    """Run every optimizer that has a torch.optim counterpart ``steps`` times on both sides and
    return the rows whose parameters end up apart (none, when the comparison is fair).

    PyTorch's default dtype is float64 meanwhile: NAdam's mu_product and ASGD's eta and mu are
    kept in it (minigrad keeps Python floats)."""
    import torch

    apart = []
    params, grads = start_values(workload, dtype)
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        for row, name, torch_name, options in OPTIMIZERS:
            if torch_name is None:
                continue
            ours, theirs = make_minigrad(name, options, params, grads), make_torch(torch_name, options, params, grads)
            for _ in range(steps):
                ours()
                theirs()
            for a, b in zip(values_of(ours.tensors), values_of(theirs.tensors)):
                if not np.allclose(a, b, rtol=rtol, atol=rtol * 1e-3):
                    apart.append(row)
                    break
    finally:
        torch.set_default_dtype(default)
    return apart


def bench(workloads: tuple[str, ...], rounds: int, quick: bool, dtype, clock: str = "wall",
          names: tuple[str, ...] | None = None) -> list[dict]:
    torch = bench_step.torch_or_none()
    results = []
    for workload in workloads:
        params, grads = start_values(workload, dtype)
        for row, name, torch_name, options in OPTIMIZERS:
            if names is not None and row not in names:
                continue
            runners = {"minigrad": make_minigrad(name, options, params, grads)}
            if torch is not None and torch_name is not None:
                runners["torch"] = make_torch(torch_name, options, params, grads)
            repeats = 1 if quick else calibrate_repeats(runners["minigrad"])
            times = interleaved(runners, rounds=rounds, repeats=repeats, warmup=1, clock=clock)
            result = {"workload": workload, "optimizer": row, "us": times}
            if "torch" in times:
                result["minigrad/torch"] = times["minigrad"] / times["torch"]
            results.append(result)
    return results


def print_report(report: dict) -> None:
    m = report["machine"]
    print(f"optimizer.step() benchmark: {m['cpu']}, {report['threads']} thread(s), {report['clock']} clock, "
          f"{report['dtype']}, Python {m['python']}, NumPy {m['numpy']}, torch {m.get('torch', 'not installed')}")
    workloads = list(dict.fromkeys(row["workload"] for row in report["rows"]))
    for workload in workloads:
        rows = [row for row in report["rows"] if row["workload"] == workload]
        print(f"\n{workload} ({sum(int(np.prod(s)) for s in shapes_of(workload)):,} numbers in "
              f"{len(shapes_of(workload))} tensor(s)):")
        print("| optimizer | minigrad | torch.optim | minigrad/torch |")
        print("|---|---|---|---|")
        for row in rows:
            us = row["us"]
            ratio = f"{row['minigrad/torch']:.2f}" if "minigrad/torch" in row else "-"
            print(f"| {row['optimizer']} | {_fmt_us(us['minigrad'])} | {_fmt_us(us.get('torch'))} | {ratio} |")


def run(workloads=WORKLOADS, quick: bool = False, threads: int | None = None, rounds: int | None = None,
        clock: str = "wall", dtype: str = "float32", names: tuple[str, ...] | None = None) -> dict:
    """Run the benchmark and return the report (what ``--json`` prints)."""
    # Fixed gradients drive some states to NaN (a centered RMSprop's variance rounds below 0):
    # the arithmetic costs the same, and PyTorch does not warn either.
    np.seterr(all="ignore")
    report = {"machine": machine(), **set_threads(threads or 1), "clock": clock, "quick": quick, "dtype": dtype}
    report["rows"] = bench(tuple(workloads), rounds or (2 if quick else 15), quick, np.dtype(dtype), clock, names)
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--quick", action="store_true", help="few rounds: checks that it runs, not how fast")
    parser.add_argument("--threads", type=int, default=None, help="threads for NumPy's BLAS and PyTorch (default 1)")
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds per measurement")
    parser.add_argument("--no-torch", action="store_true", help="minigrad alone")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall time (default), or process CPU time on a machine busy with other work")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--workloads", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    parser.add_argument("--optimizers", nargs="+", choices=[row for row, *_ in OPTIMIZERS], default=None,
                        help="only these rows")
    args = parser.parse_args(argv)
    if args.threads is not None and args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    bench_step.USE_TORCH = not args.no_torch
    report = run(args.workloads, quick=args.quick, threads=args.threads, rounds=args.rounds, clock=args.clock,
                 dtype=args.dtype, names=tuple(args.optimizers) if args.optimizers else None)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)


if __name__ == "__main__":
    main()
