"""Lookahead (optax.lookahead): any optimizer's fast weights, pulled back to slow ones every k steps."""
from __future__ import annotations

import copy
from typing import Any, Callable

import numpy as np

from minigrad.optim import functional as F
from minigrad.optim.optimizer import Optimizer, ParamGroup, _is_index, check_flag, check_number
from minigrad.tensor import Tensor


class Lookahead(Optimizer):
    """Lookahead around any optimizer (optax.lookahead, Zhang et al. 2019).

    The wrapped optimizer moves the parameters (the fast weights theta) as usual; beside them
    the optimizer keeps slow weights phi (state "slow_param", phi_0 = theta_0). Every
    ``sync_period`` (k) steps:

        phi <- phi + alpha (theta - phi),   theta <- phi        (alpha = slow_step_size)

    so the fast weights explore k steps ahead and the slow ones follow a fraction of the way.
    ``reset_state=True`` also forgets the wrapped optimizer's state at each sync. Its
    ``param_groups`` are the wrapped optimizer's, so a scheduler can be given either; the
    closure and the return value of ``step`` are the wrapped optimizer's. Defaults k = 5,
    alpha = 0.5 are the paper's (optax has none).
    """

    def __init__(self, optimizer: Optimizer, sync_period: int = 5, slow_step_size: float = 0.5,
                 reset_state: bool = False):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"Lookahead wraps an Optimizer, got {type(optimizer).__name__}")
        self._check_settings(sync_period, slow_step_size, reset_state)
        self.optimizer = optimizer
        self.sync_period, self.slow_step_size, self.reset_state = sync_period, slow_step_size, reset_state
        self.steps_since_sync = 0
        self.state: dict[Tensor, dict[str, Any]] = {}
        self._slow: dict[int, np.ndarray] = {}  # id(chunk) -> slow weights of the chunk's data

    @staticmethod
    def _check_settings(sync_period, slow_step_size, reset_state) -> None:
        if not _is_index(sync_period) or sync_period < 1:
            raise ValueError(f"Invalid sync_period: {sync_period!r} (must be an integer >= 1)")
        check_number("slow_step_size", slow_step_size)
        if not 0 <= slow_step_size <= 1:
            raise ValueError(f"Invalid slow_step_size: {slow_step_size!r} (must be in [0, 1])")
        check_flag("reset_state", reset_state)

    @property
    def param_groups(self) -> list[ParamGroup]:
        return self.optimizer.param_groups

    @property
    def defaults(self) -> dict[str, Any]:
        return self.optimizer.defaults

    def add_param_group(self, param_group: ParamGroup) -> None:
        self.optimizer.add_param_group(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none)

    def _chunks_and_arrays(self):
        """(key, data array, params, views of it) for every block of parameters the wrapped
        optimizer updates: its flat chunks when it has them, else each parameter."""
        chunks = getattr(self.optimizer, "_chunks", None)
        if chunks is None:
            return [(id(p), p.data, [p], [p.data]) for group in self.param_groups for p in group["params"]]
        return [(id(chunk), chunk.data, chunk.params, chunk.data_views)
                for group_chunks in chunks for chunk in group_chunks]

    def _ensure_slow(self, blocks) -> None:
        for key, data, params, views in blocks:
            if key in self._slow:
                continue
            slow = self._slow[key] = np.array(data, copy=True)
            offset = 0
            for param, view in zip(params, views):
                self.state[param] = {"slow_param": slow.reshape(-1)[offset:offset + view.size].reshape(view.shape)}
                offset += view.size

    def step(self, closure: Callable[[], Any] | None = None, **step_inputs: Any) -> Any:
        """A step of the wrapped optimizer, then a sync every ``sync_period`` steps. Keyword
        arguments go to the wrapped optimizer's ``step`` (a per-sample Adam's
        ``sum_grad_squared``)."""
        for group_chunks in getattr(self.optimizer, "_chunks", []):
            for chunk in group_chunks:
                chunk.adopt_replaced_data()
        self._ensure_slow(self._chunks_and_arrays())  # phi_0 = theta_0, before the first update
        loss = self.optimizer.step(closure, **step_inputs)
        self.steps_since_sync += 1
        if self.steps_since_sync == self.sync_period:
            for key, data, _, _ in self._chunks_and_arrays():
                F.lookahead_sync(data, self._slow[key], self.slow_step_size)
            self.steps_since_sync = 0
            if self.reset_state:
                self.optimizer.state.clear()
        return loss

    # ---- saving and resuming ------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The wrapped optimizer's state dict, the slow weights (by parameter index) and the
        Lookahead settings."""
        index_of = {id(p): i for i, p in enumerate(p for g in self.param_groups for p in g["params"])}
        return {
            "optimizer": self.optimizer.state_dict(),
            "slow_params": {index_of[id(p)]: np.array(s["slow_param"], copy=True) for p, s in self.state.items()},
            "steps_since_sync": self.steps_since_sync,
            "lookahead": {"sync_period": self.sync_period, "slow_step_size": self.slow_step_size,
                          "reset_state": self.reset_state},
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore all of it; checks everything first, so a state dict that does not fit
        changes nothing."""
        expected = {"optimizer", "slow_params", "steps_since_sync", "lookahead"}
        if not isinstance(state_dict, dict) or set(state_dict) != expected:
            keys = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"a Lookahead state dict has keys {sorted(expected)}, got {keys}")
        settings = state_dict["lookahead"]
        if not isinstance(settings, dict) or set(settings) != {"sync_period", "slow_step_size", "reset_state"}:
            raise ValueError(f"the Lookahead settings must be sync_period, slow_step_size, reset_state; got {settings!r:.80}")
        self._check_settings(settings["sync_period"], settings["slow_step_size"], settings["reset_state"])
        steps = state_dict["steps_since_sync"]
        if not _is_index(steps) or not 0 <= steps < settings["sync_period"]:
            raise ValueError(f"Invalid steps_since_sync: {steps!r} (must be an integer in [0, sync_period))")
        params = [p for g in self.param_groups for p in g["params"]]
        slow = state_dict["slow_params"]
        if not isinstance(slow, dict):
            raise TypeError(f"the Lookahead slow_params must be a dict of parameter index -> array, got {slow!r:.60}")
        checked = {}
        for index, value in slow.items():
            if not _is_index(index) or not 0 <= index < len(params):
                raise ValueError(f"the Lookahead state has slow weights for parameter {index!r}, which no group lists")
            array = np.asarray(value)
            if array.dtype.kind not in "biuf" or array.shape != params[index].shape:
                raise ValueError(f"the Lookahead slow weights of parameter {index} have shape {array.shape}, "
                                 f"dtype {array.dtype}; the parameter has shape {params[index].shape}")
            checked[index] = array
        inner_before = copy.deepcopy(self.optimizer.state_dict())
        self.optimizer.load_state_dict(state_dict["optimizer"])  # checks first, changes nothing if it raises
        try:
            blocks = self._chunks_and_arrays()
        except Exception:
            self.optimizer.load_state_dict(inner_before)
            raise
        self.sync_period, self.slow_step_size = settings["sync_period"], settings["slow_step_size"]
        self.reset_state, self.steps_since_sync = settings["reset_state"], steps
        self._slow.clear()
        self.state.clear()
        self._ensure_slow(blocks)
        for index, array in checked.items():
            self.state[params[index]]["slow_param"][...] = array

    def __repr__(self) -> str:
        return (f"Lookahead(sync_period={self.sync_period}, slow_step_size={self.slow_step_size}, "
                f"reset_state={self.reset_state}) around\n{self.optimizer!r}")
