"""Learning-rate schedules: plain functions of the step, and schedulers that write them.

A schedule is a closed-form function ``(base_lr, step, ...) -> lr`` (``step_lr``,
``cosine_annealing_lr``, ``one_cycle_lr``, ...): the lab can plot it, a test can check it,
nothing hides in it. A scheduler object only keeps the step count and writes ``group["lr"]``
(and, for CyclicLR and OneCycleLR, the momentum) of its optimizer when you call its
``step()``, after ``optimizer.step()``: once per epoch for most, once per batch for the
cyclical ones (CyclicLR, OneCycleLR, usually CosineAnnealingWarmRestarts), as in PyTorch:

    sched = StepLR(opt, step_size=10, gamma=0.5)
    for epoch in range(epochs):
        train_one_epoch(opt)
        sched.step()

It does not wrap or count ``optimizer.step()``. Names and arguments are
torch.optim.lr_scheduler's; the step count is ``last_epoch`` as there. Since every lr is a
function of the step alone, two schedulers stepped on one optimizer do not compose (the last
one to step decides): compose them with ``ChainedScheduler`` (a product of factors) or
``SequentialLR`` (one after the other).

PyTorch computes most of its lrs recursively (lr_t from lr_{t-1}); the closed forms here give
the same sequences up to the rounding of that recursion (about 1e-16 per step).
"""
from __future__ import annotations

import bisect
import math
import numbers
from typing import Any, Callable, Iterable

from minigrad.optim.optimizer import Optimizer, check_nonnegative, check_number

__all__ = [
    "step_lr", "multistep_lr", "exponential_lr", "exponential_decay_lr", "cosine_annealing_lr",
    "linear_lr", "constant_lr", "polynomial_lr", "multiplicative_lr", "cosine_annealing_warm_restarts_lr",
    "cyclic_lr", "cyclic_momentum", "one_cycle_lr", "one_cycle_momentum",
    "LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "ExponentialDecayLR",
    "CosineAnnealingLR", "LinearLR", "LambdaLR", "ReduceLROnPlateau",
    "ConstantLR", "PolynomialLR", "MultiplicativeLR", "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR",
    "SequentialLR", "ChainedScheduler",
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


def constant_lr(base_lr: float, step: int, factor: float = 1 / 3, total_iters: int = 5) -> float:
    """base_lr * factor for the first total_iters steps, then base_lr (a warmup at a constant
    fraction)."""
    return base_lr * (factor + (step >= total_iters) * (1 - factor))


def polynomial_lr(base_lr: float, step: int, total_iters: int = 5, power: float = 1.0) -> float:
    """base_lr * (1 - min(step, total_iters) / total_iters)^power: to 0 at total_iters."""
    return base_lr * (1.0 - min(total_iters, step) / total_iters) ** power


def multiplicative_lr(base_lr: float, step: int, lr_lambda: Callable[[int], float]) -> float:
    """base_lr * lr_lambda(1) * ... * lr_lambda(step), multiplied in that order (as PyTorch's
    recursion does)."""
    lr = base_lr
    for s in range(1, step + 1):
        lr = lr * lr_lambda(s)
    return lr


def _warm_restart_position(step: float, T_0: int, T_mult: int = 1) -> tuple[float, int]:
    """(T_cur, T_i): the steps since the last restart and the length of the current cycle."""
    if step < T_0:
        return step, T_0
    if T_mult == 1:
        return step % T_0, T_0
    if float(step).is_integer():  # exact integer arithmetic, as PyTorch's step-by-step count
        T_cur, T_i = int(step), T_0
        while T_cur >= T_i:
            T_cur, T_i = T_cur - T_i, T_i * T_mult
        return T_cur, T_i
    n = int(math.log(step / T_0 * (T_mult - 1) + 1, T_mult))  # a fractional epoch: PyTorch's formula
    return step - T_0 * (T_mult**n - 1) / (T_mult - 1), T_0 * T_mult**n


def cosine_annealing_warm_restarts_lr(base_lr: float, step: float, T_0: int, T_mult: int = 1,
                                      eta_min: float = 0.0) -> float:
    """SGDR: a cosine from base_lr down to eta_min over T_0 steps, then again from base_lr over
    T_0 * T_mult steps, and so on. ``step`` may be fractional (an epoch plus a batch fraction)."""
    T_cur, T_i = _warm_restart_position(step, T_0, T_mult)
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * T_cur / T_i)) / 2


_CYCLIC_MODES = ("triangular", "triangular2", "exp_range")


