"""A model's loss, accuracy and predictions on data, in eval mode and without a graph."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from minigrad.autograd import no_grad
from minigrad.data.loader import check_class_indices, check_samples
from minigrad.tensor import Tensor

LossFn = Callable[[Tensor, np.ndarray], Tensor]

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
    """(float32 features, int64 class indices), checked as a DataLoader checks them: float
    labels are refused, not truncated into other classes."""
    features = _as_features(X)
    labels = np.asarray(y.data if isinstance(y, Tensor) else y)
    check_samples(features, labels)
    check_class_indices(labels)
    return features, labels.astype(np.int64, copy=False)


def evaluate(model, X: Any, y: Any, loss_fn: LossFn | None = None, batch_size: int | None = None) -> dict[str, float]:
    """Mean loss and accuracy of ``model`` on ``(X, y)``, in eval mode, without recording a graph.

    ``y`` holds integer class indices, one per row of ``X`` (TypeError for float labels).
    """
    features, labels = _as_labelled_samples(X, y)
    loss_fn = loss_fn or _default_loss()
    logits = _logits(model, features, batch_size)
    with no_grad():
        loss = float(loss_fn(Tensor(logits), labels).data)
    accuracy = float((logits.argmax(axis=1) == labels).mean())
    return {"loss": loss, "accuracy": accuracy}


def predict(model, X: Any, batch_size: int | None = None) -> np.ndarray:
    """The predicted class index of each row of X (int64)."""
    return _logits(model, _as_features(X), batch_size).argmax(axis=1).astype(np.int64)


def predict_proba(model, X: Any, batch_size: int | None = None) -> np.ndarray:
    """Class probabilities (the softmax of the model's outputs), one row per sample."""
    logits = _logits(model, _as_features(X), batch_size).astype(np.float64)
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)
