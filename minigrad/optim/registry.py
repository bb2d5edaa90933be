"""The one table of minigrad's optimizers: what the command line, the lab, the sweep, the
scikit-learn estimators and ``fit``'s checkpoints call them, and which options they take.

Each ``OptimizerSpec`` holds an optimizer's name (the command line's spelling, e.g.
``"adamw"``), its class, the name shown in tables and plots (``"AdamW"``), the learning
rate that trains the bundled MLPs well when none is given, whether its ``step`` needs a
closure (L-BFGS), and which of its options are the slides' variants. The options an
optimizer takes are read from its class' signature, so an option added to a class is
known here at once; ``OPTIONS`` says which of them the command line offers.

Adding an optimizer is one class in ``minigrad.optim`` plus one ``_register(...)`` line here.

    >>> from minigrad.optim import registry
    >>> registry.get("adamw").display_name
    'AdamW'
    >>> registry.get("adamw").accepts("nesterov")
    False
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Iterable

from minigrad import optim
from minigrad.optim.optimizer import Optimizer


class UnknownOptimizerError(ValueError):
    """A name that is not in the registry; the message lists the known names."""


class OptionError(ValueError):
    """An option the chosen optimizer does not take, or a value out of its range."""


@dataclass(frozen=True)
class Option:
    """One optimizer option the command line offers: its keyword, kind and help.

    kind: "float", "int", "flag" (a switch, True when given), "pair" (two floats) or
    "choice" (one of ``choices``, mapped through ``values``)."""

    name: str
    kind: str
    help: str
    choices: tuple[str, ...] = ()
    values: dict = field(default_factory=dict)

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


# Every keyword the command line can pass to an optimizer. Which optimizer takes which one
# is its class' signature's business (see OptimizerSpec.options).
OPTIONS: dict[str, Option] = {option.name: option for option in [
    Option("momentum", "float", "momentum factor (SGD, RMSProp, schedule-free SGD)"),
    Option("dampening", "float", "SGD's dampening of the momentum"),
    Option("nesterov", "flag", "Nesterov momentum (SGD with momentum, AdaBelief)"),
    Option("weight_decay", "float", "L2 penalty added to the gradient (decoupled for AdamW, Lion)"),
    Option("betas", "pair", "the two averaging constants (beta1, beta2)"),
    Option("eps", "float", "the epsilon of the denominator"),
    Option("alpha", "float", "RMSProp's smoothing constant; ASGD's power of the step decay"),
    Option("centered", "flag", "RMSProp divides by the variance estimate, not the second moment"),
    Option("amsgrad", "flag", "Adam/AdamW keep the running maximum of the second moment"),
    Option("maximize", "flag", "maximize the objective instead of minimizing it"),
    Option("lr_decay", "float", "AdaGrad's learning-rate decay"),
    Option("initial_accumulator_value", "float", "start value of AdaGrad's / Yogi's accumulator"),
    Option("rho", "float", "Adadelta's averaging constant"),
    Option("etas", "pair", "Rprop's (eta_minus, eta_plus)"),
    Option("step_sizes", "pair", "Rprop's (min step, max step)"),
    Option("lambd", "float", "ASGD's decay term"),
    Option("t0", "float", "ASGD's step at which averaging starts"),
    Option("momentum_decay", "float", "NAdam's momentum decay"),
    Option("decoupled_weight_decay", "flag", "weight decay applied to the weights, not the gradient"),
    Option("eps_root", "float", "epsilon inside the square root (optax's eps_root)"),
    Option("history_size", "int", "L-BFGS's number of stored curvature pairs"),
    Option("max_iter", "int", "L-BFGS's iterations per step"),
    Option("line_search_fn", "choice", "L-BFGS's line search (the registry's default: strong_wolfe)",
           ("strong_wolfe", "none"), {"strong_wolfe": "strong_wolfe", "none": None}),
    Option("warmup_steps", "int", "schedule-free's linear warm-up steps"),
    Option("weight_lr_power", "float", "schedule-free's power of the lr in the averaging weights"),
    # The slides' variants.
    Option("eps_inside_sqrt", "flag", "slides' variant: eps inside the root, sqrt(v + eps)"),
    Option("ema", "flag", "slides' variant: momentum as an average, v <- beta v + (1 - beta) g"),
    Option("eps_hat", "flag", "slides' variant: Adam's eps added to the bias-corrected root (eps-hat form)"),
    Option("bias_correction", "choice", "slides' variant: Adam's bias correction of both moments, none, "
           "or only the first / second", ("true", "false", "first", "second"),
           {"true": True, "false": False, "first": "first", "second": "second"}),
]}

# Options kept off the command line: the flat buffer is an implementation detail.
_NOT_OPTIONS = ("params", "flat", "lr")


@dataclass(frozen=True)
class OptimizerSpec:
    """One optimizer in the registry."""

    name: str
    cls: type
    display_name: str
    default_lr: float
    needs_closure: bool = False
    variants: tuple[str, ...] = ()
    # Options the registry sets unless given, where the class' (PyTorch's) default does not
    # train an MLP on mini-batches: (keyword, value) pairs.
    training_defaults: tuple[tuple[str, Any], ...] = ()

    @property
    def options(self) -> tuple[str, ...]:
        """Every keyword the class takes besides the parameters and lr, in signature order."""
        return tuple(name for name in inspect.signature(self.cls).parameters if name not in _NOT_OPTIONS)

    def accepts(self, option: str) -> bool:
        return option in self.options

    @property
    def cli_options(self) -> tuple[str, ...]:
        """The options the command line offers for this optimizer."""
        return tuple(name for name in self.options if name in OPTIONS)

    def defaults(self) -> dict[str, Any]:
        """The class' own default of every option (lr included)."""
        return {name: parameter.default for name, parameter in inspect.signature(self.cls).parameters.items()
                if parameter.default is not inspect.Parameter.empty and name != "flat"}

    def make(self, parameters: Iterable, lr: float | None = None, **options: Any) -> Optimizer:
        """The optimizer over ``parameters`` at ``lr`` (default: ``default_lr``) with ``options``.

        Raises OptionError, before building anything, for an option the class does not take."""
        check_options(self.name, options)
        options = {**dict(self.training_defaults), **options}
        return self.cls(parameters, lr=self.default_lr if lr is None else lr, **options)


