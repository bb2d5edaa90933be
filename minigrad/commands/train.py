"""``minigrad train``: train an MLP on a dataset and report its test accuracy.

With ``--json`` the last line of stdout is one JSON object (for scripts); ``--plot`` saves
the loss and accuracy curves; ``--checkpoint`` / ``--resume`` save and continue a run.

Errors are one line on stderr: exit status 2 when the command was used wrongly (an option's
value, an output path that cannot be written, options that contradict the resumed run's),
1 when it failed while working (a damaged checkpoint, a diverged run, a full disk).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass

import numpy as np

from minigrad.commands import optimizer_options as opts
from minigrad.commands.paths import prepare_outputs
from minigrad.data import DATASETS, DataLoader, DatasetSplits, load_dataset
from minigrad.optim import registry
from minigrad.train import (
    CheckpointError, CheckpointInfo, DivergenceError, History, default_epochs, evaluate,
    fit, make_optimizer, read_checkpoint_info, single_threaded_blas,
)

OPTIMIZER_NAMES = {spec.name: spec.display_name for spec in registry.specs()}


# The options that define a run. Their defaults apply to a new run; a resumed run takes the
# values its checkpoint recorded, and refuses others (they would change its split, its
# batches, its model or its optimizer half way). "optimizer_options" are the optimizer's
# options given (--momentum 0.9 ...), "schedule" the --schedule spec.
RUN_DEFAULTS = {"dataset": "digits", "optimizer": "adam", "batch_size": 64, "hidden": [128, 128], "seed": 0,
                "optimizer_options": {}, "schedule": None}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train", help="train an MLP on a bundled dataset",
        description="Train an MLP classifier on a scikit-learn dataset and report its test accuracy.",
    )
    add_dataset_arguments(parser)
    parser.add_argument("--optimizer", type=opts.optimizer_name, default=None, metavar="NAME",
                        help=f"update rule, one of: {opts.optimizer_list()} (default: adam, or the resumed "
                             "run's). lbfgs steps once per batch with a closure that re-evaluates it; with "
                             "--batch-size at least the training set's size it is full-batch L-BFGS")
    parser.add_argument("--lr", type=positive_float, default=None,
                        help=f"learning rate (default per optimizer: {opts.default_lrs()})")
    parser.add_argument("--plot", metavar="PATH", type=image_path,
                        help="save loss and accuracy curves to this image file")
    parser.add_argument("--checkpoint", metavar="PATH", help="save a checkpoint (.npz) after every epoch")
    parser.add_argument("--resume", metavar="PATH",
                        help="continue the run saved in this checkpoint, with its dataset, model, batch "
                             "size, seed and optimizer")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line at the end")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress (a bar on a terminal, a line per epoch elsewhere) or other notes")
    opts.add_optimizer_options(parser, "lr schedule, stepped after every optimizer step (counts are steps)")
    parser.set_defaults(func=run)


def add_dataset_arguments(parser: argparse.ArgumentParser) -> None:
    """The options ``train`` and ``compare`` share: data, model and schedule. Their defaults
    are filled in by ``run_options`` (None here tells an option given from one left out)."""
    parser.add_argument("--dataset", choices=list(DATASETS), default=None, help="dataset (default: digits)")
    parser.add_argument("--epochs", type=positive_int, default=None,
                        help="epochs (default: 30, or more on small datasets: about 600 steps)")
    parser.add_argument("--batch-size", type=positive_int, default=None, help="mini-batch size (default: 64)")
    parser.add_argument("--hidden", type=positive_int, nargs="+", default=None, metavar="N",
                        help="hidden layer sizes (default: 128 128)")
    parser.add_argument("--seed", type=non_negative_int, default=None,
                        help="seed of the split, the weights and the shuffling (default: 0)")


class OptionConflict(ValueError):
    """Options given on the command line that contradict the resumed run's."""