def _cyclic_position(step: int, step_size_up: float, step_size_down: float | None) -> tuple[int, float]:
    """(cycle number from 1, how far up the triangle: 0 at the ends, 1 at the top)."""
    step_size_up = float(step_size_up)
    step_size_down = float(step_size_down) if step_size_down is not None else step_size_up
    total_size = step_size_up + step_size_down
    step_ratio = step_size_up / total_size
    cycle = math.floor(1 + step / total_size)
    x = 1.0 + step / total_size - cycle
    height = x / step_ratio if x <= step_ratio else (x - 1) / (step_ratio - 1)
    return cycle, height


def _cyclic_scale(step: int, cycle: int, mode: str, gamma: float, scale_fn, scale_mode: str) -> float:
    if scale_fn is None:
        if mode == "triangular":
            return 1.0
        if mode == "triangular2":
            return 1 / (2.0 ** (cycle - 1))
        return gamma**step  # exp_range scales by iterations
    return scale_fn(cycle if scale_mode == "cycle" else step)


def cyclic_lr(base_lr: float, max_lr: float, step: int, step_size_up: int = 2000, step_size_down: int | None = None,
              mode: str = "triangular", gamma: float = 1.0, scale_fn: Callable[[float], float] | None = None,
              scale_mode: str = "cycle") -> float:
    """Triangles between base_lr and max_lr (Smith 2017): up over step_size_up steps, down over
    step_size_down (default the same). The height is scaled by 1 ("triangular"), 1/2^(cycle-1)
    ("triangular2"), gamma^step ("exp_range"), or ``scale_fn`` of the cycle number (from 1) or
    of the step, as ``scale_mode`` says."""
    cycle, height = _cyclic_position(step, step_size_up, step_size_down)
    return base_lr + (max_lr - base_lr) * height * _cyclic_scale(step, cycle, mode, gamma, scale_fn, scale_mode)


def cyclic_momentum(base_momentum: float, max_momentum: float, step: int, step_size_up: int = 2000,
                    step_size_down: int | None = None, mode: str = "triangular", gamma: float = 1.0,
                    scale_fn: Callable[[float], float] | None = None, scale_mode: str = "cycle") -> float:
    """The momentum CyclicLR pairs with ``cyclic_lr``: down from max_momentum while the lr goes up."""
    cycle, height = _cyclic_position(step, step_size_up, step_size_down)
    return max_momentum - (max_momentum - base_momentum) * height * _cyclic_scale(step, cycle, mode, gamma,
                                                                                    scale_fn, scale_mode)


def _one_cycle_phases(total_steps: int, pct_start: float, three_phase: bool) -> list[tuple[float, str, str, str, str]]:
    """(end step, start lr, end lr, start momentum, end momentum) of each phase."""
    if three_phase:
        return [(float(pct_start * total_steps) - 1, "initial", "max", "max", "base"),
                (float(2 * pct_start * total_steps) - 2, "max", "initial", "base", "max"),
                (total_steps - 1, "initial", "min", "max", "max")]
    return [(float(pct_start * total_steps) - 1, "initial", "max", "max", "base"),
            (total_steps - 1, "max", "min", "base", "max")]


def _anneal(start: float, end: float, pct: float, strategy: str) -> float:
    if strategy == "cos":
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
    return (end - start) * pct + start


def _one_cycle(step: int, values: dict[str, float], which: int, total_steps: int, pct_start: float,
               anneal_strategy: str, three_phase: bool) -> float:
    start_step = 0.0
    phases = _one_cycle_phases(total_steps, pct_start, three_phase)
    for number, phase in enumerate(phases):
        end_step = phase[0]
        if step <= end_step or number == len(phases) - 1:
            pct = (step - start_step) / (end_step - start_step)
            return _anneal(values[phase[which]], values[phase[which + 1]], pct, anneal_strategy)
        start_step = end_step
    raise AssertionError("unreachable: the last phase always answers")


def one_cycle_lr(max_lr: float, step: int, total_steps: int, pct_start: float = 0.3, anneal_strategy: str = "cos",
                 div_factor: float = 25.0, final_div_factor: float = 1e4, three_phase: bool = False) -> float:
    """The 1cycle policy (Smith & Topin 2018): from max_lr / div_factor up to max_lr over the
    first pct_start of total_steps, then down to max_lr / div_factor / final_div_factor,
    annealing by a cosine ("cos") or linearly. ``three_phase``: up, back down to the start,
    then down to the minimum."""
    initial = max_lr / div_factor
    values = {"initial": initial, "max": max_lr, "min": initial / final_div_factor}
    return _one_cycle(step, values, 1, total_steps, pct_start, anneal_strategy, three_phase)