_REGISTRY: dict[str, OptimizerSpec] = {}


def _register(name: str, cls: type, display_name: str, default_lr: float, **extra: Any) -> None:
    _REGISTRY[name] = OptimizerSpec(name, cls, display_name, default_lr, **extra)


# Default lrs: ones that train an MLP on the standardized bundled datasets (batch 64) well:
# plain SGD needs a large step, the adaptive methods a small one, Lion a smaller one still
# (its steps are signs, each of size lr).
_register("sgd", optim.SGD, "SGD", 0.1, variants=("ema",))
_register("momentum", optim.Momentum, "Momentum", 0.02, variants=("ema",))
_register("adagrad", optim.AdaGrad, "AdaGrad", 0.05, variants=("eps_inside_sqrt",))
_register("rmsprop", optim.RMSProp, "RMSProp", 0.001, variants=("eps_inside_sqrt",))
_register("adam", optim.Adam, "Adam", 0.001, variants=("bias_correction", "eps_inside_sqrt", "eps_hat"))
_register("adamw", optim.AdamW, "AdamW", 0.001, variants=("bias_correction", "eps_inside_sqrt", "eps_hat"))
_register("nadam", optim.NAdam, "NAdam", 0.002)
_register("radam", optim.RAdam, "RAdam", 0.001)
_register("adamax", optim.Adamax, "Adamax", 0.002)
_register("adadelta", optim.Adadelta, "Adadelta", 1.0)
_register("rprop", optim.Rprop, "Rprop", 0.001)
_register("asgd", optim.ASGD, "ASGD", 0.1)
# Without a line search, L-BFGS's unit steps diverge on mini-batches (on iris at batch 64);
# with strong Wolfe they train. line_search_fn=None (--line-search-fn none) is PyTorch's default.
_register("lbfgs", optim.LBFGS, "L-BFGS", 1.0, needs_closure=True,
          training_defaults=(("line_search_fn", "strong_wolfe"),))
_register("lion", optim.Lion, "Lion", 0.0003)
_register("adabelief", optim.AdaBelief, "AdaBelief", 0.001)
_register("yogi", optim.Yogi, "Yogi", 0.01)
_register("lamb", optim.LAMB, "LAMB", 0.01)
_register("schedule_free_sgd", optim.ScheduleFreeSGD, "Schedule-free SGD", 0.5)
_register("schedule_free_adamw", optim.ScheduleFreeAdamW, "Schedule-free AdamW", 0.0025)

