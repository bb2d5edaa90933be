"""A playground setup: every field the page shows, its limits, and one parser for them all.

The page, its URL and the server speak one flat vocabulary: ``dataset=moons&hidden=8,8&
opt=adam&lr=0.01&...``. The second optimizer of a race takes the same names behind ``b.``
(``b.opt=momentum&b.lr=0.05``). ``parse_config`` reads such a mapping (a URL's query or a JSON
object) into a checked ``Config``; ``Config.query()`` writes the canonical query back, so a
shared link restores exactly the same run. Anything wrong raises ``ConfigError``, which
names the field and the value, and nothing is built from a setup that did not pass.

``Limits`` bounds the work one client may ask for (widths, depth, points, steps per second):
a tab cannot take the machine, whatever it sends.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable, Mapping

GENERATED_DATASETS = ("moons", "circles", "blobs", "spirals", "xor")
BUNDLED_DATASETS = ("iris", "wine", "breast_cancer", "digits")
DATASETS = GENERATED_DATASETS + BUNDLED_DATASETS
ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu")
OPTIMIZERS = ("sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw")
SCHEDULES = ("none", "step", "exponential", "cosine", "warmup")
BIAS_CORRECTIONS = ("both", "first", "second", "none")
RACE_PREFIX = "b."

# Learning rates that make each rule learn the 2-D datasets within a few hundred steps at
# batch 32 (small networks, standardized inputs: larger than the command line's defaults).
DEFAULT_LR = {"sgd": 0.3, "momentum": 0.05, "adagrad": 0.1, "rmsprop": 0.01, "adam": 0.02, "adamw": 0.02}
DISPLAY_NAMES = {"sgd": "SGD", "momentum": "Momentum", "adagrad": "AdaGrad", "rmsprop": "RMSProp",
                 "adam": "Adam", "adamw": "AdamW"}


class ConfigError(ValueError):
    """A setup that cannot run; ``field`` names the parameter at fault ("" if none does)."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Limits:
    """What one client may ask of the server; the defaults keep a 2-core machine responsive
    with several tabs training at once."""

    max_hidden_layers: int = 6
    max_width: int = 64
    max_points: int = 2000
    max_speed: int = 250          # optimizer steps per second, per client (a race steps both)
    max_steps: int = 20_000       # per run; playing pauses there
    max_step_request: int = 500   # steps one "step" command may ask for
    max_runs: int = 16            # clients at once
    idle_seconds: float = 600.0   # a run nobody watches is dropped after this
    max_body_bytes: int = 16_384  # a command's JSON body

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Field:
    """One parameter of the page: how it parses, its range, when it applies, how it reads.

    ``optimizers`` / ``schedules`` / ``datasets``: the field exists only for those (None: always).
    ``default`` may be a dict keyed by optimizer name, with "*" for the others.
    """

    name: str
    kind: str  # "choice", "int", "float", "bool", "ints" (comma-separated ints), "weight" (layer:row:col)
    default: Any
    label: str
    help: str = ""
    choices: tuple = ()
    low: float | None = None
    high: float | None = None
    low_open: bool = False        # low itself excluded
    high_open: bool = False
    optimizers: tuple | None = None
    schedules: tuple | None = None
    datasets: tuple | None = None
    lane: bool = False            # belongs to an optimizer (repeated behind "b." in a race)

    def default_for(self, optimizer: str | None) -> Any:
        if isinstance(self.default, dict):
            return self.default.get(optimizer, self.default.get("*"))
        return self.default

    def applies(self, context: Mapping[str, Any]) -> bool:
        return ((self.optimizers is None or context.get("opt") in self.optimizers)
                and (self.schedules is None or context.get("schedule") in self.schedules)
                and (self.datasets is None or context.get("dataset") in self.datasets))

    def describe(self, limits: Limits) -> dict[str, Any]:
        """The field as the page builds its control from it (JSON-ready)."""
        high = self.high
        if self.name == "points":
            high = limits.max_points
        elif self.name == "speed":
            high = limits.max_speed
        elif self.name == "hidden":
            high = limits.max_width
        return {
            "name": self.name, "kind": self.kind, "default": self.default, "label": self.label,
            "help": self.help, "choices": list(self.choices), "low": self.low, "high": high,
            "low_open": self.low_open, "high_open": self.high_open,
            "optimizers": None if self.optimizers is None else list(self.optimizers),
            "schedules": None if self.schedules is None else list(self.schedules),
            "datasets": None if self.datasets is None else list(self.datasets), "lane": self.lane,
        }


