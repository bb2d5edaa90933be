"""The ``minigrad`` command: ``minigrad --version``, ``minigrad <subcommand> ...``.

Each subcommand lives in its own module, which provides ``register(subparsers)``:
it adds its parser and sets ``func`` (called with the parsed arguments, returning
an exit code). Adding a subcommand means adding its module name to SUBCOMMANDS.

Exit status: 0 done; 2 the command was used wrongly (argparse's own errors, an option's
value, an output path that cannot be written), with a one-line ``minigrad CMD: error: ...``
on stderr; 1 it failed while working (a damaged input file, a diverged run, a full disk),
also in one line; 141 its output pipe was closed.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

import minigrad

SUBCOMMANDS: list[str] = ["minigrad.commands.train", "minigrad.commands.compare", "minigrad.commands.lab",
                           "minigrad.commands.sweep"]
SUBCOMMANDS.append("minigrad.commands.playground")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minigrad",
        description="minigrad: autograd on NumPy; train small MLPs and study optimizers.",
    )
    parser.add_argument("--version", action="version", version=f"minigrad {minigrad.__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in SUBCOMMANDS:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return 2  # a command is required: a usage error, as argparse reports its own
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        # The reader went away (`minigrad lab table ... | head`): stop quietly, as Unix tools
        # do, and keep Python from failing again while it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as error:
        # The commands report the failures they expect with more context; whatever else the
        # system refuses (a full disk, a permission) is still one line, not a traceback.
        command = " ".join(filter(None, [args.command, getattr(args, "lab_command", None)]))
        print(f"minigrad {command}: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