# Classes of minigrad.optim deliberately not in the registry, and why.
# (optim.Adagrad and optim.RMSprop, PyTorch's spellings, are the registered classes themselves.)
EXCLUDED: dict[type, str] = {
    optim.Optimizer: "the base class every optimizer derives from",
    optim.Lookahead: "wraps another optimizer rather than being one: build it around any registry "
                     "optimizer in Python, Lookahead(registry.make('adam', params))",
}

NAMES: tuple[str, ...] = tuple(_REGISTRY)
# The five the slides compare: what ``minigrad compare`` / ``sweep`` / ``lab compare`` run
# when no optimizers are named.
CLASSIC: tuple[str, ...] = ("sgd", "momentum", "adagrad", "rmsprop", "adam")


def get(name: Any) -> OptimizerSpec:
    """The registry entry called ``name``: its name or display name, in any case, with or
    without '-', '_' or spaces ("AdamW", "L-BFGS", "schedule-free SGD").

    Raises UnknownOptimizerError (a ValueError) naming the value and listing the known names."""
    if isinstance(name, str):
        key = _key(name)
        for spec in _REGISTRY.values():
            if key in (_key(spec.name), _key(spec.display_name)):
                return spec
    raise UnknownOptimizerError(f"unknown optimizer {name!r}; choose one of: {', '.join(NAMES)}")


def _key(name: str) -> str:
    return "".join(character for character in name.lower() if character not in "-_ ")


def specs() -> list[OptimizerSpec]:
    """Every registry entry, in the registry's order."""
    return list(_REGISTRY.values())


def name_of(optimizer: Optimizer | type) -> str:
    """The registry name of an optimizer (or class); its class name if it is not registered
    (a user's own subclass, a Lookahead)."""
    cls = optimizer if isinstance(optimizer, type) else type(optimizer)
    for spec in _REGISTRY.values():
        if spec.cls is cls:
            return spec.name
    return cls.__name__


def needs_closure(optimizer: Optimizer) -> bool:
    """Whether ``optimizer.step`` needs a closure that recomputes the loss (L-BFGS, or a
    subclass of it)."""
    return any(spec.needs_closure and isinstance(optimizer, spec.cls) for spec in _REGISTRY.values())


def make(name: str, parameters: Iterable, lr: float | None = None, **options: Any) -> Optimizer:
    """The optimizer called ``name`` over ``parameters``; see ``OptimizerSpec.make``."""
    return get(name).make(parameters, lr, **options)


def check_options(name: str, options: dict[str, Any], spelling=None) -> None:
    """Raise OptionError naming the option and the optimizer if ``name`` does not take one of
    ``options``. ``spelling`` turns an option's keyword into the name the user typed (the
    command line passes one that gives ``--weight-decay``)."""
    spec = get(name)
    spell = spelling or (lambda option: option)
    for option in options:
        if not spec.accepts(option):
            takes = ", ".join(spell(o) for o in (spec.cli_options if spelling else spec.options)) or "no options"
            raise OptionError(f"{spell(option)} does not apply to {spec.name} ({spec.display_name} takes: {takes})")


def check_values(name: str, lr: float | None = None, options: dict[str, Any] | None = None,
                 schedule=None) -> None:
    """Raise what building optimizer ``name`` with ``lr`` and ``options`` (and the scheduler
    ``schedule(optimizer)`` if given) would raise, without touching any real parameter:
    the command line and the sweep check every run's settings before the first one trains."""
    import numpy as np

    from minigrad.tensor import Tensor

    probe = Tensor(np.zeros(1), requires_grad=True)
    optimizer = make(name, [probe], lr, **(options or {}))
    if schedule is not None:
        schedule(optimizer)


def class_options(options: dict[str, Any]) -> dict[str, Any]:
    """Options written as JSON values (pairs as lists, choices as the command line spells
    them: ``bias_correction="false"``) turned into what the classes take (tuples, True/False)."""
    converted = {}
    for name, value in options.items():
        option = OPTIONS.get(name)
        if isinstance(value, list):
            value = tuple(value)
        elif option is not None and option.values and isinstance(value, str):
            value = option.values.get(value, value)
        converted[name] = value
    return converted
