"""The fit loop: it learns, it reports, it stops when it should, and it resumes bit for bit."""
import numpy as np
import pytest

from minigrad import nn, optim
from minigrad.data import DataLoader, load_dataset
from minigrad.train import (
    DEFAULT_LR, OPTIMIZERS, CheckpointError, DivergenceError, EarlyStopping, History,
    default_epochs, evaluate, fit, make_optimizer, predict, predict_proba, single_threaded_blas,
)


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    with single_threaded_blas():
        yield


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", seed=0)


@pytest.fixture(scope="module")
def iris():
    return load_dataset("iris", seed=0)


def params_of(model):
    return [p.data.copy() for p in model.parameters()]


def test_history_has_one_entry_per_epoch(iris):
    model = nn.MLP([4, 16, 3], seed=0)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    loader = DataLoader(iris.X_train, iris.y_train, batch_size=16, shuffle=True, seed=0)
    history = fit(model, optimizer, loader, epochs=5, val_data=(iris.X_test, iris.y_test),
                  scheduler=scheduler, progress=False)
    assert history.epoch == [1, 2, 3, 4, 5]
    for column in History.COLUMNS:
        assert len(getattr(history, column)) == 5, column
    assert history.lr == [0.1, 0.1, 0.05, 0.05, 0.025]  # the lr each epoch's steps used
    assert history.train_loss[-1] < history.train_loss[0]
    assert all(s > 0 for s in history.seconds)
    # The validation numbers are evaluate()'s on the final model.
    assert history.val_accuracy[-1] == evaluate(model, iris.X_test, iris.y_test)["accuracy"]


def test_train_loss_is_the_mean_over_samples_of_each_step(iris):
    # With lr=0 the model never changes, so the epoch's training loss is the plain loss.
    model = nn.MLP([4, 8, 3], seed=1)
    loader = DataLoader(iris.X_train, iris.y_train, batch_size=10, shuffle=True, seed=0)
    history = fit(model, optimizer=optim.SGD(model.parameters(), lr=0.0), train_loader=loader,
                  epochs=1, progress=False)
    expected = evaluate(model, iris.X_train, iris.y_train)
    assert history.train_loss[0] == pytest.approx(expected["loss"], rel=1e-5)
    assert history.train_accuracy[0] == pytest.approx(expected["accuracy"])


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_digits_with_each_optimizer_at_its_default_lr(digits, name):
    # The acceptance run: MLP 64-128-128-10, batch 64, 30 epochs (about 0.2 s each).
    model = nn.MLP([64, 128, 128, 10], seed=0)
    optimizer = make_optimizer(name, model.parameters())
    assert optimizer.param_groups[0]["lr"] == DEFAULT_LR[name]
    loader = DataLoader(digits.X_train, digits.y_train, batch_size=64, shuffle=True, seed=0)
    history = fit(model, optimizer, loader, epochs=30, progress=False)
    accuracy = evaluate(model, digits.X_test, digits.y_test)["accuracy"]
    assert accuracy >= 0.96, f"{name}: test accuracy {accuracy:.4f} after 30 epochs"
    assert history.train_loss[-1] < 0.1 * history.train_loss[0]


def train_adam(data, seed=0):
    model = nn.MLP([data.n_features, 128, 128, data.n_classes], seed=seed)
    epochs = default_epochs(len(data.X_train), 64)
    fit(model, optim.Adam(model.parameters(), lr=DEFAULT_LR["adam"]),
        DataLoader(data.X_train, data.y_train, batch_size=64, shuffle=True, seed=seed), epochs, progress=False)
    return evaluate(model, data.X_test, data.y_test)["accuracy"]


@pytest.mark.parametrize("name, minimum", [("moons", 0.97), ("iris", 0.93)])
def test_small_datasets_reach_their_accuracy(name, minimum):
    accuracy = train_adam(load_dataset(name, seed=0))
    assert accuracy >= minimum, f"{name}: test accuracy {accuracy:.4f}"


