"""Learning-rate schedules: plain functions of the step, and schedulers that write them.

A schedule is a closed-form function ``(base_lr, step, ...) -> lr`` (``step_lr``,
``cosine_annealing_lr``, ...): the lab can plot it, a test can check it, nothing hides in it.
A scheduler object only keeps the step count and writes ``group["lr"]`` of its optimizer
when you call its ``step()``, usually once per epoch, after ``optimizer.step()``:

    sched = StepLR(opt, step_size=10, gamma=0.5)
    for epoch in range(epochs):
        train_one_epoch(opt)
        sched.step()

It does not wrap or count ``optimizer.step()``. Names and arguments are
torch.optim.lr_scheduler's; the step count is ``last_epoch`` as there. Since every lr is a
function of the step alone, two closed-form schedulers on one optimizer do not compose: the
last one to step decides.
"""
from __future__ import annotations

import bisect
import math
import numbers
from typing import Any, Callable, Iterable

from minigrad.optim.optimizer import Optimizer, check_nonnegative, check_number

__all__ = [
    "step_lr", "multistep_lr", "exponential_lr", "exponential_decay_lr", "cosine_annealing_lr",
    "linear_lr",
    "LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "ExponentialDecayLR",
    "CosineAnnealingLR", "LinearLR", "LambdaLR", "ReduceLROnPlateau",
]


# ---- the schedules: closed-form functions of the step ----------------------------------------

def step_lr(base_lr: float, step: int, step_size: int, gamma: float = 0.1) -> float:
    """base_lr * gamma^floor(step / step_size): the slides' "every p iterations divide by k"
    is step_size=p, gamma=1/k."""
    return base_lr * gamma ** (step // step_size)


def multistep_lr(base_lr: float, step: int, milestones: Iterable[int], gamma: float = 0.1) -> float:
    """base_lr * gamma^(number of milestones <= step); milestones sorted ascending."""
    return base_lr * gamma ** bisect.bisect_right(list(milestones), step)


def exponential_lr(base_lr: float, step: int, gamma: float) -> float:
    """base_lr * gamma^step (torch's ExponentialLR: one factor gamma per step)."""
    return base_lr * gamma**step


def exponential_decay_lr(base_lr: float, step: int, decay_rate: float, decay_steps: int,
                         staircase: bool = False) -> float:
    """The slides' smooth decay eta = eta0 * lambda^(s / k) (Keras' ExponentialDecay):
    decay_rate = lambda, decay_steps = k; the exponent is floored when ``staircase``."""
    exponent = step // decay_steps if staircase else step / decay_steps
    return base_lr * decay_rate**exponent


def cosine_annealing_lr(base_lr: float, step: int, T_max: int, eta_min: float = 0.0) -> float:
    """eta_min + (base_lr - eta_min) * (1 + cos(pi * step / T_max)) / 2 (SGDR without restarts)."""
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * step / T_max)) / 2


def linear_lr(base_lr: float, step: int, start_factor: float = 1 / 3, end_factor: float = 1.0,
              total_iters: int = 5) -> float:
    """base_lr times a factor going linearly from start_factor to end_factor over total_iters
    steps, then staying there: linear warmup when start_factor < end_factor = 1."""
    progress = min(step, total_iters) / total_iters
    return base_lr * (start_factor + (end_factor - start_factor) * progress)


# ---- schedulers ----------------------------------------------------------------------------

def _check_group_count(scheduler, per_group: list) -> None:
    """A saved scheduler state must hold one value per param group of this scheduler's optimizer."""
    groups = len(scheduler.optimizer.param_groups)
    if len(per_group) != groups:
        raise ValueError(
            f"this {type(scheduler).__name__} state dict is for {len(per_group)} param groups, "
            f"the optimizer has {groups}"
        )


def _check_positive_int(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"Invalid {name}: {value!r} (must be an integer > 0)")


def _check_nonnegative_int(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"Invalid {name}: {value!r} (must be an integer >= 0)")


