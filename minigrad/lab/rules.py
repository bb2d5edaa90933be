"""Which update of ``optim.functional`` each optimizer runs, and the lab's adapters for the
optimizers that do not step like the others.

The step tables show, per step, the quantities an optimizer's rule keeps and the
intermediate values of its update. Those come from the rule itself: ``replayed_traces``
runs the optimizer's own function of ``minigrad.optim.functional`` again, on copies of the
recorded point and state, with ``trace=``, and keeps a step's trace only if the replay lands
exactly (bit for bit) on the point and the state the optimizer reached. The math is never
written a second time here.

Three optimizers need more than ``lab.run(function, cls)``:

- L-BFGS evaluates the function itself, at the points its line search tries, through a
  closure: ``with_closure(optim.LBFGS, function)`` is LBFGS whose ``step()`` without a
  closure makes one over ``function``. One lab step is one ``step(closure)`` call, i.e. up to
  ``max_iter`` iterations: pass ``max_iter=1`` to see every iteration as a point.
- Lookahead wraps another optimizer: ``lookahead(optim.Adam, sync_period=5)`` is an
  optimizer class taking the wrapped one's hyperparameters. The table shows what Lookahead
  itself keeps, the slow weights phi.
- Schedule-free SGD/AdamW, ASGD and Lookahead take gradients at one point and offer another
  to evaluate (the average x, ASGD's ``ax``, the slow weights). The lab's trajectory is the
  point the gradients are taken at (the parameters in training mode, y for schedule-free):
  there every row of the table is one checkable step. ``evaluation_trajectory(run)`` is the
  other point, step by step (what ``optimizer.eval()`` would put in the parameters), to
  plot beside it; the step table shows it as a column.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from minigrad import optim
from minigrad.lab.functions import Objective, get_function
from minigrad.lab.run import Trajectory, copy_state, optimizer_class
from minigrad.optim import functional as F
from minigrad.tensor import Tensor


@dataclass(frozen=True)
class Rule:
    """An optimizer's pure update and the function that makes its fresh state."""

    update: Callable | None  # None: the optimizer is not replayed step by step (L-BFGS)
    init: Callable


def _schedule_free_init(adam: bool) -> Callable:
    def init(param: np.ndarray) -> dict:
        return F.schedule_free_init(param, adam=adam)
    return init


# Most derived first: Momentum is an SGD, AdamW an Adam.
RULES: list[tuple[type, Rule]] = [
    (optim.AdamW, Rule(F.adam, F.adam_init)),
    (optim.Adam, Rule(F.adam, F.adam_init)),
    (optim.Momentum, Rule(F.sgd, F.sgd_init)),
    (optim.SGD, Rule(F.sgd, F.sgd_init)),
    (optim.AdaGrad, Rule(F.adagrad, F.adagrad_init)),
    (optim.RMSProp, Rule(F.rmsprop, F.rmsprop_init)),
    (optim.Adamax, Rule(F.adamax, F.adamax_init)),
    (optim.Adadelta, Rule(F.adadelta, F.adadelta_init)),
    (optim.NAdam, Rule(F.nadam, F.nadam_init)),
    (optim.RAdam, Rule(F.radam, F.radam_init)),
    (optim.Rprop, Rule(F.rprop, F.rprop_init)),
    (optim.ASGD, Rule(F.asgd, F.asgd_init)),
    (optim.Lion, Rule(F.lion, F.lion_init)),
    (optim.AdaBelief, Rule(F.adabelief, F.adabelief_init)),
    (optim.Yogi, Rule(F.yogi, F.yogi_init)),
    (optim.LAMB, Rule(F.lamb, F.lamb_init)),
    (optim.ScheduleFreeSGD, Rule(F.schedule_free_sgd, _schedule_free_init(adam=False))),
    (optim.ScheduleFreeAdamW, Rule(F.schedule_free_adamw, _schedule_free_init(adam=True))),
    (optim.LBFGS, Rule(None, F.lbfgs_init)),
]


def optimizer_class_of(trajectory) -> type | None:
    """The class that made a trajectory, from its recorded name (a lab name such as "adam", or
    a class name such as "NAdam"); None for a class the lab does not know (a user's own)."""
    name = trajectory.optimizer
    try:
        return optimizer_class(name)
    except (ValueError, LookupError, TypeError):  # not a name the lab's run() knows
        pass
    known = getattr(optim, name, None)
    if isinstance(known, type) and issubclass(known, optim.Optimizer) and known.__name__ == name:
        return known
    return _ADAPTED.get(name)


def rule_of(cls: type | None) -> Rule | None:
    """The rule a class runs: its own entry, or its nearest known base class' entry.

    A subclass that overrides the update gets its base's rule here; ``replayed_traces``
    then finds that the replay does not land where the optimizer did and shows no trace."""
    if cls is None:
        return None
    for known, rule in RULES:
        if cls is known:
            return rule
    for known, rule in RULES:
        if issubclass(cls, known):
            return rule
    return None


