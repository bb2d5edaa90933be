"""Subcommands of the ``minigrad`` command, one module each (see ``minigrad.cli``)."""