def run_options(args, saved: dict | None = None, source: str = "") -> None:
    """Fill in the run options ``args`` left out: the resumed run's (``saved``, the metadata
    of its checkpoint ``source``) where it recorded them, else the defaults. Raises
    OptionConflict, changing nothing, if options given differ from the recorded ones."""
    saved = saved or {}
    if not hasattr(args, "optimizer_options"):
        given = opts.given_options(args)
        args.optimizer_options = given or None  # None: not given (a resumed run keeps its own)
    if source and args.optimizer_options and saved.get("optimizer_options") is None:
        # The checkpoint's optimizer state brings its own hyperparameters back: options given
        # now would be set and then silently replaced by the saved ones.
        raise OptionConflict(
            f"{source} does not record the optimizer options of its run, and its saved optimizer state "
            f"would replace {opts.options_text(args.optimizer_options)}; leave the optimizer options out "
            f"to continue it, or start a new run without --resume")
    names = [name for name in RUN_DEFAULTS if hasattr(args, name)]  # compare has no --optimizer
    conflicts = [(_flag(name, getattr(args, name)), _flag(name, saved[name])) for name in names
                 if saved.get(name) is not None and getattr(args, name) not in (None, saved[name])]
    if conflicts:
        raise OptionConflict(
            f"{' '.join(given for given, _ in conflicts)} differ{'s' * (len(conflicts) == 1)} from the run in "
            f"{source} ({' '.join(recorded for _, recorded in conflicts)}); a resumed run keeps its data split, "
            f"model, batches and optimizer. Leave {'that option' if len(conflicts) == 1 else 'those options'} "
            f"out to continue it, or start a new run without --resume")
    for name in names:
        if getattr(args, name) is None:
            setattr(args, name, saved[name] if saved.get(name) is not None else RUN_DEFAULTS[name])


def _flag(name: str, value) -> str:
    if name == "optimizer_options":
        return opts.options_text(value) or "(no optimizer options)"
    shown = " ".join(map(str, value)) if isinstance(value, list) else str(value)
    return f"--{name.replace('_', '-')} {shown}"


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r} (at most 2**32 - 1)")
    return value


def image_path(text: str) -> str:
    """An image file name whose extension matplotlib can write, checked before any training."""
    suffix = os.path.splitext(text)[1].lower()
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:  # the plot itself will say that matplotlib is needed
        return text
    formats = FigureCanvasBase.get_supported_filetypes()
    if suffix and suffix[1:] not in formats:
        raise argparse.ArgumentTypeError(
            f"cannot save an image as {suffix!r} ({text!r}); use one of: {', '.join(sorted(formats))}")
    return text


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text!r}")
    return value


@dataclass
class Experiment:
    """A dataset with its loader and the model architecture the options ask for."""

    data: DatasetSplits
    sizes: list[int]
    epochs: int
    batch_size: int
    seed: int

    @classmethod
    def from_args(cls, args) -> "Experiment":
        """The experiment of ``args`` once ``run_options`` has filled in their defaults."""
        data = load_dataset(args.dataset, seed=args.seed)
        sizes = [data.n_features, *args.hidden, data.n_classes]
        epochs = args.epochs or default_epochs(len(data.X_train), args.batch_size)
        return cls(data, sizes, epochs, args.batch_size, args.seed)

    def model(self):
        from minigrad import nn
        return nn.MLP(self.sizes, seed=self.seed)

    def loader(self) -> DataLoader:
        return DataLoader(self.data.X_train, self.data.y_train, batch_size=self.batch_size, shuffle=True, seed=self.seed)

    def describe(self) -> str:
        d = self.data
        return (f"{d.name}: {len(d.X_train)} train / {len(d.X_test)} test samples, {d.n_classes} classes; "
                f"MLP {'-'.join(map(str, self.sizes))}, {self.epochs} epochs, batch {self.batch_size}")