def one_cycle_momentum(base_momentum: float, max_momentum: float, step: int, total_steps: int,
                       pct_start: float = 0.3, anneal_strategy: str = "cos", three_phase: bool = False) -> float:
    """The momentum OneCycleLR pairs with ``one_cycle_lr``: down while the lr goes up."""
    values = {"base": base_momentum, "max": max_momentum}
    return _one_cycle(step, values, 3, total_steps, pct_start, anneal_strategy, three_phase)


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


def _per_group(name: str, optimizer: Optimizer, value: Any) -> list[float]:
    """One real number per param group: the value given, or one for each group."""
    groups = len(optimizer.param_groups)
    values = list(value) if isinstance(value, (list, tuple)) else [value] * groups
    if len(values) != groups:
        raise ValueError(f"{name} has {len(values)} values for {groups} param groups")
    for item in values:
        check_number(name, item)
    return values


def _momentum_key(optimizer: Optimizer, scheduler: str) -> str:
    """'betas' or 'momentum': what a momentum-cycling scheduler writes (beta1 or momentum)."""
    if "betas" in optimizer.defaults:
        return "betas"
    if "momentum" in optimizer.defaults:
        return "momentum"
    raise ValueError(
        f"{scheduler} with cycle_momentum=True needs an optimizer with momentum or betas; "
        f"{type(optimizer).__name__} has neither (it has {sorted(optimizer.defaults)}): "
        f"pass cycle_momentum=False"
    )


def _set_momentum(group: dict, key: str, momentum: float) -> None:
    if key == "betas":
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


