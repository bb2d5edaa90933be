"""Adadelta (torch.optim.Adadelta): RMSProp whose step is the RMS of the past steps."""
from __future__ import annotations

from typing import Iterable

from minigrad.optim import functional as F
from minigrad.optim.optimizer import Optimizer, check_flag, check_nonnegative, check_number


class Adadelta(Optimizer):
    """Adadelta (torch.optim.Adadelta, same names and defaults; optax.adadelta), Zeiler 2012.

    In the slides' RMSProp symbols (s_t, rho, eps; theta, eta, g_t):

        s_t = rho s_{t-1} + (1 - rho) g_t^2                         (state "square_avg")
        d_t = sqrt(u_{t-1} + eps) / sqrt(s_t + eps) * g_t
        u_t = rho u_{t-1} + (1 - rho) d_t^2                         (state "acc_delta")
        theta_t = theta_{t-1} - eta d_t

    The ratio of two roots has the units of theta, so the paper has no learning rate
    (PyTorch's default lr = 1 is that). eps sits under both roots and sets the first steps:
    u_0 = 0 makes d_1 = sqrt(eps) / sqrt(s_1 + eps) * g_1, about sqrt(eps / (1 - rho)) = 3e-3
    with the defaults. Before it all: g <- -g if ``maximize``; g <- g + weight_decay * theta.
    """

    _scratch_arrays = 3

    def __init__(self, params: Iterable, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, *, maximize: bool = False, flat: bool = True):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults, flat=flat)

    def _validate(self, group) -> None:
        super()._validate(group)
        check_number("rho", group["rho"])
        if not 0 <= group["rho"] <= 1:
            raise ValueError(f"Invalid rho: {group['rho']!r} (must be in [0, 1])")
        check_nonnegative("eps", group["eps"])
        check_nonnegative("weight_decay", group["weight_decay"])
        check_flag("maximize", group["maximize"])

    def _buffers(self, group) -> dict[str, float]:
        return F.adadelta_buffers()

    def _update(self, param, grad, state, group, scratch) -> None:
        F.adadelta(param, grad, state, lr=group["lr"], rho=group["rho"], eps=group["eps"],
                   weight_decay=group["weight_decay"], maximize=group["maximize"], scratch=scratch)
