"""A playground run: one or two optimizers training the same MLP on the same data, step by step.

Each *lane* is what ``minigrad.train.fit`` does, unrolled so that it can stop after any step:
an ``nn.MLP`` seeded by the setup's seed, a seeded ``DataLoader``, an optimizer of
``minigrad.optim`` and its schedule, stepped once per epoch. The steps are fit's own
(forward, cross-entropy, zero_grad, backward, step), so a lane's weights after k epochs are,
bit for bit, those ``fit`` gives after k epochs; a race's two lanes start from the same
weights and see the same batches. A non-finite loss stops a lane with fit's
``DivergenceError`` message, plus where the weights blew up; the other lane goes on.

As it trains, a lane *records* at step 0, at every step up to 199, then sparser (step s when s is
a multiple of s // 100): train and test loss and accuracy on the whole sets, the lr, each
layer's gradient norm and update/parameter ratio, and the watched weight with its gradient,
its optimizer state and the step actually applied. Under 800 records cover the longest run.

Nothing here needs a web server: ``PlaygroundRun`` is driven by the server, the tests and
the docs alike. It is not thread-safe on its own; the server holds ``run.lock``.
"""
from __future__ import annotations

import base64
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from minigrad import nn
from minigrad.data import DataLoader
from minigrad.nn.functional import cross_entropy
from minigrad.playground.config import Config, ConfigError, LaneConfig, Limits
from minigrad.playground.datasets import PlaneData, make_plane_data
from minigrad.tensor import Tensor
from minigrad.train import DivergenceError, current_lr, evaluate, predict_proba

GRID = 64  # the decision boundary is drawn from a GRID x GRID image of the model's predictions

# What each optimizer's state buffers are called on the slides (the page shows both names).
STATE_NAMES = {"exp_avg": "m", "exp_avg_sq": "v", "max_exp_avg_sq": "v max", "square_avg": "s",
               "sum": "s (sum of g²)", "momentum_buffer": "velocity", "grad_avg": "mean g"}


def is_recorded(step: int) -> bool:
    """Every step up to 199, then step s when s is a multiple of s // 100: dense where the
    curves change fast, about 100 records per tenfold of steps after that."""
    return step < 200 or step % (step // 100) == 0


@dataclass
class Divergence:
    """Where and why a lane stopped: its step, epoch, fit's message and the weights' state."""

    step: int
    epoch: int
    message: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"step": self.step, "epoch": self.epoch, "message": self.message, "detail": self.detail}


def divergence_message(loss: float, epoch: int, step: int, steps: int, lr: float) -> str:
    """The text of the ``DivergenceError`` that ``fit`` raises for the same loss and place."""
    return (f"training diverged: the loss is {loss} at epoch {epoch}, step {step} of {steps} "
            f"(lr={lr:g}). The learning rate is probably too large for this model and data: "
            f"try a smaller one, e.g. lr={lr / 10:g}.")