class LRScheduler:
    """Base: ``step()`` advances ``last_epoch`` and writes ``lr_at(last_epoch)`` into the groups.

    Made with ``last_epoch=-1`` it records each group's lr as ``initial_lr`` (the base lr) and
    steps once, so the groups hold the step-0 lr. Subclasses define ``lr_at(step)``; those
    whose lr is the base lr times a factor of the step (``multiplicative``) also define
    ``factors_at(step)``, which ``ChainedScheduler`` multiplies. ``momenta_at(step)`` is the
    momentum to write too (CyclicLR, OneCycleLR), or None.
    """

    multiplicative = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1, base_lrs: list[float] | None = None):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"a scheduler needs an Optimizer, got {type(optimizer).__name__}")
        if isinstance(last_epoch, bool) or not isinstance(last_epoch, numbers.Integral) or last_epoch < -1:
            raise ValueError(f"Invalid last_epoch: {last_epoch!r} (must be an integer >= -1)")
        for number, group in enumerate(optimizer.param_groups):
            if last_epoch != -1 and "initial_lr" not in group:
                raise KeyError(f"param group {number} has no 'initial_lr'; resuming with last_epoch="
                               f"{last_epoch} needs a group saved after a scheduler was made")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        self.base_lrs = list(base_lrs) if base_lrs is not None else [g["initial_lr"] for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._last_lr: list[float] = []
        self.step()

    def lr_at(self, step: int) -> list[float]:
        """The lr of every group at ``step`` (closed form)."""
        if self.multiplicative:
            return [base * factor for base, factor in zip(self.base_lrs, self.factors_at(step))]
        raise NotImplementedError

    def factors_at(self, step: int) -> list[float]:
        """lr / base_lr of every group at ``step`` (multiplicative schedulers only)."""
        raise NotImplementedError

    def momenta_at(self, step: int) -> list[float] | None:
        """The momentum (or beta1) of every group at ``step``, for schedulers that cycle it."""
        return None

    def step(self) -> None:
        """Advance one step and write its lr (computed first: if that fails, nothing changes)."""
        step = self.last_epoch + 1
        lrs, momenta = self.lr_at(step), self.momenta_at(step)
        self.last_epoch = step
        self._write(lrs, momenta)

    def _write(self, lrs: list[float], momenta: list[float] | None = None) -> None:
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        if momenta is not None:
            for group, momentum in zip(self.optimizer.param_groups, momenta):
                _set_momentum(group, self.momentum_key, momentum)
        self._last_lr = list(lrs)

    def restarted_lrs(self, step: int, previous_lrs: Callable[[], list[float]]) -> list[float]:
        """The lr ``step`` steps after SequentialLR started this scheduler; ``previous_lrs()``
        is the lr just before (PyTorch restarts a scheduler at its closed form for step 0)."""
        return self.lr_at(step)

    def get_last_lr(self) -> list[float]:
        """The lr of every group written by the last ``step()``."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer (and functions, which are code, not state)."""
        return {key: value for key, value in self.__dict__.items()
                if key != "optimizer" and not callable(value) and key != "lr_lambdas"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        expected = set(self.state_dict())
        if not isinstance(state_dict, dict) or set(state_dict) != expected:
            keys = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"this {type(self).__name__} state dict has keys {keys}, expected {sorted(expected)}")
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

    multiplicative = True

    def lr_at(self, step: int) -> list[float]:
        return [step_lr(base, step, self.step_size, self.gamma) for base in self.base_lrs]

    def factors_at(self, step: int) -> list[float]:
        return [step_lr(1.0, step, self.step_size, self.gamma)] * len(self.base_lrs)


class MultiStepLR(LRScheduler):
    """lr = base_lr * gamma^(number of milestones reached)."""

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1, last_epoch: int = -1):
        self.milestones = sorted(milestones)
        for milestone in self.milestones:
            _check_positive_int("milestone", milestone)
        check_nonnegative("gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    multiplicative = True

    def lr_at(self, step: int) -> list[float]:
        return [multistep_lr(base, step, self.milestones, self.gamma) for base in self.base_lrs]

    def factors_at(self, step: int) -> list[float]:
        return [multistep_lr(1.0, step, self.milestones, self.gamma)] * len(self.base_lrs)


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma^step (one factor gamma per step)."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1):
        check_nonnegative("gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    multiplicative = True

    def lr_at(self, step: int) -> list[float]:
        return [exponential_lr(base, step, self.gamma) for base in self.base_lrs]

    def factors_at(self, step: int) -> list[float]:
        return [exponential_lr(1.0, step, self.gamma)] * len(self.base_lrs)


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

    multiplicative = True

    def lr_at(self, step: int) -> list[float]:
        return [exponential_decay_lr(base, step, self.decay_rate, self.decay_steps, self.staircase)
                for base in self.base_lrs]

    def factors_at(self, step: int) -> list[float]:
        return [exponential_decay_lr(1.0, step, self.decay_rate, self.decay_steps, self.staircase)] * len(self.base_lrs)


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

    multiplicative = True

    def lr_at(self, step: int) -> list[float]:
        return [linear_lr(base, step, self.start_factor, self.end_factor, self.total_iters)
                for base in self.base_lrs]

    def factors_at(self, step: int) -> list[float]:
        return [linear_lr(1.0, step, self.start_factor, self.end_factor, self.total_iters)] * len(self.base_lrs)


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(step), one function for all groups or one per group.

    The functions are not part of ``state_dict()``: make the scheduler with the same ones.
    PyTorch's LambdaLR sets the lr (it does not multiply the current one), so it is not
    chained by ChainedScheduler; MultiplicativeLR is the multiplying kind.
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


class ConstantLR(LRScheduler):
    """lr = base_lr * factor for the first ``total_iters`` steps, then base_lr."""

    multiplicative = True

    def __init__(self, optimizer: Optimizer, factor: float = 1 / 3, total_iters: int = 5, last_epoch: int = -1):
        check_number("factor", factor)
        if not 0 <= factor <= 1:
            raise ValueError(f"Invalid factor: {factor!r} (must be in [0, 1])")
        _check_nonnegative_int("total_iters", total_iters)
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: int) -> list[float]:
        return [constant_lr(base, step, self.factor, self.total_iters) for base in self.base_lrs]

    def factors_at(self, step: int) -> list[float]:
        return [constant_lr(1.0, step, self.factor, self.total_iters)] * len(self.base_lrs)


class PolynomialLR(LRScheduler):
    """lr = base_lr * (1 - min(step, total_iters) / total_iters)^power: reaches 0 at total_iters."""

    multiplicative = True

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1):
        _check_positive_int("total_iters", total_iters)
        check_nonnegative("power", power)
        self.total_iters, self.power = total_iters, power
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: int) -> list[float]:
        return [polynomial_lr(base, step, self.total_iters, self.power) for base in self.base_lrs]

    def factors_at(self, step: int) -> list[float]:
        return [polynomial_lr(1.0, step, self.total_iters, self.power)] * len(self.base_lrs)


