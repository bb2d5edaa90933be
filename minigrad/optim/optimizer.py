"""Optimizer: parameter groups, lazily created per-parameter state, zero_grad, state_dict.

The skeleton is torch.optim's: ``param_groups`` is a list of dicts (``"params"`` plus every
hyperparameter, missing ones filled from ``defaults``); ``state[p]`` is created the first
time ``p`` has a gradient at ``step()``; ``state_dict()`` refers to parameters by their
position across the groups. Each subclass only says which state buffers its rule keeps and
which function of ``functional`` applies it.

Speed: the parameters of a group that share a dtype form a *chunk*. With more than one
parameter in it, their data live in one contiguous buffer (each ``p.data`` becomes a view of
it, values unchanged), and so do their gradients, state buffers and scratch space: one update
is then a handful of NumPy calls for the whole model, with no allocation. Each parameter's
view of the gradient buffer is also where backward writes its gradient when it can (an
``nn.MLP`` node does); gradients that arrive elsewhere (other ops, ``p.grad = array``) are
copied into the buffer, and ``p.grad`` then refers to its view. So, as with the flat data,
an array taken from ``p.grad`` holds that step's gradient only until the next backward. A
``p.data`` replaced by the user is copied back in.
``step()`` checks every gradient (a NumPy array of its parameter's shape and dtype, as
PyTorch requires) before it changes anything. An elementwise rule on a large chunk runs block
by block (``BLOCK_BYTES`` of each array at a time, the same bits): its passes then work in cache.
"""
from __future__ import annotations

import copy
import numbers
from typing import Any, Callable, Iterable

import numpy as np

from minigrad.autograd import enable_grad, grad_buffer_tensor
from minigrad.optim import functional as F
from minigrad.tensor import Tensor

ParamGroup = dict[str, Any]


# ---- validation helpers (shared by the optimizers) -------------------------------------------

def check_number(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"Invalid {name}: {value!r} (must be a real number)")


def check_nonnegative(name: str, value: Any) -> None:
    check_number(name, value)
    if not value >= 0:  # also rejects NaN
        raise ValueError(f"Invalid {name}: {value!r} (must be >= 0)")


def check_unit_interval(name: str, value: Any) -> None:
    """0 <= value < 1, as momentum and decay rates must be."""
    check_number(name, value)
    if not 0 <= value < 1:
        raise ValueError(f"Invalid {name}: {value!r} (must be in [0, 1))")


def check_flag(name: str, value: Any) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"Invalid {name}: {value!r} (must be True or False)")


def check_pair(name: str, value: Any) -> None:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"Invalid {name}: {value!r} (must be a pair)")


