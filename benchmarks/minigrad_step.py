"""minigrad's side of the benchmark: the same MLP, loss and Adam step, written the way
the README teaches a training step."""
from __future__ import annotations

import numpy as np

import minigrad as mg
from minigrad import nn, optim


def load_weights(model, weights) -> bool:
    """Copy ``(W, b)`` pairs (W of shape (in, out)) into the model's Linear layers, in place.

    The layout of minigrad's Linear weight is read off the first layer (never square in
    the benchmark configurations) and applied to all, so this works for (in, out) and for
    PyTorch's (out, in). Returns True if the layout is (out, in)."""
    params = [p for _, p in model.named_parameters()]
    if len(params) != 2 * len(weights):
        raise ValueError(f"the model has {len(params)} parameters, the weights {2 * len(weights)}")
    first_W = weights[0][0]
    transposed = params[0].shape == first_W.T.shape and params[0].shape != first_W.shape
    for (W, b), weight, bias in zip(weights, params[0::2], params[1::2]):
        weight.data[...] = W.T if transposed else W
        bias.data[...] = b
    return transposed


class MinigradMLP:
    """``nn.MLP`` loaded with the given weights, trained by ``optim.Adam``."""

    def __init__(self, weights, lr: float = 1e-3, optimizer: str = "Adam", **hyper):
        sizes = [weights[0][0].shape[0]] + [W.shape[1] for W, _ in weights]
        self.model = nn.MLP(sizes)
        self.transposed = load_weights(self.model, weights)
        self.optimizer = getattr(optim, optimizer)(self.model.parameters(), lr=lr, **hyper)

    def loss(self, X, y):
        return nn.functional.cross_entropy(self.model(X), y)

    def step(self, X: mg.Tensor, y) -> mg.Tensor:
        """zero_grad, forward, cross-entropy, backward, Adam; returns the loss tensor."""
        self.optimizer.zero_grad()
        loss = nn.functional.cross_entropy(self.model(X), y)
        loss.backward()
        self.optimizer.step()
        return loss

    def epoch(self, loader) -> mg.Tensor:
        """One pass over a ``minigrad.data.DataLoader``; returns the last batch's loss."""
        loss = None
        for xb, yb in loader:
            loss = self.step(mg.Tensor(xb), yb)
        return loss

    def gradients(self) -> list[np.ndarray]:
        """The gradients in the floor's layout: dW as (in, out), then db, per layer."""
        params = [p for _, p in self.model.named_parameters()]
        grads = []
        for weight, bias in zip(params[0::2], params[1::2]):
            grads += [weight.grad.T if self.transposed else weight.grad, bias.grad]
        return grads


OPTIMIZERS = {
    "SGD": dict(lr=0.01),
    "Momentum": dict(lr=0.01),
    "AdaGrad": dict(lr=0.01),
    "RMSProp": dict(lr=0.01),
    "Adam": dict(lr=1e-3),
}