def _arguments(function: Callable, group: dict, skip=("param", "grad", "state", "scratch", "trace")) -> dict:
    names = inspect.signature(function).parameters
    return {k: v for k, v in group.items() if k in names and k not in skip}


def initial_state(trajectory) -> dict[str, Any]:
    """The state before the first step, as the optimizer's rule creates it ({} if unknown)."""
    cls = optimizer_class_of(trajectory)
    point = np.array(trajectory.points[0], dtype=np.float64, copy=True)
    if cls is not None and issubclass(cls, optim.Lookahead):
        return {"slow_param": point}  # phi_0 = theta_0
    rule = rule_of(cls)
    if rule is None:
        return {}
    return copy_state(rule.init(point, **_arguments(rule.init, trajectory.hyperparameters)))


def states_from_zero(trajectory) -> list[dict[str, Any]]:
    """``trajectory.states`` with the start state filled in where the recording lacks it."""
    states = list(trajectory.states)
    if states and not states[0]:
        states[0] = initial_state(trajectory)
    return states


def replayed_traces(trajectory) -> list[dict[str, np.ndarray] | None]:
    """Per step t = 0..steps (None at t = 0): the step's intermediate values from the
    optimizer's own update in ``optim.functional``, run with ``trace=`` on copies of x_{t-1},
    the gradient the step used and the state after t - 1 steps. A step whose replay does not
    reproduce x_t and the recorded state exactly gets None (a rule this lab does not know)."""
    rule = rule_of(optimizer_class_of(trajectory))
    traces: list[dict | None] = [None] * len(trajectory.points)
    if rule is None or rule.update is None:
        return traces
    states = states_from_zero(trajectory)
    used = trajectory.step_grads if trajectory.step_grads is not None else trajectory.grads
    for t in range(1, len(trajectory.points)):
        group = dict(trajectory.hyperparameters)
        if trajectory.lrs[t] is not None:
            group["lr"] = trajectory.lrs[t]  # a scheduler's lr of this step
        param = np.array(trajectory.points[t - 1], dtype=np.float64, copy=True)
        state = copy_state(states[t - 1])
        trace: dict[str, np.ndarray] = {}
        try:
            with np.errstate(all="ignore"):
                rule.update(param, np.array(used[t - 1], dtype=np.float64), state, trace=trace,
                            **_arguments(rule.update, group))
        except (KeyError, TypeError, ValueError):  # a state or setting this rule does not take
            continue
        if np.array_equal(param, trajectory.points[t], equal_nan=True) and _same_state(state, states[t]):
            traces[t] = trace
    return traces


def _same_state(replayed: dict, recorded: dict) -> bool:
    if set(replayed) != set(recorded):
        return False
    for name, value in replayed.items():
        other = recorded[name]
        if isinstance(value, np.ndarray) or isinstance(other, np.ndarray):
            if not np.array_equal(value, other, equal_nan=True):
                return False
        elif not (value == other or (value != value and other != other)):  # NaN equals NaN here
            return False
    return True


# ---- what to evaluate: the average of schedule-free and ASGD, Lookahead's slow weights -------

def evaluation_points(trajectory) -> np.ndarray | None:
    """Per t, the point the optimizer offers to evaluate, where that is not the point its
    gradients are taken at: schedule-free's x_t = (y_t - (1 - b1) z_t) / b1 (optax's
    ``schedule_free_eval_params``, here ``functional.schedule_free_eval``), ASGD's average
    ``ax``, Lookahead's slow weights. None for every other optimizer. Before the first step
    (t = 0) it is the start point: ASGD's ``ax`` buffer starts at zeros, but no average of
    iterates exists yet."""
    cls = optimizer_class_of(trajectory)
    states = states_from_zero(trajectory)
    if cls is not None and issubclass(cls, (optim.ScheduleFreeSGD, optim.ScheduleFreeAdamW)):
        hyper = trajectory.hyperparameters
        b1 = hyper["momentum"] if "momentum" in hyper else hyper["betas"][0]
        points = [F.schedule_free_eval(point, state, b1) for point, state in zip(trajectory.points[1:], states[1:])]
    else:
        name = next((name for name in ("ax", "slow_param") if states and name in states[-1]), None)
        if name is None:
            return None
        points = [state[name] for state in states[1:]]
    return np.array([trajectory.points[0], *points]).reshape(trajectory.points.shape)


