"""The scikit-learn estimators: scikit-learn's own checks, the ecosystem, and our promises."""
import pickle

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from minigrad.optim import registry
from minigrad.sklearn import OPTIMIZERS, MinigradClassifier, MinigradRegressor
from minigrad.train import DEFAULT_LR

# Short fits end at max_epochs on purpose; the warning scikit-learn's MLPs give then is
# tested once, below, and silenced elsewhere.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


# No check is expected to fail: the estimators pass scikit-learn's whole suite as they are.
@parametrize_with_checks([MinigradClassifier(), MinigradRegressor()])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def small(estimator_class=MinigradClassifier, **params):
    defaults = dict(hidden_layer_sizes=(16,), max_epochs=20, batch_size=32, random_state=0, n_iter_no_change=100)
    return estimator_class(**{**defaults, **params})


def weights(estimator) -> dict:
    return estimator.model_.state_dict()


def assert_same_weights(a, b):
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    for name in wa:
        np.testing.assert_array_equal(wa[name], wb[name], err_msg=name)


# ---- reproducibility and incremental training --------------------------------------------

@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_same_random_state_gives_the_same_model_bit_for_bit(iris, optimizer):
    X, y = iris
    first = small(optimizer=optimizer, early_stopping=True, n_iter_no_change=3).fit(X, y)
    second = small(optimizer=optimizer, early_stopping=True, n_iter_no_change=3).fit(X, y)
    assert_same_weights(first, second)
    assert first.loss_curve_ == second.loss_curve_
    other = small(optimizer=optimizer, early_stopping=True, n_iter_no_change=3, random_state=1).fit(X, y)
    assert not np.array_equal(weights(first)["0.weight"], weights(other)["0.weight"])


def test_fit_is_partial_fit_epoch_after_epoch(iris):
    X, y = iris
    fitted = small(max_epochs=4).fit(X, y)
    stepped = small()
    for _ in range(4):
        stepped.partial_fit(X, y, classes=np.unique(y))
    assert_same_weights(fitted, stepped)
    assert stepped.loss_curve_ == fitted.loss_curve_ and stepped.n_iter_ == 4


def test_partial_fit_needs_the_classes_first_and_keeps_them(iris):
    X, y = iris
    with pytest.raises(ValueError, match="classes="):
        small().partial_fit(X, y)
    clf = small().partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
    assert clf.classes_.tolist() == [0, 1, 2] and clf.predict_proba(X).shape == (150, 3)
    with pytest.raises(ValueError, match=r"labels \[7\] outside the classes \[0, 1, 2\]"):
        clf.partial_fit(X[:2], [0, 7])
    with pytest.raises(ValueError, match="differs from the classes"):
        clf.partial_fit(X, y, classes=[0, 1])


def test_a_pickled_estimator_goes_on_training_exactly_like_the_original(iris):
    X, y = iris
    original = small(optimizer="adam", max_epochs=3).fit(X, y)
    copy = pickle.loads(pickle.dumps(original))
    original.partial_fit(X, y)
    copy.partial_fit(X, y)
    assert_same_weights(original, copy)
    assert copy._optimizer.state_dict()["state"][0]["step"] == original._optimizer.state_dict()["state"][0]["step"]


# ---- hyperparameters ----------------------------------------------------------------------

@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_lr_none_takes_the_optimizers_own_default(iris, optimizer):
    clf = small(optimizer=optimizer, max_epochs=1).fit(*iris)
    assert clf._optimizer.param_groups[0]["lr"] == DEFAULT_LR[optimizer]


