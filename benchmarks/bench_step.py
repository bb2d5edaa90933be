"""Time one MLP training step in minigrad, in a hand-written NumPy loop and in PyTorch.

    python benchmarks/bench_step.py [--json] [--quick] [--threads N] [--sections ...]

Sections:
  steps       zero_grad + forward + softmax cross-entropy + backward + Adam, for the
              configurations 2-16-16-2 b32, 64-128-128-10 b64, 784-512-512-10 b256;
              the NumPy floor per parameter (the reference of the targets) and with flat
              buffers (see numpy_floor.py); PyTorch's Adam with its defaults (the
              reference of the targets) and with fused=True;
  epoch       one epoch on scikit-learn's digits, 64-128-128-10, batch 64, Adam, against
              MLPClassifier.partial_fit (one pass over the data per call);
  optimizers  step() alone of SGD, Momentum, AdaGrad, RMSProp, Adam on 64-128-128-10;
  memory      resident memory after 300 and after 3,000 steps of 64-128-128-10 (a
              fresh process, so nothing else in it weighs on the figures).

Fairness: every implementation starts from the same seeded weights and data, computes
the same float32 step, and they run interleaved round by round in one process (the order
rotating each round), so machine noise hits all of them alike; the figure is the median
over rounds of the mean step time within a round. All libraries get the same number of
threads (``--threads``, default 1): NumPy's BLAS (and scikit-learn's) through threadpoolctl,
PyTorch through ``torch.set_num_threads``. One thread by default because the two small
configurations are far too small to gain from threads in any library, and because OpenBLAS
and PyTorch's OpenMP pool, both sized to every core, spin on the same cores when they live
in one process: the interleaved timings then measure the contention, not the libraries.
``--threads 2 --no-torch`` shows what the large configuration gains from a second core
(with torch loaded, its OpenMP threads spin against OpenBLAS's, and every figure suffers).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Callable

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # benchmark the minigrad of this checkout
sys.path.insert(0, str(HERE))

from numpy_floor import NumpyMLP  # noqa: E402
from workloads import CONFIGS, MIDDLE, Config, init_weights, load_digits_scaled, make_batch  # noqa: E402

SECTIONS = ("steps", "epoch", "optimizers", "memory")
OPTIMIZER_NAMES = ("SGD", "Momentum", "AdaGrad", "RMSProp", "Adam")


USE_TORCH = True  # --no-torch turns it off


def torch_or_none():
    """PyTorch, unless it is not installed or ``--no-torch`` was given."""
    if not USE_TORCH:
        return None
    try:
        import torch
    except ImportError:
        return None
    return torch


# ---- timing ------------------------------------------------------------------------------
CLOCKS = {"wall": time.perf_counter_ns, "cpu": time.process_time_ns}


def interleaved(runners: dict[str, Callable[[], object]], rounds: int, repeats: int,
                warmup: int = 2, clock: str = "wall") -> dict[str, float]:
    """Median microseconds per call of each runner.

    Each round calls every runner ``repeats`` times in a row and records the mean; the
    order of the runners rotates from round to round. ``warmup`` untimed rounds first.
    ``clock="cpu"`` counts this process's CPU time instead of wall time: on a machine
    shared with other work it leaves out the time the process waits for a core.
    """
    now = CLOCKS[clock]
    names = list(runners)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(warmup + rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            run = runners[name]
            start = now()
            for _ in range(repeats):
                run()
            elapsed = now() - start
            if round_index >= warmup:
                samples[name].append(elapsed / repeats / 1e3)
    return {name: statistics.median(values) for name, values in samples.items()}


def calibrate_repeats(run: Callable[[], object], round_seconds: float = 0.02) -> int:
    """How many calls of ``run`` (the fastest implementation) fill about ``round_seconds``."""
    for _ in range(3):
        run()
    start = time.perf_counter()
    run()
    return max(1, int(round_seconds / (time.perf_counter() - start)))


def set_threads(threads: int, torch_too: bool = True) -> dict:
    """Give NumPy's BLAS (and OpenMP) and PyTorch the same number of threads."""
    from threadpoolctl import threadpool_limits

    # minigrad's SGD and L-BFGS call SciPy's BLAS (its own OpenBLAS, loaded on first use):
    # load it now, or the limit, which only reaches libraries already loaded, would miss it.
    import scipy.linalg.blas  # noqa: F401

    # Kept alive for the whole process: the limit holds while this object exists.
    set_threads.limiter = threadpool_limits(limits=threads)
    torch = torch_or_none() if torch_too else None
    if torch is not None:
        torch.set_num_threads(threads)
    return {"threads": threads, "torch_threads": torch.get_num_threads() if torch else None}


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# ---- sections ----------------------------------------------------------------------------
def bench_steps(configs: tuple[Config, ...], rounds: int, quick: bool, clock: str = "wall") -> list[dict]:
    """Median step time of each implementation for each configuration, and the ratios."""
    import minigrad as mg
    from minigrad_step import MinigradMLP

    torch = torch_or_none()
    results = []
    for config in configs:
        weights = init_weights(config.sizes)
        X, y = make_batch(config)
        floor = NumpyMLP(weights)
        flat_floor = NumpyMLP(weights, flat=True)
        mini = MinigradMLP(weights)
        X_mg = mg.Tensor(X)
        runners = {
            "minigrad": lambda: mini.step(X_mg, y),
            "numpy": lambda: floor.step(X, y),
            "numpy_flat": lambda: flat_floor.step(X, y),
        }
        if torch is not None:
            from torch_step import TorchMLP

            reference, fused = TorchMLP(weights), TorchMLP(weights, fused=True)
            X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
            runners["torch"] = lambda: reference.step(X_t, y_t)
            runners["torch_fused"] = lambda: fused.step(X_t, y_t)
        repeats = 1 if quick else calibrate_repeats(lambda: floor.step(X, y))
        times = interleaved(runners, rounds=rounds, repeats=repeats, warmup=1 if quick else 3, clock=clock)
        row = {"config": config.name, "sizes": list(config.sizes), "batch": config.batch,
               "repeats": repeats, "rounds": rounds, "us": times,
               "minigrad/numpy": times["minigrad"] / times["numpy"],
               "minigrad/numpy_flat": times["minigrad"] / times["numpy_flat"]}
        if "torch" in times:
            row["minigrad/torch"] = times["minigrad"] / times["torch"]
            row["minigrad/torch_fused"] = times["minigrad"] / times["torch_fused"]
            row["torch/numpy"] = times["torch"] / times["numpy"]
        results.append(row)
    return results


