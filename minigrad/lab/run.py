"""Run one minigrad optimizer on one test function and record everything a student may ask.

``run(function, optimizer, start, steps)`` moves a single parameter, the point, with the
real optimizer object (its ``step()``, its state, an optional learning-rate scheduler), the
gradient coming from minigrad's backward through the function's formula. Per step it
records the point, the value, the gradient, the lr used and a copy of the optimizer's
state buffers; the intermediate values of the update (bias-corrected moments, denominator,
the update itself) come from the same rule in ``optim.functional`` called with ``trace=``.
A run that blows up stops and says so in ``diverged`` / ``message``; it does not raise.

``noise=`` adds Gaussian noise of that scale to every gradient the optimizer sees, drawn
from an explicit ``seed=`` or ``rng=`` Generator: a stand-in for the noise of minibatch
gradients, the same seed giving the same run bit for bit.
"""
from __future__ import annotations

import inspect
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from minigrad import optim
from minigrad.lab.functions import Objective, get_function
from minigrad.optim import functional as F
from minigrad.optim import registry
from minigrad.tensor import Tensor
from minigrad.train.schedules import step_scheduler

# Every optimizer of the registry (minigrad.optim.registry), by its command-line name.
OPTIMIZERS: dict[str, type[optim.Optimizer]] = {spec.name: spec.cls for spec in registry.specs()}

DISPLAY_NAMES = {spec.name: spec.display_name for spec in registry.specs()}

# The functional rule behind each optimizer class, for the traced replay (most derived first).
_RULES: list[tuple[type, Callable]] = [
    (optim.Adam, F.adam), (optim.RMSProp, F.rmsprop), (optim.AdaGrad, F.adagrad), (optim.SGD, F.sgd),
]

# Far beyond the plotting window counts as diverged: 1000 times its size.
DIVERGENCE_FACTOR = 1e3

Scheduler = Any
ScheduleFactory = Callable[[optim.Optimizer], Scheduler]


@dataclass
class Trajectory:
    """What one run did. Index t = 0..steps_taken: ``points[t]`` is x_t, ``values[t]`` = f(x_t),
    ``grads[t]`` = f'(x_t), ``states[t]`` the optimizer's buffers after t steps (t = 0: their
    start values). ``lrs[t]`` and ``traces[t]`` belong to the step that made x_t (None at t = 0)."""

    function: Objective
    optimizer: str
    hyperparameters: dict[str, Any]
    points: np.ndarray
    values: np.ndarray
    grads: np.ndarray
    lrs: list[float | None]
    states: list[dict[str, np.ndarray]]
    traces: list[dict[str, np.ndarray] | None]
    diverged: bool = False
    message: str = ""
    label: str = field(default="")
    defaults: dict[str, Any] = field(default_factory=dict)  # the optimizer class' own defaults
    noise: float = 0.0
    # With noise, the gradient each step used: step_grads[t] = grads[t] + noise, which moved x_t
    # to x_{t+1} (one row per step taken). None without noise: the steps used ``grads``.
    step_grads: np.ndarray | None = None

    @property
    def steps_taken(self) -> int:
        return len(self.points) - 1

    @property
    def final_point(self) -> np.ndarray:
        return self.points[-1]

    @property
    def final_value(self) -> float:
        return float(self.values[-1])

    def distance_to_minimum(self) -> float:
        return self.function.distance_to_minimum(self.final_point)

    def summary(self) -> str:
        point = ", ".join(f"{v:.6g}" for v in self.final_point)
        text = (f"{self.label} on {self.function.name}: {self.steps_taken} steps, "
                f"x = ({point}), f = {self.final_value:.6g}")
        if self.function.minima:
            text += f", distance to the nearest minimum {self.distance_to_minimum():.3g}"
        if self.diverged:
            text += f"\n  {self.divergence_note}"
        return text

    def __repr__(self) -> str:
        """One line a student can read: ``Trajectory(adam on rosenbrock, 300 steps, final
        f=1.2e-07)`` (the arrays stay in the attributes, not in the repr)."""
        ending = f", {self.divergence_note.split(':')[0]}" if self.diverged else ""
        return (f"Trajectory({self.optimizer} on {self.function.name}, {self.steps_taken} steps, "
                f"final f={self.final_value:.4g}{ending})")

    def _repr_html_(self) -> str:
        """A notebook's view: the run's label and function, its settings, where it ended."""
        from html import escape

        from minigrad.lab.table import _plain_formula

        settings = ", ".join(f"{name}={value!r}" for name, value in self.hyperparameters.items()
                             if value != self.defaults.get(name, object()) or name == "lr")
        point = ", ".join(f"{v:.6g}" for v in self.final_point)
        rows = [("function", f"{self.function.name}: {_plain_formula(self.function.latex)}"),
                ("settings", settings or "defaults"),
                ("start", ", ".join(f"{v:.6g}" for v in self.points[0])),
                ("steps", str(self.steps_taken)),
                ("final x", point),
                ("final f", f"{self.final_value:.6g}")]
        if self.function.minima:
            rows.append(("distance to the nearest minimum", f"{self.distance_to_minimum():.3g}"))
        if self.noise:
            rows.append(("gradient noise", f"{self.noise:g}"))
        body = "".join(f"<tr><th style='text-align:left'>{escape(k)}</th><td style='text-align:left'>"
                       f"{escape(v)}</td></tr>" for k, v in rows)
        warning = (f"<p style='color:#b00020'><b>{escape(self.divergence_note)}</b></p>"
                   if self.diverged else "")
        return (f"<div><b>Trajectory</b> {escape(self.label)}<table>{body}</table>{warning}</div>")

    @property
    def divergence_note(self) -> str:
        """The divergence message set off for a reader: "DIVERGED at step 8: ..." ("" if none)."""
        return self.message.replace("diverged", "DIVERGED", 1) if self.diverged else ""


