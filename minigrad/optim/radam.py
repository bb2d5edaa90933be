"""RAdam (torch.optim.RAdam): Adam with its adaptive step rectified while v^ is unreliable."""
from __future__ import annotations

from typing import Iterable

from minigrad.optim import functional as F
from minigrad.optim.optimizer import Optimizer, as_pair, check_betas, check_flag, check_nonnegative


class RAdam(Optimizer):
    """RAdam (torch.optim.RAdam, same names and defaults; optax.radam), Liu et al. 2020.

    In the slides' Adam symbols (theta, eta, g_t, m_t, v_t, beta1, beta2, eps):

        m_t = beta1 m_{t-1} + (1 - beta1) g_t,   v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
        m^_t = m_t / (1 - beta1^t)
        rho_inf = 2 / (1 - beta2) - 1,   rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
        rho_t > 5:  r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                    theta_t = theta_{t-1} - eta r_t m^_t sqrt(1 - beta2^t) / (sqrt(v_t) + eps)
        otherwise:  theta_t = theta_{t-1} - eta m^_t        (momentum SGD, a built-in warmup)

    rho_t is the length of the simple moving average that v_t approximates; with beta2 = 0.999
    the adaptive step starts at t = 6. Before it all: g <- -g if ``maximize``;
    g <- g + weight_decay * theta, or with ``decoupled_weight_decay`` (RAdamW)
    theta <- theta (1 - eta weight_decay).
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, decoupled_weight_decay: bool = False, *,
                 maximize: bool = False, flat: bool = True):
        defaults = dict(lr=lr, betas=as_pair(betas), eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults, flat=flat)

    def _validate(self, group) -> None:
        super()._validate(group)
        check_betas(group["betas"])
        check_nonnegative("eps", group["eps"])
        check_nonnegative("weight_decay", group["weight_decay"])
        check_flag("decoupled_weight_decay", group["decoupled_weight_decay"])
        check_flag("maximize", group["maximize"])

    def _buffers(self, group) -> dict[str, float]:
        return F.radam_buffers()

    def _update(self, param, grad, state, group, scratch) -> None:
        F.radam(param, grad, state, lr=group["lr"], betas=group["betas"], eps=group["eps"],
                weight_decay=group["weight_decay"], decoupled_weight_decay=group["decoupled_weight_decay"],
                maximize=group["maximize"], scratch=scratch)