_MOMENTUM_RULES = ("sgd", "momentum")
_ROOT_RULES = ("adagrad", "rmsprop", "adam", "adamw")
_ADAM = ("adam", "adamw")

FIELDS: tuple[Field, ...] = (
    # ---- data ----
    Field("dataset", "choice", "moons", "Dataset", choices=DATASETS,
          help="moons, circles, blobs, spirals and xor are generated; iris, wine, breast_cancer "
               "and digits are scikit-learn's bundled sets, projected to 2-D by PCA"),
    Field("points", "int", 400, "Points", low=20, datasets=GENERATED_DATASETS,
          help="samples generated (train and test together)"),
    Field("noise", "float", 0.2, "Noise", low=0.0, high=1.0, datasets=GENERATED_DATASETS,
          help="spread of the Gaussian noise, relative to the dataset's size"),
    Field("split", "float", 0.3, "Test fraction", low=0.1, high=0.9,
          help="share of the samples held out as the test set (stratified)"),
    Field("seed", "int", 0, "Seed", low=0, high=2**32 - 1,
          help="one seed for the data, the initial weights, the batches and dropout"),
    # ---- model ----
    Field("hidden", "ints", "8,8", "Hidden layers", low=1,
          help="widths of the hidden layers, comma-separated (empty: a linear model)"),
    Field("activation", "choice", "tanh", "Activation", choices=ACTIVATIONS),
    Field("dropout", "float", 0.0, "Dropout", low=0.0, high=0.9, help="probability of zeroing a hidden unit"),
    Field("batch", "int", 32, "Batch size", low=1, high=2000),
    # ---- the run ----
    Field("speed", "int", 50, "Steps per second", low=1, help="how fast playing trains (both lanes in a race)"),
    Field("watch", "weight", "0:0:0", "Watched weight",
          help="layer:row:col of the weight whose trajectory and optimizer state are drawn"),
    # ---- an optimizer (one per lane) ----
    Field("opt", "choice", "adam", "Optimizer", choices=OPTIMIZERS, lane=True),
    Field("lr", "float", DEFAULT_LR, "Learning rate", low=0.0, high=1e4, low_open=True, lane=True),
    Field("momentum", "float", {"momentum": 0.9, "*": 0.0}, "Momentum", low=0.0, high=1.0, high_open=True,
          optimizers=_MOMENTUM_RULES + ("rmsprop",), lane=True),
    Field("nesterov", "bool", False, "Nesterov", optimizers=_MOMENTUM_RULES, lane=True),
    Field("ema", "bool", False, "EMA momentum (slides)", optimizers=_MOMENTUM_RULES, lane=True,
          help="the slides' V = βV + (1-β)g from V = 0, instead of PyTorch's buffer"),
    Field("alpha", "float", 0.99, "ρ (alpha)", low=0.0, high=1.0, high_open=True,
          optimizers=("rmsprop",), lane=True, help="decay of the squared-gradient average"),
    Field("centered", "bool", False, "Centered", optimizers=("rmsprop",), lane=True),
    Field("beta1", "float", 0.9, "β1", low=0.0, high=1.0, high_open=True, optimizers=_ADAM, lane=True),
    Field("beta2", "float", 0.999, "β2", low=0.0, high=1.0, high_open=True, optimizers=_ADAM, lane=True),
    Field("eps", "float", {"adagrad": 1e-10, "*": 1e-8}, "ε", low=0.0, high=1.0,
          optimizers=_ROOT_RULES, lane=True),
    Field("eps_inside_sqrt", "bool", False, "ε inside the root (slides)", optimizers=_ROOT_RULES, lane=True,
          help="sqrt(v + ε) as the slides write it, instead of PyTorch's sqrt(v) + ε"),
    Field("bias_correction", "choice", "both", "Bias correction", choices=BIAS_CORRECTIONS,
          optimizers=_ADAM, lane=True,
          help="both: PyTorch; first: m only (the slides' last Adam); none: the slides' simpler Adam"),
    Field("amsgrad", "bool", False, "AMSGrad", optimizers=_ADAM, lane=True),
    Field("weight_decay", "float", {"adamw": 0.01, "*": 0.0}, "Weight decay", low=0.0, high=1.0, lane=True),
    Field("schedule", "choice", "none", "Schedule", choices=SCHEDULES, lane=True,
          help="learning-rate schedule, stepped once per epoch"),
    Field("step_size", "int", 10, "Step every (epochs)", low=1, high=100_000, schedules=("step",), lane=True),
    Field("gamma", "float", {"*": 0.5}, "γ (factor)", low=0.0, high=1.0,
          schedules=("step", "exponential"), lane=True),
    Field("t_max", "int", 50, "T_max (epochs)", low=1, high=100_000, schedules=("cosine",), lane=True),
    Field("warmup", "int", 5, "Warmup (epochs)", low=1, high=100_000, schedules=("warmup",), lane=True),
)
FIELD_BY_NAME = {f.name: f for f in FIELDS}
LANE_FIELDS = tuple(f for f in FIELDS if f.lane)
GLOBAL_FIELDS = tuple(f for f in FIELDS if not f.lane)


