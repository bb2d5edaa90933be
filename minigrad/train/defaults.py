"""Ready-made choices for the command line and the examples: optimizers by name with their
default learning rates, the default number of epochs, one BLAS thread."""
from __future__ import annotations

from typing import Iterable

# Learning rates that train an MLP on the standardized bundled datasets well (batch 64):
# plain SGD needs a large step, the adaptive methods a small one.
DEFAULT_LR = {"sgd": 0.1, "momentum": 0.02, "adagrad": 0.05, "rmsprop": 0.001, "adam": 0.001}
OPTIMIZERS = tuple(DEFAULT_LR)


def make_optimizer(name: str, parameters: Iterable, lr: float | None = None):
    """The optimizer called ``name`` (one of ``OPTIMIZERS``) at ``lr`` or its default lr."""
    from minigrad import optim

    classes = {"sgd": optim.SGD, "momentum": optim.Momentum, "adagrad": optim.AdaGrad,
               "rmsprop": optim.RMSProp, "adam": optim.Adam}
    if name not in classes:
        raise ValueError(f"unknown optimizer {name!r}; choose one of: {', '.join(classes)}")
    return classes[name](parameters, lr=DEFAULT_LR[name] if lr is None else lr)


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
