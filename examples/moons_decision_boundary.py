"""Learn the two interleaving half-moons and draw the decision boundary the MLP found.

    python examples/moons_decision_boundary.py          # ~99% test accuracy
    python examples/moons_decision_boundary.py --fast   # fewer epochs, for a quick check
"""
import argparse

from minigrad import nn, optim
from minigrad.data import DataLoader, load_dataset
from minigrad.train import evaluate, fit, single_threaded_blas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="5 epochs instead of 60")
    parser.add_argument("--plot", default="moons_boundary.png", help="where to save the figure")
    args = parser.parse_args()
    with single_threaded_blas():  # small matrices: BLAS threads only wait for each other
        run(args)


def run(args) -> None:

    data = load_dataset("moons", seed=0)  # 1000 noisy points, 2 features, 2 classes
    model = nn.MLP([2, 32, 32, 2], activation="tanh", seed=0)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    loader = DataLoader(data.X_train, data.y_train, batch_size=32, shuffle=True, seed=0)

    history = fit(model, optimizer, loader, epochs=5 if args.fast else 60)
    test = evaluate(model, data.X_test, data.y_test)
    print(f"after {len(history)} epochs: test accuracy {test['accuracy']:.4f}")

    from minigrad.viz import plot_decision_boundary
    plot_decision_boundary(
        model, data.X_test, data.y_test, args.plot,
        title=f"MLP 2-32-32-2 (tanh) on moons: test accuracy {test['accuracy']:.1%}",
        class_names=["moon 0", "moon 1"],
    )
    print(f"decision boundary (over the test points) saved to {args.plot}")


if __name__ == "__main__":
    main()
