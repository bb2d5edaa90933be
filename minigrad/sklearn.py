"""scikit-learn estimators backed by minigrad MLPs: ``MinigradClassifier``, ``MinigradRegressor``.

They follow scikit-learn's conventions so they drop into ``Pipeline``, ``cross_val_score``
and ``GridSearchCV``: ``__init__`` only stores the hyperparameters, everything is checked
in ``fit``; learned state lives in attributes ending with ``_``; ``partial_fit`` trains one
more epoch. The hyperparameter names mix scikit-learn's ``MLPClassifier`` (``hidden_layer_sizes``,
``solver``, ``learning_rate``, ``power_t``, ``batch_size``, ``warm_start``, ``early_stopping``,
``validation_fraction``, ``n_iter_no_change``, ``tol``) with torch.optim's for the optimizer
(``lr``, ``momentum``, ``nesterov``, ``alpha``, ``betas``, ``eps``, ``weight_decay``). Every
optimizer of ``minigrad.optim.registry`` is a ``solver`` (or, the same, ``optimizer``).
Note that ``alpha`` is RMSProp's smoothing constant, as in PyTorch, not an L2 penalty as in
scikit-learn: the L2 penalty is ``weight_decay`` (docs/sklearn-and-sweeps.md compares them).

    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MinigradClassifier(hidden_layer_sizes=(16,), optimizer="adam", lr=0.01,
    ...                          max_epochs=50, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True

A fixed ``random_state`` fixes everything random in a fit (initial weights, shuffling, the
validation split), so two fits with the same data and hyperparameters give the same model,
bit for bit.
"""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from minigrad.autograd import no_grad
from minigrad.optim import registry
from minigrad.tensor import Tensor

# The five optimizers the slides compare; every name of the optimizer registry is accepted.
OPTIMIZERS = registry.CLASSIC
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid")
LEARNING_RATES = ("constant", "invscaling", "adaptive")
# scikit-learn's MLPs stop lowering an "adaptive" lr below this and stop training instead.
MIN_ADAPTIVE_LR = 1e-6
# The estimators' optimizer hyperparameters: None leaves the optimizer class' own default.
OPTIMIZER_HYPERPARAMETERS = ("momentum", "nesterov", "alpha", "betas", "eps", "weight_decay")


def optimizer_options(name: str, lr: float, **given: Any) -> dict[str, Any]:
    """The keyword arguments of optimizer ``name``'s class: ``lr`` and those of the
    hyperparameters given (not None) that its class takes.

    The others are left out, as scikit-learn's MLPs use ``momentum`` only for the "sgd"
    solver: a grid search over optimizers with a fixed ``momentum`` must run, and
    scikit-learn's own estimator checks set ``alpha`` on any estimator that has one. (The
    command line, by contrast, refuses ``--momentum`` with adam.)"""
    spec = registry.get(name)
    return {"lr": lr, **{option: value for option, value in given.items()
                         if value is not None and spec.accepts(option)}}


def check_optimizer_name(name: Any) -> str:
    """The registry name of ``name``; ValueError naming it and listing the known ones."""
    return registry.get(name).name


def make_optimizer(name: str, parameters, **options):
    """The minigrad optimizer called ``name`` over ``parameters`` (options as ``optimizer_options``)."""
    return registry.make(name, parameters, **options)


def default_lr(name: str) -> float:
    """A learning rate that trains minigrad's MLPs on standardized data well, per optimizer."""
    return registry.get(name).default_lr


# ---- checks of the hyperparameters (run by fit, never by __init__) ------------------------