def test_breast_cancer_reaches_96_percent_over_five_splits():
    # The seed-0 split is a hard one: every model tried on it (this MLP, scikit-learn's
    # MLPClassifier and LogisticRegression) gets 137 of its 143 test samples, 0.958. The
    # mean over five splits says more about the model than one split does.
    accuracies = [train_adam(load_dataset("breast_cancer", seed=split), seed=split) for split in range(5)]
    assert np.mean(accuracies) >= 0.96, f"test accuracies over splits 0-4: {np.round(accuracies, 4)}"
    assert min(accuracies) >= 0.95


def test_predict_and_predict_proba_agree(iris):
    model = nn.MLP([4, 8, 3], seed=0)
    probabilities = predict_proba(model, iris.X_test)
    assert probabilities.shape == (len(iris.X_test), 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(predict(model, iris.X_test), probabilities.argmax(axis=1))
    np.testing.assert_array_equal(predict(model, iris.X_test, batch_size=7), predict(model, iris.X_test))


def test_evaluation_does_not_disturb_training_mode_or_dropout():
    model = nn.MLP([4, 16, 3], dropout=0.5, seed=0)
    X = np.random.default_rng(0).normal(size=(20, 4))
    first = predict_proba(model, X)
    np.testing.assert_array_equal(first, predict_proba(model, X))  # eval mode: no dropout
    assert model.training


def test_divergence_stops_with_epoch_step_and_advice(iris):
    model = nn.MLP([4, 64, 3], seed=0)
    loader = DataLoader(iris.X_train, iris.y_train, batch_size=16, shuffle=True, seed=0)
    with pytest.raises(DivergenceError, match=r"epoch \d+, step \d+ of 7 \(lr=1e\+06\).*smaller.*lr=100000"):
        fit(model, optim.SGD(model.parameters(), lr=1e6), loader, epochs=20, progress=False)


def test_early_stopping_restores_the_best_epoch(iris):
    model = nn.MLP([4, 32, 3], seed=0)
    loader = DataLoader(iris.X_train, iris.y_train, batch_size=16, shuffle=True, seed=0)
    stopper = EarlyStopping(patience=3, monitor="val_loss")
    best_params = {}

    def remember(history):
        if stopper.best_index(history) == len(history) - 1:
            best_params["value"] = params_of(model)

    # A large lr makes the validation loss noisy, so it stops long before 200 epochs.
    history = fit(model, optim.SGD(model.parameters(), lr=0.5), loader, epochs=200,
                  val_data=(iris.X_test, iris.y_test), early_stopping=stopper,
                  callbacks=[remember], progress=False)
    assert history.stopped_early and len(history) < 200
    best = int(np.argmin(history.val_loss))
    assert len(history) - 1 - best == 3
    for restored, saved in zip(params_of(model), best_params["value"]):
        np.testing.assert_array_equal(restored, saved)
    assert evaluate(model, iris.X_test, iris.y_test)["loss"] == pytest.approx(history.val_loss[best], rel=1e-6)


def test_a_callback_can_stop_training(iris):
    model = nn.MLP([4, 8, 3], seed=0)
    loader = DataLoader(iris.X_train, iris.y_train, batch_size=16, shuffle=True, seed=0)
    history = fit(model, optim.Adam(model.parameters()), loader, epochs=50,
                  callbacks=[lambda h: len(h) == 4], progress=False)
    assert len(history) == 4 and history.stopped_early


def test_early_stopping_on_validation_needs_validation_data(iris):
    model = nn.MLP([4, 8, 3], seed=0)
    loader = DataLoader(iris.X_train, iris.y_train, batch_size=16, shuffle=True, seed=0)
    with pytest.raises(ValueError, match="val_loss.*val_data"):
        fit(model, optim.SGD(model.parameters(), lr=0.1), loader, 5, early_stopping=EarlyStopping())
    with pytest.raises(ValueError, match="'accuracy'.*val_loss"):
        EarlyStopping(monitor="accuracy")


# ---- checkpoints ---------------------------------------------------------------------

def run_with_checkpoints(data, epochs, checkpoint=None, resume=None):
    """Dropout, Adam and a schedule: every kind of state a resume must restore."""
    model = nn.MLP([data.n_features, 32, 32, data.n_classes], dropout=0.2, seed=5)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.7)
    loader = DataLoader(data.X_train, data.y_train, batch_size=16, shuffle=True, seed=11)
    history = fit(model, optimizer, loader, epochs, val_data=(data.X_test, data.y_test), scheduler=scheduler,
                  checkpoint=checkpoint, resume=resume, progress=False)
    return model, optimizer, history


