"""Train an MLP on scikit-learn's handwritten digits and plot its learning curves.

    python examples/train_digits.py            # 30 epochs, ~97% test accuracy
    python examples/train_digits.py --fast     # 3 epochs, for a quick check
"""
import argparse

from minigrad import nn, optim
from minigrad.data import DataLoader, load_dataset
from minigrad.train import evaluate, fit, single_threaded_blas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="3 epochs instead of 30")
    parser.add_argument("--plot", default="digits_curves.png", help="where to save the curves")
    args = parser.parse_args()
    with single_threaded_blas():  # small matrices: BLAS threads only wait for each other
        run(args)


def run(args) -> None:

    # 8x8 images flattened to 64 features, standardized with the training part's statistics.
    data = load_dataset("digits", seed=0)
    print(data)

    model = nn.MLP([64, 128, 128, 10], seed=0)
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(data.X_train, data.y_train, batch_size=64, shuffle=True, seed=0)

    history = fit(model, optimizer, loader, epochs=3 if args.fast else 30,
                  val_data=(data.X_test, data.y_test))

    test = evaluate(model, data.X_test, data.y_test)
    print(f"after {len(history)} epochs: test accuracy {test['accuracy']:.4f}, "
          f"train loss {history.train_loss[-1]:.4f}, {sum(history.seconds):.2f} s of training")

    from minigrad.viz import plot_history
    plot_history(history, args.plot, title="MLP 64-128-128-10 on digits, Adam (lr=0.001)")
    print(f"curves saved to {args.plot}")


if __name__ == "__main__":
    main()