def bench_epoch(rounds: int, batch_size: int = 64, clock: str = "wall") -> dict:
    """One epoch on digits: minigrad (DataLoader, shuffled), the NumPy floor (shuffled),
    and MLPClassifier.partial_fit (shuffled; alpha=0, so the same unregularized loss).

    ``partial_fit`` after a first call is one pass over the data with the network already
    built, as an epoch of the others is; ``fit(max_iter=1)`` would also time building and
    validating the model. scikit-learn keeps float32 input in float32, so "sklearn" does
    the same arithmetic as the others; "sklearn_float64" is what it does with digits as
    ``load_digits`` returns them (float64), shown for reference."""
    from minigrad.data import DataLoader
    from minigrad_step import MinigradMLP
    from sklearn.base import clone
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X, y = load_digits_scaled()
    sizes = (X.shape[1], 128, 128, 10)
    weights = init_weights(sizes)
    mini = MinigradMLP(weights)
    loader = DataLoader(X, y, batch_size=batch_size, shuffle=True, seed=0)
    floor = NumpyMLP(weights)
    floor_rng = np.random.default_rng(0)
    classes = np.arange(10)
    sk = MLPClassifier(hidden_layer_sizes=sizes[1:-1], activation="relu", solver="adam",
                       alpha=0.0, batch_size=batch_size, learning_rate_init=1e-3,
                       shuffle=True, random_state=0)
    sk64 = clone(sk)
    X64 = X.astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk.partial_fit(X, y, classes=classes)  # builds the network; later calls are epochs
        sk64.partial_fit(X64, y, classes=classes)
    runners = {
        "minigrad": lambda: mini.epoch(loader),
        "numpy": lambda: floor.epoch(X, y, batch_size, floor_rng),
        "sklearn": lambda: sk.partial_fit(X, y),
        "sklearn_float64": lambda: sk64.partial_fit(X64, y),
    }
    times = interleaved(runners, rounds=rounds, repeats=1, warmup=2, clock=clock)
    return {"dataset": "digits", "samples": len(X), "sizes": list(sizes), "batch": batch_size,
            "rounds": rounds, "us": times,
            "minigrad/sklearn": times["minigrad"] / times["sklearn"],
            "minigrad/sklearn_float64": times["minigrad"] / times["sklearn_float64"],
            "minigrad/numpy": times["minigrad"] / times["numpy"],
            "sklearn/numpy": times["sklearn"] / times["numpy"]}


