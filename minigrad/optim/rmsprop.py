"""RMSProp (torch.optim.RMSprop): steps scaled by a moving average of squared gradients."""
from __future__ import annotations

from typing import Iterable

from minigrad.optim import functional as F
from minigrad.optim.optimizer import Optimizer, check_flag, check_nonnegative, check_unit_interval


class RMSProp(Optimizer):
    """RMSProp (torch.optim.RMSprop, same names and defaults).

    Slides (seeds/002: rho, s_t, eta, epsilon)      |  here / PyTorch
    ------------------------------------------------+-----------------------------------------
    s_t = rho * s_{t-1} + (1 - rho) * g_t^2, s_0 = 0 |  square_avg_t = alpha * square_avg_{t-1}
                                                    |                + (1 - alpha) * g_t^2
    theta_t = theta_{t-1} - eta / sqrt(s_t + eps) g_t  |  p <- p - lr * g_t / (sqrt(square_avg_t) + eps)

    rho is ``alpha``; seeds/003 writes r and beta (eps outside the root, PyTorch's form),
    seeds/001 writes g^2_{t+1} and beta_R. ``eps_inside_sqrt=True`` gives seeds/002's form.
    ``centered``: also grad_avg_t = alpha grad_avg_{t-1} + (1 - alpha) g_t, and
    square_avg_t - grad_avg_t^2 replaces square_avg_t (a variance instead of a raw moment).
    ``momentum`` mu: buf_t = mu * buf_{t-1} + g_t / denom (buf_0 = 0), p <- p - lr * buf_t.
    Before all of it: g <- -g if ``maximize``; g <- g + weight_decay * p.
    State per parameter: ``square_avg``, ``momentum_buffer`` (momentum > 0), ``grad_avg``
    (centered), ``step``.

    NOTE: PyTorch's default alpha is 0.99 and eps 1e-8; the slides use rho = 0.9, eps = 1e-7.
    There is no bias correction: the first steps are larger than lr (s_1 = (1 - rho) g_1^2).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
        eps_inside_sqrt: bool = False,
        flat: bool = True,
    ):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered, maximize=maximize, eps_inside_sqrt=eps_inside_sqrt)
        super().__init__(params, defaults, flat=flat)

    def _validate(self, group) -> None:
        super()._validate(group)
        check_unit_interval("alpha", group["alpha"])
        check_nonnegative("eps", group["eps"])
        check_nonnegative("weight_decay", group["weight_decay"])
        check_unit_interval("momentum", group["momentum"])
        for flag in ("centered", "maximize", "eps_inside_sqrt"):
            check_flag(flag, group[flag])

    def _buffers(self, group) -> dict[str, float]:
        return F.rmsprop_buffers(group["momentum"], group["centered"])

    def _update(self, param, grad, state, group, scratch) -> None:
        F.rmsprop(param, grad, state, lr=group["lr"], alpha=group["alpha"], eps=group["eps"],
                  weight_decay=group["weight_decay"], momentum=group["momentum"], centered=group["centered"],
                  maximize=group["maximize"], eps_inside_sqrt=group["eps_inside_sqrt"], scratch=scratch)


RMSprop = RMSProp  # PyTorch's spelling
