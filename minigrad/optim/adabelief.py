"""AdaBelief (optax.adabelief): Adam scaled by how far gradients stray from their average."""
from __future__ import annotations

from typing import Iterable

from minigrad.optim import functional as F
from minigrad.optim.optimizer import Optimizer, as_pair, check_betas, check_flag, check_nonnegative


class AdaBelief(Optimizer):
    """AdaBelief (optax.adabelief, Zhuang et al. 2020); betas = optax's (b1, b2).

    In the slides' Adam symbols (theta, eta, g_t, m_t, beta1 = b1, beta2 = b2, eps):

        m_t = b1 m_{t-1} + (1 - b1) g_t                              (state "exp_avg")
        s_t = b2 s_{t-1} + (1 - b2) (g_t - m_t)^2 + eps_root         (state "exp_avg_var")
        m^_t = m_t / (1 - b1^t),   s^_t = s_t / (1 - b2^t)
        theta_t = theta_{t-1} - eta m^_t / (sqrt(s^_t) + eps)

    Where the gradient is what the average predicted (the "belief"), s_t is small and the
    step large; where it jumps around, the step is small. ``nesterov=True`` replaces m^_t by
    b1 m_t / (1 - b1^(t+1)) + (1 - b1) g_t / (1 - b1^t). Defaults are optax's (eps = eps_root
    = 1e-16; the paper uses eps = 1e-8, eps_root = 0); lr 1e-3 (optax has none).
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-16, eps_root: float = 1e-16, *, nesterov: bool = False, flat: bool = True):
        defaults = dict(lr=lr, betas=as_pair(betas), eps=eps, eps_root=eps_root, nesterov=nesterov)
        super().__init__(params, defaults, flat=flat)

    def _validate(self, group) -> None:
        super()._validate(group)
        check_betas(group["betas"])
        check_nonnegative("eps", group["eps"])
        check_nonnegative("eps_root", group["eps_root"])
        check_flag("nesterov", group["nesterov"])

    def _buffers(self, group) -> dict[str, float]:
        return F.adabelief_buffers()

    def _update(self, param, grad, state, group, scratch) -> None:
        F.adabelief(param, grad, state, lr=group["lr"], betas=group["betas"], eps=group["eps"],
                    eps_root=group["eps_root"], nesterov=group["nesterov"], scratch=scratch)