def optimizer_class(name_or_class: str | type[optim.Optimizer]) -> type[optim.Optimizer]:
    """An optimizer class from its lab name (see ``OPTIMIZERS``) or the class itself."""
    if isinstance(name_or_class, type) and issubclass(name_or_class, optim.Optimizer):
        return name_or_class
    return registry.get(name_or_class).cls


def _optimizer_name(cls: type) -> str:
    return registry.name_of(cls)


def check_steps(steps: Any) -> int:
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps <= 0:
        raise ValueError(f"steps must be an integer > 0, got {steps!r}")
    return int(steps)


def run(
    function: str | Objective | Callable,
    optimizer: str | type[optim.Optimizer] = "sgd",
    start=None,
    steps: int = 50,
    *,
    schedule: ScheduleFactory | None = None,
    label: str | None = None,
    noise: float = 0.0,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
    **hyperparameters: Any,
) -> Trajectory:
    """Minimize ``function`` from ``start`` with ``optimizer`` for ``steps`` steps.

    ``function``: a name from ``FUNCTIONS``, an ``Objective`` or a callable ``f(x[, y])``.
    ``optimizer``: a name from ``OPTIMIZERS`` or any ``minigrad.optim.Optimizer`` subclass;
    ``hyperparameters`` go to its constructor (``lr=0.1, momentum=0.9, eps_inside_sqrt=True``).
    Without ``lr``, the function's suggested lr for that optimizer is used if it has one.
    ``schedule``: called once with the optimizer, returns a scheduler stepped after every
    optimizer step, e.g. ``lambda opt: optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)``.
    ``start`` defaults to the function's own start point.
    ``noise``: the scale sigma of Gaussian noise added to each gradient before the step
    (g + sigma * N(0, I), as a minibatch's gradient scatters around the full one), drawn
    from ``seed=`` or ``rng=`` (a ``numpy.random.Generator``), one of which is required.

    Raises ValueError for an unknown function or optimizer, a start point of the wrong
    dimension, steps <= 0, or noise without a seed; a diverging run returns with
    ``diverged=True`` instead.
    """
    objective = get_function(function)
    cls = optimizer_class(optimizer)
    steps = check_steps(steps)
    point = objective.check_point(objective.start if start is None else start)
    noise, generator = _noise_source(noise, seed, rng)
    name = _optimizer_name(cls)
    if noise and issubclass(cls, optim.LBFGS):
        raise ValueError(f"noise={noise!r} cannot be used with L-BFGS: its closure re-evaluates the exact "
                         "gradient along the line search, so the noise would not reach its steps")
    if "lr" not in hyperparameters and name in objective.suggested_lr:
        hyperparameters["lr"] = objective.suggested_lr[name]

    _check_hyperparameters(cls, hyperparameters)
    param = Tensor(point.copy(), requires_grad=True)
    opt = cls([param], **hyperparameters)
    scheduler = schedule(opt) if schedule is not None else None
    group = opt.param_groups[0]
    hyper = {k: v for k, v in group.items() if k != "params"}

    recorder = _Recorder(objective, opt, param)
    recorder.record_point()
    recorder.states.append(recorder.initial_state(group))
    recorder.lrs.append(None)
    recorder.traces.append(None)
    limit = DIVERGENCE_FACTOR * _scale(objective, point)
    diverged, message = False, ""
    step_grads = []
    for t in range(1, steps + 1):
        lr = float(group["lr"])
        state_before = copy_state(opt.state.get(param)) or recorder.states[0]
        if generator is not None:
            _add_noise(param, noise * generator.standard_normal(objective.dim))
        grad = np.array(param.grad, dtype=np.float64, copy=True)
        step_grads.append(grad)
        if registry.needs_closure(opt):
            opt.step(recorder.closure)  # L-BFGS evaluates f again along its line search
        else:
            opt.step()
        recorder.lrs.append(lr)
        recorder.states.append(copy_state(opt.state[param]))
        recorder.traces.append(_traced_replay(opt, group, recorder.points[-1], grad, state_before, param.data))
        opt.zero_grad()
        recorder.record_point()
        if scheduler is not None:
            step_scheduler(scheduler, recorder.values[-1])
        problem = _divergence(recorder, limit)
        if problem:
            # Without a minimum (the saddle) running off is the function's doing, not the lr's.
            hint = "try a smaller lr" if objective.minima else f"{objective.name} has no minimum to stop at"
            diverged, message = True, f"diverged at step {t}: {problem} (lr={lr:g}; {hint})"
            break
    return Trajectory(
        function=objective, optimizer=name, hyperparameters=hyper,
        points=np.array(recorder.points), values=np.array(recorder.values), grads=np.array(recorder.grads),
        lrs=recorder.lrs, states=recorder.states, traces=recorder.traces,
        diverged=diverged, message=message, label=label or _default_label(name, hyper),
        defaults={k: p.default for k, p in inspect.signature(cls).parameters.items() if p.default is not p.empty},
        noise=noise, step_grads=np.array(step_grads).reshape(-1, objective.dim) if generator is not None else None,
    )


