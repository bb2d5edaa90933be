"""Lion (optax.lion): the sign of an interpolated momentum, found by program search."""
from __future__ import annotations

from typing import Iterable

from minigrad.optim import functional as F
from minigrad.optim.optimizer import Optimizer, as_pair, check_betas, check_nonnegative


class Lion(Optimizer):
    """Lion, "EvoLved Sign Momentum" (optax.lion, Chen et al. 2023); betas = optax's (b1, b2).

    In the slides' symbols (theta, eta, g_t, m_t):

        c_t = b1 m_{t-1} + (1 - b1) g_t
        theta_t = theta_{t-1} - eta (sign(c_t) + weight_decay * theta_{t-1})
        m_t = b2 m_{t-1} + (1 - b2) g_t                               (state "exp_avg")

    Every coordinate moves by exactly eta (plus the decay): the update has a larger norm than
    Adam's, so lr is usually 3-10x smaller than AdamW's and weight_decay 3-10x larger.
    Defaults: optax's b1, b2 and weight_decay; lr 1e-4 (optax has none; the paper's scale).
    """

    def __init__(self, params: Iterable, lr: float = 1e-4, betas: tuple[float, float] = (0.9, 0.99),
                 weight_decay: float = 1e-3, *, flat: bool = True):
        defaults = dict(lr=lr, betas=as_pair(betas), weight_decay=weight_decay)
        super().__init__(params, defaults, flat=flat)

    def _validate(self, group) -> None:
        super()._validate(group)
        check_betas(group["betas"])
        check_nonnegative("weight_decay", group["weight_decay"])

    def _buffers(self, group) -> dict[str, float]:
        return F.lion_buffers()

    def _update(self, param, grad, state, group, scratch) -> None:
        F.lion(param, grad, state, lr=group["lr"], betas=group["betas"], weight_decay=group["weight_decay"],
               scratch=scratch)