def run(args) -> int:
    try:
        resumed = _check_before_training(args)
    except _Refused as refused:
        return _fail(refused.message, refused.code)
    experiment = Experiment.from_args(args)
    model = experiment.model()
    optimizer = make_optimizer(args.optimizer, model.parameters(), args.lr,
                               **opts.class_options(args.optimizer_options))
    scheduler = opts.check_schedule(args.schedule)(optimizer) if args.schedule else None
    lr = optimizer.param_groups[0]["lr"]
    loud = not args.quiet
    if resumed is not None:
        _resume_notes(args, resumed, experiment.epochs)
    if loud:
        where = f", resumed from {args.resume} at epoch {resumed.epochs}" if resumed else f" lr={lr:g}"
        # Flushed: in a pipe too, what is being trained shows before the first epoch ends.
        print(f"{experiment.describe()}; {OPTIMIZER_NAMES[args.optimizer]}{where}", flush=True)
    data = experiment.data
    metadata = {name: getattr(args, name) for name in RUN_DEFAULTS} | {"epochs": experiment.epochs}
    started = time.perf_counter()
    try:
        with single_threaded_blas():
            history = fit(model, optimizer, experiment.loader(), experiment.epochs,
                          val_data=(data.X_test, data.y_test), progress=loud, scheduler=scheduler,
                          scheduler_step="batch", checkpoint=args.checkpoint, resume=args.resume,
                          checkpoint_metadata=metadata)
    except (DivergenceError, CheckpointError, OSError) as error:
        return _fail(error, 1)
    seconds = time.perf_counter() - started
    if resumed is not None:
        # The checkpoint's optimizer state, lr included, is what continues the run.
        lr = optimizer.param_groups[0]["lr"]
        if args.lr is not None and args.lr != lr:
            print(f"minigrad train: note: --lr {args.lr:g} was not used: the run resumed from {args.resume} "
                  f"continues with its own optimizer state (lr={lr:g})", file=sys.stderr)
    test = evaluate(model, data.X_test, data.y_test)
    result = summary(args.dataset, args.optimizer, lr, experiment, history, test, seconds)
    if loud or not args.json:
        print(f"test accuracy {test['accuracy']:.4f}  test loss {test['loss']:.4f}  "
              f"final train loss {result['final_train_loss']:.4f}  ({seconds:.1f} s)")
    if args.plot:
        from minigrad.viz import plot_history
        title = f"{OPTIMIZER_NAMES[args.optimizer]} (lr={lr:g}) on {args.dataset}"
        try:
            plot_history(history, args.plot, title=title)
        except OSError as error:
            return _fail(error, 1)
        if loud:
            print(f"curves saved to {args.plot}")
    if args.checkpoint and loud:
        print(f"checkpoint saved to {args.checkpoint}")
    if args.json:
        print(json.dumps(result))
    return 0


class _Refused(Exception):
    def __init__(self, message, code: int):
        super().__init__(message)
        self.message, self.code = message, code


def _check_before_training(args) -> CheckpointInfo | None:
    """Everything that can be found wrong before training: the checkpoint to resume (read
    whole; exit 1 if damaged), the options against the ones it recorded (exit 2), the output
    paths (exit 2). Fills in the options left out; returns the resumed run's info."""
    resumed = None
    if args.resume:
        try:
            resumed = read_checkpoint_info(args.resume)
        except (CheckpointError, OSError) as error:
            raise _Refused(error, 1) from None
    try:
        run_options(args, resumed.metadata if resumed else None, args.resume)
        opts.check_options([args.optimizer], args.optimizer_options)
        registry.check_values(args.optimizer, args.lr, opts.class_options(args.optimizer_options),
                              opts.check_schedule(args.schedule))
    except (OptionConflict, ValueError, TypeError) as error:  # OptionConflict and registry.OptionError are ValueErrors
        raise _Refused(error, 2) from None
    problem = prepare_outputs({"--plot": args.plot, "--checkpoint": args.checkpoint})
    if problem:
        raise _Refused(problem, 2)
    target = resumed.metadata.get("epochs") if resumed else None
    if args.epochs is None and isinstance(target, int) and target > 0:
        args.epochs = target  # a resumed run goes on to its own target
    return resumed


def _resume_notes(args, resumed: CheckpointInfo, epochs: int) -> None:
    """Say, before training, what a resume will and will not do."""
    if not resumed.metadata:
        shown = [_flag(name, getattr(args, name)) for name in RUN_DEFAULTS if getattr(args, name) not in (None, {})]
        print(f"minigrad train: note: {args.resume} does not record the options of its run; continuing it "
              f"with {' '.join(shown)}", file=sys.stderr)
    if resumed.epochs >= epochs:
        print(f"minigrad train: note: the run in {args.resume} was already trained for {resumed.epochs} "
              f"epochs (--epochs {epochs}): nothing left to train", file=sys.stderr)


def _fail(error, code: int) -> int:
    print(f"minigrad train: error: {error}", file=sys.stderr)
    return code


def summary(dataset: str, optimizer: str, lr: float, experiment: Experiment, history: History,
            test: dict, seconds: float) -> dict:
    return {
        "dataset": dataset,
        "optimizer": optimizer,
        "lr": lr,
        "epochs": len(history),
        "batch_size": experiment.batch_size,
        "hidden": experiment.sizes[1:-1],
        "seed": experiment.seed,
        "test_accuracy": round(test["accuracy"], 6),
        "test_loss": round(test["loss"], 6),
        "final_train_loss": round(history.train_loss[-1], 6) if history.train_loss else None,
        "seconds": round(seconds, 3),
        "seconds_per_epoch": round(float(np.mean(history.seconds)), 4) if history.seconds else None,
    }
