"""How sensitive is each optimizer to its learning rate? A sweep on digits, in parallel.

Trains an MLP for every optimizer x learning rate x seed (5 x 4 x 2 = 40 runs), two at a
time, prints accuracy per (optimizer, lr) and draws accuracy against lr.

    python examples/optimizer_sweep.py                  # 40 runs of 30 epochs on digits
    python examples/optimizer_sweep.py --fast           # 2 x 2 x 1 runs of 2 epochs on iris
    python examples/optimizer_sweep.py --dask           # the same on a local Dask cluster

On a real cluster, pass its scheduler's address instead: ``run_sweep(..., backend="dask",
scheduler="tcp://HOST:8786")``, or ``minigrad sweep ... --backend dask --scheduler ADDRESS``.
"""
import argparse

from minigrad.sweep import OPTIMIZERS, format_summary, grid, plot_sweep, run_sweep, write_csv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="a tiny grid on iris, for a quick check")
    parser.add_argument("--dask", action="store_true", help="run on a local Dask cluster (needs dask[distributed])")
    parser.add_argument("--out", default="sweep.csv", help="where to write one row per run")
    parser.add_argument("--plot", default="sweep.png", help="where to save accuracy against lr")
    args = parser.parse_args()

    if args.fast:
        configs = grid("iris", ["sgd", "adam"], [0.01, 0.1], [0], epochs=2, hidden=(16,))
    else:
        configs = grid("digits", OPTIMIZERS, [0.001, 0.01, 0.1, 1.0], [0, 1])
    rows = run_sweep(configs, n_jobs=2, backend="dask" if args.dask else "loky")
    print(format_summary(rows))
    write_csv(rows, args.out)
    plot_sweep(rows, args.plot)
    print(f"{len(rows)} runs saved to {args.out}; plot saved to {args.plot}")


if __name__ == "__main__":
    main()
