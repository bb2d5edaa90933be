"""Adamax (torch.optim.Adamax): Adam with an infinity norm in place of the root mean square."""
from __future__ import annotations

from typing import Iterable

from minigrad.optim import functional as F
from minigrad.optim.optimizer import Optimizer, as_pair, check_betas, check_flag, check_nonnegative


class Adamax(Optimizer):
    """Adamax (torch.optim.Adamax, same names and defaults; optax.adamax), Kingma & Ba 2015.

    In the slides' Adam symbols (theta, eta, g_t, m_t, beta1, beta2, eps), v_t becomes u_t:

        m_t = beta1 m_{t-1} + (1 - beta1) g_t                      (state "exp_avg")
        u_t = max(beta2 u_{t-1}, |g_t| + eps)                       (state "exp_inf")
        theta_t = theta_{t-1} - eta / (1 - beta1^t) * m_t / u_t

    u_t needs no bias correction: a maximum is not pulled towards its start value 0.
    Before it all: g <- -g if ``maximize``; g <- g + weight_decay * theta.
    """

    def __init__(self, params: Iterable, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, *, maximize: bool = False, flat: bool = True):
        defaults = dict(lr=lr, betas=as_pair(betas), eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults, flat=flat)

    def _validate(self, group) -> None:
        super()._validate(group)
        check_betas(group["betas"])
        check_nonnegative("eps", group["eps"])
        check_nonnegative("weight_decay", group["weight_decay"])
        check_flag("maximize", group["maximize"])

    def _buffers(self, group) -> dict[str, float]:
        return F.adamax_buffers()

    def _update(self, param, grad, state, group, scratch) -> None:
        F.adamax(param, grad, state, lr=group["lr"], betas=group["betas"], eps=group["eps"],
                 weight_decay=group["weight_decay"], maximize=group["maximize"], scratch=scratch)
