"""A model's loss, accuracy and predictions on data, in eval mode and without a graph."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from minigrad.autograd import no_grad
from minigrad.data.loader import check_samples, is_class_indices
from minigrad.tensor import Tensor

LossFn = Callable[[Tensor, Any], Tensor]  # (model outputs, targets: a Tensor or an array) -> loss

def _default_loss() -> LossFn:
    from minigrad.nn.functional import cross_entropy
    return cross_entropy


def _logits(model, X: np.ndarray, batch_size: int | None) -> np.ndarray:
    """The model's outputs on X in eval mode without a graph; the train/eval mode is restored."""
    was_training = getattr(model, "training", True)
    model.eval()
    try:
        with no_grad():
            if batch_size is None or batch_size >= len(X):
                return model(Tensor(X)).data
            return np.concatenate([model(Tensor(X[i:i + batch_size])).data for i in range(0, len(X), batch_size)])
    finally:
        if was_training:
            model.train()


def _as_features(X: Any) -> np.ndarray:
    features = np.ascontiguousarray(X.data if isinstance(X, Tensor) else X, dtype=np.float32)
    check_samples(features)
    return features


def _as_labelled_samples(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """(float32 features, targets), checked: integer labels become int64 class indices (one
    per sample), float ones stay float targets (regression, one row per sample)."""
    features = _as_features(X)
    targets = np.asarray(y.data if isinstance(y, Tensor) else y)
    if targets.dtype.kind not in "iubf":
        raise TypeError(f"y must hold integer class indices or float targets, got dtype {targets.dtype}")
    if is_class_indices(targets):
        check_samples(features, targets)
        return features, targets.astype(np.int64, copy=False)
    if targets.ndim == 0 or len(targets) != len(features):
        raise ValueError(f"X and y must have the same number of samples, got X of shape {features.shape} "
                         f"and y of shape {targets.shape}")
    return features, targets


def evaluate(model, X: Any, y: Any, loss_fn: LossFn | None = None, batch_size: int | None = None) -> dict[str, float]:
    """Mean loss and accuracy of ``model`` on ``(X, y)``, in eval mode, without recording a graph.

    ``y`` holds integer class indices, one per row of ``X``: the result is ``{"loss": ...,
    "accuracy": ...}``. Float targets (regression, with e.g. ``loss_fn=mse_loss``) give the
    loss only: accuracy has no meaning for them.
    """
    features, targets = _as_labelled_samples(X, y)
    if loss_fn is None:
        _check_default_loss_targets(targets, "y's")
    loss_fn = loss_fn or _default_loss()
    logits = _logits(model, features, batch_size)
    with no_grad():
        loss = float(loss_fn(Tensor(logits), targets).data)
    if not is_class_indices(targets):
        return {"loss": loss}
    accuracy = float((logits.argmax(axis=1) == targets).mean())
    return {"loss": loss, "accuracy": accuracy}


def check_targets(loss_fn: LossFn | None, loader: Any, val_targets: np.ndarray | None,
                  monitor: str | None) -> None:
    """Before ``fit``'s first step, the targets against what needs class indices: the
    default loss (cross-entropy) and an early stopping that watches an accuracy. The
    loader's targets are known when it holds a TensorDataset (its last tensor)."""
    train_targets = _loader_targets(loader)
    if loss_fn is None:
        for part, targets in (("the loader's", train_targets), ("val_data's", val_targets)):
            _check_default_loss_targets(targets, part)
    watched = {"val_accuracy": val_targets, "train_accuracy": train_targets}.get(monitor)
    if watched is not None and not is_class_indices(watched):
        part = "val_data's" if monitor == "val_accuracy" else "the loader's"
        raise ValueError(f"early stopping monitors {monitor!r}, but {part} targets are {watched.dtype}, not class "
                         f"indices: accuracy has no meaning for them; monitor "
                         f"{monitor.replace('accuracy', 'loss')!r}")


def _check_default_loss_targets(targets: np.ndarray | None, part: str) -> None:
    """The default loss, cross-entropy, takes integer class indices (or probabilities of the
    outputs' shape): 1-D float labels are refused before any work, naming their dtype."""
    if targets is not None and not is_class_indices(targets) and targets.ndim == 1:
        raise TypeError(f"the default loss is cross-entropy, which needs integer class indices, but {part} "
                        f"targets are {targets.dtype}: for regression pass a loss_fn (e.g. "
                        f"nn.functional.mse_loss), for classes integer labels")


def _loader_targets(loader: Any) -> np.ndarray | None:
    from minigrad.data import TensorDataset

    dataset = getattr(loader, "dataset", None)
    if isinstance(dataset, TensorDataset) and len(dataset.tensors) >= 2:
        return dataset.tensors[-1].data
    return None


def predict(model, X: Any, batch_size: int | None = None) -> np.ndarray:
    """The predicted class index of each row of X (int64)."""
    return _logits(model, _as_features(X), batch_size).argmax(axis=1).astype(np.int64)


def predict_proba(model, X: Any, batch_size: int | None = None) -> np.ndarray:
    """Class probabilities (the softmax of the model's outputs), one row per sample."""
    logits = _logits(model, _as_features(X), batch_size).astype(np.float64)
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)
