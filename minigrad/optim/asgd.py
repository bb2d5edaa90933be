"""ASGD (torch.optim.ASGD): SGD with a decaying step and the running average of its iterates."""
from __future__ import annotations

from typing import Iterable

from minigrad.optim import functional as F
from minigrad.optim.optimizer import Optimizer, check_flag, check_nonnegative


class ASGD(Optimizer):
    """Averaged SGD (torch.optim.ASGD, same names and defaults), Polyak & Juditsky 1992.

    theta, eta, g_t as in the slides; ``lambd`` is lambda, ``alpha`` the decay power:

        theta_t = theta_{t-1} (1 - lambda eta_t) - eta_t g_t         (state "eta": eta_t)
        a_t = a_{t-1} + mu_t (theta_t - a_{t-1})                     (state "ax", "mu")
        eta_{t+1} = lr / (1 + lambda lr t)^alpha,   mu_{t+1} = 1 / max(1, t - t0)

    Until step t0 (1e6 by default) a_t is just theta_t; after it, a_t is the mean of the
    iterates since t0, which converges faster than the iterates themselves. The parameters
    keep following SGD: evaluate with ``state[p]["ax"]`` copied in. Before it all:
    g <- -g if ``maximize``; g <- g + weight_decay * theta.

    NOTE: PyTorch stores eta and mu in float32 unless torch's default dtype is float64; here
    they are Python floats, as PyTorch after ``torch.set_default_dtype(torch.float64)``.
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0.0, *, maximize: bool = False, flat: bool = True):
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults, flat=flat)

    def _validate(self, group) -> None:
        super()._validate(group)
        check_nonnegative("lambd", group["lambd"])
        check_nonnegative("alpha", group["alpha"])
        check_nonnegative("t0", group["t0"])
        check_nonnegative("weight_decay", group["weight_decay"])
        check_flag("maximize", group["maximize"])

    def _buffers(self, group) -> dict[str, float]:
        return F.asgd_buffers()

    def _scalars(self, group) -> dict[str, float]:
        return F.asgd_scalars(group["lr"])

    def _update(self, param, grad, state, group, scratch) -> None:
        F.asgd(param, grad, state, lr=group["lr"], lambd=group["lambd"], alpha=group["alpha"], t0=group["t0"],
               weight_decay=group["weight_decay"], maximize=group["maximize"], scratch=scratch)