def test_resume_continues_bit_for_bit(iris, tmp_path):
    path = tmp_path / "run.npz"
    uninterrupted, optimizer_full, history_full = run_with_checkpoints(iris, epochs=7)
    run_with_checkpoints(iris, epochs=4, checkpoint=path)
    resumed, optimizer_resumed, history_resumed = run_with_checkpoints(iris, epochs=7, checkpoint=path, resume=path)
    for a, b in zip(params_of(uninterrupted), params_of(resumed)):
        assert np.array_equal(a, b)
    assert history_resumed.epoch == list(range(1, 8))
    assert history_resumed.train_loss == history_full.train_loss
    assert history_resumed.lr == history_full.lr
    assert optimizer_resumed.param_groups[0]["lr"] == optimizer_full.param_groups[0]["lr"]
    # The checkpoint written by the resumed run is at epoch 7 and resumes to nothing more.
    again, _, history_again = run_with_checkpoints(iris, epochs=7, resume=path)
    assert len(history_again) == 7
    for a, b in zip(params_of(again), params_of(uninterrupted)):
        assert np.array_equal(a, b)


def test_checkpoint_of_another_architecture_changes_nothing(iris, tmp_path):
    path = tmp_path / "run.npz"
    run_with_checkpoints(iris, epochs=1, checkpoint=path)
    model = nn.MLP([4, 64, 32, 3], dropout=0.2, seed=0)  # same layer names, other widths
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    before = params_of(model)
    optimizer_before = optimizer.state_dict()
    loader = DataLoader(iris.X_train, iris.y_train, batch_size=16, shuffle=True, seed=0)
    with pytest.raises(CheckpointError, match=r"different model.*'0.weight' has shape \(32, 4\) there and \(64, 4\) here"):
        fit(model, optimizer, loader, 3, resume=path, progress=False)
    for a, b in zip(before, params_of(model)):
        assert np.array_equal(a, b)
    assert optimizer.state_dict() == optimizer_before


def test_checkpoint_with_another_optimizer_changes_nothing(iris, tmp_path):
    path = tmp_path / "run.npz"
    run_with_checkpoints(iris, epochs=1, checkpoint=path)
    model = nn.MLP([4, 32, 32, 3], dropout=0.2, seed=0)
    before = params_of(model)
    with pytest.raises(CheckpointError, match="saved with the Adam optimizer, but this run uses SGD"):
        fit(model, optim.SGD(model.parameters(), lr=0.1), DataLoader(iris.X_train, iris.y_train, batch_size=64), 3,
            scheduler=None, resume=path, progress=False)
    for a, b in zip(before, params_of(model)):
        assert np.array_equal(a, b)


def test_missing_resume_file_is_a_clear_error(iris, tmp_path):
    model = nn.MLP([4, 8, 3], seed=0)
    with pytest.raises(FileNotFoundError, match="nope.npz.*does not exist"):
        fit(model, optim.SGD(model.parameters(), lr=0.1), DataLoader(iris.X_train, iris.y_train, batch_size=64), 3,
            resume=tmp_path / "nope.npz", progress=False)


