"""Yogi (optax.yogi): Adam whose second moment moves additively, by the sign of the gap."""
from __future__ import annotations

from typing import Iterable

from minigrad.optim import functional as F
from minigrad.optim.optimizer import Optimizer, as_pair, check_betas, check_nonnegative


class Yogi(Optimizer):
    """Yogi (optax.yogi, Zaheer et al. 2018); betas = optax's (b1, b2).

    In the slides' Adam symbols (theta, eta, g_t, m_t, v_t, beta1 = b1, beta2 = b2, eps):

        m_t = b1 m_{t-1} + (1 - b1) g_t                                (state "exp_avg")
        v_t = v_{t-1} - (1 - b2) sign(v_{t-1} - g_t^2) g_t^2           (state "exp_avg_sq")
        theta_t = theta_{t-1} - eta m^_t / (sqrt(v^_t + eps_root) + eps)  (m^, v^ as Adam's)

    Adam's v_t = v_{t-1} - (1 - b2)(v_{t-1} - g_t^2) can forget a large v quickly when the
    gradients shrink; Yogi's step towards g_t^2 has size (1 - b2) g_t^2 whatever the gap.
    Both moments start at ``initial_accumulator_value`` (optax: 1e-6). Defaults are optax's;
    lr 1e-2 (the paper's; optax has none).
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-3, *, eps_root: float = 0.0, initial_accumulator_value: float = 1e-6,
                 flat: bool = True):
        defaults = dict(lr=lr, betas=as_pair(betas), eps=eps, eps_root=eps_root,
                        initial_accumulator_value=initial_accumulator_value)
        super().__init__(params, defaults, flat=flat)

    def _validate(self, group) -> None:
        super()._validate(group)
        check_betas(group["betas"])
        check_nonnegative("eps", group["eps"])
        check_nonnegative("eps_root", group["eps_root"])
        check_nonnegative("initial_accumulator_value", group["initial_accumulator_value"])

    def _buffers(self, group) -> dict[str, float]:
        return F.yogi_buffers(group["initial_accumulator_value"])

    def _update(self, param, grad, state, group, scratch) -> None:
        F.yogi(param, grad, state, lr=group["lr"], betas=group["betas"], eps=group["eps"],
               eps_root=group["eps_root"], scratch=scratch)