class MultiplicativeLR(LRScheduler):
    """lr_t = lr_{t-1} * lr_lambda(t): base_lr * lr_lambda(1) * ... * lr_lambda(t).

    One function for all groups or one per group; like LambdaLR's, they are not part of
    ``state_dict()``. Stepping one step at a time costs one call of each function; the lr
    at any other step is the product recomputed (``multiplicative_lr``).
    """

    multiplicative = True  # lr_at: base_lr times factors_at, the product kept from step to step

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
                 last_epoch: int = -1):
        groups = len(optimizer.param_groups)
        lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * groups
        if len(lambdas) != groups:
            raise ValueError(f"MultiplicativeLR got {len(lambdas)} functions for {groups} param groups")
        for function in lambdas:
            if not callable(function):
                raise TypeError(f"lr_lambda must be callable, got {function!r:.60}")
        self.lr_lambdas = lambdas
        self._factors = (0, [1.0] * groups)  # (step, factors at that step): the running products
        super().__init__(optimizer, last_epoch)

    def factors_at(self, step: int) -> list[float]:
        done, factors = self._factors if self._factors[0] <= step else (0, [1.0] * len(self.lr_lambdas))
        for s in range(done + 1, step + 1):
            factors = [factor * function(s) for factor, function in zip(factors, self.lr_lambdas)]
        self._factors = (step, factors)
        return list(factors)

    def restarted_lrs(self, step: int, previous_lrs: Callable[[], list[float]]) -> list[float]:
        """PyTorch restarts a MultiplicativeLR from the lr before, times lr_lambda(0)."""
        lrs = list(previous_lrs())
        for s in range(step + 1):
            lrs = [lr * function(s) for lr, function in zip(lrs, self.lr_lambdas)]
        return lrs

    def state_dict(self) -> dict[str, Any]:
        return {key: value for key, value in super().state_dict().items() if key != "_factors"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self._factors = (0, [1.0] * len(self.lr_lambdas))


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR (Loshchilov & Hutter 2017): a cosine from base_lr to eta_min over T_0 steps, then a
    restart at base_lr for a cycle T_mult times longer, and so on:

        lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2

    with T_cur the steps since the last restart and T_i the current cycle's length. Usually
    stepped per batch with a fractional epoch, as in PyTorch: ``step(epoch + i / batches)``.
    """

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0, last_epoch: int = -1):
        _check_positive_int("T_0", T_0)
        _check_positive_int("T_mult", T_mult)
        check_number("eta_min", eta_min)
        self.T_0, self.T_mult, self.eta_min = T_0, T_mult, eta_min
        self.T_i, self.T_cur = T_0, last_epoch
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: float) -> list[float]:
        return [cosine_annealing_warm_restarts_lr(base, step, self.T_0, self.T_mult, self.eta_min)
                for base in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:
        """Advance one step, or go to ``epoch`` (a number >= 0, possibly fractional)."""
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            check_nonnegative("epoch", epoch)
        lrs = self.lr_at(epoch)
        self.T_cur, self.T_i = _warm_restart_position(epoch, self.T_0, self.T_mult)
        self.last_epoch = math.floor(epoch)
        self._write(lrs)


class CyclicLR(LRScheduler):
    """Cyclical learning rates (Smith 2017): the lr goes up from ``base_lr`` to ``max_lr`` over
    ``step_size_up`` steps and back over ``step_size_down``, the cycle's height scaled by mode
    ("triangular": 1, "triangular2": halved each cycle, "exp_range": gamma^step) or by
    ``scale_fn``. With ``cycle_momentum`` the momentum (or Adam's beta1) goes the other way,
    from ``max_momentum`` down to ``base_momentum``. Stepped per batch. See ``cyclic_lr``.

    The optimizer's lr is set to base_lr when the scheduler is made (as in PyTorch).
    """

    def __init__(self, optimizer: Optimizer, base_lr: float | list[float], max_lr: float | list[float],
                 step_size_up: int = 2000, step_size_down: int | None = None, mode: str = "triangular",
                 gamma: float = 1.0, scale_fn: Callable[[float], float] | None = None, scale_mode: str = "cycle",
                 cycle_momentum: bool = True, base_momentum: float | list[float] = 0.8,
                 max_momentum: float | list[float] = 0.9, last_epoch: int = -1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"a scheduler needs an Optimizer, got {type(optimizer).__name__}")
        base_lrs = _per_group("base_lr", optimizer, base_lr)
        self.max_lrs = _per_group("max_lr", optimizer, max_lr)
        for name, values in (("base_lr", base_lrs), ("max_lr", self.max_lrs)):
            for value in values:
                check_nonnegative(name, value)
        check_number("step_size_up", step_size_up)
        if not step_size_up > 0:
            raise ValueError(f"Invalid step_size_up: {step_size_up!r} (must be > 0)")
        if step_size_down is not None:
            check_number("step_size_down", step_size_down)
            if not step_size_down > 0:
                raise ValueError(f"Invalid step_size_down: {step_size_down!r} (must be > 0)")
        if scale_fn is None and mode not in _CYCLIC_MODES:
            raise ValueError(f"Invalid mode: {mode!r} (use one of {list(_CYCLIC_MODES)}, or give a scale_fn)")
        if scale_fn is not None and not callable(scale_fn):
            raise TypeError(f"scale_fn must be callable, got {scale_fn!r:.60}")
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError(f"Invalid scale_mode: {scale_mode!r} (use 'cycle' or 'iterations')")
        check_number("gamma", gamma)
        if not isinstance(cycle_momentum, bool):
            raise TypeError(f"Invalid cycle_momentum: {cycle_momentum!r} (must be True or False)")
        if cycle_momentum:
            self.momentum_key = _momentum_key(optimizer, "CyclicLR")
            self.base_momentums = _per_group("base_momentum", optimizer, base_momentum)
            self.max_momentums = _per_group("max_momentum", optimizer, max_momentum)
        self.step_size_up, self.step_size_down = step_size_up, step_size_down
        self.mode, self.gamma, self.scale_fn = mode, gamma, scale_fn
        # PyTorch: a built-in mode fixes how its scale is read (per cycle, or per iteration)
        self.scale_mode = scale_mode if scale_fn is not None else ("iterations" if mode == "exp_range" else "cycle")
        self.cycle_momentum = cycle_momentum
        if last_epoch == -1:  # all checked: now the groups may change
            for group, lr in zip(optimizer.param_groups, base_lrs):
                group["lr"] = lr
            if cycle_momentum:
                for group, top, bottom in zip(optimizer.param_groups, self.max_momentums, self.base_momentums):
                    _set_momentum(group, self.momentum_key, top)
                    group["max_momentum"], group["base_momentum"] = top, bottom
        super().__init__(optimizer, last_epoch, base_lrs=base_lrs)

    def _shape(self) -> dict[str, Any]:
        return dict(step_size_up=self.step_size_up, step_size_down=self.step_size_down, mode=self.mode,
                    gamma=self.gamma, scale_fn=self.scale_fn, scale_mode=self.scale_mode)

    def lr_at(self, step: int) -> list[float]:
        return [cyclic_lr(base, top, step, **self._shape()) for base, top in zip(self.base_lrs, self.max_lrs)]

    def momenta_at(self, step: int) -> list[float] | None:
        if not self.cycle_momentum:
            return None
        return [cyclic_momentum(base, top, step, **self._shape())
                for base, top in zip(self.base_momentums, self.max_momentums)]


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin 2018): the lr warms up from max_lr / div_factor to
    ``max_lr`` over the first ``pct_start`` of ``total_steps`` (or epochs * steps_per_epoch),
    then anneals to max_lr / div_factor / final_div_factor; the momentum (or Adam's beta1)
    goes the other way between ``max_momentum`` and ``base_momentum``. Stepped per batch,
    ``total_steps`` times in all; one step more is an error, as in PyTorch. See ``one_cycle_lr``.
    """

    def __init__(self, optimizer: Optimizer, max_lr: float | list[float], total_steps: int | None = None,
                 epochs: int | None = None, steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float | list[float] = 0.85, max_momentum: float | list[float] = 0.95,
                 div_factor: float = 25.0, final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"a scheduler needs an Optimizer, got {type(optimizer).__name__}")
        if total_steps is not None:
            _check_positive_int("total_steps", total_steps)
        elif epochs is not None and steps_per_epoch is not None:
            _check_positive_int("epochs", epochs)
            _check_positive_int("steps_per_epoch", steps_per_epoch)
            total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("OneCycleLR needs total_steps, or epochs and steps_per_epoch")
        check_number("pct_start", pct_start)
        if not 0 <= pct_start <= 1:
            raise ValueError(f"Invalid pct_start: {pct_start!r} (must be in [0, 1])")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"Invalid anneal_strategy: {anneal_strategy!r} (use 'cos' or 'linear')")
        for name, value in (("div_factor", div_factor), ("final_div_factor", final_div_factor)):
            check_number(name, value)
            if not value > 0:
                raise ValueError(f"Invalid {name}: {value!r} (must be > 0)")
        max_lrs = _per_group("max_lr", optimizer, max_lr)
        for value in max_lrs:
            check_nonnegative("max_lr", value)
        if not isinstance(cycle_momentum, bool) or not isinstance(three_phase, bool):
            raise TypeError(f"cycle_momentum and three_phase must be True or False, got "
                            f"{cycle_momentum!r}, {three_phase!r}")
        if cycle_momentum:
            self.momentum_key = _momentum_key(optimizer, "OneCycleLR")
            max_momentums = _per_group("max_momentum", optimizer, max_momentum)
            base_momentums = _per_group("base_momentum", optimizer, base_momentum)
        if last_epoch != -1:
            for number, group in enumerate(optimizer.param_groups):
                for key in ("initial_lr", "max_lr", "min_lr") + (("max_momentum", "base_momentum") if cycle_momentum
                                                                 else ()):
                    if key not in group:
                        raise KeyError(f"param group {number} has no {key!r}; resuming OneCycleLR with last_epoch="
                                       f"{last_epoch} needs a group saved after the scheduler was made")
        self.total_steps, self.pct_start, self.anneal_strategy = total_steps, pct_start, anneal_strategy
        self.three_phase, self.cycle_momentum = three_phase, cycle_momentum
        if last_epoch == -1:  # all checked: now the groups may change
            for group, top in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
            if cycle_momentum:
                for group, top, bottom in zip(optimizer.param_groups, max_momentums, base_momentums):
                    _set_momentum(group, self.momentum_key, top)
                    group["max_momentum"], group["base_momentum"] = top, bottom
        self._lr_ends = [{"initial": g["initial_lr"], "max": g["max_lr"], "min": g["min_lr"]}
                         for g in optimizer.param_groups]
        if cycle_momentum:
            self._momentum_ends = [{"base": g["base_momentum"], "max": g["max_momentum"]}
                                   for g in optimizer.param_groups]
        super().__init__(optimizer, last_epoch)

    def _check_step(self, step: int) -> None:
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR stepped {step} times, past its total_steps={self.total_steps}")

    def lr_at(self, step: int) -> list[float]:
        self._check_step(step)
        return [_one_cycle(step, ends, 1, self.total_steps, self.pct_start, self.anneal_strategy, self.three_phase)
                for ends in self._lr_ends]

    def momenta_at(self, step: int) -> list[float] | None:
        if not self.cycle_momentum:
            return None
        self._check_step(step)
        return [_one_cycle(step, ends, 3, self.total_steps, self.pct_start, self.anneal_strategy, self.three_phase)
                for ends in self._momentum_ends]


def _check_composable(kind: str, schedulers: Any, optimizer: Optimizer | None) -> tuple[list, Optimizer]:
    if not isinstance(schedulers, (list, tuple)) or not schedulers:
        raise ValueError(f"{kind} needs a non-empty list of schedulers, got {schedulers!r:.80}")
    optimizer = optimizer if optimizer is not None else getattr(schedulers[0], "optimizer", None)
    for index, scheduler in enumerate(schedulers):
        if not isinstance(scheduler, LRScheduler) or isinstance(scheduler, (SequentialLR, ChainedScheduler)):
            raise TypeError(f"{kind} takes the schedulers of one optimizer (not ReduceLROnPlateau nor another "
                            f"SequentialLR or ChainedScheduler); scheduler {index} is a {type(scheduler).__name__}")
        if scheduler.optimizer is not optimizer:
            raise ValueError(f"{kind}: scheduler {index} ({type(scheduler).__name__}) belongs to another optimizer")
    return list(schedulers), optimizer


class SequentialLR(LRScheduler):
    """One scheduler after another: ``schedulers[i]`` runs from ``milestones[i - 1]`` on,
    restarted at its own step 0 there (``milestones`` has one fewer entry):

        SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5), CosineAnnealingLR(opt, T_max=95)],
                     milestones=[5])      # 5 steps of warmup, then a cosine

    As PyTorch, it first sets every group back to its initial lr.
    """

    def __init__(self, optimizer: Optimizer, schedulers: list[LRScheduler], milestones: list[int],
                 last_epoch: int = -1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"a scheduler needs an Optimizer, got {type(optimizer).__name__}")
        schedulers, _ = _check_composable("SequentialLR", schedulers, optimizer)
        milestones = list(milestones) if isinstance(milestones, (list, tuple)) else milestones
        if not isinstance(milestones, list) or len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR needs one milestone fewer than schedulers: {len(schedulers)} schedulers, "
                             f"milestones {milestones!r:.60}")
        for milestone in milestones:
            _check_positive_int("milestone", milestone)
        if milestones != sorted(set(milestones)):
            raise ValueError(f"Invalid milestones: {milestones!r} (must increase)")
        self._schedulers, self._milestones = schedulers, milestones
        self.optimizer = optimizer
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch + 1
        self._write(self.lr_at(self.last_epoch))

    def _phase(self, step: int) -> tuple[int, int]:
        index = bisect.bisect_right(self._milestones, step)
        return index, (self._milestones[index - 1] if index else 0)

    def lr_at(self, step: int) -> list[float]:
        index, start = self._phase(step)
        scheduler = self._schedulers[index]
        if index == 0:
            return scheduler.lr_at(step)
        return scheduler.restarted_lrs(step - start, lambda: self.lr_at(start - 1))

    def step(self) -> None:
        super().step()
        index, start = self._phase(self.last_epoch)
        active = self._schedulers[index]
        active.last_epoch, active._last_lr = self.last_epoch - start, list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        return {"last_epoch": self.last_epoch, "_milestones": list(self._milestones), "base_lrs": list(self.base_lrs),
                "_last_lr": list(self._last_lr), "_schedulers": [s.state_dict() for s in self._schedulers]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        _load_composite(self, state_dict)
        self.last_epoch, self._milestones = state_dict["last_epoch"], list(state_dict["_milestones"])
        self.base_lrs, self._last_lr = list(state_dict["base_lrs"]), list(state_dict["_last_lr"])


class ChainedScheduler(LRScheduler):
    """Several multiplicative schedulers at once: lr = base_lr * factor_1(t) * factor_2(t) * ...,
    every one stepped by ``step()`` (PyTorch multiplies the same factors into the lr, one
    scheduler after the other):

        ChainedScheduler([ConstantLR(opt, factor=0.1, total_iters=2), ExponentialLR(opt, gamma=0.9)])

    The schedulers must set lr to base_lr times a factor of the step (StepLR, MultiStepLR,
    ExponentialLR, ExponentialDecayLR, ConstantLR, LinearLR, PolynomialLR, MultiplicativeLR):
    one that sets the lr itself (LambdaLR, the cosines, the cycles) has no factor to multiply.
    """

    def __init__(self, schedulers: list[LRScheduler], optimizer: Optimizer | None = None):
        if optimizer is not None and not isinstance(optimizer, Optimizer):
            raise TypeError(f"a scheduler needs an Optimizer, got {type(optimizer).__name__}")
        schedulers, optimizer = _check_composable("ChainedScheduler", schedulers, optimizer)
        for index, scheduler in enumerate(schedulers):
            if not scheduler.multiplicative:
                raise ValueError(
                    f"ChainedScheduler multiplies factors of the base lr; scheduler {index} "
                    f"({type(scheduler).__name__}) sets the lr itself and has none: use SequentialLR, or "
                    f"fold it into a LambdaLR"
                )
        self._schedulers, self.optimizer = schedulers, optimizer
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self._write(self._lrs([s.last_epoch for s in schedulers]))

    def _lrs(self, steps: list[int]) -> list[float]:
        lrs = list(self.base_lrs)
        for scheduler, step in zip(self._schedulers, steps):
            lrs = [lr * factor for lr, factor in zip(lrs, scheduler.factors_at(step))]
        return lrs

    def lr_at(self, step: int) -> list[float]:
        """The lr ``step`` steps after every chained scheduler's step 0."""
        return self._lrs([step] * len(self._schedulers))

    def step(self) -> None:
        steps = [s.last_epoch + 1 for s in self._schedulers]
        lrs = self._lrs(steps)
        for scheduler, step in zip(self._schedulers, steps):
            scheduler.last_epoch = step
        self._write(lrs)

    def state_dict(self) -> dict[str, Any]:
        return {"base_lrs": list(self.base_lrs), "_last_lr": list(self._last_lr),
                "_schedulers": [s.state_dict() for s in self._schedulers]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        _load_composite(self, state_dict)
        self.base_lrs, self._last_lr = list(state_dict["base_lrs"]), list(state_dict["_last_lr"])


def _load_composite(scheduler, state_dict: dict[str, Any]) -> None:
    """Check a SequentialLR or ChainedScheduler state, then load every scheduler's (each checks
    its own first; if one refuses, those before it are put back)."""
    expected = set(scheduler.state_dict())
    if not isinstance(state_dict, dict) or set(state_dict) != expected:
        keys = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
        raise ValueError(f"this {type(scheduler).__name__} state dict has keys {keys}, expected {sorted(expected)}")
    _check_group_count(scheduler, state_dict["base_lrs"])
    saved = state_dict["_schedulers"]
    if not isinstance(saved, list) or len(saved) != len(scheduler._schedulers):
        raise ValueError(f"this {type(scheduler).__name__} state dict has {len(saved) if isinstance(saved, list) else saved!r} "
                         f"scheduler states for {len(scheduler._schedulers)} schedulers")
    before = [s.state_dict() for s in scheduler._schedulers]
    try:
        for inner, inner_state in zip(scheduler._schedulers, saved):
            inner.load_state_dict(inner_state)
    except Exception:
        for inner, inner_state in zip(scheduler._schedulers, before):
            inner.load_state_dict(inner_state)
        raise


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