def _noise_source(noise: Any, seed: int | None, rng: np.random.Generator | None):
    """The checked noise scale and the Generator to draw it from (None without noise)."""
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    if seed is not None and rng is not None:
        raise ValueError("pass either seed= or rng=, not both")
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0):
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    if noise == 0:
        return 0.0, None
    if seed is None and rng is None:
        raise ValueError(f"noise={noise!r} needs seed= or rng= (a numpy Generator): the same seed, the same run")
    return float(noise), rng if rng is not None else np.random.default_rng(seed)


def _add_noise(param: Tensor, noise: np.ndarray) -> None:
    """param.grad <- param.grad + noise (a new array: the exact gradient is not changed in place)."""
    param.grad = param.grad.data + noise.astype(param.grad.dtype, copy=False)


def _check_hyperparameters(cls: type, hyperparameters: dict) -> None:
    parameters = inspect.signature(cls).parameters
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return
    accepted = [name for name in parameters if name not in ("params", "flat")]
    unknown = [name for name in hyperparameters if name not in accepted]
    if unknown:
        raise ValueError(f"{cls.__name__} has no hyperparameter {', '.join(map(repr, unknown))}; "
                         f"it takes: {', '.join(accepted)}")


class _Recorder:
    """Collects x_t, f(x_t) and f'(x_t): evaluating f also leaves the gradient in param.grad."""

    def __init__(self, objective: Objective, opt: optim.Optimizer, param: Tensor):
        self.objective, self.opt, self.param = objective, opt, param
        self.points: list[np.ndarray] = []
        self.values: list[float] = []
        self.grads: list[np.ndarray] = []
        self.lrs: list[float | None] = []
        self.states: list[dict[str, np.ndarray]] = []
        self.traces: list[dict[str, np.ndarray] | None] = []

    def record_point(self) -> None:
        self.param.grad = None
        with np.errstate(all="ignore"):
            loss = self.objective(self.param)
            loss.backward()
        self.points.append(self.param.data.copy())
        self.values.append(float(loss.item()))
        self.grads.append(np.array(self.param.grad, dtype=np.float64, copy=True))

    def closure(self) -> float:
        """f and f' at the current point, for an optimizer that evaluates f itself (L-BFGS);
        the recorded points are the optimizer's steps, not its line-search probes."""
        self.param.grad = None
        with np.errstate(all="ignore"):
            loss = self.objective(self.param)
            loss.backward()
        return float(loss.item())

    def initial_state(self, group: dict) -> dict[str, np.ndarray]:
        """The buffers before the first step, as the optimizer will create them."""
        rule = _rule_of(self.opt)
        if rule is None:
            return {}
        init = getattr(F, f"{rule.__name__}_init")
        state = init(self.param.data, **_arguments_of(init, group))
        return copy_state(state)