def test_an_interrupted_save_leaves_the_previous_checkpoint(iris, tmp_path, monkeypatch):
    path = tmp_path / "run.npz"
    run_with_checkpoints(iris, epochs=2, checkpoint=path)
    previous = path.read_bytes()
    real_write_array = np.lib.format.write_array
    written = []

    def write_then_interrupt(file, array, **kwargs):
        # Ctrl-C in the middle of the archive: some arrays are already written.
        if len(written) == 3:
            raise KeyboardInterrupt
        written.append(array.shape)
        real_write_array(file, array, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", write_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        run_with_checkpoints(iris, epochs=3, checkpoint=path, resume=path)
    monkeypatch.undo()
    assert path.read_bytes() == previous
    assert [p.name for p in tmp_path.iterdir()] == ["run.npz"]  # no temporary file left behind
    _, _, history = run_with_checkpoints(iris, epochs=2, resume=path)
    assert len(history) == 2


def test_reduce_lr_on_plateau_watches_the_validation_loss(iris):
    model = nn.MLP([4, 32, 3], seed=0)
    optimizer = optim.SGD(model.parameters(), lr=0.5)  # large enough for the loss to wobble
    scheduler = optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=0, threshold=0.0)
    history = fit(model, optimizer, DataLoader(iris.X_train, iris.y_train, batch_size=16, shuffle=True, seed=0), 30,
                  val_data=(iris.X_test, iris.y_test), scheduler=scheduler, progress=False)
    stalled = [i for i in range(1, 29) if history.val_loss[i] >= min(history.val_loss[:i])]
    assert stalled, "the validation loss never stalled; the test needs a plateau"
    first = stalled[0]
    assert history.lr[:first + 1] == [0.5] * (first + 1)
    assert history.lr[first + 1] == 0.25


def test_evaluate_refuses_labels_that_are_not_one_per_sample():
    model = nn.MLP([3, 4, 2], seed=0)
    X = np.zeros((5, 3), dtype=np.float32)
    with pytest.raises(ValueError, match=r"y must be 1-D.*\(5, 1\)"):
        evaluate(model, X, np.zeros((5, 1), dtype=np.int64))
    with pytest.raises(ValueError, match="same length, got 5 and 4"):
        evaluate(model, X, np.zeros(4, dtype=np.int64))


def test_a_checkpoint_keeps_the_run_metadata_and_says_what_it_holds(iris, tmp_path):
    from minigrad.train import read_checkpoint_info

    path = tmp_path / "run.npz"
    options = {"dataset": "iris", "hidden": [8], "seed": 5}
    model = nn.MLP([4, 8, 3], seed=5)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    loader = DataLoader(iris.X_train, iris.y_train, batch_size=16, shuffle=True, seed=5)
    fit(model, optimizer, loader, 3, checkpoint=path,
        checkpoint_metadata=options, progress=False)
    info = read_checkpoint_info(path)
    assert (info.epochs, info.optimizer, info.metadata) == (3, "Adam", options)
    with pytest.raises(TypeError, match="JSON values"):
        fit(model, optimizer, DataLoader(iris.X_train, iris.y_train, batch_size=64), 1, checkpoint=path,
            checkpoint_metadata={"data": np.ones(2)}, progress=False)
    assert read_checkpoint_info(path).epochs == 3  # refused before training, so nothing saved


def test_validation_labels_are_checked_once_before_training(iris):
    model = nn.MLP([4, 8, 3], seed=0)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    loader = DataLoader(iris.X_train, iris.y_train, batch_size=16, shuffle=True, seed=0)
    history = fit(model, optimizer, loader, 2, val_data=(iris.X_test.tolist(), list(iris.y_test)), progress=False)
    assert history.val_accuracy[-1] == evaluate(model, iris.X_test, iris.y_test)["accuracy"]
    with pytest.raises(TypeError, match=r"val_data must be an \(X, y\) pair"):
        fit(model, optimizer, loader, 3, val_data=iris.X_test, progress=False)


# ---- callbacks ---------------------------------------------------------------------------

