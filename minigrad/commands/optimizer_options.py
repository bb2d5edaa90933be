"""The optimizer options every training command shares (``train``, ``compare``, ``sweep``,
``lab``), built from the one optimizer registry (``minigrad.optim.registry``).

Only the options given reach the optimizer; the rest keep its class' (torch.optim's)
defaults. An option the chosen optimizer does not take is refused (exit 2, one line naming
the option and the optimizer) rather than silently ignored.
"""
from __future__ import annotations

import argparse
from typing import Any

from minigrad.optim import registry
from minigrad.train.schedules import SCHEDULE_SPECS, schedule_from


def optimizer_list() -> str:
    """"sgd (SGD), momentum (Momentum), ..." for the help texts."""
    return ", ".join(spec.name for spec in registry.specs())


def default_lrs() -> str:
    return ", ".join(f"{spec.name} {spec.default_lr:g}" for spec in registry.specs())


def optimizer_name(text: str) -> str:
    """argparse type of an optimizer name: the registry's spelling ("AdamW" -> "adamw")."""
    try:
        return registry.get(text).name
    except registry.UnknownOptimizerError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def is_known(name: str) -> bool:
    try:
        registry.get(name)
    except registry.UnknownOptimizerError:
        return False
    return True


def add_optimizer_options(parser: argparse.ArgumentParser, schedule_help: str) -> None:
    """The registry's options as flags (``--momentum``, ``--weight-decay``, ``--nesterov``,
    the slides' variants ...) and ``--schedule``. Left-out flags are absent from the parsed
    arguments (argparse.SUPPRESS), so that only given options are passed on."""
    group = parser.add_argument_group(
        "optimizer options (torch.optim names; only those given are passed, and each must apply to the "
        "chosen optimizer)")
    for option in registry.OPTIONS.values():
        common = {"dest": f"option_{option.name}", "default": argparse.SUPPRESS, "help": option.help}
        if option.kind == "flag":
            group.add_argument(option.flag, action="store_true", **common)
        elif option.kind == "pair":
            group.add_argument(option.flag, type=float, nargs=2, metavar=("A", "B"), **common)
        elif option.kind == "choice":
            group.add_argument(option.flag, choices=option.choices, **common)
        else:
            group.add_argument(option.flag, type=int if option.kind == "int" else float,
                               metavar=option.name.upper(), **common)
    group.add_argument("--schedule", default=None, metavar="SPEC",
                       help=f"{schedule_help}: {', '.join(SCHEDULE_SPECS)}")


def given_options(args) -> dict[str, Any]:
    """The optimizer options given on the command line, as JSON values (pairs are lists), by
    keyword: what a checkpoint or a sweep row records."""
    given = {}
    for option in registry.OPTIONS.values():
        if hasattr(args, f"option_{option.name}"):
            value = getattr(args, f"option_{option.name}")
            given[option.name] = list(value) if option.kind == "pair" else value
    return given


def class_options(options: dict[str, Any]) -> dict[str, Any]:
    """JSON option values as the optimizer classes take them (see ``registry.class_options``)."""
    return registry.class_options(options)


def check_options(names: list[str], options: dict[str, Any]) -> None:
    """OptionError (one line, naming the flag and the optimizer) if an option given does not
    apply to one of the optimizers ``names``."""
    for name in names:
        registry.check_options(name, options, spelling=lambda keyword: registry.OPTIONS[keyword].flag
                               if keyword in registry.OPTIONS else keyword)


def check_schedule(spec: str | None):
    """The scheduler factory of ``--schedule`` (None without one); ValueError if malformed."""
    return schedule_from(spec)


def options_text(options: dict[str, Any]) -> str:
    """The options as flags, e.g. ``--momentum 0.9 --nesterov``, for messages."""
    parts = []
    for name, value in options.items():
        flag = registry.OPTIONS[name].flag if name in registry.OPTIONS else name
        if value is True:
            parts.append(flag)
        elif isinstance(value, list):
            parts.append(f"{flag} {' '.join(map(str, value))}")
        else:
            parts.append(f"{flag} {value}")
    return " ".join(parts)