def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_real(name: str, value: Any, low: float, high: float, low_open: bool = False,
                high_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return float(value)


def _check_flag(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _check_hidden_layer_sizes(value: Any) -> tuple[int, ...]:
    sizes = (value,) if isinstance(value, numbers.Integral) and not isinstance(value, bool) else value
    try:
        sizes = tuple(sizes)
    except TypeError:
        raise ValueError(f"hidden_layer_sizes must be a sequence of positive integers, got {value!r}") from None
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            raise ValueError(f"hidden_layer_sizes must hold positive integers, got {value!r}")
    return tuple(int(size) for size in sizes)


def _seed_sequence(random_state: Any) -> np.random.SeedSequence:
    """The root of every random draw of one fit, from scikit-learn's kinds of random_state."""
    if random_state is None:
        return np.random.SeedSequence()
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if not 0 <= random_state < 2**32:
            raise ValueError(f"random_state must be in [0, 2**32), got {random_state!r}")
        return np.random.SeedSequence(int(random_state))
    if isinstance(random_state, np.random.RandomState):
        return np.random.SeedSequence(int(random_state.randint(2**31)))
    if isinstance(random_state, np.random.Generator):
        return np.random.SeedSequence(int(random_state.integers(2**63)))
    raise ValueError(
        f"random_state must be None, an int, a numpy RandomState or Generator, got {random_state!r}"
    )


class _MinigradEstimator(BaseEstimator):
    """What the classifier and the regressor share: hyperparameters, the training loop."""

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", optimizer=None, lr=None,
                 momentum=None, nesterov=None, alpha=None, betas=None, eps=None,
                 weight_decay=None, batch_size="auto", max_epochs=200, shuffle=True, random_state=None,
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=10, tol=1e-4,
                 solver=None, learning_rate="constant", power_t=0.5, warm_start=False):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.solver = solver
        self.lr = lr
        self.learning_rate = learning_rate
        self.power_t = power_t
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterov = nesterov
        self.alpha = alpha
        self.betas = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.shuffle = shuffle
        self.random_state = random_state
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol

    # ---- subclass hooks --------------------------------------------------------------------
    def _validate_xy(self, X, y, reset: bool):
        raise NotImplementedError

    def _encode_targets(self, y, first_call: bool, classes=None) -> tuple[np.ndarray, dict]:
        """The training targets as the loss wants them, and the attributes to set on success."""
        raise NotImplementedError

    def _n_outputs(self, fitted: dict) -> int:
        raise NotImplementedError

    def _loss(self, outputs: Tensor, targets: np.ndarray) -> Tensor:
        raise NotImplementedError

    def _validation_score(self, model, X: np.ndarray, targets: np.ndarray) -> float:
        raise NotImplementedError

    # ---- checks --------------------------------------------------------------------------------
    def _chosen_optimizer(self) -> str:
        """The registry name of ``solver`` (scikit-learn's spelling) or ``optimizer``; "adam"
        if neither is given."""
        names = {key: value for key, value in (("solver", self.solver), ("optimizer", self.optimizer))
                 if value is not None}
        resolved = {key: check_optimizer_name(value) for key, value in names.items()}
        if len(set(resolved.values())) > 1:
            raise ValueError(f"solver={self.solver!r} and optimizer={self.optimizer!r} name different "
                             "optimizers; give one of them")
        return next(iter(resolved.values()), "adam")

    def _checked_hyperparameters(self) -> dict[str, Any]:
        """Every hyperparameter checked; a bad one raises ValueError naming it and its value."""
        if not isinstance(self.activation, str) or self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}; choose one of: {', '.join(ACTIVATIONS)}")
        name = self._chosen_optimizer()
        lr = default_lr(name) if self.lr is None else _check_real("lr", self.lr, 0, math.inf, low_open=True,
                                                                  high_open=True)
        if self.betas is not None and not (isinstance(self.betas, (tuple, list)) and len(self.betas) == 2):
            raise ValueError(f"betas must be a pair (beta1, beta2), got {self.betas!r}")
        if self.batch_size != "auto":
            _check_int("batch_size", self.batch_size, 1)
        if not isinstance(self.learning_rate, str) or self.learning_rate not in LEARNING_RATES:
            raise ValueError(f"unknown learning_rate {self.learning_rate!r}; choose one of: {', '.join(LEARNING_RATES)}")
        given = {
            "momentum": _optional(_check_real, "momentum", self.momentum, 0, 1, high_open=True),
            "nesterov": _optional(_check_flag, "nesterov", self.nesterov),
            "alpha": _optional(_check_real, "alpha", self.alpha, 0, 1, high_open=True),
            "betas": None if self.betas is None else (
                _check_real("betas[0]", self.betas[0], 0, 1, high_open=True),
                _check_real("betas[1]", self.betas[1], 0, 1, high_open=True)),
            "eps": _optional(_check_real, "eps", self.eps, 0, math.inf, high_open=True),
            "weight_decay": _optional(_check_real, "weight_decay", self.weight_decay, 0, math.inf, high_open=True),
        }
        checked = {
            "optimizer": name,
            "hidden_layer_sizes": _check_hidden_layer_sizes(self.hidden_layer_sizes),
            "optimizer_options": optimizer_options(name, lr, **given),
            "max_epochs": _check_int("max_epochs", self.max_epochs, 1),
            "n_iter_no_change": _check_int("n_iter_no_change", self.n_iter_no_change, 1),
            "tol": _check_real("tol", self.tol, 0, math.inf, high_open=True),
            "validation_fraction": _check_real("validation_fraction", self.validation_fraction, 0, 1,
                                               low_open=True, high_open=True),
            "power_t": _check_real("power_t", self.power_t, 0, math.inf, high_open=True),
        }
        _check_flag("shuffle", self.shuffle)
        _check_flag("early_stopping", self.early_stopping)
        _check_flag("warm_start", self.warm_start)
        if self.nesterov and name in ("sgd", "momentum") and (self.momentum or 0.9 * (name == "momentum")) == 0:
            raise ValueError(f"nesterov=True needs momentum > 0, got momentum={self.momentum!r} with {name!r}")
        return checked

    # ---- building a fresh model ------------------------------------------------------------
    def _new_run(self, n_features: int, n_outputs: int, checked: dict, seeds: np.random.SeedSequence):
        """A new MLP, its optimizer, and the generator that shuffles the batches."""
        from minigrad import nn

        weights_seed, shuffle_seed = seeds.spawn(2)
        sizes = [n_features, *checked["hidden_layer_sizes"], n_outputs]
        model = nn.MLP(sizes, activation=self.activation, rng=np.random.default_rng(weights_seed))
        optimizer = make_optimizer(checked["optimizer"], model.parameters(), **checked["optimizer_options"])
        return model, optimizer, np.random.default_rng(shuffle_seed)

    def _warm_run(self, checked: dict, seeds: np.random.SeedSequence):
        """``warm_start``: the fitted MLP goes on from its weights, with a new optimizer (as
        scikit-learn's MLPs make a new one every fit) and new shuffling."""
        if checked["hidden_layer_sizes"] != self._fitted_architecture[0] or self.activation != self._fitted_architecture[1]:
            raise ValueError(
                f"warm_start=True goes on training the fitted MLP, hidden_layer_sizes="
                f"{self._fitted_architecture[0]!r} with activation={self._fitted_architecture[1]!r}; it cannot "
                f"become hidden_layer_sizes={checked['hidden_layer_sizes']!r}, activation={self.activation!r} "
                "(set warm_start=False to start over)")
        _, shuffle_seed = seeds.spawn(2)
        optimizer = make_optimizer(checked["optimizer"], self.model_.parameters(), **checked["optimizer_options"])
        return self.model_, optimizer, np.random.default_rng(shuffle_seed)

    # ---- training --------------------------------------------------------------------------
    def _fit(self, X, y, incremental: bool, classes=None):
        fitted_before = hasattr(self, "model_")
        warm = not incremental and fitted_before and self.warm_start is True
        first_call = not (incremental and fitted_before) and not warm
        checked = self._checked_hyperparameters()
        seeds = _seed_sequence(self.random_state) if not incremental or not fitted_before else None
        X, y = self._validate_xy(X, y, reset=first_call)
        targets, fitted = self._encode_targets(y, first_call, classes)
        features = np.ascontiguousarray(X, dtype=np.float32)
        if first_call or warm:
            if warm:
                model, optimizer, shuffle_rng = self._warm_run(checked, seeds)
                loss_curve, samples_seen = list(self.loss_curve_), getattr(self, "_samples_seen", 0)
            else:
                model, optimizer, shuffle_rng = self._new_run(features.shape[1], self._n_outputs(fitted),
                                                              checked, seeds)
                loss_curve, samples_seen = [], 0
            split_seed = int(seeds.spawn(1)[0].generate_state(1)[0])
        else:
            model, optimizer, shuffle_rng = self.model_, self._optimizer, self._shuffle_rng
            loss_curve, split_seed, samples_seen = list(self.loss_curve_), None, getattr(self, "_samples_seen", 0)

        run = _Run(model, optimizer, shuffle_rng, loss_curve, 0, samples_seen)
        if incremental:
            run.batch_size = self._batch_size(len(features), checked["optimizer"])
            run.epoch(self, features, targets)
            outcome = {"n_iter_": len(loss_curve), "best_loss_": min(loss_curve)}
        else:
            outcome = self._train(run, features, targets, checked, split_seed)
        for name, value in {**fitted, **outcome}.items():
            setattr(self, name, value)
        self.model_, self._optimizer, self._shuffle_rng, self.loss_curve_ = model, optimizer, shuffle_rng, loss_curve
        self._samples_seen = run.samples_seen
        if first_call or warm:
            self._optimizer_name = checked["optimizer"]  # set_params may change self.optimizer later
            self._fitted_architecture = (checked["hidden_layer_sizes"], self.activation)
        return self

    def _batch_size(self, n_samples: int, optimizer: str = "") -> int:
        """"auto" is scikit-learn's min(200, n_samples), and the whole set for L-BFGS, which
        like scikit-learn's lbfgs solver works on full batches."""
        if self.batch_size == "auto":
            return n_samples if registry.get(optimizer or "adam").needs_closure else min(200, n_samples)
        return min(int(self.batch_size), n_samples)

    def _train(self, run: "_Run", features, targets, checked, split_seed):
        """Up to ``max_epochs`` epochs, stopping once the monitored value stops improving.

        With ``learning_rate="adaptive"``, instead of stopping the lr is divided by 5 (as long
        as it stays above 1e-6); with "invscaling" it is set after every epoch to
        ``lr / (t + 1) ** power_t``, t the number of samples trained on so far. Both follow
        scikit-learn's MLPs (which apply them to its "sgd" solver; here to any optimizer)."""
        validation = None
        if self.early_stopping:
            features, targets, validation = self._split_validation(features, targets, checked, split_seed)
        run.batch_size = self._batch_size(len(features), checked["optimizer"])
        model, lr_init = run.model, checked["optimizer_options"]["lr"]
        # Monitored: the validation score (higher is better) or the training loss (lower is).
        best, best_state, stale, scores, validation_losses = -math.inf, None, 0, [], []
        converged = False
        for _ in range(checked["max_epochs"]):
            loss = run.epoch(self, features, targets)
            if self.learning_rate == "invscaling":
                _set_lr(run.optimizer, lr_init / (run.samples_seen + 1) ** checked["power_t"])
            value = self._validation_score(model, *validation) if validation else -loss
            if validation:
                scores.append(value)
                validation_losses.append(self._validation_loss(model, *validation))
            stale = 0 if value > best + checked["tol"] else stale + 1
            if value > best:
                best = value
                if validation:
                    best_state = model.state_dict()
            if stale >= checked["n_iter_no_change"]:
                lr = run.optimizer.param_groups[0]["lr"]
                if self.learning_rate == "adaptive" and lr > MIN_ADAPTIVE_LR:
                    _set_lr(run.optimizer, lr / 5)
                    stale = 0
                    continue
                converged = True
                break
        if best_state is not None:
            model.load_state_dict(best_state)
        if not converged:
            warnings.warn(
                f"{type(self).__name__}: max_epochs={checked['max_epochs']} reached before the "
                f"{'validation score' if validation else 'training loss'} stopped improving by tol={checked['tol']:g}",
                ConvergenceWarning,
            )
        outcome = {"n_iter_": len(run.loss_curve), "best_loss_": min(run.loss_curve)}
        if validation:
            outcome.update(validation_scores_=scores, best_validation_score_=best,
                           validation_loss_curve_=validation_losses)
        else:
            outcome.update(validation_scores_=None, best_validation_score_=None, validation_loss_curve_=None)
        return outcome

    def _validation_loss(self, model, X: np.ndarray, targets: np.ndarray) -> float:
        """The training loss (cross-entropy, squared error) on the held-out set."""
        with no_grad():
            return float(self._loss(Tensor(np.asarray(_forward(model, X), dtype=np.float32)), targets).data)

    def _split_validation(self, features, targets, checked, split_seed):
        stratify = targets if isinstance(self, ClassifierMixin) else None
        try:
            X_train, X_val, y_train, y_val = train_test_split(
                features, targets, test_size=checked["validation_fraction"], random_state=split_seed,
                stratify=stratify)
        except ValueError as error:
            raise ValueError(
                f"early_stopping cannot set aside validation_fraction={checked['validation_fraction']} "
                f"of {len(features)} samples: {error}") from None
        return X_train, y_train, (X_val, y_val)

    def _outputs(self, X) -> np.ndarray:
        """The network's raw outputs (float64) for already validated features."""
        return _forward(self.model_, np.ascontiguousarray(X, dtype=np.float32))

    # ---- pickling ----------------------------------------------------------------------------
    # The optimizer keeps the parameters inside its own flat buffers (each parameter a view):
    # a pickle cannot keep views, so it stores the optimizer's state dict and a fresh optimizer
    # over the unpickled parameters takes it back. partial_fit then goes on where it stopped.
    def __getstate__(self):
        state = dict(super().__getstate__())
        if "_optimizer" in state:
            state["_optimizer"] = state["_optimizer"].state_dict()
        return state

    def __setstate__(self, state):
        optimizer_state = state.get("_optimizer")
        super().__setstate__({k: v for k, v in state.items() if k != "_optimizer"})
        if optimizer_state is not None:
            optimizer = make_optimizer(self._optimizer_name, self.model_.parameters(),
                                       lr=optimizer_state["param_groups"][0]["lr"])
            optimizer.load_state_dict(optimizer_state)
            self._optimizer = optimizer