class Recorder:
    """A callback that is not a Callback subclass: any object with the hooks will do."""

    def __init__(self):
        self.calls = []

    def on_train_begin(self, epochs, history):
        self.calls.append(("begin", epochs, len(history)))

    def on_batch_end(self, epoch, step, steps, metrics):
        self.calls.append(("batch", epoch, step, steps, round(metrics["loss"], 6), round(metrics["accuracy"], 6)))

    def on_epoch_end(self, epoch, history):
        self.calls.append(("epoch", epoch, len(history)))

    def on_train_end(self, history):
        self.calls.append(("end", len(history)))


def test_callback_hooks_are_called_in_order_with_the_running_metrics(iris):
    model = nn.MLP([4, 8, 3], seed=0)
    loader = DataLoader(iris.X_train, iris.y_train, batch_size=16, shuffle=True, seed=0)  # 7 steps an epoch
    recorder = Recorder()
    history = fit(model, optim.Adam(model.parameters(), lr=0.01), loader, 2, callbacks=[recorder], progress=False)
    kinds = [call[0] for call in recorder.calls]
    assert kinds == ["begin"] + (["batch"] * 7 + ["epoch"]) * 2 + ["end"]
    assert recorder.calls[0] == ("begin", 2, 0)
    assert [call[2] for call in recorder.calls if call[0] == "batch"] == list(range(1, 8)) * 2
    last_batches = [call for call in recorder.calls if call[0] == "batch" and call[2] == 7]
    # The running metrics after an epoch's last step are the epoch's.
    epochs = [(round(loss, 6), round(accuracy, 6))
              for loss, accuracy in zip(history.train_loss, history.train_accuracy)]
    assert [call[4:] for call in last_batches] == epochs
    assert recorder.calls[-1] == ("end", 2)


def test_a_callback_object_can_stop_training_and_functions_still_work(iris):
    from minigrad.train import Callback

    class StopAtThree(Callback):
        def on_epoch_end(self, epoch, history):
            return epoch == 3

    seen = []
    model = nn.MLP([4, 8, 3], seed=0)
    loader = DataLoader(iris.X_train, iris.y_train, batch_size=16, shuffle=True, seed=0)
    history = fit(model, optim.Adam(model.parameters()), loader, 50,
                  callbacks=[StopAtThree(), lambda h: seen.append(len(h))], progress=False)
    assert len(history) == 3 and history.stopped_early
    assert seen == [1, 2, 3]  # every callback runs, also after one asked to stop


def test_on_train_end_runs_when_training_fails(iris):
    recorder = Recorder()
    model = nn.MLP([4, 64, 3], seed=0)
    loader = DataLoader(iris.X_train, iris.y_train, batch_size=16, shuffle=True, seed=0)
    with pytest.raises(DivergenceError):
        fit(model, optim.SGD(model.parameters(), lr=1e6), loader, 20, callbacks=[recorder], progress=False)
    assert recorder.calls[-1][0] == "end"


def test_a_callback_that_is_not_one_is_refused_before_training(iris):
    model = nn.MLP([4, 8, 3], seed=0)
    before = params_of(model)
    with pytest.raises(TypeError, match=r"callbacks\[1\] must be a Callback .*on_epoch_end\(epoch, history\).* got 3"):
        fit(model, optim.SGD(model.parameters(), lr=0.1), DataLoader(iris.X_train, iris.y_train, batch_size=64), 2,
            callbacks=[lambda h: None, 3], progress=False)
    for a, b in zip(before, params_of(model)):
        assert np.array_equal(a, b)


# ---- the scheduler per epoch or per batch --------------------------------------------------

def warmup(step):
    """A schedule counted in steps: a linear warm-up over 10 steps, then a decay."""
    return (step + 1) / 10 if step < 10 else 0.97 ** (step - 10)


