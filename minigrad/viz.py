"""Plots: training curves, optimizer comparisons, decision boundaries.

Each function returns its ``Figure`` (a matplotlib Figure that shows itself inline in a
notebook); ``path=`` also writes it to a file, atomically. matplotlib is optional and
imported only inside the functions that draw; figures have their own Agg canvas, which needs
no display and leaves pyplot's global state alone, so drawing works the same on a laptop, in
Jupyter and on a headless CI.
"""
from __future__ import annotations

import os
from typing import Any, Mapping

import numpy as np



def _new_figure(width: float, height: float):
    try:
        from minigrad.lab.figure import new_figure
    except ImportError as error:
        raise ImportError("plotting needs matplotlib: pip install 'minigrad-np[plot]'") from error
    return new_figure(width, height)


def _save(figure, path: str | os.PathLike | None):
    """Write the figure whole or not at all (see ``minigrad.io.atomic_path``) when a path is
    given; return the figure either way."""
    if path is not None:
        from minigrad.lab.figure import save_figure

        save_figure(figure, path, dpi=120)
    return figure


def plot_history(history, path: str | os.PathLike | None = None, title: str = "Training"):
    """Loss (left) and accuracy (right) per epoch of one ``train.History``; returns the Figure
    (also written to ``path`` when one is given)."""
    figure = _new_figure(10, 4)
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    epochs = history.epoch
    loss_axes.plot(epochs, history.train_loss, label="train", color="tab:blue")
    accuracy_axes.plot(epochs, history.train_accuracy, label="train", color="tab:blue")
    if history.val_loss:
        loss_axes.plot(epochs, history.val_loss, label="test", color="tab:orange")
        accuracy_axes.plot(epochs, history.val_accuracy, label="test", color="tab:orange")
    _decorate(loss_axes, "Loss (cross-entropy)", "loss", log=_spans_decades(history.train_loss))
    _decorate(accuracy_axes, "Accuracy", "accuracy")
    figure.suptitle(title)
    return _save(figure, path)


def plot_comparison(histories: Mapping[str, Any], path: str | os.PathLike | None = None,
                    title: str = "Optimizers compared"):
    """Every optimizer's training loss and test accuracy per epoch, on two shared panels.

    ``histories`` maps a label (e.g. ``"Adam lr=0.001"``) to its ``train.History``. Returns
    the Figure (also written to ``path`` when one is given).
    """
    figure = _new_figure(11, 4.2)
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    all_losses = []
    for label, history in histories.items():
        (line,) = loss_axes.plot(history.epoch, history.train_loss, label=label)
        all_losses.extend(history.train_loss)
        accuracy = history.val_accuracy or history.train_accuracy
        accuracy_axes.plot(history.epoch, accuracy, label=label, color=line.get_color())
    has_test = all(h.val_accuracy for h in histories.values())
    _decorate(loss_axes, "Training loss", "loss (cross-entropy)", log=_spans_decades(all_losses))
    _decorate(accuracy_axes, "Test accuracy" if has_test else "Training accuracy", "accuracy")
    figure.suptitle(title)
    return _save(figure, path)


def plot_decision_boundary(model, X: np.ndarray, y: np.ndarray, path: str | os.PathLike | None = None,
                           title: str = "Decision boundary", resolution: int = 300,
                           class_names: list[str] | None = None):
    """The model's predicted class over the plane of 2-D features X, with the samples on top.

    The background colour shows the predicted class; with two classes a black line marks
    where the model gives each probability 0.5. Returns the Figure (also written to
    ``path`` when one is given).
    """
    from minigrad.train import predict_proba

    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"a decision boundary needs 2-D features, got X of shape {X.shape}")
    margin = 0.1 * (X.max(axis=0) - X.min(axis=0)) + 0.1
    low, high = X.min(axis=0) - margin, X.max(axis=0) + margin
    grid_x, grid_y = np.meshgrid(np.linspace(low[0], high[0], resolution),
                                 np.linspace(low[1], high[1], resolution))
    grid = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    probabilities = predict_proba(model, grid)
    n_classes = probabilities.shape[1]
    predicted = probabilities.argmax(axis=1).reshape(grid_x.shape)

    from matplotlib.colors import ListedColormap

    palette = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple",
               "tab:brown", "tab:pink", "tab:gray", "tab:olive", "tab:cyan"][:max(n_classes, 2)]
    figure = _new_figure(6.5, 5.5)
    axes = figure.subplots()
    axes.contourf(grid_x, grid_y, predicted, levels=np.arange(n_classes + 1) - 0.5,
                  cmap=ListedColormap(palette), alpha=0.25)
    if n_classes == 2:
        axes.contour(grid_x, grid_y, probabilities[:, 1].reshape(grid_x.shape), levels=[0.5],
                     colors="black", linewidths=1.2)
    names = class_names or [f"class {k}" for k in range(n_classes)]
    for k in range(n_classes):
        chosen = np.asarray(y) == k
        axes.scatter(X[chosen, 0], X[chosen, 1], s=14, color=palette[k], edgecolor="white",
                     linewidth=0.4, label=names[k])
    axes.set_xlim(low[0], high[0])
    axes.set_ylim(low[1], high[1])
    axes.set_xlabel("feature 1 (standardized)")
    axes.set_ylabel("feature 2 (standardized)")
    axes.set_title(title)
    axes.legend(loc="best", framealpha=0.9)
    return _save(figure, path)


def _decorate(axes, title: str, ylabel: str, log: bool = False) -> None:
    axes.set_title(title)
    axes.set_xlabel("epoch")
    axes.set_ylabel(ylabel)
    if log:
        axes.set_yscale("log")
    axes.grid(True, alpha=0.3)
    axes.legend()


def _spans_decades(values) -> bool:
    """A log scale helps when the loss falls by more than a factor of 30."""
    positive = [v for v in values if v > 0 and np.isfinite(v)]
    return len(positive) > 1 and max(positive) / min(positive) > 30
from minigrad.lab.backprop import backprop_trace, draw_graph, render_graph  # noqa: E402,F401  (the backprop views)
