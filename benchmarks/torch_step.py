"""The PyTorch CPU eager reference: the same MLP, loss and Adam step as the NumPy floor,
written the way a PyTorch user writes a training step."""
from __future__ import annotations

import numpy as np
import torch


class TorchMLP:
    """``nn.Sequential`` of Linear/ReLU with the given ``(W, b)`` weights (W of shape
    (in, out), transposed into PyTorch's (out, in)), trained by ``torch.optim.Adam``:
    with its defaults (on CPU, a loop over the parameters), or ``fused=True``, one kernel
    for all parameters, which a PyTorch user after speed would ask for."""

    def __init__(self, weights, lr: float = 1e-3, fused: bool = False):
        layers: list[torch.nn.Module] = []
        for W, b in weights:
            linear = torch.nn.Linear(W.shape[0], W.shape[1])
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T)))
                linear.bias.copy_(torch.from_numpy(b))
            layers += [linear, torch.nn.ReLU()]
        self.model = torch.nn.Sequential(*layers[:-1])
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr, **({"fused": True} if fused else {}))

    def loss_and_grads(self, X: torch.Tensor, y: torch.Tensor) -> float:
        self.optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(self.model(X), y)
        loss.backward()
        return loss.item()

    def step(self, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """zero_grad, forward, cross-entropy, backward, Adam; returns the loss tensor
        (not ``.item()``: a PyTorch loop need not synchronise on the loss every step)."""
        self.optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(self.model(X), y)
        loss.backward()
        self.optimizer.step()
        return loss

    def gradients(self) -> list[np.ndarray]:
        """The gradients in the floor's layout: dW as (in, out), then db, per layer."""
        grads = []
        for module in self.model:
            if isinstance(module, torch.nn.Linear):
                grads += [module.weight.grad.numpy().T, module.bias.grad.numpy()]
        return grads


def optimizer_factories() -> dict:
    """torch.optim's counterparts of minigrad's five optimizers, same hyperparameters."""
    return {
        "SGD": lambda params: torch.optim.SGD(params, lr=0.01),
        "Momentum": lambda params: torch.optim.SGD(params, lr=0.01, momentum=0.9),
        "AdaGrad": lambda params: torch.optim.Adagrad(params, lr=0.01),
        "RMSProp": lambda params: torch.optim.RMSprop(params, lr=0.01),
        "Adam": lambda params: torch.optim.Adam(params, lr=1e-3),
    }