def test_a_scheduler_stepped_per_batch_is_the_hand_written_loop(iris):
    from minigrad.nn.functional import cross_entropy

    def setup():
        model = nn.MLP([4, 16, 3], seed=0)
        optimizer = optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
        scheduler = optim.lr_scheduler.LambdaLR(optimizer, warmup)
        return model, optimizer, scheduler, DataLoader(iris.X_train, iris.y_train, batch_size=16, shuffle=True, seed=0)

    model, optimizer, scheduler, loader = setup()
    history = fit(model, optimizer, loader, 3, scheduler=scheduler, scheduler_step="batch", progress=False)

    by_hand, optimizer_h, scheduler_h, loader_h = setup()
    first_lrs = []
    for _ in range(3):
        first_lrs.append(optimizer_h.param_groups[0]["lr"])
        for xb, yb in loader_h:
            loss = cross_entropy(by_hand(mg_tensor(xb)), yb)
            optimizer_h.zero_grad()
            loss.backward()
            optimizer_h.step()
            scheduler_h.step()
    for a, b in zip(params_of(model), params_of(by_hand)):
        assert np.array_equal(a, b)
    assert scheduler.last_epoch == 3 * 7
    assert history.lr == first_lrs == [0.2 * warmup(0), 0.2 * warmup(7), 0.2 * warmup(14)]


def mg_tensor(array):
    from minigrad import Tensor
    return Tensor(array)


def test_a_per_batch_schedule_resumes_bit_for_bit(iris, tmp_path):
    def run(epochs, **options):
        model = nn.MLP([4, 16, 3], seed=0)
        optimizer = optim.Adam(model.parameters(), lr=0.01)
        scheduler = optim.lr_scheduler.LambdaLR(optimizer, warmup)
        loader = DataLoader(iris.X_train, iris.y_train, batch_size=16, shuffle=True, seed=0)
        history = fit(model, optimizer, loader, epochs, scheduler=scheduler, scheduler_step="batch",
                      progress=False, **options)
        return model, history

    straight, history = run(4)
    run(2, checkpoint=tmp_path / "run.npz")
    resumed, resumed_history = run(4, resume=tmp_path / "run.npz")
    for a, b in zip(params_of(straight), params_of(resumed)):
        assert np.array_equal(a, b)
    assert resumed_history.lr == history.lr


def test_scheduler_step_is_checked_before_training(iris):
    model = nn.MLP([4, 8, 3], seed=0)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    loader = DataLoader(iris.X_train, iris.y_train, batch_size=64, shuffle=True, seed=0)
    with pytest.raises(ValueError, match="scheduler_step must be one of 'epoch', 'batch', got 'step'"):
        fit(model, optimizer, loader, 2, scheduler_step="step", progress=False)
    plateau = optim.lr_scheduler.ReduceLROnPlateau(optimizer)
    with pytest.raises(ValueError, match="ReduceLROnPlateau .* cannot step per batch"):
        fit(model, optimizer, loader, 2, scheduler=plateau, scheduler_step="batch", progress=False)


# ---- History in a terminal and in a notebook ---------------------------------------------------

def test_history_repr_is_one_line_with_the_last_epoch(iris):
    assert repr(History()) == "History(0 epochs)"
    model = nn.MLP([4, 8, 3], seed=0)
    loader = DataLoader(iris.X_train, iris.y_train, batch_size=64, shuffle=True, seed=0)
    history = fit(model, optim.Adam(model.parameters(), lr=0.01), loader, 2,
                  val_data=(iris.X_test, iris.y_test), progress=False)
    assert repr(history) == (f"History(2 epochs; last: loss {history.train_loss[-1]:.4f}, "
                             f"acc {history.train_accuracy[-1]:.4f}, val_loss {history.val_loss[-1]:.4f}, "
                             f"val_acc {history.val_accuracy[-1]:.4f})")
    one = History(epoch=[1], train_loss=[0.5], train_accuracy=[0.75], lr=[0.1], seconds=[0.2], stopped_early=True)
    assert repr(one) == "History(1 epoch, stopped early; last: loss 0.5000, acc 0.7500)"