def bench_optimizers(rounds: int, quick: bool, config: Config = MIDDLE, clock: str = "wall") -> list[dict]:
    """step() alone, with fixed gradients, for each of the five optimizers (and torch.optim's)."""
    import minigrad as mg
    from minigrad_step import OPTIMIZERS, MinigradMLP

    torch = torch_or_none()
    weights = init_weights(config.sizes)
    X, y = make_batch(config)
    results = []
    for name in OPTIMIZER_NAMES:
        mini = MinigradMLP(weights, optimizer=name, **OPTIMIZERS[name])
        mini.loss(mg.Tensor(X), y).backward()
        runners = {"minigrad": mini.optimizer.step}
        if name == "Adam":
            floor, flat_floor = NumpyMLP(weights), NumpyMLP(weights, flat=True)
            floor.loss_and_grads(X, y)
            flat_floor.loss_and_grads(X, y)
            runners["numpy"] = floor.adam_step
            runners["numpy_flat"] = flat_floor.adam_step
        if torch is not None:
            from torch_step import TorchMLP, optimizer_factories

            reference = TorchMLP(weights)
            reference.optimizer = optimizer_factories()[name](reference.model.parameters())
            reference.loss_and_grads(torch.from_numpy(X), torch.from_numpy(y))
            runners["torch"] = reference.optimizer.step
        times = interleaved(runners, rounds=rounds, repeats=1 if quick else 50, warmup=1, clock=clock)
        row = {"optimizer": name, "config": config.name, "us": times}
        if "torch" in times:
            row["minigrad/torch"] = times["minigrad"] / times["torch"]
        results.append(row)
    return results


def resident_bytes() -> int:
    """Resident set size now, from /proc/self/statm (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_resident_kib() -> int:
    """This process's peak resident size (VmHWM). Not ru_maxrss: on Linux that keeps the
    peak of the parent a subprocess was forked from, here one that had imported torch."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise OSError("no VmHWM in /proc/self/status")


def memory_probe(first: int = 300, last: int = 3000, config: Config = MIDDLE) -> dict:
    """RSS after ``first`` and after ``last`` minigrad steps (run in a fresh process)."""
    import minigrad as mg
    from minigrad_step import MinigradMLP

    X, y = make_batch(config)
    mini = MinigradMLP(init_weights(config.sizes))
    X_mg = mg.Tensor(X)
    rss = {}
    for step in range(1, last + 1):
        mini.step(X_mg, y)
        if step in (first, last):
            rss[step] = resident_bytes()
    peak_kib = peak_resident_kib()
    return {"config": config.name, "steps": [first, last],
            "rss_mb": [rss[first] / 2**20, rss[last] / 2**20],
            "growth_mb": (rss[last] - rss[first]) / 2**20, "peak_rss_mb": peak_kib / 1024}


