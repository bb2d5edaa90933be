"""fit and evaluate with float (regression) targets as well as class indices, and the
loaders PyTorch users bring (a TensorDataset of Tensors)."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.data import DataLoader, TensorDataset, load_dataset
from minigrad.nn.functional import mse_loss
from minigrad.train import EarlyStopping, evaluate, fit, format_epoch


def regression_data(n=256, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(n, 1))
    return X, np.sin(X)  # (N, 1) float targets: the model's output shape


def test_fit_trains_a_regression_with_mse_and_records_no_accuracy():
    X, y = regression_data()
    model = nn.MLP([1, 32, 1], activation="tanh", seed=0)
    loader = DataLoader(X, y, batch_size=32, shuffle=True, seed=0)
    before = evaluate(model, X, y, loss_fn=mse_loss)
    history = fit(model, optim.Adam(model.parameters(), lr=0.01), loader, 30, loss_fn=mse_loss,
                  val_data=(X, y), progress=False)
    after = evaluate(model, X, y, loss_fn=mse_loss)
    assert set(after) == {"loss"}  # accuracy has no meaning for float targets
    assert after["loss"] < 0.02 < before["loss"]
    assert history.val_loss[-1] == pytest.approx(after["loss"])
    assert all(math.isnan(a) for a in history.train_accuracy + history.val_accuracy)
    assert len(history.train_accuracy) == len(history.val_accuracy) == 30
    assert "acc" not in repr(history) and "acc" not in format_epoch(history, 30)
    assert "val_loss" in format_epoch(history, 30)


def test_evaluate_regression_loss_is_the_mean_squared_error():
    X, y = regression_data(64)
    model = nn.MLP([1, 8, 1], seed=1)
    with mg.no_grad():
        expected = float(((model(mg.tensor(X, dtype=mg.float32)).data - y) ** 2).mean())
    assert evaluate(model, X, y, loss_fn=mse_loss)["loss"] == pytest.approx(expected, rel=1e-5)


def test_the_default_loss_refuses_float_targets_before_any_work():
    X, y = regression_data(32)
    model = nn.MLP([1, 8, 2], seed=0)
    weights = [p.data.copy() for p in model.parameters()]
    loader = DataLoader(X, y[:, 0], batch_size=8, shuffle=True, seed=0)
    generator_state = loader.state_dict()
    with pytest.raises(TypeError, match="needs integer class indices, but the loader's targets are float32"):
        fit(model, optim.SGD(model.parameters(), lr=0.1), loader, 1, progress=False)
    assert all(np.array_equal(w, p.data) for w, p in zip(weights, model.parameters()))
    assert loader.state_dict() == generator_state
    with pytest.raises(TypeError, match="needs integer class indices, but y's targets are float64"):
        evaluate(model, X, y[:, 0])


def test_early_stopping_on_an_accuracy_needs_class_indices():
    X, y = regression_data(32)
    model = nn.MLP([1, 8, 1], seed=0)
    loader = DataLoader(X, y, batch_size=8)
    with pytest.raises(ValueError, match="monitors 'val_accuracy', but val_data's targets are float64, not class "
                                         "indices.*monitor 'val_loss'"):
        fit(model, optim.SGD(model.parameters(), lr=0.1), loader, 2, loss_fn=mse_loss, val_data=(X, y),
            early_stopping=EarlyStopping(monitor="val_accuracy"), progress=False)
    with pytest.raises(ValueError, match="monitors 'train_accuracy', but the loader's targets are float32"):
        fit(model, optim.SGD(model.parameters(), lr=0.1), loader, 2, loss_fn=mse_loss,
            early_stopping=EarlyStopping(monitor="train_accuracy"), progress=False)


def test_fit_over_a_tensor_dataset_is_fit_over_the_arrays():
    iris = load_dataset("iris")

    def run(loader):
        model = nn.MLP([4, 16, 3], seed=0)
        return fit(model, optim.Adam(model.parameters(), lr=0.01), loader, 3, progress=False)

    arrays = run(DataLoader(iris.X_train, iris.y_train, batch_size=16, shuffle=True, seed=2))
    tensors = TensorDataset(mg.tensor(iris.X_train), mg.tensor(iris.y_train))
    torch_style = run(DataLoader(tensors, batch_size=16, shuffle=True, generator=mg.Generator().manual_seed(2)))
    assert arrays.train_loss == torch_style.train_loss
    assert arrays.train_accuracy == torch_style.train_accuracy and arrays.train_accuracy[-1] > 0.5


def test_a_regression_run_without_shuffling_resumes_bit_for_bit(tmp_path):
    # The checkpoint holds NaN accuracies and a loader without a shuffling generator.
    X, y = regression_data(64)

    def run(epochs, **kwargs):
        model = nn.MLP([1, 8, 1], seed=3)
        loader = DataLoader(X, y, batch_size=16)
        history = fit(model, optim.Adam(model.parameters(), lr=0.01), loader, epochs, loss_fn=mse_loss,
                      progress=False, **kwargs)
        return model, history

    straight, straight_history = run(4)
    run(2, checkpoint=tmp_path / "run.npz")
    resumed, resumed_history = run(4, resume=tmp_path / "run.npz")
    assert all(np.array_equal(a, b) for a, b in zip(straight.state_dict().values(), resumed.state_dict().values()))
    assert resumed_history.train_loss == straight_history.train_loss
    assert len(resumed_history.train_accuracy) == 4 and all(math.isnan(a) for a in resumed_history.train_accuracy)