@pytest.mark.parametrize("optimizer, params, expected", [
    ("momentum", dict(momentum=0.5, nesterov=True), dict(momentum=0.5, nesterov=True)),
    ("sgd", dict(momentum=0.5), dict(momentum=0.5)),  # torch's SGD takes momentum, as scikit-learn's "sgd"
    ("sgd", dict(), dict(momentum=0.0)),  # None: the class' own default, plain SGD
    ("adam", dict(momentum=0.5), dict(betas=(0.9, 0.999))),  # not Adam's: left out, as in scikit-learn
    ("rmsprop", dict(alpha=0.9, eps=1e-6), dict(alpha=0.9, eps=1e-6, momentum=0.0)),
    ("adam", dict(betas=(0.8, 0.99), eps=1e-7, weight_decay=0.01), dict(betas=(0.8, 0.99), eps=1e-7,
                                                                         weight_decay=0.01)),
    ("adagrad", dict(lr=0.2, weight_decay=0.1), dict(lr=0.2, weight_decay=0.1, eps=1e-10)),
])
def test_each_optimizer_gets_its_own_options(iris, optimizer, params, expected):
    group = small(optimizer=optimizer, max_epochs=1, **params).fit(*iris)._optimizer.param_groups[0]
    assert {name: group[name] for name in expected} == expected


@pytest.mark.parametrize("params, message", [
    (dict(optimizer="nadamx"), "unknown optimizer 'nadamx'; choose one of: sgd, momentum, adagrad, rmsprop, adam"),
    (dict(solver="newton"), "unknown optimizer 'newton'; choose one of: sgd, momentum"),
    (dict(solver="lbfgs", optimizer="adam"), "solver='lbfgs' and optimizer='adam' name different optimizers"),
    (dict(learning_rate="optimal"), "unknown learning_rate 'optimal'; choose one of: constant, invscaling, adaptive"),
    (dict(power_t=-0.5), r"power_t must be in \[0, inf\), got -0.5"),
    (dict(warm_start="yes"), "warm_start must be True or False, got 'yes'"),
    (dict(activation="gelu"), "unknown activation 'gelu'"),
    (dict(lr=0.0), r"lr must be in \(0, inf\), got 0.0"),
    (dict(lr="big"), "lr must be a real number, got 'big'"),
    (dict(momentum=1.0), r"momentum must be in \[0, 1\), got 1.0"),
    (dict(betas=(0.9,)), r"betas must be a pair \(beta1, beta2\), got \(0.9,\)"),
    (dict(betas=(0.9, 1.5)), r"betas\[1\] must be in \[0, 1\), got 1.5"),
    (dict(hidden_layer_sizes=(10, 0)), r"hidden_layer_sizes must hold positive integers, got \(10, 0\)"),
    (dict(batch_size=0), "batch_size must be an integer >= 1, got 0"),
    (dict(max_epochs=2.5), "max_epochs must be an integer >= 1, got 2.5"),
    (dict(validation_fraction=1.0), r"validation_fraction must be in \(0, 1\), got 1.0"),
    (dict(random_state=-1), r"random_state must be in \[0, 2\*\*32\), got -1"),
    (dict(random_state="seed"), "random_state must be None, an int, a numpy RandomState or Generator, got 'seed'"),
    (dict(nesterov="yes"), "nesterov must be True or False, got 'yes'"),
])
def test_a_bad_hyperparameter_is_named_and_a_fitted_model_stays_as_it_was(iris, params, message):
    X, y = iris
    clf = small(max_epochs=2).fit(X, y)
    before, curve = weights(clf), list(clf.loss_curve_)
    clf.set_params(**params)  # accepted: scikit-learn checks in fit, not in set_params
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y)
    for name, value in before.items():
        np.testing.assert_array_equal(weights(clf)[name], value)
    assert clf.loss_curve_ == curve


def test_wrong_number_of_features_leaves_the_model_unchanged(iris):
    X, y = iris
    clf = small(max_epochs=2).fit(X, y)
    before = weights(clf)
    with pytest.raises(ValueError, match="X has 3 features, but MinigradClassifier is expecting 4"):
        clf.partial_fit(X[:, :3], y)
    for name, value in before.items():
        np.testing.assert_array_equal(weights(clf)[name], value)


def test_a_diverging_run_says_so_and_names_the_learning_rate():
    from minigrad.train import DivergenceError

    X, y = make_regression(n_samples=64, n_features=4, noise=1.0, random_state=0)
    with pytest.raises(DivergenceError, match=r"optimizer='sgd', lr=1e\+06"):
        small(MinigradRegressor, optimizer="sgd", lr=1e6).fit(X, y * 1000)


# ---- stopping ------------------------------------------------------------------------------

