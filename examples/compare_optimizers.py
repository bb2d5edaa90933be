"""SGD, Momentum, AdaGrad, RMSProp and Adam on the digits: same start, same batches.

Each optimizer trains a copy of one initial model, at its default learning rate, and sees
the batches in the same order; only the update rule differs. Prints a table and saves one
figure with every optimizer's training loss and test accuracy.

    python examples/compare_optimizers.py           # 30 epochs each
    python examples/compare_optimizers.py --fast    # 2 epochs each
"""
import argparse

from minigrad import nn
from minigrad.data import DataLoader, load_dataset
from minigrad.train import DEFAULT_LR, OPTIMIZERS, evaluate, fit, make_optimizer, single_threaded_blas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="2 epochs instead of 30")
    parser.add_argument("--plot", default="optimizers_digits.png", help="where to save the figure")
    args = parser.parse_args()
    with single_threaded_blas():  # small matrices: BLAS threads only wait for each other
        run(args)


def run(args) -> None:

    data = load_dataset("digits", seed=0)
    initial = nn.MLP([64, 128, 128, 10], seed=0).state_dict()
    histories = {}
    print(f"{'optimizer':<10} {'lr':>6} {'train loss':>11} {'test acc':>9} {'seconds':>8}")
    for name in OPTIMIZERS:
        model = nn.MLP([64, 128, 128, 10], seed=0)
        model.load_state_dict(initial)
        optimizer = make_optimizer(name, model.parameters())  # the default lr of each
        loader = DataLoader(data.X_train, data.y_train, batch_size=64, shuffle=True, seed=0)
        history = fit(model, optimizer, loader, epochs=2 if args.fast else 30,
                      val_data=(data.X_test, data.y_test), progress=False)
        accuracy = evaluate(model, data.X_test, data.y_test)["accuracy"]
        print(f"{name:<10} {DEFAULT_LR[name]:>6g} {history.train_loss[-1]:>11.4f} "
              f"{accuracy:>9.4f} {sum(history.seconds):>8.2f}")
        histories[f"{name} (lr={DEFAULT_LR[name]:g})"] = history

    from minigrad.viz import plot_comparison
    plot_comparison(histories, args.plot, title="Five optimizers on digits: MLP 64-128-128-10, batch 64")
    print(f"figure saved to {args.plot}")


if __name__ == "__main__":
    main()
