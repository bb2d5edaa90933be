"""NAdam (torch.optim.NAdam): Adam with Nesterov momentum and a warming-up momentum."""
from __future__ import annotations

from typing import Iterable

from minigrad.optim import functional as F
from minigrad.optim.optimizer import Optimizer, as_pair, check_betas, check_flag, check_nonnegative


class NAdam(Optimizer):
    """NAdam (torch.optim.NAdam, same names and defaults), Dozat 2016.

    In the slides' Adam symbols (theta, eta, g_t, m_t, v_t, beta1, beta2, eps), with
    psi = ``momentum_decay``:

        mu_t = beta1 (1 - 0.5 * 0.96^(t psi)),   P_t = mu_1 mu_2 ... mu_t   (state "mu_product")
        m_t = beta1 m_{t-1} + (1 - beta1) g_t,   v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
        v^_t = v_t / (1 - beta2^t)
        theta_t = theta_{t-1} - eta (1 - mu_t) / (1 - P_t) * g_t / (sqrt(v^_t) + eps)
                              - eta mu_{t+1} / (1 - P_t mu_{t+1}) * m_t / (sqrt(v^_t) + eps)

    The Nesterov look-ahead shows as the two terms: this step's gradient, and the momentum
    as it will be after the next step (mu_{t+1}). Before it all: g <- -g if ``maximize``;
    g <- g + weight_decay * theta, or with ``decoupled_weight_decay`` (NAdamW)
    theta <- theta (1 - eta weight_decay).

    NOTE: optax.nadam is another rule (constant momentum, Adam's bias corrections).
    PyTorch keeps mu_product in float32 unless torch's default dtype is float64; here it is
    a Python float, which is PyTorch after ``torch.set_default_dtype(torch.float64)``.
    """

    def __init__(self, params: Iterable, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, maximize: bool = False, flat: bool = True):
        defaults = dict(lr=lr, betas=as_pair(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults, flat=flat)

    def _validate(self, group) -> None:
        super()._validate(group)
        check_betas(group["betas"])
        check_nonnegative("eps", group["eps"])
        check_nonnegative("weight_decay", group["weight_decay"])
        check_nonnegative("momentum_decay", group["momentum_decay"])
        check_flag("decoupled_weight_decay", group["decoupled_weight_decay"])
        check_flag("maximize", group["maximize"])

    def _buffers(self, group) -> dict[str, float]:
        return F.nadam_buffers()

    def _scalars(self, group) -> dict[str, float]:
        return F.nadam_scalars()

    def _update(self, param, grad, state, group, scratch) -> None:
        F.nadam(param, grad, state, lr=group["lr"], betas=group["betas"], eps=group["eps"],
                weight_decay=group["weight_decay"], momentum_decay=group["momentum_decay"],
                decoupled_weight_decay=group["decoupled_weight_decay"], maximize=group["maximize"],
                scratch=scratch)