def copy_state(state: dict | None) -> dict[str, Any]:
    """A snapshot of an optimizer's state: arrays copied, and lists of arrays too (L-BFGS's
    history), so later steps do not change what an earlier step recorded."""
    if not state:
        return {}
    return {k: _copy_value(v) for k, v in state.items()}


def _copy_value(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return np.array(value, copy=True)
    if isinstance(value, list):
        return [_copy_value(item) for item in value]
    return value


def _rule_of(opt: optim.Optimizer) -> Callable | None:
    for cls, rule in _RULES:
        if isinstance(opt, cls):
            return rule
    return None


def _arguments_of(function: Callable, group: dict) -> dict[str, Any]:
    names = inspect.signature(function).parameters
    return {k: v for k, v in group.items() if k in names and k not in ("param", "grad", "state")}


def _traced_replay(opt, group, point_before, grad, state_before, point_after) -> dict[str, np.ndarray] | None:
    """The step's intermediate values: the optimizer's own functional rule run again on copies
    with ``trace=``. Kept only if it lands exactly where ``opt.step()`` did, so a subclass
    with a rule of its own never gets a trace that is not its own."""
    rule = _rule_of(opt)
    if rule is None:
        return None
    param = np.array(point_before, copy=True)
    state = copy_state(state_before)
    trace: dict[str, np.ndarray] = {}
    with np.errstate(all="ignore"):
        rule(param, grad, state, trace=trace, **_arguments_of(rule, group))
    if not np.array_equal(param, point_after, equal_nan=True):
        return None
    return trace


def _scale(objective: Objective, start: np.ndarray) -> float:
    bounds = [abs(b) for low_high in objective.window for b in low_high]
    return max(bounds + [float(np.abs(start).max()), 1.0])


def _divergence(recorder: _Recorder, limit: float) -> str:
    point, value, grad = recorder.points[-1], recorder.values[-1], recorder.grads[-1]
    if not (np.isfinite(point).all() and np.isfinite(value) and np.isfinite(grad).all()):
        return f"the point, value or gradient is no longer finite (f = {value:.3g})"
    size = float(np.abs(point).max())
    if size > limit:
        return f"|x| reached {size:.3g}, over {DIVERGENCE_FACTOR:g} times the plotting window"
    return ""


def _default_label(name: str, hyper: dict) -> str:
    return f"{DISPLAY_NAMES.get(name, name)} (lr={hyper.get('lr', float('nan')):g})"
