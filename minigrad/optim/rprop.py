"""Rprop (torch.optim.Rprop): a step size per coordinate, moved by the sign of the gradient."""
from __future__ import annotations

from typing import Iterable

from minigrad.optim import functional as F
from minigrad.optim.optimizer import Optimizer, as_pair, check_flag, check_nonnegative, check_number, check_pair


class Rprop(Optimizer):
    """Rprop (torch.optim.Rprop, same names and defaults; optax.rprop), Riedmiller & Braun 1993.

    etas = (eta-, eta+), step_sizes = (Delta_min, Delta_max); theta, g_t as in the slides:

        s = sign(g_t * g_{t-1})                                      (state "prev": g_{t-1})
        Delta_t = clip(Delta_{t-1} * (eta+ if s > 0, eta- if s < 0, 1 if s = 0),
                       Delta_min, Delta_max)                         (state "step_size")
        s < 0:  g_t <- 0   (the sign flipped: the last step overshot; skip this one)
        theta_t = theta_{t-1} - sign(g_t) * Delta_t

    Only signs are used, so the size of the gradient does not matter: made for full-batch
    training (on mini-batches the signs are noisy). ``lr`` is Delta_0, the first step size of
    every coordinate; changing it later does nothing. Before it all: g <- -g if ``maximize``.
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50.0), *, maximize: bool = False, flat: bool = True):
        defaults = dict(lr=lr, etas=as_pair(etas), step_sizes=as_pair(step_sizes), maximize=maximize)
        super().__init__(params, defaults, flat=flat)

    def _validate(self, group) -> None:
        super()._validate(group)
        etas, step_sizes = group["etas"], group["step_sizes"]
        check_pair("etas", etas)
        check_number("eta_minus (etas[0])", etas[0])
        check_number("eta_plus (etas[1])", etas[1])
        if not 0 < etas[0] < 1 < etas[1]:
            raise ValueError(f"Invalid etas: {etas!r} (need 0 < eta_minus < 1 < eta_plus)")
        check_pair("step_sizes", step_sizes)
        check_nonnegative("step_size_min (step_sizes[0])", step_sizes[0])
        check_number("step_size_max (step_sizes[1])", step_sizes[1])
        if not step_sizes[0] <= step_sizes[1]:
            raise ValueError(f"Invalid step_sizes: {step_sizes!r} (need step_size_min <= step_size_max)")
        check_flag("maximize", group["maximize"])

    def _buffers(self, group) -> dict[str, float]:
        return F.rprop_buffers(group["lr"])

    def _update(self, param, grad, state, group, scratch) -> None:
        F.rprop(param, grad, state, lr=group["lr"], etas=group["etas"], step_sizes=group["step_sizes"],
                maximize=group["maximize"], scratch=scratch)
