"""Curvature of a model's loss: the top Hessian eigenvalue, along a training run, and slices
of the loss landscape.

Gradient descent on a quadratic diverges when lr > 2 / lambda_max, the largest eigenvalue of
the Hessian. For a network the Hessian changes as it trains; ``top_hessian_eigenvalue`` finds
lambda_max by power iteration on Hessian-vector products (the engine differentiates the
gradient, so H is never formed), and ``curvature_along_training`` records it every few steps
next to 2 / lr. ``loss_landscape`` evaluates the loss on a line or a plane through the
trained weights along random directions, each scaled per filter (per output unit) to the
norm of the weights it moves ("filter normalization"), so the picture does not depend on
how the weights happen to be scaled.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from minigrad.autograd import grad, no_grad
from minigrad.tensor import Tensor

LossFn = Callable[[Tensor, Tensor], Tensor]


def _loss(model, loss_fn: LossFn, inputs, targets) -> Tensor:
    return loss_fn(model(inputs), targets)


def top_hessian_eigenvalue(model, loss_fn: LossFn, inputs, targets, iterations: int = 30,
                           seed: int = 0, tol: float = 1e-6) -> float:
    """lambda_max of the Hessian of ``loss_fn(model(inputs), targets)`` with respect to the
    model's parameters, by power iteration on Hessian-vector products (seeded start).

    Power iteration finds the eigenvalue of largest magnitude; near a minimum that is the
    top curvature. The parameters and their ``.grad`` are not changed.
    """
    if iterations < 1:
        raise ValueError(f"iterations must be at least 1, got {iterations}")
    params = list(model.parameters())
    rng = np.random.default_rng(seed)
    vector = [rng.standard_normal(p.shape) for p in params]
    grads = grad(_loss(model, loss_fn, inputs, targets), params, create_graph=True)
    value = 0.0
    for _ in range(iterations):
        norm = np.sqrt(sum(float((v * v).sum()) for v in vector))
        vector = [(v / norm).astype(p.dtype) for v, p in zip(vector, params)]
        hv = grad(grads, params, grad_outputs=vector, retain_graph=True, allow_unused=True)
        hv = [np.zeros(p.shape) if h is None else h.data.astype(np.float64) for h, p in zip(hv, params)]
        new_value = sum(float((h * v).sum()) for h, v in zip(hv, vector))  # Rayleigh quotient
        vector = hv
        if abs(new_value - value) <= tol * max(abs(new_value), 1e-12):
            return new_value
        value = new_value
    return value


@dataclass
class CurvatureRun:
    """Steps, the training loss and lambda_max at each of them, and the lr used."""

    steps: list[int]
    losses: list[float]
    top_eigenvalues: list[float]
    lr: float

    @property
    def stability_limit(self) -> float:
        """2 / lr: gradient descent is stable along directions with curvature below it."""
        return 2.0 / self.lr

    def __repr__(self) -> str:
        return (f"CurvatureRun({len(self.steps)} measurements, lambda_max {self.top_eigenvalues[-1]:.4g} "
                f"at step {self.steps[-1]}, 2/lr {self.stability_limit:.4g})")


def curvature_along_training(model, optimizer, loss_fn: LossFn, inputs, targets, steps: int,
                             every: int = 10, iterations: int = 20, seed: int = 0) -> CurvatureRun:
    """Train full-batch for ``steps`` steps and measure lambda_max every ``every`` steps (and
    at the start), to put next to 2 / lr: with plain gradient descent the sharpness rises
    until it reaches about 2 / lr and hovers there ("the edge of stability")."""
    if steps < 1 or every < 1:
        raise ValueError(f"steps and every must be at least 1, got steps={steps}, every={every}")
    run = CurvatureRun([], [], [], float(optimizer.param_groups[0]["lr"]))
    for step in range(steps + 1):
        if step % every == 0 or step == steps:
            with no_grad():
                run.losses.append(float(_loss(model, loss_fn, inputs, targets).item()))
            run.steps.append(step)
            run.top_eigenvalues.append(top_hessian_eigenvalue(model, loss_fn, inputs, targets,
                                                              iterations=iterations, seed=seed))
        if step == steps:
            break
        optimizer.zero_grad()
        _loss(model, loss_fn, inputs, targets).backward()
        optimizer.step()
    return run


def plot_curvature(run: CurvatureRun, path=None):
    """lambda_max against the step, with the line 2 / lr, and the loss beside it."""
    from minigrad.lab.figure import new_figure, save_figure

    figure = new_figure(9, 3.6)
    left, right = figure.subplots(1, 2)
    left.plot(run.steps, run.top_eigenvalues, marker="o", color="#1f77b4", label="top Hessian eigenvalue")
    left.axhline(run.stability_limit, color="#d62728", linestyle="--", label=f"2 / lr = {run.stability_limit:.3g}")
    left.set_xlabel("step")
    left.set_ylabel("lambda_max")
    left.legend()
    right.plot(run.steps, run.losses, marker="o", color="#2ca02c")
    right.set_xlabel("step")
    right.set_ylabel("training loss")
    right.set_yscale("log")
    figure.suptitle(f"Sharpness along training (lr = {run.lr:g})")
    if path is not None:
        save_figure(figure, path)
    return figure


def _filter_normalized_direction(params: list, rng: np.random.Generator) -> list[np.ndarray]:
    """A Gaussian direction with each filter (row of a weight, a whole bias) scaled to the
    norm of the same filter of the weights."""
    direction = []
    for p in params:
        d = rng.standard_normal(p.shape)
        w = p.data.astype(np.float64)
        if p.ndim >= 2:
            rows_d = d.reshape(p.shape[0], -1)
            rows_w = w.reshape(p.shape[0], -1)
            scale = np.linalg.norm(rows_w, axis=1) / (np.linalg.norm(rows_d, axis=1) + 1e-12)
            d = (rows_d * scale[:, None]).reshape(p.shape)
        else:
            d = d * np.linalg.norm(w) / (np.linalg.norm(d) + 1e-12)
        direction.append(d)
    return direction


@dataclass
class Landscape:
    """The loss on a grid of ``alphas`` (and ``betas`` for a plane) around the weights."""

    alphas: np.ndarray
    betas: np.ndarray | None
    losses: np.ndarray


def loss_landscape(model, loss_fn: LossFn, inputs, targets, dimensions: int = 1, span: float = 1.0,
                   points: int = 21, seed: int = 0) -> Landscape:
    """The loss at w + a d1 (+ b d2) for a, b in [-span, span], with filter-normalized random
    directions d1, d2 (seeded). The model's weights are restored afterwards, whatever happens."""
    if dimensions not in (1, 2):
        raise ValueError(f"dimensions must be 1 or 2, got {dimensions!r}")
    if points < 2:
        raise ValueError(f"points must be at least 2, got {points}")
    params = list(model.parameters())
    rng = np.random.default_rng(seed)
    directions = [_filter_normalized_direction(params, rng) for _ in range(dimensions)]
    saved = [p.data.copy() for p in params]
    alphas = np.linspace(-span, span, points)
    betas = alphas.copy() if dimensions == 2 else None
    grid = np.empty((points, points) if dimensions == 2 else (points,))
    try:
        with no_grad():
            for index in np.ndindex(grid.shape):
                coefficients = [alphas[index[0]]] + ([betas[index[1]]] if dimensions == 2 else [])
                for p, w, *ds in zip(params, saved, *directions):
                    p.data[...] = w + sum(c * d for c, d in zip(coefficients, ds))
                grid[index] = float(_loss(model, loss_fn, inputs, targets).item())
    finally:
        for p, w in zip(params, saved):
            p.data[...] = w
    return Landscape(alphas, betas, grid)


def plot_landscape(landscape: Landscape, path=None):
    """A line (1-D) or contours (2-D) of the loss around the trained weights (at 0)."""
    from minigrad.lab.figure import new_figure, save_figure

    figure = new_figure(5.5, 4.2)
    axes = figure.subplots()
    if landscape.betas is None:
        axes.plot(landscape.alphas, landscape.losses, color="#1f77b4")
        axes.axvline(0.0, color="#999999", linestyle=":")
        axes.set_xlabel("step along a filter-normalized random direction")
        axes.set_ylabel("loss")
    else:
        grid_a, grid_b = np.meshgrid(landscape.alphas, landscape.betas, indexing="ij")
        contours = axes.contour(grid_a, grid_b, np.log10(landscape.losses), levels=20, cmap="viridis")
        figure.colorbar(contours, ax=axes, label="log10 loss")
        axes.plot([0], [0], marker="*", markersize=12, color="white", markeredgecolor="black")
        axes.set_xlabel("direction 1")
        axes.set_ylabel("direction 2")
    axes.set_title("Loss around the trained weights")
    if path is not None:
        save_figure(figure, path)
    return figure
