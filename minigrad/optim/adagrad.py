"""AdaGrad (torch.optim.Adagrad): per-coordinate steps shrinking with the sum of squared gradients."""
from __future__ import annotations

from typing import Iterable

from minigrad.optim import functional as F
from minigrad.optim.optimizer import Optimizer, check_flag, check_nonnegative


class AdaGrad(Optimizer):
    """AdaGrad (torch.optim.Adagrad, same names and defaults).

    Slides (seeds/002: g_t, s_t, eta, epsilon)      |  here / PyTorch
    ------------------------------------------------+-----------------------------------------
    s_t = s_{t-1} + g_t^2                           |  sum_t = sum_{t-1} + g_t^2
    s_0 = 0 (or 0.1, as Keras)                      |  sum_0 = initial_accumulator_value
    theta_t = theta_{t-1} - eta / sqrt(s_t + eps) g_t  |  p <- p - clr * g_t / (sqrt(sum_t) + eps)
                                                    |  clr = lr / (1 + (t - 1) * lr_decay)

    seeds/003 writes r for the sum and beta for eps, with eps outside the root (PyTorch's form);
    seeds/002 puts eps under the root: ``eps_inside_sqrt=True``. Before all of it: g <- -g if
    ``maximize``; g <- g + weight_decay * p. State per parameter: ``sum``, ``step`` (t).

    NOTE: eps is 1e-10 by default (PyTorch); the slides use 1e-7. Starting from sum_0 = 0
    the first step moves every coordinate by about lr, whatever the gradient's size.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
        eps_inside_sqrt: bool = False,
        flat: bool = True,
    ):
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps,
                        maximize=maximize, eps_inside_sqrt=eps_inside_sqrt)
        super().__init__(params, defaults, flat=flat)

    def _validate(self, group) -> None:
        super()._validate(group)
        check_nonnegative("lr_decay", group["lr_decay"])
        check_nonnegative("weight_decay", group["weight_decay"])
        check_nonnegative("initial_accumulator_value", group["initial_accumulator_value"])
        check_nonnegative("eps", group["eps"])
        check_flag("maximize", group["maximize"])
        check_flag("eps_inside_sqrt", group["eps_inside_sqrt"])

    def _buffers(self, group) -> dict[str, float]:
        return F.adagrad_buffers(group["initial_accumulator_value"])

    def _update(self, param, grad, state, group, scratch) -> None:
        F.adagrad(param, grad, state, lr=group["lr"], lr_decay=group["lr_decay"],
                  weight_decay=group["weight_decay"], eps=group["eps"], maximize=group["maximize"],
                  eps_inside_sqrt=group["eps_inside_sqrt"], scratch=scratch)


Adagrad = AdaGrad  # PyTorch's spelling