class LRScheduler:
    """Base: ``step()`` advances ``last_epoch`` and writes ``lr_at(last_epoch)`` into the groups.

    Made with ``last_epoch=-1`` it records each group's lr as ``initial_lr`` (the base lr) and
    steps once, so the groups hold the step-0 lr. Subclasses define ``lr_at(step)``.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"a scheduler needs an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for number, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"param group {number} has no 'initial_lr'; resuming with last_epoch="
                               f"{last_epoch} needs a group saved after a scheduler was made")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._last_lr: list[float] = []
        self.step()

    def lr_at(self, step: int) -> list[float]:
        """The lr of every group at ``step`` (closed form)."""
        raise NotImplementedError

    def step(self) -> None:
        self.last_epoch += 1
        lrs = self.lr_at(self.last_epoch)
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = list(lrs)

    def get_last_lr(self) -> list[float]:
        """The lr of every group written by the last ``step()``."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer (and functions, which are code, not state)."""
        return {key: value for key, value in self.__dict__.items()
                if key != "optimizer" and not callable(value) and key != "lr_lambdas"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        expected = set(self.state_dict())
        if set(state_dict) != expected:
            raise ValueError(
                f"this {type(self).__name__} state dict has keys {sorted(state_dict)}, expected {sorted(expected)}"
            )
        _check_group_count(self, state_dict["base_lrs"])
        self.__dict__.update({key: (list(v) if isinstance(v, list) else v) for key, v in state_dict.items()})


class StepLR(LRScheduler):
    """lr = base_lr * gamma^(step // step_size) — the slides' step decay: "if i % p == 0:
    eta = eta / k" is StepLR(step_size=p, gamma=1/k)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        _check_positive_int("step_size", step_size)
        check_nonnegative("gamma", gamma)
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: int) -> list[float]:
        return [step_lr(base, step, self.step_size, self.gamma) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """lr = base_lr * gamma^(number of milestones reached)."""

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1, last_epoch: int = -1):
        self.milestones = sorted(milestones)
        for milestone in self.milestones:
            _check_positive_int("milestone", milestone)
        check_nonnegative("gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: int) -> list[float]:
        return [multistep_lr(base, step, self.milestones, self.gamma) for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma^step (one factor gamma per step)."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1):
        check_nonnegative("gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: int) -> list[float]:
        return [exponential_lr(base, step, self.gamma) for base in self.base_lrs]


class ExponentialDecayLR(LRScheduler):
    """The slides' smooth decay eta = eta0 * lambda^(s / k) (Keras' ExponentialDecay), with
    ``decay_rate`` = lambda and ``decay_steps`` = k; ``staircase=True`` floors s / k.
    ExponentialLR(gamma) is the case decay_steps = 1."""

    def __init__(self, optimizer: Optimizer, decay_rate: float, decay_steps: int, staircase: bool = False,
                 last_epoch: int = -1):
        check_nonnegative("decay_rate", decay_rate)
        _check_positive_int("decay_steps", decay_steps)
        self.decay_rate, self.decay_steps, self.staircase = decay_rate, decay_steps, bool(staircase)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: int) -> list[float]:
        return [exponential_decay_lr(base, step, self.decay_rate, self.decay_steps, self.staircase)
                for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * step / T_max)) / 2; past T_max the
    cosine goes on (back up to base_lr at 2 T_max), as in PyTorch."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        _check_positive_int("T_max", T_max)
        check_nonnegative("eta_min", eta_min)
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: int) -> list[float]:
        return [cosine_annealing_lr(base, step, self.T_max, self.eta_min) for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Linear warmup (or decay): lr = base_lr * factor, the factor going linearly from
    ``start_factor`` to ``end_factor`` over ``total_iters`` steps."""

    def __init__(self, optimizer: Optimizer, start_factor: float = 1 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1):
        check_number("start_factor", start_factor)
        check_number("end_factor", end_factor)
        if not 0 < start_factor <= 1:
            raise ValueError(f"Invalid start_factor: {start_factor!r} (must be in (0, 1])")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"Invalid end_factor: {end_factor!r} (must be in [0, 1])")
        _check_positive_int("total_iters", total_iters)
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: int) -> list[float]:
        return [linear_lr(base, step, self.start_factor, self.end_factor, self.total_iters)
                for base in self.base_lrs]


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(step), one function for all groups or one per group.

    The functions are not part of ``state_dict()``: make the scheduler with the same ones.
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
                 last_epoch: int = -1):
        groups = len(optimizer.param_groups)
        lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * groups
        if len(lambdas) != groups:
            raise ValueError(f"LambdaLR got {len(lambdas)} functions for {groups} param groups")
        for function in lambdas:
            if not callable(function):
                raise TypeError(f"lr_lambda must be callable, got {function!r:.60}")
        self.lr_lambdas = lambdas
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: int) -> list[float]:
        return [base * function(step) for base, function in zip(self.base_lrs, self.lr_lambdas)]


class ReduceLROnPlateau:
    """Multiply the lr by ``factor`` when a metric has not improved for ``patience`` steps.

    ``step(metric)`` once per epoch. Improvement in mode "min", threshold_mode "rel": metric <
    best * (1 - threshold) ("abs": metric < best - threshold; mode "max" mirrors it). After a
    cut, ``cooldown`` steps pass before counting bad steps again; lr never goes below
    ``min_lr``, and a cut smaller than ``eps`` is skipped. No closed form: it depends on the
    metrics, so it is the one scheduler with history in its state.
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr: float | list[float] = 0.0, eps: float = 1e-8):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"a scheduler needs an Optimizer, got {type(optimizer).__name__}")
        if mode not in ("min", "max"):
            raise ValueError(f"Invalid mode: {mode!r} (use 'min' or 'max')")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"Invalid threshold_mode: {threshold_mode!r} (use 'rel' or 'abs')")
        check_number("factor", factor)
        if not 0 <= factor < 1:
            raise ValueError(f"Invalid factor: {factor!r} (must be in [0, 1))")
        _check_nonnegative_int("patience", patience)
        _check_nonnegative_int("cooldown", cooldown)
        check_nonnegative("threshold", threshold)
        check_nonnegative("eps", eps)
        groups = len(optimizer.param_groups)
        min_lrs = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * groups
        if len(min_lrs) != groups:
            raise ValueError(f"ReduceLROnPlateau got {len(min_lrs)} min_lr values for {groups} param groups")
        for value in min_lrs:
            check_nonnegative("min_lr", value)
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode, self.cooldown = threshold, threshold_mode, cooldown
        self.min_lrs, self.eps = min_lrs, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def is_better(self, metric: float, best: float) -> bool:
        if self.mode == "min":
            bar = best * (1 - self.threshold) if self.threshold_mode == "rel" else best - self.threshold
            return metric < bar
        bar = best * (1 + self.threshold) if self.threshold_mode == "rel" else best + self.threshold
        return metric > bar

    def step(self, metric: float) -> None:
        current = float(metric)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lr(self) -> None:
        for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
            old = group["lr"]
            new = max(old * self.factor, min_lr)
            if old - new > self.eps:
                group["lr"] = new

    def get_last_lr(self) -> list[float]:
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        expected = set(self.state_dict())
        if set(state_dict) != expected:
            raise ValueError(
                f"this ReduceLROnPlateau state dict has keys {sorted(state_dict)}, expected {sorted(expected)}"
            )
        _check_group_count(self, state_dict["min_lrs"])
        self.__dict__.update(state_dict)