def _forward(model, features: np.ndarray) -> np.ndarray:
    """The network's outputs for ``features``, computed in float64 from the trained weights.

    float32 matrix products round differently with the number of rows (BLAS blocks them), so
    a sample's float32 prediction depends on the other rows predicted with it; in float64 the
    difference is far below what scikit-learn's subset-invariance check can see."""
    import copy

    exact = copy.deepcopy(model).to(np.float64) if any(p.dtype != np.float64 for p in model.parameters()) else model
    was_training = exact.training
    exact.eval()
    try:
        with no_grad():
            return exact(Tensor(np.asarray(features, dtype=np.float64))).data
    finally:
        if was_training:
            exact.train()


class _Run:
    """The state of one training run that an epoch advances."""

    def __init__(self, model, optimizer, shuffle_rng, loss_curve: list[float], batch_size: int,
                 samples_seen: int = 0):
        self.model, self.optimizer, self.shuffle_rng = model, optimizer, shuffle_rng
        self.loss_curve, self.batch_size, self.samples_seen = loss_curve, batch_size, samples_seen

    def epoch(self, estimator: _MinigradEstimator, features: np.ndarray, targets: np.ndarray) -> float:
        """One pass over the data in mini-batches; returns (and records) the mean loss."""
        from minigrad.train import DivergenceError

        n = len(features)
        order = self.shuffle_rng.permutation(n) if estimator.shuffle else np.arange(n)
        self.model.train()
        total = 0.0
        for start in range(0, n, self.batch_size):
            batch = order[start:start + self.batch_size]
            with np.errstate(over="ignore", invalid="ignore"):
                loss = estimator._loss(self.model(Tensor(features[batch])), targets[batch])
                value = float(loss.data)
                if not math.isfinite(value):
                    raise DivergenceError(
                        f"training diverged: the loss is {value} at epoch {len(self.loss_curve) + 1} "
                        f"(optimizer={registry.name_of(self.optimizer)!r}, "
                        f"lr={self.optimizer.param_groups[0]['lr']:g}); try a smaller lr")
                self.optimizer.zero_grad()
                loss.backward()
                self._step(estimator, features[batch], targets[batch])
            total += value * len(batch)
        self.samples_seen += n
        self.loss_curve.append(total / n)
        return total / n

    def _step(self, estimator, features: np.ndarray, targets: np.ndarray) -> None:
        if not registry.needs_closure(self.optimizer):
            self.optimizer.step()
            return

        def closure():  # L-BFGS re-evaluates the batch along its line search
            self.optimizer.zero_grad()
            loss = estimator._loss(self.model(Tensor(features)), targets)
            loss.backward()
            return float(loss.data)

        self.optimizer.step(closure)