def evaluation_trajectory(trajectory, label: str | None = None):
    """The run as seen at the points the optimizer offers to evaluate (see
    ``evaluation_points``): the same steps, with x_t, f(x_t) and f'(x_t) there, to plot beside
    the run. Raises ValueError for an optimizer that evaluates where it takes gradients."""
    points = evaluation_points(trajectory)
    if points is None:
        raise ValueError(f"{trajectory.optimizer} evaluates at the point it takes gradients at: "
                         f"it has no separate point to evaluate (schedule-free, ASGD and Lookahead do)")
    objective = trajectory.function
    values, grads = zip(*(objective.value_and_grad(point) for point in points))
    return Trajectory(
        function=objective, optimizer=trajectory.optimizer, hyperparameters=dict(trajectory.hyperparameters),
        points=points, values=np.array(values), grads=np.array(grads), lrs=list(trajectory.lrs),
        states=list(trajectory.states), traces=[None] * len(points), diverged=trajectory.diverged,
        message=trajectory.message, label=label or f"{trajectory.label}, evaluated at the average",
        defaults=dict(trajectory.defaults), noise=trajectory.noise,
    )


# ---- adapters: L-BFGS's closure, Lookahead's wrapped optimizer ------------------------------

_ADAPTED: dict[str, type] = {}  # adapter class names -> their base, to find their rule


def with_closure(optimizer_class: type[optim.Optimizer], function: str | Objective | Callable) -> type:
    """``optimizer_class`` whose ``step()`` without a closure evaluates ``function`` itself: for
    optimizers that need the loss at points of their choosing (L-BFGS and its line search)::

        rosenbrock = lab.get_function("rosenbrock")
        lab.run(rosenbrock, lab.with_closure(optim.LBFGS, rosenbrock), steps=20,
                max_iter=1, line_search_fn="strong_wolfe")

    The closure is PyTorch's: zero the gradients, evaluate, backward, return the loss. Gradient
    noise (``run(noise=...)``) cannot reach an optimizer that computes its own gradients, so a
    step whose given gradient is not the function's exact one raises ValueError.
    """
    if not (isinstance(optimizer_class, type) and issubclass(optimizer_class, optim.Optimizer)):
        raise TypeError(f"with_closure needs an Optimizer class, got {optimizer_class!r:.60}")
    objective = get_function(function)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        if closure is None:
            closure = _closure_over(self, objective)
        return optimizer_class.step(self, closure)

    adapted = type(optimizer_class.__name__, (optimizer_class,), {
        "step": step, "__doc__": f"{optimizer_class.__name__} stepping on {objective.name} through a closure.",
        "__module__": __name__, "__signature__": inspect.signature(optimizer_class),
    })
    return adapted


def _closure_over(optimizer: optim.Optimizer, objective: Objective) -> Callable[[], Tensor]:
    params = [p for group in optimizer.param_groups for p in group["params"]]
    if len(params) != 1 or params[0].data.shape != (objective.dim,):
        raise ValueError(f"the lab's closure evaluates {objective.name} at one point of shape ({objective.dim},); "
                         f"the optimizer has {len(params)} parameters")
    point = params[0]
    given = None if point.grad is None else np.array(point.grad, dtype=np.float64, copy=True)
    first = [True]

    def closure() -> Tensor:
        optimizer.zero_grad()
        with np.errstate(all="ignore"):
            loss = objective(point)
            loss.backward()
        if first[0]:
            first[0] = False
            exact = np.asarray(point.grad, dtype=np.float64)
            if given is not None and not np.array_equal(given, exact, equal_nan=True):
                raise ValueError(f"{type(optimizer).__name__} computes its own gradients through the closure: "
                                 f"gradient noise cannot reach it (run it without noise=)")
        return loss

    return closure


def lookahead(optimizer_class: type[optim.Optimizer], sync_period: int = 5, slow_step_size: float = 0.5,
              reset_state: bool = False) -> type:
    """An optimizer class: Lookahead (k = ``sync_period``, alpha = ``slow_step_size``) around
    ``optimizer_class``, made from the parameters and the wrapped optimizer's hyperparameters,
    so that the lab can run it like any other::

        lab.run("rosenbrock", lab.lookahead(optim.Adam, sync_period=5), lr=0.05)
    """
    if not (isinstance(optimizer_class, type) and issubclass(optimizer_class, optim.Optimizer)):
        raise TypeError(f"lookahead wraps an Optimizer class, got {optimizer_class!r:.60}")
    if issubclass(optimizer_class, optim.Lookahead):
        raise TypeError("lookahead wraps the optimizer that moves the fast weights, not another Lookahead")
    optim.Lookahead._check_settings(sync_period, slow_step_size, reset_state)

    def __init__(self, params, **hyperparameters):
        optim.Lookahead.__init__(self, optimizer_class(params, **hyperparameters), sync_period=sync_period,
                                 slow_step_size=slow_step_size, reset_state=reset_state)

    name = f"Lookahead({optimizer_class.__name__})"
    adapted = type(name, (optim.Lookahead,), {
        "__init__": __init__, "__module__": __name__, "__signature__": inspect.signature(optimizer_class),
        "__doc__": f"Lookahead (k={sync_period}, alpha={slow_step_size}) around {optimizer_class.__name__}.",
    })
    _ADAPTED[name] = optim.Lookahead
    return adapted
