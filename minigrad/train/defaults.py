"""Ready-made choices for the command line and the examples: optimizers by name with their
default learning rates, the default number of epochs, one BLAS thread."""
from __future__ import annotations

from typing import Iterable

from minigrad.optim import registry

# The optimizers and their default learning rates come from the one registry
# (minigrad.optim.registry): every registry name is accepted. OPTIMIZERS are the five the
# slides compare, which ``minigrad compare`` and ``minigrad sweep`` run when none are named.
DEFAULT_LR = {spec.name: spec.default_lr for spec in registry.specs()}
OPTIMIZERS = registry.CLASSIC


def make_optimizer(name: str, parameters: Iterable, lr: float | None = None, **options):
    """The registry optimizer called ``name`` at ``lr`` or its default lr, with ``options``
    (keywords of its class). Raises ValueError naming an unknown name or an option that does
    not apply to it, before anything is built."""
    return registry.make(name, parameters, lr, **options)


def default_epochs(n_samples: int, batch_size: int, min_steps: int = 600, min_epochs: int = 30) -> int:
    """Enough epochs for about ``min_steps`` optimizer steps, and at least ``min_epochs``.

    Small datasets give few steps per epoch (iris at batch 64: two), so they need more epochs
    to learn as much as digits does in 30.
    """
    steps_per_epoch = -(-n_samples // batch_size)
    return max(min_epochs, -(-min_steps // steps_per_epoch))


def single_threaded_blas():
    """A context manager limiting BLAS to one thread (a no-op without threadpoolctl).

    The matrices of small MLPs are far too small for threads to pay: on a busy machine,
    OpenBLAS' threads waiting for each other made a digits epoch ten times slower than one
    thread. The command line trains inside it; wrap your own loops in it likewise.
    """
    import contextlib

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")
