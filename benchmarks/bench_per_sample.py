"""Time per-sample gradients against one ordinary forward and backward pass of the same batch.

    python benchmarks/bench_per_sample.py [--json] [--quick] [--rounds N] [--clock cpu]
                                          [--no-torch] [--no-loop] [--figure PATH]
                                          [--breakdown] [--floor]

The workload is the step benchmark's middle configuration: an MLP 64-128-128-10 (ReLU),
batch 64, float32, softmax cross-entropy, the same seeded weights and batch. Runners:

  backward          model.zero_grad(), forward, cross_entropy (mean), backward: one ordinary
                    pass over the batch, the unit of the ratios;
  per_sample        vmap(grad(loss), in_dims=(None, 0, 0))(params, X, y), the loss of one
                    sample through functional_call: the 64 per-sample gradients, all of them
                    made (64 times the model's 26,122 numbers), by the fast path;
  sum_grad_squared  batch_grad_stats(model, cross_entropy, X, y): the sum, the sum of squares
                    and the variance of the per-sample gradients, without making them;
  loop              the per-sample gradients one sample at a time (vmap(..., fast_path=False)),
                    for scale;
  torch_backward, torch_per_sample
                    the same two in PyTorch: torch.func.vmap(torch.func.grad(...)) on the
                    same loss (when torch is installed).

Before timing, the per-sample gradients are checked: the fast path taken, equal to the loop's
and to PyTorch's. Timing as in bench_step.py: every runner repeated for about 20 ms per round,
the order rotating from round to round, the figure the median over rounds of the mean time
per call, all in one process on one thread (NumPy's BLAS and PyTorch alike).

``--figure PATH`` also draws the times as a bar chart (docs/figures/per-sample-benchmark.png
is made this way), each bar labelled with its multiple of its own framework's ordinary
backward, with the clock and the machine's load average in the caption.

``--breakdown`` instead times the stages of the per-sample fast path (each stage's median
over calls, as a multiple of the ordinary pass's median, the two called alternately), to
show where its time goes; the stages are timed by wrapping minigrad.func.per_sample's
functions, so this mode measures, it does not benchmark.

``--floor`` times, in the interleaved rounds of the table, ``per_sample`` beside two
versions of itself that write the weights' per-sample gradients differently: with each
outer-product block filled with a constant instead (the same bytes, by the cheapest write
NumPy has) and not written at all. The first is a lower bound for any way of writing them
in NumPy, the second what the fast path costs besides the writing (trace, replay, checks).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # benchmark the minigrad of this checkout
sys.path.insert(0, str(HERE))

from minigrad_step import load_weights  # noqa: E402
from workloads import MIDDLE, init_weights, make_batch  # noqa: E402

CLOCKS = {"wall": time.perf_counter_ns, "cpu": time.process_time_ns}
TARGET = 3.0  # the budget: per-sample gradients at most 3x one ordinary backward


def torch_or_none(wanted: bool):
    if not wanted:
        return None
    try:
        import torch
    except ImportError:
        return None
    return torch


def build(torch) -> dict[str, Callable[[], object]]:
    """The runners, on the same weights and batch, after checking they compute the same."""
    import minigrad as mg
    from minigrad import nn
    from minigrad.func import batch_grad_stats, functional_call, grad, vmap

    F = nn.functional
    weights = init_weights(MIDDLE.sizes)
    X_np, y_np = make_batch(MIDDLE)
    model = nn.MLP(list(MIDDLE.sizes))
    load_weights(model, weights)
    X, y = mg.Tensor(X_np), mg.Tensor(y_np)
    params = {name: p.detach() for name, p in model.named_parameters()}

    def loss(p, x, t):
        return F.cross_entropy(functional_call(model, p, (x[None],)), t[None])

    fast = vmap(grad(loss), in_dims=(None, 0, 0))
    loop = vmap(grad(loss), in_dims=(None, 0, 0), fast_path=False)

    def backward():
        model.zero_grad()
        F.cross_entropy(model(X), y).backward()

    runners = {
        "backward": backward,
        "per_sample": lambda: fast(params, X, y),
        "sum_grad_squared": lambda: batch_grad_stats(model, F.cross_entropy, X, y),
        "loop": lambda: loop(params, X, y),
    }
    ours = fast(params, X, y)
    if fast.last_path != "per-sample":
        raise RuntimeError(f"the fast path was not taken: {fast.fallback_reason}")
    for name, value in loop(params, X, y).items():
        np.testing.assert_allclose(ours[name].data, value.data, rtol=1e-4, atol=1e-6)
    if torch is not None:
        twin = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 128),
                                   torch.nn.ReLU(), torch.nn.Linear(128, 10))
        with torch.no_grad():
            for (name, p), (_, q) in zip(model.named_parameters(), twin.named_parameters()):
                q.copy_(torch.from_numpy(p.data))
        tparams = {name: p.detach() for name, p in twin.named_parameters()}
        X_t, y_t = torch.from_numpy(X_np), torch.from_numpy(y_np)

        def tloss(p, x, t):
            return torch.nn.functional.cross_entropy(torch.func.functional_call(twin, p, (x[None],)), t[None])

        tfast = torch.func.vmap(torch.func.grad(tloss), in_dims=(None, 0, 0))

        def torch_backward():
            twin.zero_grad()
            torch.nn.functional.cross_entropy(twin(X_t), y_t).backward()

        for name, value in tfast(tparams, X_t, y_t).items():
            np.testing.assert_allclose(ours[name].data, value.numpy(), rtol=1e-4, atol=1e-6)
        runners["torch_backward"] = torch_backward
        runners["torch_per_sample"] = lambda: tfast(tparams, X_t, y_t)
    return runners


def repeats_for(run: Callable[[], object], round_seconds: float) -> int:
    """How many calls of ``run`` fill about ``round_seconds``."""
    for _ in range(2):
        run()
    start = time.perf_counter()
    run()
    return max(1, int(round_seconds / (time.perf_counter() - start)))


def interleaved(runners: dict[str, Callable[[], object]], rounds: int, round_seconds: float,
                warmup: int, clock: str) -> dict[str, float]:
    """Median microseconds per call of each runner (each with its own repeat count, so that
    the slow loop does not set the pace of the others); the order rotates every round."""
    now = CLOCKS[clock]
    names = list(runners)
    repeats = {name: repeats_for(runners[name], round_seconds) for name in names}
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(warmup + rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            run = runners[name]
            start = now()
            for _ in range(repeats[name]):
                run()
            elapsed = now() - start
            if round_index >= warmup:
                samples[name].append(elapsed / repeats[name] / 1e3)
    return {name: statistics.median(values) for name, values in samples.items()}


def run(quick: bool = False, rounds: int | None = None, clock: str = "wall", use_torch: bool = True,
        with_loop: bool = True) -> dict:
    from threadpoolctl import threadpool_limits

    torch = torch_or_none(use_torch)
    with threadpool_limits(limits=1):
        if torch is not None:
            torch.set_num_threads(1)
        runners = build(torch)
        if not with_loop:
            runners.pop("loop")
        rounds = rounds or (2 if quick else 25)
        times = interleaved(runners, rounds, 0.002 if quick else 0.02, warmup=0 if quick else 2, clock=clock)
    report = {"config": MIDDLE.name, "dtype": "float32", "threads": 1, "clock": clock, "rounds": rounds,
              "load": load_average(),
              "us": times, "per_sample/backward": times["per_sample"] / times["backward"],
              "sum_grad_squared/backward": times["sum_grad_squared"] / times["backward"], "target": TARGET}
    if "loop" in times:
        report["loop/per_sample"] = times["loop"] / times["per_sample"]
    if "torch_per_sample" in times:
        report["torch_per_sample/torch_backward"] = times["torch_per_sample"] / times["torch_backward"]
        report["per_sample/torch_per_sample"] = times["per_sample"] / times["torch_per_sample"]
    return report


def print_report(report: dict) -> None:
    times = report["us"]
    print(f"Per-sample gradients, MLP {report['config']}, {report['dtype']}, {report['threads']} thread, "
          f"{report['clock']} clock, median of {report['rounds']} rounds")
    print()
    print("| runner | time | / backward |")
    print("|---|---|---|")
    for name in ("backward", "per_sample", "sum_grad_squared", "loop"):
        if name in times:
            print(f"| {name} | {times[name]:,.0f} µs | {times[name] / times['backward']:.2f} |")
    if "torch_backward" in times:
        for name in ("torch_backward", "torch_per_sample"):
            print(f"| {name} | {times[name]:,.0f} µs | {times[name] / times['torch_backward']:.2f} (of torch_backward) |")
    print()
    verdict = "within" if report["per_sample/backward"] <= TARGET else "over"
    print(f"load average {report['load']}")
    print(f"per-sample gradients cost {report['per_sample/backward']:.2f}x one ordinary backward "
          f"({verdict} the target of {TARGET:g}x); their sums of squares {report['sum_grad_squared/backward']:.2f}x.")


# What the figure shows, in order: (runner, label, the runner it is a multiple of).
FIGURE_BARS = (
    ("backward", "ordinary forward+backward", "backward"),
    ("per_sample", "per-sample gradients\n(vmap(grad), fast path)", "backward"),
    ("sum_grad_squared", "batch_grad_stats\n(sums of squares)", "backward"),
    ("loop", "per-sample gradients\n(loop over samples)", "backward"),
    ("torch_backward", "PyTorch ordinary\nforward+backward", "torch_backward"),
    ("torch_per_sample", "PyTorch torch.func\nvmap(grad)", "torch_backward"),
)


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages (as ``uptime`` prints them), or "unknown"."""
    try:
        import os
        return ", ".join(f"{value:.2f}" for value in os.getloadavg())
    except (AttributeError, OSError):
        return "unknown"