def test_early_stopping_keeps_the_best_validation_epoch(iris):
    X, y = iris
    clf = small(early_stopping=True, n_iter_no_change=3, max_epochs=200, lr=0.05, validation_fraction=0.2)
    clf.fit(X, y)
    assert clf.n_iter_ < 200 and len(clf.validation_scores_) == clf.n_iter_ == len(clf.loss_curve_)
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    # The weights kept are those of the best epoch: retraining for exactly that many epochs
    # (same seeds, same split) gives them back.
    best_epoch = clf.validation_scores_.index(clf.best_validation_score_) + 1
    again = small(early_stopping=True, n_iter_no_change=1000, max_epochs=best_epoch, lr=0.05,
                  validation_fraction=0.2).fit(X, y)
    assert again.validation_scores_ == clf.validation_scores_[:best_epoch]
    assert_same_weights(clf, again)


def test_without_early_stopping_training_stops_when_the_loss_stalls(iris):
    X, y = iris
    clf = small(max_epochs=500, n_iter_no_change=5, tol=1e-2, lr=0.05).fit(X, y)
    assert clf.n_iter_ < 500
    last = clf.loss_curve_[-6:]
    assert all(loss >= min(clf.loss_curve_[:-5]) - 1e-2 for loss in last[1:])
    assert clf.validation_scores_ is None


def test_reaching_max_epochs_warns_like_scikit_learn(iris):
    with pytest.warns(ConvergenceWarning, match="max_epochs=2 reached"):
        small(max_epochs=2).fit(*iris)


# ---- the scikit-learn ecosystem ---------------------------------------------------------

def test_pipeline_and_cross_val_score_with_string_labels():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    pipe = make_pipeline(StandardScaler(), small(lr=0.05, max_epochs=30))
    scores = cross_val_score(pipe, X, names, cv=3)
    pipe.fit(X, names)
    assert scores.mean() > 0.85
    assert set(pipe.predict(X)) <= set(names) and pipe.classes_.tolist() == names[[0, 50, 100]].tolist()


def test_regressor_learns_a_nonlinear_function_with_several_outputs():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(400, 2))
    Y = np.column_stack([np.sin(X[:, 0]) + X[:, 1] ** 2, X[:, 0] * X[:, 1]])
    reg = small(MinigradRegressor, hidden_layer_sizes=(32, 32), lr=0.01, max_epochs=150)
    reg.fit(X[:300], Y[:300])
    assert reg.predict(X[300:]).shape == (100, 2) and reg.n_outputs_ == 2
    assert reg.score(X[300:], Y[300:]) > 0.9
    assert small(MinigradRegressor, max_epochs=2).fit(X, Y[:, 0]).predict(X[:5]).shape == (5,)


def test_grid_search_over_the_five_optimizers_on_digits_reaches_96_percent():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    pipe = make_pipeline(StandardScaler(), MinigradClassifier(hidden_layer_sizes=(64,), batch_size=64,
                                                              max_epochs=25, random_state=0))
    search = GridSearchCV(pipe, {"minigradclassifier__optimizer": list(OPTIMIZERS)}, cv=3, n_jobs=2)
    search.fit(X_train, y_train)
    assert not np.isnan(search.cv_results_["mean_test_score"]).any()
    assert search.best_params_["minigradclassifier__optimizer"] in OPTIMIZERS
    assert search.score(X_test, y_test) >= 0.96


def test_a_pickle_keeps_the_optimizer_it_was_trained_with(iris):
    X, y = iris
    clf = small(optimizer="rmsprop", max_epochs=2).fit(X, y)
    clf.set_params(optimizer="adam")  # takes effect at the next fit, not in partial_fit
    copy = pickle.loads(pickle.dumps(clf))
    copy.partial_fit(X, y)
    clf.partial_fit(X, y)
    assert type(copy._optimizer).__name__ == "RMSProp"
    assert_same_weights(clf, copy)


# ---- scikit-learn MLP parity: solver, learning_rate, warm_start, validation curves --------

@pytest.mark.parametrize("name", registry.NAMES)
def test_every_registry_optimizer_is_a_solver(iris, name):
    clf = small(solver=name, max_epochs=2).fit(*iris)
    assert registry.name_of(clf._optimizer) == name
    assert len(clf.loss_curve_) == 2 and np.isfinite(clf.loss_curve_).all()


