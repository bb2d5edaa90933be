"""Learning-rate schedules for ``fit``, the lab and the command line: one way to step a
scheduler, and the command line's ``--schedule KIND:ARG:...`` specs."""
from __future__ import annotations

from typing import Any, Callable

SCHEDULE_SPECS = ("step:STEP_SIZE:GAMMA", "exponential:GAMMA", "decay:RATE:STEPS", "cosine:T_MAX[:ETA_MIN]")


def step_scheduler(scheduler, metric: float | None = None) -> None:
    """Step ``scheduler`` once. ``ReduceLROnPlateau`` watches a value (a loss, lower is
    better) and is given ``metric``; every other schedule counts its own steps."""
    from minigrad.optim.lr_scheduler import ReduceLROnPlateau

    if isinstance(scheduler, ReduceLROnPlateau):
        if metric is None:
            raise ValueError("ReduceLROnPlateau needs the value it watches to step")
        scheduler.step(metric)
    else:
        scheduler.step()


def schedule_from(spec: str | None) -> Callable[[Any], Any] | None:
    """A scheduler factory (called with the optimizer) from ``KIND:ARG:...``, or None for None.

    ``step:STEP_SIZE:GAMMA`` (StepLR), ``exponential:GAMMA`` (ExponentialLR),
    ``decay:RATE:STEPS`` (the slides' eta0 * rate^(t / steps)), ``cosine:T_MAX[:ETA_MIN]``
    (CosineAnnealingLR). Step counts must be whole numbers: ``step:2.5:0.5`` is refused, not
    read as step 2. A malformed spec raises ValueError naming it.
    """
    if spec is None:
        return None
    from minigrad.optim import lr_scheduler

    # Each kind: its argument names (those ending in SIZE, STEPS or T_MAX are step counts;
    # bracketed ones optional) and its maker.
    makers = {
        "step": (("STEP_SIZE", "GAMMA"), lambda opt, size, gamma: lr_scheduler.StepLR(opt, step_size=size, gamma=gamma)),
        "exponential": (("GAMMA",), lambda opt, gamma: lr_scheduler.ExponentialLR(opt, gamma=gamma)),
        "decay": (("RATE", "STEPS"), lambda opt, rate, steps: lr_scheduler.ExponentialDecayLR(
            opt, decay_rate=rate, decay_steps=steps)),
        "cosine": (("T_MAX", "[ETA_MIN]"), lambda opt, t_max, eta_min=0.0: lr_scheduler.CosineAnnealingLR(
            opt, T_max=t_max, eta_min=eta_min)),
    }
    kind, *values = str(spec).split(":")
    names = makers[kind][0] if kind in makers else ()
    required = [name for name in names if not name.startswith("[")]
    if kind not in makers or not len(required) <= len(values) <= len(names):
        raise ValueError(f"bad --schedule {spec!r}: use {', '.join(SCHEDULE_SPECS)}")
    numbers = [_schedule_number(spec, name.strip("[]"), text) for name, text in zip(names, values)]
    make = makers[kind][1]
    return lambda opt: make(opt, *numbers)


def _schedule_number(spec: str, name: str, text: str) -> int | float:
    if name.endswith(("SIZE", "STEPS", "T_MAX")):
        try:
            count = int(text)
        except ValueError:
            count = 0
        if count < 1:
            raise ValueError(f"bad --schedule {spec!r}: {name} must be a positive integer, got {text!r}")
        return count
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"bad --schedule {spec!r}: {name} must be a number, got {text!r}") from None