def draw_figure(report: dict, path: Path) -> None:
    """A horizontal bar chart of the times (log scale, the loop is tens of times slower),
    written to a temporary file first and moved into place, so that a failed save never
    leaves a truncated figure behind."""
    import os

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    times = report["us"]
    bars = [(label, times[name], times[name] / times[unit]) for name, label, unit in FIGURE_BARS if name in times]
    fig, ax = plt.subplots(figsize=(7.5, 0.55 * len(bars) + 1.6))
    colors = ["#4c72b0" if "PyTorch" not in label else "#dd8452" for label, _, _ in bars]
    positions = range(len(bars))[::-1]
    ax.barh(list(positions), [us for _, us, _ in bars], color=colors)
    ax.set_yticks(list(positions), [label for label, _, _ in bars], fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel(f"µs per call ({report['clock']} clock, median of {report['rounds']} rounds, 1 thread)")
    for position, (_, us, ratio) in zip(positions, bars):
        ax.text(us * 1.08, position, f"{us:,.0f} µs  ({ratio:.2f}x)", va="center", fontsize=8)
    ax.set_xlim(min(us for _, us, _ in bars) / 4, max(us for _, us, _ in bars) * 6)
    ax.set_title(f"Per-sample gradients, MLP {report['config']}, {report['dtype']} "
                 f"(target: {report['target']:g}x one backward)", fontsize=9)
    fig.text(0.01, 0.01, f"ratios: x its own framework's ordinary backward; load average {report['load']}",
             fontsize=7, color="#555555")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    path = Path(path)
    partial = path.with_name(path.name + ".partial.png")
    try:
        fig.savefig(partial, dpi=110)
        os.replace(partial, path)
    finally:
        plt.close(fig)
        partial.unlink(missing_ok=True)


# The fast path's stages: (label, function of minigrad.func.per_sample timed, calls per run).
BREAKDOWN_STAGES = (
    ("trace of sample 0, replay, checks", ("trace_and_replay",), 1),
    ("  batched replay (forward over the batch)", ("Replay", "run"), 1),
    ("  backward to each layer's output", ("_upstreams",), 1),
    ("  down through the layers (each layer's d)", ("PerSampleGradients", "__init__"), 1),
    ("  the last sample run alone (the check)", ("_confirm_last_sample",), 1),
    ("writing the per-sample gradients", ("PerSampleGradients", "per_sample"), None),
)


def breakdown(calls: int = 300) -> dict:
    """Median CPU microseconds of each stage of the per-sample fast path and of the ordinary
    pass, from ``calls`` alternating calls of the two, on one thread."""
    from threadpoolctl import threadpool_limits
    import minigrad.func.per_sample as per_sample

    spent: dict[str, list[int]] = {}
    restore = []

    def timed(owner, attribute, label):
        original = getattr(owner, attribute)

        def wrapper(*args, **kwargs):
            start = time.process_time_ns()
            try:
                return original(*args, **kwargs)
            finally:
                spent.setdefault(label, []).append(time.process_time_ns() - start)
        setattr(owner, attribute, wrapper)
        restore.append((owner, attribute, original))

    for label, path, _ in BREAKDOWN_STAGES:
        owner = per_sample
        for name in path[:-1]:
            owner = getattr(owner, name)
        timed(owner, path[-1], label)
    try:
        with threadpool_limits(limits=1):
            runners = build(None)
            shapes = [(out, inp) for inp, out in zip(MIDDLE.sizes[:-1], MIDDLE.sizes[1:])]
            batch = make_batch(MIDDLE)[0].shape[0]

            def fill():  # for scale: the same bytes as the weight gradients, filled with a constant
                for out, inp in shapes:
                    np.empty((batch, out, inp), dtype=np.float32).fill(1.0)
            runners["fill"] = fill
            totals: dict[str, list[int]] = {"backward": [], "per_sample": [], "fill": []}
            for _ in range(10):
                runners["per_sample"](), runners["backward"]()
            spent.clear()
            for _ in range(calls):
                for name in ("per_sample", "backward", "fill"):
                    start = time.process_time_ns()
                    runners[name]()
                    totals[name].append(time.process_time_ns() - start)
    finally:
        for owner, attribute, original in reversed(restore):
            setattr(owner, attribute, original)
    stages = {}
    for label, _, per_run in BREAKDOWN_STAGES:
        values = np.array(spent[label])
        if per_run is not None and len(values) != calls * per_run:
            raise RuntimeError(f"stage {label.strip()!r} ran {len(values)} times in {calls} calls, "
                               f"expected {per_run} per call")
        per_call = values.reshape(calls, -1).sum(axis=1) if per_run is None else values
        stages[label] = float(np.median(per_call)) / 1e3
    medians = {name: float(np.median(values)) / 1e3 for name, values in totals.items()}
    inner = [label for label, _, _ in BREAKDOWN_STAGES[1:-1]]
    traced = stages[BREAKDOWN_STAGES[0][0]] - sum(stages[label] for label in inner)
    stages = {**{label: stages[label] for label in (BREAKDOWN_STAGES[0][0], *inner)},
              "  tracing sample 0 (the rest of it)": traced,
              BREAKDOWN_STAGES[-1][0]: stages[BREAKDOWN_STAGES[-1][0]],
              "the rest (arguments, pytrees, Tensors)": (medians["per_sample"] - stages[BREAKDOWN_STAGES[0][0]]
                                                         - stages[BREAKDOWN_STAGES[-1][0]])}
    return {"config": MIDDLE.name, "calls": calls, "load": load_average(), "us": medians, "stages_us": stages}


def print_breakdown(report: dict) -> None:
    unit = report["us"]["backward"]
    print(f"Where the per-sample fast path's time goes, MLP {report['config']}, float32, 1 thread, CPU time, "
          f"median of {report['calls']} calls, load average {report['load']}")
    print()
    print("| stage | time | / backward |")
    print("|---|---|---|")
    print(f"| ordinary forward+backward | {unit:,.0f} µs | 1.00 |")
    print(f"| per-sample gradients, in all | {report['us']['per_sample']:,.0f} µs | "
          f"{report['us']['per_sample'] / unit:.2f} |")
    for label, us in report["stages_us"].items():
        print(f"| {label} | {us:,.0f} µs | {us / unit:.2f} |")
    print(f"| (for scale: filling the weight gradients' bytes with a constant) | {report['us']['fill']:,.0f} µs | "
          f"{report['us']['fill'] / unit:.2f} |")


def _with_outer_products(run: Callable[[], object], replacement: Callable) -> Callable[[], object]:
    """``run`` with minigrad.func.per_sample's outer-product writer replaced for its duration."""
    import minigrad.func.per_sample as per_sample

    def call():
        original = per_sample._outer_products
        per_sample._outer_products = replacement
        try:
            return run()
        finally:
            per_sample._outer_products = original
    return call


def _fill_with_one(d, h, out) -> None:
    out.fill(1.0)


def _leave_unwritten(d, h, out) -> None:
    return None


FLOOR_RUNNERS = (
    ("backward", "ordinary forward+backward"),
    ("per_sample", "per-sample gradients"),
    ("per_sample_filled", "  the same, each outer product a constant fill of its bytes"),
    ("per_sample_unwritten", "  the same, the outer products not written"),
)


def floor(quick: bool = False, rounds: int | None = None, clock: str = "wall") -> dict:
    """Median microseconds per call of the per-sample fast path with its outer products
    written as usual, replaced by a constant fill, and left out, beside the ordinary pass,
    in the interleaved rounds of the table (one thread)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        runners = build(None)
        fast = runners["per_sample"]
        runners = {"backward": runners["backward"], "per_sample": fast,
                   "per_sample_filled": _with_outer_products(fast, _fill_with_one),
                   "per_sample_unwritten": _with_outer_products(fast, _leave_unwritten)}
        filled = runners["per_sample_filled"]()
        if not all(np.all(g.data == 1) for name, g in filled.items() if name.endswith("weight")):
            raise RuntimeError("the constant fill did not replace the outer products: the timing would not be "
                               "of what it says")
        rounds = rounds or (2 if quick else 25)
        times = interleaved(runners, rounds, 0.002 if quick else 0.02, warmup=0 if quick else 2, clock=clock)
    return {"config": MIDDLE.name, "clock": clock, "rounds": rounds, "load": load_average(), "us": times}


def print_floor(report: dict) -> None:
    times = report["us"]
    unit = times["backward"]
    print(f"Per-sample gradients and what bounds them, MLP {report['config']}, float32, 1 thread, "
          f"{report['clock']} clock, median of {report['rounds']} rounds, load average {report['load']}")
    print()
    print("| runner | time | / backward |")
    print("|---|---|---|")
    for name, label in FLOOR_RUNNERS:
        print(f"| {label} | {times[name]:,.0f} µs | {times[name] / unit:.2f} |")
    print()
    print(f"Writing the outer products: {times['per_sample'] - times['per_sample_unwritten']:,.0f} µs; "
          f"a constant fill of the same bytes: {times['per_sample_filled'] - times['per_sample_unwritten']:,.0f} µs.")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--quick", action="store_true", help="a few short rounds: checks that it runs, not how fast")
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds (default 25)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall time (default), or process CPU time on a machine busy with other work")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--no-loop", action="store_true", help="leave out the one-sample-at-a-time loop")
    parser.add_argument("--figure", type=Path, default=None, metavar="PATH",
                        help="also draw the times as a bar chart into PATH (a .png)")
    parser.add_argument("--breakdown", action="store_true",
                        help="time the stages of the per-sample fast path instead (CPU time)")
    parser.add_argument("--floor", action="store_true",
                        help="time the fast path with its outer products replaced by a constant fill, and left "
                             "out, instead")
    args = parser.parse_args(argv)
    if args.rounds is not None and args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    if args.breakdown:
        report = breakdown(calls=20 if args.quick else 300)
        print(json.dumps(report, indent=2)) if args.json else print_breakdown(report)
        return
    if args.floor:
        report = floor(quick=args.quick, rounds=args.rounds, clock=args.clock)
        print(json.dumps(report, indent=2)) if args.json else print_floor(report)
        return
    if args.figure is not None and (args.figure.suffix != ".png" or not args.figure.parent.is_dir()):
        parser.error(f"--figure must be a .png path in an existing directory, got {str(args.figure)!r}")
    report = run(quick=args.quick, rounds=args.rounds, clock=args.clock, use_torch=not args.no_torch,
                 with_loop=not args.no_loop)
    if args.figure is not None:
        draw_figure(report, args.figure)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)


if __name__ == "__main__":
    main()