@dataclass(frozen=True)
class LaneConfig:
    """One optimizer of the run: its name, its hyperparameters and its schedule."""

    values: dict[str, Any]

    @property
    def optimizer(self) -> str:
        return self.values["opt"]

    @property
    def label(self) -> str:
        return f"{DISPLAY_NAMES[self.optimizer]} (lr={self.values['lr']:g})"

    def optimizer_kwargs(self) -> dict[str, Any]:
        """The constructor arguments of the optimizer class (``optimizer_class()``)."""
        v = self.values
        name = v["opt"]
        kwargs: dict[str, Any] = {"lr": v["lr"], "weight_decay": v["weight_decay"]}
        if name in _MOMENTUM_RULES:
            kwargs.update(momentum=v["momentum"], nesterov=v["nesterov"], ema=v["ema"])
        elif name == "adagrad":
            kwargs.update(eps=v["eps"], eps_inside_sqrt=v["eps_inside_sqrt"])
        elif name == "rmsprop":
            kwargs.update(alpha=v["alpha"], eps=v["eps"], eps_inside_sqrt=v["eps_inside_sqrt"],
                          momentum=v["momentum"], centered=v["centered"])
        else:
            correction = {"both": True, "none": False}.get(v["bias_correction"], v["bias_correction"])
            kwargs.update(betas=(v["beta1"], v["beta2"]), eps=v["eps"], eps_inside_sqrt=v["eps_inside_sqrt"],
                          bias_correction=correction, amsgrad=v["amsgrad"])
        return kwargs

    def optimizer_class(self):
        from minigrad.optim import registry

        return registry.get(self.optimizer).cls

    def make_optimizer(self, parameters):
        return self.optimizer_class()(parameters, **self.optimizer_kwargs())

    def make_scheduler(self, optimizer):
        """The schedule's scheduler on ``optimizer`` (stepped once per epoch), or None."""
        from minigrad.optim import lr_scheduler

        v = self.values
        kind = v["schedule"]
        if kind == "step":
            return lr_scheduler.StepLR(optimizer, step_size=v["step_size"], gamma=v["gamma"])
        if kind == "exponential":
            return lr_scheduler.ExponentialLR(optimizer, gamma=v["gamma"])
        if kind == "cosine":
            return lr_scheduler.CosineAnnealingLR(optimizer, T_max=v["t_max"])
        if kind == "warmup":
            return lr_scheduler.LinearLR(optimizer, start_factor=0.1, end_factor=1.0, total_iters=v["warmup"])
        return None


