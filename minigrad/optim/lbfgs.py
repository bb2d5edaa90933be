"""L-BFGS (torch.optim.LBFGS): a quasi-Newton method that needs the loss, through a closure."""
from __future__ import annotations

import numbers
from typing import Any, Callable, Iterable

import numpy as np

from minigrad.autograd import enable_grad
from minigrad.optim import functional as F
from minigrad.optim.optimizer import (Optimizer, ParamGroup, _is_index, check_nonnegative, grad_array)
from minigrad.tensor import Tensor

_LINE_SEARCHES = (None, "strong_wolfe")


class LBFGS(Optimizer):
    """L-BFGS (torch.optim.LBFGS, same names and defaults; optax.lbfgs), Liu & Nocedal 1989.

    ``step(closure)`` runs up to ``max_iter`` iterations, each (theta, g_k as in the slides):

        s_k = theta_k - theta_{k-1},  y_k = g_k - g_{k-1}     (the last ``history_size`` pairs)
        d_k = -H_k g_k       (H_k: the inverse-Hessian estimate the pairs define, two-loop
                              recursion from H_0 = (y.s / y.y) I)
        theta_{k+1} = theta_k + t_k d_k,   t_k = lr, or a strong Wolfe line search

    and returns the loss at the start. The closure must recompute the loss, backpropagate and
    return the loss, as in PyTorch::

        def closure():
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            return loss
        optimizer.step(closure)

    It stops early when max |g| <= ``tolerance_grad``, or the step or the change of the loss
    is below ``tolerance_change``, or after ``max_eval`` evaluations (default
    max_iter * 5 // 4). One parameter group only (the history is one vector). Its state lives
    with the first parameter, under PyTorch's keys (see ``functional.lbfgs``).

    NOTE: without a line search the step is lr along d: L-BFGS then behaves like a scaled
    Newton method and may diverge on non-convex losses; ``line_search_fn="strong_wolfe"`` is
    the safe choice. All parameters must share one dtype.
    """

    def __init__(self, params: Iterable, lr: float = 1.0, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None, *, flat: bool = True):
        if isinstance(max_iter, numbers.Integral) and not isinstance(max_iter, bool) and max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, history_size=history_size,
                        line_search_fn=line_search_fn)
        groups = list(params) if not isinstance(params, (Tensor, np.ndarray, dict)) else params
        if isinstance(groups, list) and len(groups) > 1 and all(isinstance(g, dict) for g in groups):
            raise ValueError(
                f"LBFGS takes one parameter group (its history is one vector over all parameters), "
                f"got {len(groups)}"
            )
        super().__init__(groups, defaults, flat=flat)
        dtypes = sorted({str(p.data.dtype) for p in self.param_groups[0]["params"]})
        if len(dtypes) > 1:
            raise ValueError(f"LBFGS needs parameters of one dtype (one flat vector), got {dtypes}")

    def add_param_group(self, param_group: ParamGroup) -> None:
        raise ValueError("LBFGS takes one parameter group (its history is one vector over all parameters)")

    def _validate(self, group) -> None:
        super()._validate(group)
        for name in ("max_iter", "max_eval", "history_size"):
            value = group[name]
            if not _is_index(value) or value < 1:
                raise ValueError(f"Invalid {name}: {value!r} (must be an integer >= 1)")
        check_nonnegative("tolerance_grad", group["tolerance_grad"])
        check_nonnegative("tolerance_change", group["tolerance_change"])
        if group["line_search_fn"] not in _LINE_SEARCHES:
            raise ValueError(f"Invalid line_search_fn: {group['line_search_fn']!r} (use None or 'strong_wolfe')")

    def _buffers(self, group) -> dict[str, float]:
        return {}

    # ---- the step --------------------------------------------------------------------------
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Up to ``max_iter`` L-BFGS iterations; returns what the first call of ``closure`` returned."""
        if closure is None:
            raise TypeError("LBFGS.step needs a closure that recomputes the loss, calls backward() "
                            "and returns the loss")
        if not callable(closure):
            raise TypeError(f"step(closure): the closure must be a function, got {closure!r:.60}")
        group = self.param_groups[0]
        params = group["params"]
        chunks = self._chunks[0]
        for chunk in chunks:
            chunk.adopt_replaced_data()
        own = self._own_vector(chunks)
        flat = own if own is not None else np.concatenate([p.data.ravel() for p in params])
        first: list[Any] = []

        def evaluate() -> tuple[float, np.ndarray]:
            if own is None:
                self._scatter(flat)
            with enable_grad():
                loss = closure()
            if not first:
                first.append(loss)
            return self._loss_value(loss), self._gather_grad(params)

        state = self.state.get(params[0])
        working = F.lbfgs_init(flat) if state is None else state
        try:
            F.lbfgs(flat, evaluate, working, lr=group["lr"], max_iter=group["max_iter"],
                    max_eval=group["max_eval"], tolerance_grad=group["tolerance_grad"],
                    tolerance_change=group["tolerance_change"], history_size=group["history_size"],
                    line_search_fn=group["line_search_fn"])
        finally:  # F.lbfgs leaves flat as it was if the closure raised; so are the parameters then
            if own is None:
                self._scatter(flat)
        self.state[params[0]] = working
        return first[0]

    @staticmethod
    def _own_vector(chunks) -> np.ndarray | None:
        """The parameters' own storage as one vector when they have one (a flat buffer, or a
        single writable C-ordered parameter): L-BFGS then works on it with no copy in or out."""
        if len(chunks) != 1:
            return None
        data = chunks[0].data
        if chunks[0].flat:
            return data
        return data.reshape(-1) if data.flags.c_contiguous and data.flags.writeable else None

    def _scatter(self, flat: np.ndarray) -> None:
        offset = 0
        for param in self.param_groups[0]["params"]:
            size = param.data.size
            param.data[...] = flat[offset:offset + size].reshape(param.data.shape)
            offset += size

    def _gather_grad(self, params: list[Tensor]) -> np.ndarray:
        """All gradients as one new vector (zeros for a parameter without one), checked."""
        self._check_step_inputs()
        pieces = []
        for param in params:
            grad = grad_array(param)
            pieces.append(np.zeros(param.data.size, param.data.dtype) if grad is None else grad.ravel())
        return np.concatenate(pieces)

    @staticmethod
    def _loss_value(loss: Any) -> float:
        if loss is None:
            raise TypeError("the closure returned None: LBFGS needs the loss to search and to stop; "
                            "end the closure with 'return loss'")
        if isinstance(loss, Tensor):
            if loss.data.size != 1:
                raise ValueError(f"the closure returned a Tensor of shape {loss.shape}; LBFGS needs a scalar loss")
            return float(loss.data.reshape(()))
        try:
            return float(loss)
        except (TypeError, ValueError):
            raise TypeError(f"the closure returned {loss!r:.60}; LBFGS needs the loss as a number") from None

    # ---- saving and resuming ------------------------------------------------------------------
    def _checked_param_state(self, index: int, param: Tensor, saved_state: dict, group: ParamGroup) -> dict:
        if param is not self.param_groups[0]["params"][0]:
            raise ValueError(f"LBFGS keeps its state with parameter 0; the state dict has state for parameter {index}")
        size = sum(p.data.size for p in self.param_groups[0]["params"])
        dtype = param.data.dtype
        checked: dict[str, Any] = {}
        for name in ("func_evals", "n_iter"):
            value = saved_state.get(name)
            if not _is_index(value) or value < 0:
                raise ValueError(f"the LBFGS state has {name}={value!r:.40}; expected an integer >= 0")
            checked[name] = int(value)
        later = ("d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "prev_loss")
        present = [name for name in later if name in saved_state]
        if present and len(present) != len(later):
            raise ValueError(f"the LBFGS state lacks {[n for n in later if n not in present]}")
        unknown = sorted(set(saved_state) - {"func_evals", "n_iter", *later})
        if unknown:
            raise ValueError(f"the LBFGS state has unknown entries {unknown}")
        if not present:
            return checked
        for name in ("t", "H_diag", "prev_loss"):
            checked[name] = _real(name, saved_state[name])
        checked["d"] = _vector("d", saved_state["d"], size, dtype)
        checked["prev_flat_grad"] = _vector("prev_flat_grad", saved_state["prev_flat_grad"], size, dtype)
        lengths = {name: len(saved_state[name]) if isinstance(saved_state[name], (list, tuple)) else None
                   for name in ("old_dirs", "old_stps", "ro")}
        if None in lengths.values() or len(set(lengths.values())) != 1:
            raise ValueError(f"the LBFGS state's old_dirs, old_stps and ro must be lists of one length, got {lengths}")
        checked["old_dirs"] = [_vector("old_dirs", v, size, dtype) for v in saved_state["old_dirs"]]
        checked["old_stps"] = [_vector("old_stps", v, size, dtype) for v in saved_state["old_stps"]]
        checked["ro"] = [_real("ro", v) for v in saved_state["ro"]]
        return checked

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and the L-BFGS memory; checks everything first."""
        new_groups, new_states = self._checked_state(state_dict)
        group = self.param_groups[0]
        params = group["params"]
        group.clear()
        group.update(new_groups[0])
        group["params"] = params
        self.state.clear()
        saved = new_states.get(id(params[0]))
        if saved is not None:
            self.state[params[0]] = saved


def _real(name: str, value: Any) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"the LBFGS state has {name}={value!r:.40}; expected a real number")
    return float(value)


def _vector(name: str, value: Any, size: int, dtype: np.dtype) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind not in "biuf" or array.shape != (size,):
        raise ValueError(f"the LBFGS state has {name} of shape {array.shape}, dtype {array.dtype}; "
                         f"expected {size} real numbers (one per parameter entry)")
    return np.array(array, dtype=dtype, copy=True)