def check_betas(betas: Any) -> None:
    """(beta1, beta2), each in [0, 1)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"Invalid betas: {betas!r} (must be a pair (beta1, beta2))")
    check_unit_interval("beta1 (betas[0])", betas[0])
    check_unit_interval("beta2 (betas[1])", betas[1])


def as_pair(value: Any) -> Any:
    """A list given for a pair (betas, etas) is kept as a tuple, as PyTorch users write both."""
    return tuple(value) if isinstance(value, list) else value


def _is_index(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _flat_view(array: np.ndarray) -> np.ndarray | None:
    """A 1-D view of a C-contiguous array (None for any other layout: a copy would not write back)."""
    return array.reshape(-1) if array.flags.c_contiguous else None


# ---- the one place where a parameter's gradient is read or set --------------------------------

def grad_array(param: Tensor) -> np.ndarray | None:
    """``param``'s gradient as the NumPy array the update rules read, or None.

    Every read of a gradient in ``minigrad.optim`` goes through here or ``grad_arrays`` (its
    form for a list, one call per step) and every write through ``set_grad_array``, so how a
    Tensor holds its gradient (``.grad`` is a Tensor) is decided in these functions.
    """
    grad = param._grad
    return None if grad is None else grad.data


def grad_arrays(params: list[Tensor]) -> list[np.ndarray | None]:
    """``grad_array`` of each parameter, in one call (a step reads them all)."""
    return [None if param._grad is None else param._grad.data for param in params]


def set_grad_array(param: Tensor, array: np.ndarray | None) -> None:
    """Make ``array`` (or None) ``param``'s gradient. Its slot of the flat gradient buffer
    is wrapped once and reused (no new Tensor per step)."""
    if array is None:
        param._grad = None
    elif array is param._grad_buffer:
        param._grad = grad_buffer_tensor(param)
    else:
        param.grad = array


_NO_SCALARS: dict[str, float] = {}  # shared, never written: most rules keep no scalar state

# A rule is a handful of NumPy passes over its arrays (Adam: 13, where PyTorch's fused kernels
# make about 7). On a large parameter each pass streams megabytes through the caches; run on
# blocks of BLOCK_BYTES per array instead, the scratch arrays stay in cache and each pass over
# a block finds the block's arrays where the previous pass left them, in cache. Smaller blocks lose it
# again to Python's cost per NumPy call (a few microseconds each): measured on a 1M-element
# float32 tensor (2-core VM, CPU clock), 512 KB blocks took Adam from about 1.1-1.2x
# PyTorch's time to about 0.9x, and 64 KB blocks made it slower than no blocks at all.
BLOCK_BYTES = 1 << 19


def _blocks_fit(array: np.ndarray) -> bool:
    """Whether ``array`` is large enough (two blocks or more) to be updated block by block."""
    return array.size >= 2 * (BLOCK_BYTES // array.itemsize)


class _Chunk:
    """The parameters of one group that share a dtype, updated together.

    ``data``/``grad_flat``/``buffers[name]``/``scratch`` are the arrays an update runs on: flat
    1-D buffers when the chunk holds several parameters, the parameter's own arrays when it
    holds one. ``*_views[i]`` are the per-parameter arrays (views into the flat buffers).
    """

    def __init__(self, params: list[Tensor], scratch_arrays: int = 2):
        self.params = params
        self.scratch_arrays = scratch_arrays
        self.flat = len(params) > 1
        self.shapes = [p.data.shape for p in params]
        self.dtype = params[0].data.dtype
        self.buffers: dict[str, np.ndarray] = {}
        self.buffer_views: dict[str, list[np.ndarray]] = {}
        # Arrays a rule reads beside the gradient (per-sample Adam's sum of squares), staged
        # here for one step; made when first needed.
        self.inputs: dict[str, np.ndarray] = {}
        if self.flat:
            sizes = [int(np.prod(shape)) for shape in self.shapes]
            self.bounds = [(sum(sizes[:i]), sum(sizes[: i + 1])) for i in range(len(sizes))]
            self.size = sum(sizes)
            self.data = np.empty(self.size, self.dtype)
            self.data_views = self.views_of(self.data)
            for param, view in zip(params, self.data_views):
                view[...] = param.data
                param.data = view
            self.grad_flat = np.zeros(self.size, self.dtype)
            self.grad_views = self.views_of(self.grad_flat)
            for param, view in zip(params, self.grad_views):
                param._grad_buffer = view  # backward may write the gradient there: no copy at step()
            scratch = np.empty((scratch_arrays, self.size), self.dtype)
            self.scratch = tuple(scratch)
            self.scratch_views = list(zip(*(self.views_of(row) for row in scratch)))
        else:
            self.data = params[0].data
            self.data_views = [self.data]
            self.grad_flat = None
            self.grad_views = [None]
            self.own_scratch()

    def own_scratch(self) -> None:
        self.scratch = tuple(np.empty_like(self.data) for _ in range(self.scratch_arrays))
        self.scratch_views = [self.scratch]

    def views_of(self, flat: np.ndarray) -> list[np.ndarray]:
        return [flat[start:stop].reshape(shape) for (start, stop), shape in zip(self.bounds, self.shapes)]

    def holds_its_gradients(self) -> bool:
        """Whether every parameter's data and gradient are still the chunk's views (the usual
        step, where backward wrote each gradient into its slot): nothing to adopt, check or copy."""
        for param, data, grad in zip(self.params, self.data_views, self.grad_views):
            tensor = param._grad
            if param.data is not data or tensor is None or tensor.data is not grad:
                return False
        return True

    def adopt_replaced_data(self) -> None:
        """Follow a ``p.data = array`` done by the user since the last step."""
        for i, param in enumerate(self.params):
            if param.data is self.data_views[i]:
                continue
            new = param.data
            if new.shape != self.shapes[i] or new.dtype != self.dtype:
                raise RuntimeError(
                    f"a parameter's data changed from shape {self.shapes[i]}, dtype {self.dtype} "
                    f"to shape {new.shape}, dtype {new.dtype} after it was given to the optimizer; "
                    f"create the optimizer again for the new parameters"
                )
            if self.flat:
                self.data_views[i][...] = new
                param.data = self.data_views[i]
            else:
                self.data = new
                self.data_views[0] = new
                self.own_scratch()

    def ensure_buffers(self, buffers: dict[str, float]) -> None:
        """Allocate the state buffers a rule needs (contents are set per parameter)."""
        for name in buffers:
            if name not in self.buffers:
                if self.flat:
                    self.buffers[name] = np.zeros(self.size, self.dtype)
                    self.buffer_views[name] = self.views_of(self.buffers[name])
                else:
                    self.buffers[name] = np.zeros_like(self.data)
                    self.buffer_views[name] = [self.buffers[name]]


class Optimizer:
    """Base class: holds ``param_groups``, ``state`` and ``defaults``; subclasses set the rule.

    ``params`` is an iterable of Tensors, or of dicts ``{"params": [...], <hyperparameter>: ...}``
    for per-group settings. Subclasses define ``_buffers(group)`` (state buffers and their start
    values), ``_update(param, grad, state, group, scratch)`` (one call of a ``functional``
    rule) and ``_validate(group)``.

    NOTE: a group with several parameters of one dtype stores them in one contiguous buffer:
    each ``p.data`` is rebound to a view of it when the optimizer is made. Arrays taken from
    ``p.data`` before that keep their old values; read ``p.data`` again. ``flat=False`` keeps
    every parameter's own array (slower on many small parameters).
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[ParamGroup], defaults: dict[str, Any],
                 flat: bool = True):
        self.defaults = dict(defaults)
        self.flat = flat
        self.param_groups: list[ParamGroup] = []
        self.state: dict[Tensor, dict[str, Any]] = {}
        self._chunks: list[list[_Chunk]] = []
        if isinstance(params, (Tensor, np.ndarray, dict)):
            raise TypeError(
                f"params must be an iterable of Tensors or of param-group dicts, got a {type(params).__name__}"
            )
        try:
            groups = list(params)
        except TypeError:
            raise TypeError(
                f"params must be an iterable of Tensors or of param-group dicts, got {params!r:.80}"
            ) from None
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        # Every group is checked before any parameter's data moves into a flat buffer.
        checked: list[ParamGroup] = []
        for group in groups:
            checked.append(self._checked_group(group, checked))
        for group in checked:
            self._register(group)

    # ---- groups ------------------------------------------------------------------------
    def add_param_group(self, param_group: ParamGroup) -> None:
        """Add a group of parameters, its missing hyperparameters taken from ``defaults``."""
        self._register(self._checked_group(param_group, []))

    def _register(self, group: ParamGroup) -> None:
        self.param_groups.append(group)
        self._chunks.append(self._make_chunks(group["params"]))

    def _checked_group(self, param_group: ParamGroup, pending: list[ParamGroup]) -> ParamGroup:
        """The group filled from ``defaults`` and validated; ``pending`` are groups checked but
        not yet registered (a parameter may not be in two groups)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"a param group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"a param group needs a 'params' entry, got keys {sorted(param_group)}")
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        number = len(self.param_groups) + len(pending)
        if not params:
            raise ValueError(f"param group {number} has an empty parameter list")
        seen = {id(p) for group in (*self.param_groups, *pending) for p in group["params"]}
        for index, param in enumerate(params):
            where = f"parameter {index} of group {number}"
            if not isinstance(param, Tensor):
                raise TypeError(f"{where} is a {type(param).__name__}, not a Tensor: {param!r:.60}")
            if param.data.dtype.kind != "f":
                raise TypeError(f"{where} has dtype {param.data.dtype}; only floating-point tensors can be optimized")
            if id(param) in seen:
                raise ValueError(f"{where} (shape {param.shape}) appears more than once in the optimizer")
            seen.add(id(param))
        group = {**self.defaults, **{k: v for k, v in param_group.items() if k != "params"}}
        group["params"] = params
        self._validate(group)
        return group

    def _make_chunks(self, params: list[Tensor]) -> list[_Chunk]:
        if not self.flat:
            return [_Chunk([p], self._scratch_arrays) for p in params]
        by_dtype: dict[np.dtype, list[Tensor]] = {}
        for param in params:
            by_dtype.setdefault(param.data.dtype, []).append(param)
        return [_Chunk(same_dtype, self._scratch_arrays) for same_dtype in by_dtype.values()]

    # ---- what a subclass provides -------------------------------------------------------------
    _scratch_arrays = 2  # how many arrays like a parameter its rule may overwrite per step

    def _validate(self, group: ParamGroup) -> None:
        check_nonnegative("lr", group["lr"])

    def _buffers(self, group: ParamGroup) -> dict[str, float]:
        raise NotImplementedError

    def _scalars(self, group: ParamGroup) -> dict[str, float]:
        """Per-parameter state that is one number rather than an array (NAdam's ``mu_product``,
        ASGD's ``eta`` and ``mu``), with its start value. Like ``step`` it is the same for all
        parameters of a chunk that have always been updated together."""
        return _NO_SCALARS

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: ParamGroup,
                scratch: tuple[np.ndarray, ...]) -> None:
        raise NotImplementedError

    # ---- the step --------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: ``p.grad = None`` (default), or fill existing ones with 0."""
        for group_chunks in self._chunks:
            for chunk in group_chunks:
                if set_to_none:
                    for param in chunk.params:
                        param._grad = None  # set_grad_array(param, None), without a call per parameter
                    continue
                grads = grad_arrays(chunk.params)
                if chunk.flat and all(g is v for g, v in zip(grads, chunk.grad_views)):
                    chunk.grad_flat.fill(0)
                    continue
                for grad in grads:
                    if grad is not None:
                        grad.fill(0)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns ``closure()`` if one is given.

        ``closure`` (as in PyTorch) recomputes the loss and its gradients; it runs with
        gradients enabled before the update."""
        loss = self._evaluate(closure) if closure is not None else None
        grads = self._check_step_inputs()  # all of them before any update: a bad one changes nothing
        position = 0
        for group, group_chunks in zip(self.param_groups, self._chunks):
            buffers, scalars = self._buffers(group), self._scalars(group)
            for chunk in group_chunks:
                chunk_grads = grads[position]
                position += 1
                chunk.ensure_buffers(buffers)
                if chunk.flat:
                    self._step_flat_chunk(chunk, group, buffers, scalars, chunk_grads)
                else:
                    self._step_param(chunk, 0, chunk_grads[0], group, buffers, scalars)
        return loss

    @staticmethod
    def _evaluate(closure: Callable[[], Any] | None) -> Any:
        if closure is None:
            return None
        if not callable(closure):
            raise TypeError(f"step(closure): the closure must be a function, got {closure!r:.60}")
        with enable_grad():
            return closure()

    def _where(self, number: int, param: Tensor) -> str:
        index = next(i for i, p in enumerate(self.param_groups[number]["params"]) if p is param)
        return f"parameter {index} of group {number}"

    def _check_step_inputs(self) -> list[list[np.ndarray | None]]:
        """Every gradient is None or a NumPy array of its parameter's shape and dtype, and every
        parameter with a gradient can be written in place. Returns the gradients, chunk by
        chunk (read once per step). Follows a ``p.data = array`` made since the last step
        first (which moves no value: safe even if a check fails)."""
        every_chunk = []
        for number, group_chunks in enumerate(self._chunks):
            for chunk in group_chunks:
                if chunk.flat and chunk.holds_its_gradients():
                    every_chunk.append(chunk.grad_views)
                    continue
                chunk.adopt_replaced_data()
                grads = grad_arrays(chunk.params)
                every_chunk.append(grads)
                for param, shape, grad in zip(chunk.params, chunk.shapes, grads):
                    if grad is None:
                        continue
                    if type(grad) is not np.ndarray or grad.shape != shape or grad.dtype != chunk.dtype:
                        self._raise_bad_grad(number, param, grad, shape, chunk.dtype)
                    if not chunk.flat and not chunk.data.flags.writeable:
                        raise ValueError(
                            f"{self._where(number, param)} (shape {shape}) holds a read-only array, "
                            f"which the optimizer cannot update in place; give the Tensor a writable "
                            f"copy (p.data = p.data.copy())"
                        )
        return every_chunk

    def _raise_bad_grad(self, number: int, param: Tensor, grad: Any, shape: tuple, dtype: np.dtype) -> None:
        where = self._where(number, param)
        if not isinstance(grad, np.ndarray):
            raise TypeError(f"the gradient of {where} is a {type(grad).__name__}, not a NumPy array")
        if grad.shape != shape:
            raise ValueError(f"the gradient of {where} has shape {grad.shape} but the parameter has shape {shape}")
        raise TypeError(f"the gradient of {where} has dtype {grad.dtype} but the parameter has dtype {dtype}")

    def _state_of(self, chunk: _Chunk, index: int, buffers: dict[str, float],
                  scalars: dict[str, float]) -> dict[str, Any]:
        """state[p], created on first use with every buffer and scalar at its start value; one
        that a hyperparameter change left without a buffer it now needs gets it."""
        param = chunk.params[index]
        state = self.state.get(param)
        if state is None:
            state = self.state[param] = {"step": 0}
        if len(state) != 1 + len(scalars) + len(buffers):
            for name, start in scalars.items():
                state.setdefault(name, start)
            for name, start in buffers.items():
                if name not in state:
                    view = chunk.buffer_views[name][index]
                    if start is F.PARAM:
                        np.copyto(view, chunk.data_views[index])
                    else:
                        view.fill(start)
                    state[name] = view
        return state

    def _step_param(self, chunk: _Chunk, index: int, grad, group: ParamGroup, buffers, scalars) -> None:
        if grad is None:
            return
        state = self._state_of(chunk, index, buffers, scalars)
        data = chunk.data_views[index]
        if self._step_inputs or _blocks_fit(data):
            self._apply(data, grad, state, group, chunk.scratch_views[index])
        else:  # the common small parameter: straight to the rule, one Python call fewer
            self._update(data, grad, state, group, chunk.scratch_views[index])

    # Arrays a rule reads beside the gradient during one step (per-sample Adam's sums of
    # squares): {id(the parameter array the rule runs on): {keyword: array}}. Empty otherwise.
    _step_inputs: dict[int, dict[str, np.ndarray]] = {}

    # Whether the rule treats every element on its own (so it may run block by block); a
    # rule with a reduction over a parameter (LAMB's norms) sets this to False.
    _elementwise = True

    def _blocks_pay(self, group: ParamGroup) -> bool:
        """Whether this group's rule makes enough passes over its arrays for blocks to win
        over their cost in Python calls (a rule of two or three passes says no)."""
        return self._elementwise

    def _apply(self, param: np.ndarray, grad: np.ndarray, state: dict, group: ParamGroup,
               scratch: tuple[np.ndarray, ...], **inputs: np.ndarray | None) -> None:
        """``_update`` on the whole arrays, or block after block when they are large (see
        BLOCK_BYTES). Every element goes through the same operations either way, so the
        bits are the same; the step counter and scalar state advance once, as each block
        starts from the same values and computes the same new ones."""
        if self._step_inputs:
            inputs = self._step_inputs.get(id(param), inputs)
        if not _blocks_fit(param) or not self._blocks_pay(group):
            self._update(param, grad, state, group, scratch, **inputs)
            return
        arrays = {name: value for name, value in state.items() if isinstance(value, np.ndarray)}
        flat = [_flat_view(a) for a in (param, grad, *arrays.values(), *(v for v in inputs.values() if v is not None))]
        if any(view is None for view in flat):  # a non-contiguous array: the whole-array rule
            self._update(param, grad, state, group, scratch, **inputs)
            return
        param_flat, grad_flat = flat[0], flat[1]
        arrays_flat = dict(zip(arrays, flat[2:]))
        inputs_flat = dict(zip((k for k, v in inputs.items() if v is not None), flat[2 + len(arrays):]))
        block = BLOCK_BYTES // param.itemsize
        scratch_block = self._block_scratch(param.dtype, len(scratch), block)
        start = {name: value for name, value in state.items() if name not in arrays}
        block_state = start
        for low in range(0, param.size, block):
            high = min(low + block, param.size)
            block_state = dict(start)
            for name, array in arrays_flat.items():
                block_state[name] = array[low:high]
            block_inputs = {name: array[low:high] for name, array in inputs_flat.items()}
            for name, value in inputs.items():
                if value is None:
                    block_inputs[name] = None
            part = scratch_block if high - low == block else tuple(s[: high - low] for s in scratch_block)
            self._update(param_flat[low:high], grad_flat[low:high], block_state, group, part, **block_inputs)
        for name in start:
            state[name] = block_state[name]

    def _block_scratch(self, dtype: np.dtype, count: int, block: int) -> tuple[np.ndarray, ...]:
        """``count`` block-sized scratch arrays of ``dtype``, made once and reused: they stay
        in cache from block to block."""
        cache = self.__dict__.setdefault("_block_scratch_cache", {})
        key = (np.dtype(dtype), count, block)
        if key not in cache:
            cache[key] = tuple(np.empty(block, dtype) for _ in range(count))
        return cache[key]

    @staticmethod
    def _counters(state: dict[str, Any] | None, scalars: dict[str, float]) -> tuple:
        """(step, scalar state...) of one parameter: a chunk updates as one when all agree."""
        if state is None:
            return (0, *scalars.values())
        return (state["step"], *(state.get(name, start) for name, start in scalars.items()))

    def _step_flat_chunk(self, chunk: _Chunk, group: ParamGroup, buffers, scalars, grads: list) -> None:
        """One update for the whole chunk when every parameter has a gradient and the same step
        count (and scalar state); otherwise parameter by parameter (the same rule on views, the
        same bits)."""
        params = chunk.params
        states = [self.state.get(p) for p in params]
        if scalars:
            counters = [self._counters(state, scalars) for state in states]
        else:  # the common case, kept cheap: the step counts alone
            counters = [0 if state is None else state["step"] for state in states]
        in_place = grads is chunk.grad_views  # (then every gradient is there)
        if counters.count(counters[0]) != len(counters) or not in_place and any(g is None for g in grads):
            for index, grad in enumerate(grads):
                self._step_param(chunk, index, grad, group, buffers, scalars)
            return
        if not in_place:
            for param, grad, view in zip(params, grads, chunk.grad_views):
                if grad is not view:
                    np.copyto(view, grad)
                    set_grad_array(param, view)
        size = 1 + len(scalars) + len(buffers)
        for index, state in enumerate(states):
            if state is None or len(state) != size:
                states[index] = self._state_of(chunk, index, buffers, scalars)
        if scalars:
            chunk_state = {"step": counters[0][0], **dict(zip(scalars, counters[0][1:])), **chunk.buffers}
        else:
            chunk_state = {"step": counters[0], **chunk.buffers}
        if self._elementwise and not self._step_inputs and not _blocks_fit(chunk.data):
            self._update(chunk.data, chunk.grad_flat, chunk_state, group, chunk.scratch)  # small: the rule itself
        else:
            self._update_chunk(chunk, chunk_state, group)
        new_step = chunk_state["step"]
        for state in states:
            state["step"] = new_step
        for name in scalars:
            value = chunk_state[name]
            for state in states:
                state[name] = value

    def _update_chunk(self, chunk: _Chunk, chunk_state: dict[str, Any], group: ParamGroup) -> None:
        """The rule on a whole flat chunk (a rule that needs to know where each parameter lies in
        the buffer, as LAMB's per-tensor norms do, overrides this and reads ``chunk.bounds``)."""
        self._apply(chunk.data, chunk.grad_flat, chunk_state, group, chunk.scratch)

    # ---- saving and resuming ------------------------------------------------------------------
    def _indexed_params(self) -> list[Tensor]:
        return [p for group in self.param_groups for p in group["params"]]

    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {"step": int, scalar: float, buffer: ndarray}}, "param_groups":
        [...]}`` with copies of every array, parameters named by their index across the groups."""
        index_of = {id(p): i for i, p in enumerate(self._indexed_params())}
        state = {
            index_of[id(param)]: {k: (np.array(v, copy=True) if isinstance(v, np.ndarray) else copy.deepcopy(v))
                                  for k, v in param_state.items()}
            for param, param_state in self.state.items()
        }
        groups = []
        for group in self.param_groups:
            saved = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            saved["params"] = [index_of[id(p)] for p in group["params"]]
            groups.append(saved)
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and state saved by ``state_dict()``; checks everything first,
        so a state dict that does not fit raises and changes nothing."""
        new_groups, new_states = self._checked_state(state_dict)
        for group, saved in zip(self.param_groups, new_groups):
            params = group["params"]
            group.clear()
            group.update(saved)
            group["params"] = params
        self.state.clear()
        for group, group_chunks in zip(self.param_groups, self._chunks):
            buffers, scalars = self._buffers(group), self._scalars(group)
            for chunk in group_chunks:
                chunk.ensure_buffers(buffers)
                for index, param in enumerate(chunk.params):
                    saved = new_states.get(id(param))
                    if saved is None:
                        continue
                    state = self._state_of(chunk, index, buffers, scalars)
                    for name in buffers:
                        state[name][...] = saved[name]
                    for name in scalars:
                        state[name] = saved[name]
                    state["step"] = saved["step"]

    def _checked_state(self, state_dict: dict[str, Any]):
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            keys = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"an optimizer state dict has keys ['param_groups', 'state'], got {keys}")
        saved_groups, saved_states = state_dict["param_groups"], state_dict["state"]
        if not isinstance(saved_groups, (list, tuple)) or not all(isinstance(g, dict) for g in saved_groups):
            raise TypeError(f"the state dict's param_groups must be a list of dicts, got {saved_groups!r:.80}")
        if not isinstance(saved_states, dict) or not all(isinstance(s, dict) for s in saved_states.values()):
            raise TypeError(
                f"the state dict's state must be a dict of parameter index -> dict, got {saved_states!r:.80}"
            )
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"the state dict has {len(saved_groups)} param groups, this optimizer has {len(self.param_groups)}"
            )
        param_of_index: dict[int, Tensor] = {}
        group_of_param: dict[int, ParamGroup] = {}
        new_groups = []
        for number, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            indices = saved.get("params")
            if not isinstance(indices, (list, tuple)) or not all(_is_index(i) for i in indices):
                raise TypeError(
                    f"param group {number} of the state dict has params={indices!r:.80}; "
                    f"expected a list of parameter indices (integers)"
                )
            if len(indices) != len(group["params"]):
                raise ValueError(
                    f"param group {number} of the state dict has {len(indices)} parameters, "
                    f"this optimizer's has {len(group['params'])}"
                )
            lacking = sorted(name for name in self.defaults if name not in saved)
            if lacking:
                raise ValueError(
                    f"param group {number} of the state dict lacks {lacking}: "
                    f"was it saved by another kind of optimizer than {type(self).__name__}?"
                )
            merged = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            merged["params"] = group["params"]
            self._validate(merged)
            new_groups.append({k: v for k, v in merged.items() if k != "params"})
            for index, param in zip(indices, group["params"]):
                if index in param_of_index:
                    raise ValueError(f"the state dict's param groups list parameter index {index!r} more than once")
                param_of_index[index] = param
                group_of_param[id(param)] = merged
        new_states: dict[int, dict[str, Any]] = {}
        for index, saved_state in saved_states.items():
            if index not in param_of_index:
                raise ValueError(f"the state dict has state for parameter {index!r}, which no group lists")
            param = param_of_index[index]
            group = group_of_param[id(param)]
            new_states[id(param)] = self._checked_param_state(index, param, saved_state, group)
        return new_groups, new_states

    def _checked_param_state(self, index: int, param: Tensor, saved_state: dict, group: ParamGroup) -> dict:
        buffers, scalars = self._buffers(group), self._scalars(group)
        missing = [name for name in ("step", *scalars, *buffers) if name not in saved_state]
        if missing:
            raise ValueError(f"the state of parameter {index} lacks {missing}")
        step = saved_state["step"]
        if not _is_index(step) or step < 0:
            raise ValueError(f"the state of parameter {index} has step {step!r}; expected an integer >= 0")
        checked: dict[str, Any] = {"step": int(step)}
        for name in scalars:
            value = saved_state[name]
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
                raise TypeError(f"the state of parameter {index} has {name}={value!r:.60}; expected a real number")
            checked[name] = float(value)
        for name in buffers:
            value = np.asarray(saved_state[name])
            if value.dtype.kind not in "biuf":
                raise TypeError(
                    f"the state of parameter {index} has {name} of dtype {value.dtype}; "
                    f"expected real numbers"
                )
            if value.shape != param.shape:
                raise ValueError(
                    f"the state of parameter {index} has {name} of shape {value.shape}, "
                    f"but the parameter has shape {param.shape}"
                )
            checked[name] = value
        return checked

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for number, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {number}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)