@dataclass(frozen=True)
class Config:
    """A checked setup: ``values`` holds every global field, ``lanes`` one or two optimizers."""

    values: dict[str, Any]
    lanes: tuple[LaneConfig, ...]

    @property
    def hidden(self) -> tuple[int, ...]:
        return self.values["hidden"]

    @property
    def watch(self) -> tuple[int, int, int]:
        return tuple(int(part) for part in self.values["watch"].split(":"))  # type: ignore[return-value]

    @property
    def race(self) -> bool:
        return len(self.lanes) == 2

    def training_key(self) -> tuple:
        """What a run is built from: a change here restarts it (speed and watch do not)."""
        data = tuple(sorted((k, _hashable(v)) for k, v in self.values.items() if k not in ("speed", "watch")))
        lanes = tuple(tuple(sorted((k, _hashable(v)) for k, v in lane.values.items())) for lane in self.lanes)
        return data, lanes

    def as_flat(self) -> dict[str, Any]:
        """Every field that applies, by its query name (JSON-ready: ``hidden`` as a string)."""
        flat: dict[str, Any] = {}
        for f in GLOBAL_FIELDS:
            if f.name in self.values:
                flat[f.name] = format_value(f, self.values[f.name])
        for prefix, lane in zip(("", RACE_PREFIX), self.lanes):
            for f in LANE_FIELDS:
                if f.name in lane.values:
                    flat[prefix + f.name] = format_value(f, lane.values[f.name])
        return flat

    def query(self) -> str:
        """The canonical URL query of this setup (``parse_config`` reads it back unchanged)."""
        from urllib.parse import urlencode

        return urlencode({k: str(v) for k, v in self.as_flat().items()}, safe=",:")


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def format_value(f: Field, value: Any) -> Any:
    if f.kind == "ints":
        return ",".join(str(v) for v in value)
    if f.kind == "bool":
        return "1" if value else "0"
    if f.kind == "float":
        return _short_float(value)
    return value


def _short_float(value: float) -> str:
    text = f"{value:g}"
    return text if float(text) == value else repr(float(value))


def default_config() -> Config:
    return parse_config({})


# ---- parsing ---------------------------------------------------------------------------------

def parse_config(raw: Mapping[str, Any], limits: Limits = Limits()) -> Config:
    """Check a flat mapping of field names to values (strings from a URL, or JSON values).

    Every field left out takes its default. Raises ``ConfigError`` naming the first field
    at fault: an unknown name, a value of the wrong kind or out of range, a field that does
    not apply to the chosen optimizer, schedule or dataset, a hyperparameter combination the
    optimizer refuses, or a size over ``limits``.
    """
    if not isinstance(raw, Mapping):
        raise ConfigError(f"a setup must be an object of field names and values, got {type(raw).__name__}")
    _check_names(raw)
    values = _parse_fields(GLOBAL_FIELDS, raw, "", {"dataset": raw.get("dataset", "moons")}, limits)
    lanes = [_parse_lane(raw, "", limits)]
    race_keys = sorted(k for k in raw if k.startswith(RACE_PREFIX))
    if race_keys:
        if RACE_PREFIX + "opt" not in raw:
            raise ConfigError(f"{race_keys[0]} is given but {RACE_PREFIX}opt is not: set {RACE_PREFIX}opt "
                              f"to race a second optimizer", race_keys[0])
        lanes.append(_parse_lane(raw, RACE_PREFIX, limits))
    config = Config(values, tuple(lanes))
    _check_sizes(config, limits)
    _check_watch(config)
    return config


def _check_names(raw: Mapping[str, Any]) -> None:
    known_global = {f.name for f in GLOBAL_FIELDS}
    known_lane = {f.name for f in LANE_FIELDS}
    for key in raw:
        if not isinstance(key, str):
            raise ConfigError(f"field names are strings, got {key!r}")
        name = key[len(RACE_PREFIX):] if key.startswith(RACE_PREFIX) else key
        if key in known_global or name in known_lane:
            continue
        names = ", ".join(sorted(known_global | known_lane))
        raise ConfigError(f"unknown parameter {key!r}; the parameters are: {names} "
                          f"(and {RACE_PREFIX}<optimizer field> for a race)", key)


def _parse_lane(raw: Mapping[str, Any], prefix: str, limits: Limits) -> LaneConfig:
    context = {"opt": _parse_value(FIELD_BY_NAME["opt"], raw.get(prefix + "opt", "adam"), prefix, limits)}
    context["schedule"] = _parse_value(FIELD_BY_NAME["schedule"], raw.get(prefix + "schedule", "none"),
                                       prefix, limits)
    values = _parse_fields(LANE_FIELDS, raw, prefix, context, limits)
    lane = LaneConfig(values)
    _check_with_optimizer(lane, prefix)
    return lane