class Lane:
    """One optimizer training its own copy of the model (see the module docstring)."""

    def __init__(self, lane: LaneConfig, config: Config, data: PlaneData):
        seed = config.values["seed"]
        self.config = lane
        self.label = lane.label
        self.data = data
        sizes = [2, *config.hidden, data.n_classes]
        self.model = nn.MLP(sizes, activation=config.values["activation"], dropout=config.values["dropout"],
                            seed=seed)
        self.optimizer = lane.make_optimizer(self.model.parameters())
        self.scheduler = lane.make_scheduler(self.optimizer)
        self.loader = DataLoader(data.X_train, data.y_train, batch_size=config.values["batch"], shuffle=True, seed=seed)
        self.linears = [m for m in self.model.modules() if isinstance(m, nn.Linear)]
        self.layer_names = [name for name, m in self.model.named_modules() if isinstance(m, nn.Linear)]
        self.epoch = 1
        self.step_in_epoch = 0
        self.lr = current_lr(self.optimizer)  # fit reads the lr once per epoch
        self._batches = iter(self.loader)
        self.records: list[dict[str, Any]] = []
        self.diverged: Divergence | None = None
        self.watch: tuple[int, int, int] = config.watch

    # ---- training ---------------------------------------------------------------------------
    def step(self, number: int) -> None:
        """Optimizer step ``number`` (1-based, counted by the run); nothing once diverged."""
        if self.diverged is not None:
            return
        xb, yb = self._next_batch()
        self.model.train()
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            logits = self.model(Tensor(xb))
            loss = cross_entropy(logits, yb)
            value = float(loss.data)
            if not math.isfinite(value):
                self._stop(number, value)
                return
            self.optimizer.zero_grad()
            loss.backward()
            record = is_recorded(number)
            before = [p.data.copy() for p in self._layer_params()] if record else None
            watched_before = self._watched_state() if record else None
            self.optimizer.step()
        if record:
            self.records.append(self._record(number, before, watched_before))

    def _next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        try:
            batch = next(self._batches)
        except StopIteration:
            # An epoch ended: the schedule steps, as fit steps it after each epoch.
            if self.scheduler is not None:
                self.scheduler.step()
            self.epoch += 1
            self.step_in_epoch = 0
            self.lr = current_lr(self.optimizer)
            self._batches = iter(self.loader)
            batch = next(self._batches)
        self.step_in_epoch += 1
        return batch

    def _stop(self, number: int, loss: float) -> None:
        # fit names the lr of the diverging step (the same as the epoch's here: the schedules
        # step between epochs).
        message = divergence_message(loss, self.epoch, self.step_in_epoch, len(self.loader),
                                     current_lr(self.optimizer))
        error = DivergenceError(message)
        self.diverged = Divergence(number, self.epoch, str(error), self._blow_up_detail())

    def _blow_up_detail(self) -> str:
        """Where the weights went wrong: the layers with non-finite weights, or else how large
        each layer's weights have grown (the largest first)."""
        bad = [f"{name}.weight" for name, layer in zip(self.layer_names, self.linears)
               if not (np.isfinite(layer.weight.data).all() and np.isfinite(layer.bias.data).all())]
        if bad:
            return "non-finite weights in " + ", ".join(bad)
        sizes = sorted(((float(np.abs(layer.weight.data).max()), name)
                        for name, layer in zip(self.layer_names, self.linears)), reverse=True)
        listed = ", ".join(f"{name}.weight {size:.3g}" for size, name in sizes)
        return f"the logits overflowed; the largest |weight| per layer: {listed}"

    def _layer_params(self) -> list:
        return [layer.weight for layer in self.linears]

    # ---- records ----------------------------------------------------------------------------
    def record_start(self) -> None:
        """The record of step 0: the untrained model (no gradient or update yet)."""
        self.records.append(self._record(0, None, self._watched_state()))

    def _record(self, number: int, before: list[np.ndarray] | None, watched_before) -> dict[str, Any]:
        data = self.data
        with np.errstate(all="ignore"):
            train = evaluate(self.model, data.X_train, data.y_train)
            test = evaluate(self.model, data.X_test, data.y_test)
            layers = self._layer_stats(before)
            weight = self._weight_record(watched_before)
        return {"step": number, "epoch": self.epoch, "lr": self.lr,
                "train_loss": train["loss"], "train_accuracy": train["accuracy"],
                "test_loss": test["loss"], "test_accuracy": test["accuracy"],
                "grad_norm": layers[0], "update_ratio": layers[1], "weight": weight}

    def _layer_stats(self, before: list[np.ndarray] | None) -> tuple[list | None, list | None]:
        """Per layer: the gradient's norm, and |update| / |weight| (the step's relative size)."""
        if before is None:
            return None, None
        grad_norms, ratios = [], []
        for param, old in zip(self._layer_params(), before):
            grad = np.asarray(param.grad, dtype=np.float64)
            grad_norms.append(float(np.linalg.norm(grad)))
            change = float(np.linalg.norm(param.data.astype(np.float64) - old))
            size = float(np.linalg.norm(old.astype(np.float64)))
            ratios.append(change / size if size > 0 else None)
        return grad_norms, ratios

    def _watched_param(self):
        layer, row, col = self.watch
        return self.linears[layer].weight, (row, col)

    def _watched_state(self) -> dict[str, Any]:
        param, index = self._watched_param()
        state = self.optimizer.state.get(param, {})
        return {"value": float(param.data[index]),
                "state": {name: float(buffer[index]) for name, buffer in state.items()
                          if isinstance(buffer, np.ndarray)}}

    def _weight_record(self, before: dict[str, Any] | None) -> dict[str, Any]:
        """The watched weight after this step: value, gradient, state, the update applied and
        the effective learning rate -update / gradient (what plain SGD would have needed)."""
        param, index = self._watched_param()
        after = self._watched_state()
        grad = None if param.grad is None else float(np.asarray(param.grad)[index])
        update = None if before is None or grad is None else after["value"] - before["value"]
        effective_lr = -update / grad if update is not None and grad else None
        return {"id": ":".join(map(str, self.watch)), "value": after["value"], "grad": grad, "update": update,
                "effective_lr": effective_lr, "state": after["state"]}

    # ---- the picture --------------------------------------------------------------------------
    def boundary(self, grid: np.ndarray) -> str:
        """The model's prediction on ``grid``, two bytes per cell (class, confidence 0-255),
        base64-encoded: what the page paints under the points."""
        with np.errstate(all="ignore"):
            proba = predict_proba(self.model, grid)
        proba = np.nan_to_num(proba, nan=0.0)
        classes = proba.argmax(axis=1).astype(np.uint8)
        confidence = np.clip(np.round(proba.max(axis=1) * 255), 0, 255).astype(np.uint8)
        return base64.b64encode(np.stack([classes, confidence], axis=1).tobytes()).decode("ascii")