def _set_lr(optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


def _optional(check, name: str, value: Any, *limits, **options):
    """None (the optimizer's own default) or the checked value."""
    return None if value is None else check(name, value, *limits, **options)


class MinigradClassifier(ClassifierMixin, _MinigradEstimator):
    """An MLP classifier trained by a minigrad optimizer on the softmax cross-entropy.

    Parameters
    ----------
    hidden_layer_sizes : sizes of the hidden layers, (100,) by default; () is a linear model.
    activation : "relu", "leaky_relu", "tanh" or "sigmoid", between the layers.
    solver, optimizer : two spellings of one choice (give either, or both naming the same):
        any name of ``minigrad.optim.registry`` ("sgd", "momentum", "adagrad", "rmsprop",
        "adam", "adamw", "nadam", ..., "lbfgs"); None is "adam". scikit-learn's "sgd" is
        SGD with momentum 0.9 and Nesterov: here ``solver="sgd", momentum=0.9, nesterov=True``.
        "lbfgs" steps with a closure, on full batches when ``batch_size="auto"``.
    lr : learning rate (scikit-learn's ``learning_rate_init``); None picks one that suits the
        optimizer (registry default: sgd 0.1, momentum 0.02, adagrad 0.05, rmsprop 0.001,
        adam 0.001, ...).
    learning_rate : "constant"; "invscaling", after every epoch lr / (t + 1) ** power_t with
        t the samples trained on so far; or "adaptive", dividing the lr by 5 (while it is
        above 1e-6) where training would stop for lack of improvement. scikit-learn's rules,
        here for every optimizer.
    power_t : the exponent of "invscaling" (0.5).
    momentum, nesterov, alpha, betas, eps, weight_decay : the optimizer's options, torch.optim's
        names (``alpha`` is RMSProp's smoothing constant). None keeps the optimizer's own
        default; one the chosen optimizer does not take is left out, as scikit-learn's MLPs
        use ``momentum`` only for "sgd".
    weight_decay : L2 penalty, added to the gradient (torch's rule) of every parameter,
        biases included, whatever the batch size.
    batch_size : samples per step; "auto" is min(200, n_samples) (all of them for "lbfgs").
    warm_start : a new ``fit`` goes on from the fitted weights (a new optimizer, the loss
        curve continued) instead of starting over.
    max_epochs : passes over the data at most.
    shuffle : reshuffle the samples every epoch.
    random_state : seeds the weights, the shuffling and the validation split.
    early_stopping : hold out ``validation_fraction`` of the data (stratified) and stop when
        its accuracy has not improved by more than ``tol`` for ``n_iter_no_change`` epochs,
        keeping the best epoch's weights. Without it, training stops when the training loss
        has not improved by more than ``tol`` for ``n_iter_no_change`` epochs.

    Attributes
    ----------
    classes_, n_features_in_ (and feature_names_in_), model_ (the trained ``nn.MLP``),
    loss_curve_ (mean training loss per epoch), n_iter_ (epochs run), best_loss_,
    validation_scores_, best_validation_score_ and validation_loss_curve_ (the loss on the
    held-out set per epoch; all three None without early stopping).
    """

    def _validate_xy(self, X, y, reset: bool):
        X, y = validate_data(self, X, y, reset=reset, dtype=(np.float64, np.float32))
        check_classification_targets(y)
        return X, y

    def _encode_targets(self, y, first_call: bool, classes=None):
        if first_call:
            known = np.unique(y) if classes is None else np.unique(np.asarray(classes))
            if len(known) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes, got 1 class: {known.tolist()}")
        else:
            known = self.classes_
            if classes is not None and not np.array_equal(np.unique(np.asarray(classes)), known):
                raise ValueError(f"classes={list(classes)!r} differs from the classes of the first "
                                 f"partial_fit call, {known.tolist()!r}")
        unknown = np.setdiff1d(y, known)
        if unknown.size:
            raise ValueError(f"y holds labels {unknown.tolist()!r} outside the classes {known.tolist()!r}")
        return np.searchsorted(known, y).astype(np.int64), {"classes_": known}

    def _n_outputs(self, fitted: dict) -> int:
        return len(fitted["classes_"])

    def _loss(self, outputs: Tensor, targets: np.ndarray) -> Tensor:
        from minigrad.nn.functional import cross_entropy
        return cross_entropy(outputs, targets)

    def _validation_score(self, model, X: np.ndarray, targets: np.ndarray) -> float:
        return float(accuracy_score(targets, _forward(model, X).argmax(axis=1)))

    def fit(self, X, y) -> "MinigradClassifier":
        """Train a new network on (X, y) from scratch; returns self."""
        return self._fit(X, y, incremental=False)

    def partial_fit(self, X, y, classes=None) -> "MinigradClassifier":
        """One more epoch on (X, y), from the current weights and optimizer state.

        The first call (on an unfitted estimator) needs ``classes``, every label to expect.
        Stopping is the caller's business: ``max_epochs`` and ``early_stopping`` do not apply.
        """
        if not hasattr(self, "model_") and classes is None:
            raise ValueError("the first call to partial_fit needs classes=, the list of all classes")
        return self._fit(X, y, incremental=True, classes=classes)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns in the order of ``classes_``."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        logits = self._outputs(X)
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        """The most probable class of each sample (labels as given in y)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        return self.classes_[self._outputs(X).argmax(axis=1)]


class MinigradRegressor(RegressorMixin, _MinigradEstimator):
    """An MLP regressor trained by a minigrad optimizer on the mean squared error.

    The parameters and attributes are those of ``MinigradClassifier`` (without ``classes_``);
    with early stopping the validation score is R². ``y`` may have several columns
    (one output per column).
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _validate_xy(self, X, y, reset: bool):
        return validate_data(self, X, y, reset=reset, dtype=(np.float64, np.float32), multi_output=True,
                             y_numeric=True)

    def _encode_targets(self, y, first_call: bool, classes=None):
        targets = np.asarray(y, dtype=np.float32)
        one_dimensional = targets.ndim == 1
        targets = targets.reshape(len(targets), -1)
        if not first_call and targets.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {targets.shape[1]} outputs, but {type(self).__name__} was fitted with "
                             f"{self.n_outputs_}")
        if not first_call:
            return targets, {}
        return targets, {"n_outputs_": targets.shape[1], "_y_is_1d": one_dimensional}

    def _n_outputs(self, fitted: dict) -> int:
        return fitted["n_outputs_"]

    def _loss(self, outputs: Tensor, targets: np.ndarray) -> Tensor:
        from minigrad.nn.functional import mse_loss
        return mse_loss(outputs, targets)

    def _validation_score(self, model, X: np.ndarray, targets: np.ndarray) -> float:
        return float(r2_score(targets, _forward(model, X)))

    def fit(self, X, y) -> "MinigradRegressor":
        """Train a new network on (X, y) from scratch; returns self."""
        return self._fit(X, y, incremental=False)

    def partial_fit(self, X, y) -> "MinigradRegressor":
        """One more epoch on (X, y), from the current weights and optimizer state.

        Stopping is the caller's business: ``max_epochs`` and ``early_stopping`` do not apply.
        """
        return self._fit(X, y, incremental=True)

    def predict(self, X) -> np.ndarray:
        """Predicted targets: shape (n_samples,) if y was 1-D, else (n_samples, n_outputs)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        outputs = self._outputs(X)
        return outputs[:, 0] if self._y_is_1d else outputs