def _parse_fields(fields, raw, prefix: str, context: dict, limits: Limits) -> dict[str, Any]:
    if "dataset" in context:
        context["dataset"] = _parse_value(FIELD_BY_NAME["dataset"], context["dataset"], prefix, limits)
    values: dict[str, Any] = {}
    for f in fields:
        key = prefix + f.name
        if not f.applies(context):
            if key in raw:
                raise ConfigError(f"{key} does not apply here ({_why_not(f, context)})", key)
            continue
        value = raw[key] if key in raw else _default_within(f, context.get("opt"), limits)
        values[f.name] = _parse_value(f, value, prefix, limits)
    return values


def _default_within(f: Field, optimizer: str | None, limits: Limits) -> Any:
    """The field's default, lowered to the server's limit when the limit is smaller."""
    default = f.default_for(optimizer)
    limit = {"points": limits.max_points, "speed": limits.max_speed}.get(f.name)
    return min(default, limit) if limit is not None else default


def _why_not(f: Field, context: Mapping[str, Any]) -> str:
    if f.optimizers is not None and context.get("opt") not in f.optimizers:
        return f"{context.get('opt')} has no {f.name}; it is a field of {', '.join(f.optimizers)}"
    if f.schedules is not None and context.get("schedule") not in f.schedules:
        return f"the schedule {context.get('schedule')!r} has no {f.name}; it belongs to {', '.join(f.schedules)}"
    return (f"the dataset {context.get('dataset')!r} is a fixed scikit-learn set; {f.name} is for the "
            f"generated ones: {', '.join(f.datasets or ())}")


def _parse_value(f: Field, value: Any, prefix: str, limits: Limits) -> Any:
    key = prefix + f.name
    parse: Callable[[Field, Any, str, Limits], Any] = _PARSERS[f.kind]
    return parse(f, value, key, limits)


def _parse_choice(f: Field, value: Any, key: str, limits: Limits) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{key}: expected a name, got {value!r}", key)
    if value not in f.choices:
        raise ConfigError(f"{key}: unknown {f.label.lower()} {value!r}; choose one of: {', '.join(f.choices)}", key)
    return value


def _parse_weight(f: Field, value: Any, key: str, limits: Limits) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{key}: expected layer:row:col, got {value!r}", key)
    parts = value.split(":")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        raise ConfigError(f"{key}: expected layer:row:col with three non-negative integers "
                          f"(0:0:0 is the first layer's weight[0, 0]), got {value!r}", key)
    return ":".join(str(int(part)) for part in parts)


def _parse_bool(f: Field, value: Any, key: str, limits: Limits) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("1", "true", "on", "yes"):
        return True
    if isinstance(value, str) and value.lower() in ("0", "false", "off", "no"):
        return False
    raise ConfigError(f"{key}: expected 1 or 0 (true or false), got {value!r}", key)


def _number(value: Any, key: str, integer: bool) -> float | int:
    what = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, (str, numbers.Real)):
        raise ConfigError(f"{key}: expected {what}, got {value!r}", key)
    if isinstance(value, str):
        text = value.strip()
        try:
            number: float | int = int(text) if integer else float(text)
        except ValueError:
            raise ConfigError(f"{key}: expected {what}, got {value!r}", key) from None
    else:
        number = value
        if integer and not float(number).is_integer():
            raise ConfigError(f"{key}: expected {what}, got {value!r}", key)
    if not math.isfinite(number):
        raise ConfigError(f"{key}: expected a finite number, got {value!r}", key)
    return int(number) if integer else float(number)


def _check_range(f: Field, number: float, key: str, high: float | None = None) -> None:
    high = f.high if high is None else high
    low_ok = f.low is None or (number > f.low if f.low_open else number >= f.low)
    high_ok = high is None or (number < high if f.high_open else number <= high)
    if low_ok and high_ok:
        return
    bounds = []
    if f.low is not None:
        bounds.append(f"{'>' if f.low_open else '>='} {f.low:g}")
    if high is not None:
        bounds.append(f"{'<' if f.high_open else '<='} {high:g}")
    raise ConfigError(f"{key}: must be {' and '.join(bounds)}, got {number:g}", key)