class RateLimiter:
    """A token bucket: at most ``rate`` steps per second on average, ``rate`` at once."""

    def __init__(self, rate: float):
        self.rate = float(rate)
        self.tokens = float(rate)
        self.updated = time.monotonic()

    def available(self) -> float:
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return self.tokens

    def take(self, steps: int) -> bool:
        if self.available() < steps:
            return False
        self.tokens -= steps
        return True


class PlaygroundRun:
    """A client's run: the setup, its data, one lane per optimizer, and the play state.

    ``generation`` grows each time the run is rebuilt (reset, or a setup that changes the
    training); ``version`` each time anything a page shows changes.
    """

    def __init__(self, config: Config, limits: Limits = Limits()):
        self.limits = limits
        self.lock = threading.Lock()
        self.generation = 0
        self.version = 0
        self.playing = False
        self.note = ""
        self.limiter = RateLimiter(limits.max_speed)
        self.last_seen = time.monotonic()
        self.streams = 0
        self._install(*self._build(config))

    # ---- building -----------------------------------------------------------------------------
    @staticmethod
    def _build(config: Config) -> tuple[Config, PlaneData, list[Lane], np.ndarray]:
        """Everything a setup needs, made before anything of the current run is replaced."""
        v = config.values
        try:
            data = make_plane_data(v["dataset"], v.get("points", 0), v.get("noise", 0.0), v["split"], v["seed"])
        except ValueError as error:  # e.g. too few points of a class for the split
            raise ConfigError(f"the data cannot be made with this setup: {error}", "points") from None
        layer, row, _ = config.watch
        if layer == len(config.hidden) and row >= data.n_classes:
            raise ConfigError(f"watch: row {row} is out of range; the output layer has {data.n_classes} "
                              f"units for {v['dataset']} (rows 0 to {data.n_classes - 1})", "watch")
        lanes = [Lane(lane, config, data) for lane in config.lanes]
        for lane in lanes:
            lane.record_start()
        return config, data, lanes, data.grid(GRID)

    def _install(self, config: Config, data: PlaneData, lanes: list[Lane], grid: np.ndarray) -> None:
        self.config, self.data, self.lanes, self.grid = config, data, lanes, grid
        self.steps = 0
        self.note = ""
        self.generation += 1
        self.version += 1

    def reset(self) -> None:
        """Back to step 0 with the same setup, paused."""
        self._install(*self._build(self.config))
        self.playing = False

    def configure(self, config: Config) -> bool:
        """Take a new setup; returns True if the run restarted (a change that affects training).
        A setup that fails to build leaves the run as it was."""
        if config.training_key() == self.config.training_key():
            if config.watch != self.config.watch:
                self._check_watch_against_data(config)
                for lane in self.lanes:
                    lane.watch = config.watch
            self.config = config
            self.version += 1
            return False
        self._install(*self._build(config))
        return True

    def _check_watch_against_data(self, config: Config) -> None:
        layer, row, _ = config.watch
        if layer == len(config.hidden) and row >= self.data.n_classes:
            raise ConfigError(f"watch: row {row} is out of range; the output layer has {self.data.n_classes} "
                              f"units (rows 0 to {self.data.n_classes - 1})", "watch")

    # ---- training -----------------------------------------------------------------------------
    @property
    def finished(self) -> bool:
        return self.steps >= self.limits.max_steps or all(lane.diverged for lane in self.lanes)

    def train(self, steps: int, deadline: float | None = None) -> int:
        """Up to ``steps`` steps of every lane (fewer at the run's end or past ``deadline``, a
        ``time.monotonic()`` value); returns how many were taken."""
        taken = 0
        while taken < steps and not self.finished:
            if deadline is not None and taken and time.monotonic() > deadline:
                break
            self.steps += 1
            for lane in self.lanes:
                lane.step(self.steps)
            taken += 1
        if taken:
            self.version += 1
        if self.finished and self.playing:
            self.playing = False
            self.note = (f"stopped: the limit of {self.limits.max_steps} steps per run was reached"
                         if self.steps >= self.limits.max_steps else "stopped: every optimizer diverged")
            self.version += 1
        return taken

    def set_playing(self, playing: bool) -> None:
        if playing and self.finished:
            self.note = ("the run is over (every optimizer diverged): change the setup or reset"
                         if all(lane.diverged for lane in self.lanes)
                         else f"the run reached the limit of {self.limits.max_steps} steps: reset to go on")
            self.version += 1
            return
        self.playing = playing
        self.note = ""
        self.version += 1

    # ---- what the page receives -------------------------------------------------------------
    def data_dict(self) -> dict[str, Any]:
        d = self.data
        return {"name": d.name, "description": d.description, "class_names": list(d.class_names),
                "bounds": list(d.bounds()), "grid": GRID,
                "train": {"x": _floats(d.X_train[:, 0]), "y": _floats(d.X_train[:, 1]),
                          "label": d.y_train.tolist()},
                "test": {"x": _floats(d.X_test[:, 0]), "y": _floats(d.X_test[:, 1]), "label": d.y_test.tolist()}}

    def frame(self, since: list[int] | None = None, boundary: bool = True) -> dict[str, Any]:
        """What changed for a page that already has ``since[i]`` records of lane i (None: a full
        frame, with the data). JSON-ready: non-finite numbers become null."""
        full = since is None
        since = since or [0] * len(self.lanes)
        lanes = []
        for lane, start in zip(self.lanes, since):
            lanes.append({
                "label": lane.label, "optimizer": lane.config.optimizer, "epoch": lane.epoch,
                "lr": lane.lr, "steps_per_epoch": len(lane.loader), "layer_names": lane.layer_names,
                "state_names": STATE_NAMES,
                "diverged": lane.diverged.as_dict() if lane.diverged else None,
                "records_from": start, "records": lane.records[start:],
                "boundary": lane.boundary(self.grid) if boundary else None,
            })
        frame = {"run": self.generation, "version": self.version, "full": full, "step": self.steps,
                 "playing": self.playing, "speed": self.config.values["speed"], "note": self.note,
                 "max_steps": self.limits.max_steps, "watch": self.config.values["watch"],
                 "query": self.config.query(), "lanes": lanes}
        if full:
            frame["data"] = self.data_dict()
            frame["config"] = self.config.as_flat()
        return finite_json(frame)

    def record_counts(self) -> list[int]:
        return [len(lane.records) for lane in self.lanes]

    def status(self) -> dict[str, Any]:
        """A short summary (the answer to a command): step, play state, each lane's latest numbers."""
        lanes = []
        for lane in self.lanes:
            latest = {k: v for k, v in lane.records[-1].items() if k not in ("grad_norm", "update_ratio", "weight")}
            lanes.append({"label": lane.label, "epoch": lane.epoch, "lr": lane.lr, "latest": latest,
                          "diverged": lane.diverged.as_dict() if lane.diverged else None})
        return finite_json({"run": self.generation, "step": self.steps, "playing": self.playing,
                            "note": self.note, "query": self.config.query(), "lanes": lanes})

    def curves_csv(self) -> str:
        """Every record's curves, one row per lane and recorded step."""
        import csv
        import io

        columns = ["step", "epoch", "lr", "train_loss", "train_accuracy", "test_loss", "test_accuracy"]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["lane", "optimizer", *columns])
        for name, lane in zip("AB", self.lanes):
            for record in lane.records:
                writer.writerow([name, lane.label, *(_csv_value(record[c]) for c in columns)])
            if lane.diverged:
                d = lane.diverged
                writer.writerow([name, lane.label, d.step, d.epoch, lane.lr, "nan", "", "", ""])
        return out.getvalue()


def _csv_value(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _floats(values: np.ndarray) -> list[float]:
    return [round(float(v), 5) for v in values]


def finite_json(value: Any) -> Any:
    """``value`` with every NaN or infinity replaced by None (JSON has no such numbers)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_json(v) for v in value]
    return value