def bench_memory(threads: int, quick: bool) -> dict:
    first, last = (30, 300) if quick else (300, 3000)
    code = (f"import sys, json; sys.path.insert(0, {str(HERE)!r}); import bench_step as b; "
            f"b.set_threads({threads}, torch_too=False); print(json.dumps(b.memory_probe({first}, {last})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---- report ------------------------------------------------------------------------------
def machine() -> dict:
    import numpy

    info = {"python": platform.python_version(), "numpy": numpy.__version__,
            "cpu": _cpu_name(), "cores": usable_cores(), "platform": platform.platform()}
    torch = torch_or_none()
    if torch is not None:
        info["torch"] = torch.__version__
    return info


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _fmt_us(us: float | None) -> str:
    if us is None:
        return "-"
    return f"{us / 1000:.2f} ms" if us >= 10_000 else f"{us:.1f} us"


def _ratio(row: dict, key: str) -> str:
    return f"{row[key]:.2f}" if key in row else "-"


def print_report(report: dict) -> None:
    m = report["machine"]
    print(f"minigrad step benchmark: {m['cpu']}, {m['cores']} cores, {report['threads']} threads, "
          f"{report['clock']} clock, "
          f"Python {m['python']}, NumPy {m['numpy']}, torch {m.get('torch', 'not installed')}")
    if "steps" in report:
        print("\n| config | minigrad | NumPy floor | NumPy flat | PyTorch | PyTorch, fused Adam | "
              "minigrad/NumPy | minigrad/NumPy flat | minigrad/PyTorch | minigrad/PyTorch fused |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for row in report["steps"]:
            us = row["us"]
            print(f"| {row['config']} | {_fmt_us(us['minigrad'])} | {_fmt_us(us['numpy'])} | "
                  f"{_fmt_us(us['numpy_flat'])} | {_fmt_us(us.get('torch'))} | {_fmt_us(us.get('torch_fused'))} | "
                  f"{_ratio(row, 'minigrad/numpy')} | {_ratio(row, 'minigrad/numpy_flat')} | "
                  f"{_ratio(row, 'minigrad/torch')} | {_ratio(row, 'minigrad/torch_fused')} |")
    if "epoch" in report:
        e = report["epoch"]
        us = e["us"]
        print(f"\nOne epoch on digits ({e['samples']} samples, {'-'.join(map(str, e['sizes']))}, batch {e['batch']}, Adam):")
        print("| minigrad | NumPy floor | scikit-learn | scikit-learn, float64 input | "
              "minigrad/sklearn | minigrad/sklearn float64 | minigrad/NumPy |")
        print("|---|---|---|---|---|---|---|")
        print(f"| {_fmt_us(us['minigrad'])} | {_fmt_us(us['numpy'])} | {_fmt_us(us['sklearn'])} | "
              f"{_fmt_us(us['sklearn_float64'])} | {e['minigrad/sklearn']:.2f} | "
              f"{e['minigrad/sklearn_float64']:.2f} | {e['minigrad/numpy']:.2f} |")
    if "optimizers" in report:
        print(f"\noptimizer.step() alone on {report['optimizers'][0]['config']}:")
        print("| optimizer | minigrad | torch.optim | NumPy floor | NumPy flat | minigrad/torch |")
        print("|---|---|---|---|---|---|")
        for row in report["optimizers"]:
            us = row["us"]
            print(f"| {row['optimizer']} | {_fmt_us(us['minigrad'])} | {_fmt_us(us.get('torch'))} | "
                  f"{_fmt_us(us.get('numpy'))} | {_fmt_us(us.get('numpy_flat'))} | {_ratio(row, 'minigrad/torch')} |")
    if "memory" in report:
        mem = report["memory"]
        first, last = mem["steps"]
        print(f"\nResident memory, {mem['config']}: {mem['rss_mb'][0]:.1f} MB after {first} steps, "
              f"{mem['rss_mb'][1]:.1f} MB after {last} (growth {mem['growth_mb']:+.2f} MB); "
              f"peak {mem['peak_rss_mb']:.1f} MB")


def run(sections=SECTIONS, quick: bool = False, threads: int | None = None,
        rounds: int | None = None, clock: str = "wall") -> dict:
    """Run the chosen sections and return the report as a dict (what ``--json`` prints)."""
    threads = threads or 1
    report = {"machine": machine(), **set_threads(threads), "clock": clock, "quick": quick}
    if "steps" in sections:
        report["steps"] = bench_steps(CONFIGS, rounds or (3 if quick else 30), quick, clock)
    if "epoch" in sections:
        report["epoch"] = bench_epoch(rounds or (2 if quick else 30), clock=clock)
    if "optimizers" in sections:
        report["optimizers"] = bench_optimizers(rounds or (3 if quick else 20), quick, clock=clock)
    if "memory" in sections:
        report["memory"] = bench_memory(threads, quick)
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--quick", action="store_true", help="few rounds: checks that it runs, not how fast")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for NumPy's BLAS and for PyTorch, the same for all (default 1)")
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds per measurement")
    parser.add_argument("--no-torch", action="store_true",
                        help="leave PyTorch out (with --threads above 1 its OpenMP pool competes with NumPy's BLAS)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall time (default), or process CPU time on a machine busy with other work")
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    args = parser.parse_args(argv)
    if args.threads is not None and args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    global USE_TORCH
    USE_TORCH = not args.no_torch
    report = run(args.sections, quick=args.quick, threads=args.threads, rounds=args.rounds, clock=args.clock)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)


if __name__ == "__main__":
    main()