def _parse_int(f: Field, value: Any, key: str, limits: Limits) -> int:
    number = int(_number(value, key, integer=True))
    high = {"points": limits.max_points, "speed": limits.max_speed}.get(f.name)
    _check_range(f, number, key, high)
    return number


def _parse_float(f: Field, value: Any, key: str, limits: Limits) -> float:
    number = float(_number(value, key, integer=False))
    _check_range(f, number, key)
    return number


def _parse_ints(f: Field, value: Any, key: str, limits: Limits) -> tuple[int, ...]:
    if isinstance(value, str):
        parts = [part for part in value.replace(" ", "").split(",")] if value.strip() else []
    elif isinstance(value, (list, tuple)):
        parts = list(value)
    else:
        raise ConfigError(f"{key}: expected widths such as 8,8 (or nothing for a linear model), got {value!r}", key)
    if len(parts) > limits.max_hidden_layers:
        raise ConfigError(f"{key}: {len(parts)} hidden layers is over the limit of {limits.max_hidden_layers}", key)
    widths = []
    for part in parts:
        width = int(_number(part, key, integer=True))
        if width < 1:
            raise ConfigError(f"{key}: a width must be at least 1, got {width}", key)
        if width > limits.max_width:
            raise ConfigError(f"{key}: width {width} is over the limit of {limits.max_width} units per layer", key)
        widths.append(width)
    return tuple(widths)


_PARSERS = {"choice": _parse_choice, "bool": _parse_bool, "int": _parse_int, "float": _parse_float,
            "ints": _parse_ints, "weight": _parse_weight}


def _check_with_optimizer(lane: LaneConfig, prefix: str) -> None:
    """Let the optimizer class itself refuse a combination (nesterov without momentum, ...)."""
    import numpy as np

    from minigrad.tensor import Tensor

    probe = Tensor(np.zeros(1, dtype=np.float32), requires_grad=True)
    try:
        lane.make_optimizer([probe])
    except (ValueError, TypeError) as error:
        raise ConfigError(f"{prefix}opt={lane.optimizer}: {error}", _field_named_in(str(error), prefix)) from None


def _field_named_in(message: str, prefix: str) -> str:
    """The first lane field the optimizer's message names (its messages name the value)."""
    import re

    for f in LANE_FIELDS[1:]:
        if re.search(rf"\b{f.name}\b", message.lower()):
            return prefix + f.name
    return prefix + "opt"


def _check_sizes(config: Config, limits: Limits) -> None:
    if config.values["batch"] > limits.max_points:
        raise ConfigError(f"batch: {config.values['batch']} is over the limit of {limits.max_points}", "batch")


def _check_watch(config: Config) -> None:
    layer, row, col = config.watch
    sizes = [2, *config.hidden, None]  # the output width depends on the dataset: checked with the data
    if layer > len(config.hidden):
        raise ConfigError(f"watch: layer {layer} does not exist; the network has {len(config.hidden) + 1} "
                          f"layers with weights (0 to {len(config.hidden)})", "watch")
    fan_in, fan_out = sizes[layer], sizes[layer + 1]
    if col >= fan_in:
        raise ConfigError(f"watch: column {col} is out of range; layer {layer} has {fan_in} inputs "
                          f"(columns 0 to {fan_in - 1})", "watch")
    if fan_out is not None and row >= fan_out:
        raise ConfigError(f"watch: row {row} is out of range; layer {layer} has {fan_out} units "
                          f"(rows 0 to {fan_out - 1})", "watch")


def schema(limits: Limits = Limits()) -> dict[str, Any]:
    """Everything the page needs to build its controls (JSON-ready)."""
    return {
        "fields": [f.describe(limits) for f in FIELDS],
        "race_prefix": RACE_PREFIX,
        "generated_datasets": list(GENERATED_DATASETS),
        "bundled_datasets": list(BUNDLED_DATASETS),
        "display_names": DISPLAY_NAMES,
        "limits": limits.as_dict(),
        "defaults": default_config().as_flat(),
    }


__all__ = ["Config", "ConfigError", "Field", "FIELDS", "LaneConfig", "Limits", "parse_config", "schema",
           "default_config", "DATASETS", "OPTIMIZERS"]
