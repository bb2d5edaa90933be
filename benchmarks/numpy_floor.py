"""The floor: one MLP training step written by hand in NumPy, as a competent NumPy
programmer would write it for one model — no framework, no graph, no generality.

forward (Linear + ReLU between layers, none after the last), softmax cross-entropy
(mean over the batch), backward, and Adam with PyTorch's update rule and defaults, in
place with ``out=`` and one reused scratch buffer per parameter. float32 throughout.
Whatever minigrad does beyond this is overhead; the benchmark measures how much.

``flat=True`` is the floor's floor: all parameters (and gradients, and Adam's state) live
in one contiguous buffer each, so Adam is eleven NumPy calls for the whole model instead
of eleven per parameter. It is what minigrad's optimizers do; the benchmark shows it as a
second column so that a gain from that trick is not mistaken for a gain over NumPy.
"""
from __future__ import annotations

import numpy as np


class NumpyMLP:
    """An MLP and its Adam state as plain arrays; ``step(X, y)`` trains on one batch.

    ``weights`` is a list of ``(W, b)`` with ``W`` of shape (in, out); they are copied.
    """

    def __init__(self, weights, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, flat: bool = False):
        arrays = [np.asarray(array, dtype=np.float32) for pair in weights for array in pair]
        if flat:
            # Each parameter and gradient is a view into one buffer; Adam runs on the buffers.
            self.flat_params, self.params = _flat_views(arrays)
            self.flat_grads, self.grads = _flat_views([np.zeros_like(a) for a in arrays])
            self.exp_avg = [np.zeros_like(self.flat_params)]
            self.exp_avg_sq = [np.zeros_like(self.flat_params)]
            self.scratch = [np.zeros_like(self.flat_params)]
        else:
            self.params = [array.copy() for array in arrays]
            self.grads = [np.zeros_like(p) for p in self.params]
            self.exp_avg = [np.zeros_like(p) for p in self.params]
            self.exp_avg_sq = [np.zeros_like(p) for p in self.params]
            self.scratch = [np.zeros_like(p) for p in self.params]
        self.flat = flat
        self.lr, self.beta1, self.beta2, self.eps = lr, betas[0], betas[1], eps
        self.steps = 0

    @property
    def layers(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return list(zip(self.params[0::2], self.params[1::2]))

    def loss_and_grads(self, X: np.ndarray, y: np.ndarray) -> float:
        """Forward, softmax cross-entropy and backward; the gradients land in ``self.grads``."""
        activations = [X]
        n_layers = len(self.params) // 2
        for i in range(n_layers):
            h = activations[-1] @ self.params[2 * i]
            h += self.params[2 * i + 1]
            if i < n_layers - 1:
                np.maximum(h, 0, out=h)
            activations.append(h)

        # Softmax cross-entropy, fused: d(loss)/d(logits) = (softmax - onehot) / n.
        logits = activations.pop()
        n = len(y)
        rows = np.arange(n)
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        sums = exp.sum(axis=1, keepdims=True)
        loss = float(np.log(sums).mean() - logits[rows, y].mean())
        exp /= sums
        exp[rows, y] -= 1.0
        exp /= n
        delta = exp

        for i in reversed(range(n_layers)):
            below = activations[i]
            np.matmul(below.T, delta, out=self.grads[2 * i])
            np.sum(delta, axis=0, out=self.grads[2 * i + 1])
            if i > 0:
                delta = delta @ self.params[2 * i].T
                delta *= below > 0  # ReLU's gradient: pass where the unit was active
        return loss

    def adam_step(self) -> None:
        """Adam as PyTorch defines it, p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps), with the
        bias corrections folded into two scalars (numerator and denominator times sqrt(bc2))."""
        self.steps += 1
        beta1, beta2 = self.beta1, self.beta2
        root_bias_correction2 = np.sqrt(1.0 - beta2 ** self.steps)
        step_size = self.lr * root_bias_correction2 / (1.0 - beta1 ** self.steps)
        eps = self.eps * root_bias_correction2
        params, grads = ([self.flat_params], [self.flat_grads]) if self.flat else (self.params, self.grads)
        for p, g, m, v, tmp in zip(params, grads, self.exp_avg, self.exp_avg_sq, self.scratch):
            m *= beta1                          # m <- beta1 m + (1 - beta1) g
            np.multiply(g, 1.0 - beta1, out=tmp)
            m += tmp
            v *= beta2                          # v <- beta2 v + (1 - beta2) g^2
            np.multiply(g, g, out=tmp)
            tmp *= 1.0 - beta2
            v += tmp
            np.sqrt(v, out=tmp)                 # p <- p - step_size m / (sqrt(v) + eps)
            tmp += eps
            np.divide(m, tmp, out=tmp)
            tmp *= step_size
            p -= tmp

    def step(self, X: np.ndarray, y: np.ndarray) -> float:
        """One training step; returns the loss before the update. (The gradients are
        overwritten by the next backward, so there is no zero_grad to do.)"""
        loss = self.loss_and_grads(X, y)
        self.adam_step()
        return loss

    def epoch(self, X: np.ndarray, y: np.ndarray, batch_size: int, rng: np.random.Generator) -> float:
        """One shuffled pass over ``(X, y)`` in mini-batches; returns the last batch's loss."""
        order = rng.permutation(len(X))
        loss = float("nan")
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            loss = self.step(X[batch], y[batch])
        return loss


def _flat_views(arrays: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """One contiguous buffer holding copies of ``arrays``, and a view of it shaped like each."""
    flat = np.concatenate([a.ravel() for a in arrays])
    views, start = [], 0
    for a in arrays:
        views.append(flat[start:start + a.size].reshape(a.shape))
        start += a.size
    return flat, views