def test_history_shows_as_a_small_table_in_a_notebook():
    import re

    n = 30
    history = History(epoch=list(range(1, n + 1)), train_loss=[1 / e for e in range(1, n + 1)],
                      train_accuracy=[0.5] * n, lr=[0.01] * n, seconds=[0.25] * n)
    html = history._repr_html_()
    assert "<caption>History: 30 epochs</caption>" in html
    assert re.findall(r"<th>(\w+)</th>", html) == ["epoch", "train_loss", "train_accuracy", "lr", "seconds"]
    shown_epochs = [int(row) for row in re.findall(r"<tr><td>(\d+)</td>", html)]
    assert shown_epochs == [1, 2, 3, 26, 27, 28, 29, 30]  # the first and the latest, an ellipsis between
    assert html.count("&hellip;") == 1
    assert "<td>30</td><td>0.0333</td><td>0.5000</td><td>0.01</td><td>0.25</td>" in html
    short = History(epoch=[1, 2], train_loss=[1.0, 0.5], train_accuracy=[0.5, 0.6], lr=[0.1] * 2, seconds=[1.0] * 2)
    assert "&hellip;" not in short._repr_html_() and short._repr_html_().count("<tr><td>") == 2


# ---- optimizers from the registry: L-BFGS's closure, schedule-free's average, names -------

def test_fit_drives_lbfgs_with_a_closure_over_each_batch(iris):
    model = nn.MLP([4, 16, 3], seed=0)
    optimizer = make_optimizer("lbfgs", model.parameters(), line_search_fn="strong_wolfe")
    full_batch = DataLoader(iris.X_train, iris.y_train, batch_size=len(iris.X_train))
    history = fit(model, optimizer, full_batch, epochs=3, progress=False)
    assert optimizer.state_dict()["state"][0]["func_evals"] > 3  # the closure ran inside step
    assert history.train_loss[-1] < 0.2 * history.train_loss[0]
    assert evaluate(model, iris.X_test, iris.y_test)["accuracy"] > 0.9


def test_fit_validates_and_ends_a_schedule_free_run_at_its_average(iris):
    model = nn.MLP([4, 16, 3], seed=0)
    optimizer = make_optimizer("schedule_free_sgd", model.parameters(), lr=0.5)
    loader = DataLoader(iris.X_train, iris.y_train, batch_size=32, shuffle=True, seed=0)
    history = fit(model, optimizer, loader, epochs=3, val_data=(iris.X_test, iris.y_test), progress=False)
    # At the end the parameters hold x, the average the optimizer evaluates at ...
    x = [np.array(p, copy=True) for p in optimizer.eval_params()]
    assert all(np.array_equal(p.data, point) for p, point in zip(model.parameters(), x))
    # ... and the last validation loss was measured there.
    assert history.val_loss[-1] == pytest.approx(evaluate(model, iris.X_test, iris.y_test)["loss"], rel=1e-6)


def test_checkpoints_record_the_registry_name_and_old_ones_still_load(iris, tmp_path):
    from minigrad import io
    from minigrad.train import read_checkpoint_info

    path = tmp_path / "run.npz"
    model = nn.MLP([4, 8, 3], seed=0)
    loader = DataLoader(iris.X_train, iris.y_train, batch_size=32)
    fit(model, make_optimizer("adamw", model.parameters()), loader, epochs=1, checkpoint=path, progress=False)
    info = read_checkpoint_info(path)
    assert (info.optimizer, info.optimizer_name) == ("AdamW", "adamw")
    # A checkpoint from before the registry has only the class name.
    arrays = io.load_npz(path)
    del arrays["optimizer/name"]
    old = tmp_path / "old.npz"
    io.save_npz(old, arrays)
    assert read_checkpoint_info(old).optimizer_name == "adamw"
    resumed = nn.MLP([4, 8, 3], seed=5)
    history = fit(resumed, make_optimizer("adamw", resumed.parameters()), loader, epochs=2, resume=old,
                  progress=False)
    assert len(history) == 2
    with pytest.raises(CheckpointError, match="saved with the AdamW optimizer, but this run uses Adam"):
        fit(resumed, make_optimizer("adam", resumed.parameters()), loader, epochs=3, resume=old, progress=False)
