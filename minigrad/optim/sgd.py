"""SGD with optional momentum (torch.optim.SGD), and Momentum: SGD with momentum 0.9."""
from __future__ import annotations

from typing import Iterable

from minigrad.optim import functional as F
from minigrad.optim.optimizer import Optimizer, check_flag, check_nonnegative, check_unit_interval


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum (torch.optim.SGD, same names/defaults).

    Slides (theta, eta, g_t = dL/dtheta)         |  here / PyTorch
    ----------------------------------------------+---------------------------------------------
    theta_t = theta_{t-1} - eta * g_t             |  p <- p - lr * g
    v_t = m * v_{t-1} - eta * g_t,                |  buf_1 = g_1,
    theta_t = theta_{t-1} + v_t   (v_0 = 0)       |  buf_t = momentum * buf_{t-1} + (1 - dampening) * g_t,
                                                  |  p <- p - lr * buf_t     (v_t = -lr * buf_t)
    V_t = beta * V_{t-1} + (1 - beta) * g_t,      |  ema=True: buf_0 = 0,
    theta_t = theta_{t-1} - eta * V_t             |  buf_t = momentum * buf_{t-1} + (1 - momentum) * g_t
    (EMA momentum, seeds/001 and /002)            |

    Before all of it: g <- -g if ``maximize``; g <- g + weight_decay * p (L2). With
    ``nesterov`` the step direction is g_t + momentum * buf_t instead of buf_t.
    State per parameter: ``momentum_buffer`` (buf, the velocity; only with momentum), ``step``.

    NOTE: PyTorch's buffer starts as the first gradient, undamped, so ``dampening=momentum``
    is *not* the slides' EMA form (its first step is (1 - beta) times smaller there): use
    ``ema=True``. The slides' v_t = m v_{t-1} - eta g_t equals PyTorch's rule while lr is
    constant; under a schedule they differ (PyTorch scales the whole buffer by today's lr).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        ema: bool = False,
        flat: bool = True,
    ):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, ema=ema)
        super().__init__(params, defaults, flat=flat)

    def _validate(self, group) -> None:
        super()._validate(group)
        check_unit_interval("momentum", group["momentum"])
        check_nonnegative("dampening", group["dampening"])
        check_nonnegative("weight_decay", group["weight_decay"])
        for flag in ("nesterov", "maximize", "ema"):
            check_flag(flag, group[flag])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"Nesterov momentum requires momentum > 0 and dampening = 0, got momentum="
                f"{group['momentum']!r}, dampening={group['dampening']!r}"
            )
        if group["ema"] and group["momentum"] <= 0:
            raise ValueError(f"ema=True (the slides' EMA momentum) requires momentum > 0, got {group['momentum']!r}")
        if group["ema"] and group["dampening"] != 0:
            raise ValueError(
                f"ema=True already weights the gradient by (1 - momentum); it ignores dampening, so "
                f"dampening must stay 0, got dampening={group['dampening']!r}"
            )

    _scratch_arrays = 1  # the effective gradient (or Nesterov's direction)

    def _buffers(self, group) -> dict[str, float]:
        return F.sgd_buffers(group["momentum"])

    def _blocks_pay(self, group) -> bool:
        # Plain SGD is one pass (BLAS axpy) and momentum three: on 1M numbers blocks cost more
        # in Python calls than they save in memory traffic; the longer rules gain a little.
        return group["nesterov"] or group["weight_decay"] != 0 or group["maximize"]

    def _update(self, param, grad, state, group, scratch) -> None:
        F.sgd(param, grad, state, lr=group["lr"], momentum=group["momentum"], dampening=group["dampening"],
              nesterov=group["nesterov"], weight_decay=group["weight_decay"], maximize=group["maximize"],
              ema=group["ema"], scratch=scratch)


class Momentum(SGD):
    """SGD with momentum, 0.9 by default: ``Momentum(params, lr, momentum=0.9, ...)``.

    Exactly ``SGD(params, lr, momentum=0.9, ...)``; see SGD for the equations and the
    ``ema=True`` option (the slides' v <- beta v + (1 - beta) g from v = 0).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        momentum: float = 0.9,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        ema: bool = False,
        flat: bool = True,
    ):
        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                         nesterov=nesterov, maximize=maximize, ema=ema, flat=flat)