def test_solver_and_optimizer_are_two_spellings_of_one_choice(iris):
    by_solver = small(solver="rmsprop", max_epochs=2).fit(*iris)
    by_optimizer = small(optimizer="rmsprop", max_epochs=2).fit(*iris)
    both = small(solver="RMSProp", optimizer="rmsprop", max_epochs=2).fit(*iris)
    assert_same_weights(by_solver, by_optimizer)
    assert_same_weights(by_solver, both)


def test_lbfgs_solver_trains_on_full_batches_like_scikit_learns(iris):
    X, y = iris
    clf = small(solver="lbfgs", batch_size="auto", max_epochs=10).fit(X, y)
    # "auto" batches are the whole set: one L-BFGS step (up to max_iter=20 iterations) per epoch.
    assert clf._optimizer.state_dict()["state"][0]["n_iter"] > 10
    assert clf.score(X, y) > 0.97


def test_invscaling_sets_lr_init_over_samples_seen_to_the_power_t(iris):
    X, y = iris
    clf = small(optimizer="sgd", lr=0.1, learning_rate="invscaling", power_t=0.25, max_epochs=3).fit(X, y)
    # scikit-learn's rule, after each epoch: learning_rate_init / (t + 1) ** power_t, t = samples seen.
    assert clf._optimizer.param_groups[0]["lr"] == pytest.approx(0.1 / (3 * len(X) + 1) ** 0.25, rel=1e-12)
    constant = small(optimizer="sgd", lr=0.1, max_epochs=3).fit(X, y)
    assert constant._optimizer.param_groups[0]["lr"] == 0.1


def test_adaptive_divides_the_lr_by_5_instead_of_stopping(iris):
    X, y = iris
    # tol so large that no epoch counts as an improvement: every n_iter_no_change epochs the
    # lr is divided by 5 until it reaches 1e-6, then training stops.
    clf = small(optimizer="sgd", lr=0.1, learning_rate="adaptive", tol=10.0, n_iter_no_change=2,
                max_epochs=100).fit(X, y)
    divisions = 0
    lr = 0.1
    while lr > 1e-6:
        lr /= 5
        divisions += 1
    assert clf._optimizer.param_groups[0]["lr"] == pytest.approx(lr, rel=1e-12)
    # The first epoch improves on nothing yet; then each lr runs 2 stale epochs; the last one stops.
    assert clf.n_iter_ == 1 + 2 * (divisions + 1)
    stopped = small(optimizer="sgd", lr=0.1, tol=10.0, n_iter_no_change=2, max_epochs=100).fit(X, y)
    assert stopped.n_iter_ == 3 and stopped._optimizer.param_groups[0]["lr"] == 0.1


def test_warm_start_goes_on_from_the_fitted_weights(iris):
    X, y = iris
    warm = small(max_epochs=3, warm_start=True).fit(X, y)
    after_first = weights(warm)
    warm.fit(X, y)
    assert len(warm.loss_curve_) == 6 and warm.n_iter_ == 6
    assert warm.loss_curve_[3] < warm.loss_curve_[0]  # it did not start over
    cold = small(max_epochs=3).fit(X, y)
    cold.fit(X, y)
    assert len(cold.loss_curve_) == 3
    np.testing.assert_array_equal(weights(cold)["0.weight"], after_first["0.weight"])
    warm.set_params(hidden_layer_sizes=(8,))
    with pytest.raises(ValueError, match=r"warm_start=True .* hidden_layer_sizes=\(16,\).* cannot become "
                                         r"hidden_layer_sizes=\(8,\)"):
        warm.fit(X, y)
    assert len(warm.loss_curve_) == 6


def test_early_stopping_records_a_validation_loss_curve(iris):
    X, y = iris
    clf = small(early_stopping=True, n_iter_no_change=100, max_epochs=5).fit(X, y)
    assert len(clf.validation_loss_curve_) == len(clf.validation_scores_) == 5
    assert clf.validation_loss_curve_[-1] < clf.validation_loss_curve_[0]
    assert small(max_epochs=2).fit(X, y).validation_loss_curve_ is None
