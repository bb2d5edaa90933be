"""Schedule-free SGD and AdamW (optax.contrib): averaging in place of a learning-rate schedule."""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from minigrad.optim import functional as F
from minigrad.optim.optimizer import (Optimizer, _is_index, as_pair, check_betas, check_nonnegative,
                                      check_unit_interval)


class _ScheduleFree(Optimizer):
    """The averaging and the train/eval switch shared by ScheduleFreeSGD and ScheduleFreeAdamW.

    Gradients are taken at y (what the parameters hold while training); the point to evaluate
    is x, an average of the base optimizer's iterates z. ``eval()`` puts x into the parameters
    (for validation, testing, saving a model to use), ``train()`` puts y back, bit for bit;
    ``step()`` refuses to run in eval mode. ``eval_params()`` gives x without touching the
    parameters. To resume training later, save the model and the optimizer in train mode
    (the state holds z, and y is what the parameters hold then).
    """

    def __init__(self, params: Iterable, defaults: dict[str, Any], flat: bool):
        super().__init__(params, defaults, flat=flat)
        self._held_for_training: dict[int, np.ndarray] | None = None

    def _b1(self, group) -> float:
        raise NotImplementedError

    def _validate(self, group) -> None:
        super()._validate(group)
        check_nonnegative("weight_decay", group["weight_decay"])
        check_nonnegative("weight_lr_power", group["weight_lr_power"])
        if not _is_index(group["warmup_steps"]) or group["warmup_steps"] < 0:
            raise ValueError(f"Invalid warmup_steps: {group['warmup_steps']!r} (must be an integer >= 0)")

    def _scalars(self, group) -> dict[str, float]:
        return F.schedule_free_scalars()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        if self._held_for_training is not None:
            raise RuntimeError(f"{type(self).__name__} is in eval mode (the parameters hold x); "
                               f"call optimizer.train() before step()")
        return super().step(closure)

    def eval_params(self) -> list[np.ndarray]:
        """x for every parameter, in the order of the groups (the parameter itself if it has
        not been stepped yet)."""
        if self._held_for_training is not None:
            return [np.array(p.data, copy=True) for group in self.param_groups for p in group["params"]]
        points = []
        for group in self.param_groups:
            for param in group["params"]:
                state = self.state.get(param)
                points.append(np.array(param.data, copy=True) if state is None
                              else F.schedule_free_eval(param.data, state, self._b1(group)))
        return points

    def eval(self) -> None:
        """Put x into the parameters (keeping y to restore); a no-op in eval mode."""
        if self._held_for_training is not None:
            return
        points = self.eval_params()
        params = [p for group in self.param_groups for p in group["params"]]
        self._held_for_training = {id(p): np.array(p.data, copy=True) for p in params}
        for param, point in zip(params, points):
            param.data[...] = point

    def train(self) -> None:
        """Put y back into the parameters, exactly as it was; a no-op in train mode."""
        if self._held_for_training is None:
            return
        for group in self.param_groups:
            for param in group["params"]:
                param.data[...] = self._held_for_training[id(param)]
        self._held_for_training = None


class ScheduleFreeSGD(_ScheduleFree):
    """Schedule-free SGD (optax.contrib.schedule_free_sgd, Defazio et al. 2024); ``momentum`` is
    optax's b1. No learning-rate schedule is needed: the averaging does its work.

    In the slides' symbols (theta = y, eta, g_t taken at y_{t-1}):

        z_t = z_{t-1} - eta_t (g_t + weight_decay * y_{t-1})          (z_0 = y_0; state "z")
        c_t = w_t / (w_1 + ... + w_t),   w_t = (max_{s<=t} eta_s)^weight_lr_power
        x_t = (1 - c_t) x_{t-1} + c_t z_t                             (x_0 = y_0)
        y_t = momentum x_t + (1 - momentum) z_t

    x_{t-1} is recomputed from y and z as (y - (1 - momentum) z) / momentum, so only z is kept
    (with ``weight_sum`` and ``max_lr``). ``warmup_steps`` ramps eta linearly from 0. Evaluate
    at x: ``eval()`` / ``train()``, or ``eval_params()``. Defaults are optax's.
    """

    def __init__(self, params: Iterable, lr: float = 1.0, momentum: float = 0.9, weight_decay: float = 0.0,
                 warmup_steps: int = 0, weight_lr_power: float = 2.0, *, flat: bool = True):
        defaults = dict(lr=lr, momentum=momentum, weight_decay=weight_decay, warmup_steps=warmup_steps,
                        weight_lr_power=weight_lr_power)
        super().__init__(params, defaults, flat)

    def _b1(self, group) -> float:
        return group["momentum"]

    def _validate(self, group) -> None:
        super()._validate(group)
        check_unit_interval("momentum", group["momentum"])
        if group["momentum"] == 0:
            raise ValueError("Invalid momentum: 0 (schedule-free divides by it to recover x; must be in (0, 1))")

    def _buffers(self, group) -> dict[str, float | str]:
        return F.schedule_free_buffers(adam=False)

    def _update(self, param, grad, state, group, scratch) -> None:
        F.schedule_free_sgd(param, grad, state, lr=group["lr"], momentum=group["momentum"],
                            weight_decay=group["weight_decay"], warmup_steps=group["warmup_steps"],
                            weight_lr_power=group["weight_lr_power"], scratch=scratch)


class ScheduleFreeAdamW(_ScheduleFree):
    """Schedule-free AdamW (optax.contrib.schedule_free_adamw, Defazio et al. 2024); betas =
    optax's (b1, b2). The same averaging as ScheduleFreeSGD around Adam without momentum:

        v_t = b2 v_{t-1} + (1 - b2) g_t^2                             (state "exp_avg_sq")
        z_t = z_{t-1} - eta_t (g_t / (sqrt(v_t / (1 - b2^t)) + eps) + weight_decay * y_{t-1})
        x_t, y_t as in ScheduleFreeSGD with b1 in place of momentum

    Defaults are optax's (lr 2.5e-3).
    """

    _scratch_arrays = 3

    def __init__(self, params: Iterable, lr: float = 2.5e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, warmup_steps: int = 0, weight_lr_power: float = 2.0,
                 *, flat: bool = True):
        defaults = dict(lr=lr, betas=as_pair(betas), eps=eps, weight_decay=weight_decay,
                        warmup_steps=warmup_steps, weight_lr_power=weight_lr_power)
        super().__init__(params, defaults, flat)

    def _b1(self, group) -> float:
        return group["betas"][0]

    def _validate(self, group) -> None:
        super()._validate(group)
        check_betas(group["betas"])
        if group["betas"][0] == 0:
            raise ValueError("Invalid beta1 (betas[0]): 0 (schedule-free divides by it to recover x; "
                             "must be in (0, 1))")
        check_nonnegative("eps", group["eps"])

    def _buffers(self, group) -> dict[str, float | str]:
        return F.schedule_free_buffers(adam=True)

    def _update(self, param, grad, state, group, scratch) -> None:
        F.schedule_free_adamw(param, grad, state, lr=group["lr"], betas=group["betas"], eps=group["eps"],
                              weight_decay=group["weight_decay"], warmup_steps=group["warmup_steps"],
                              weight_lr_power=group["weight_lr_power"], scratch=scratch)
