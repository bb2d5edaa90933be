"""Every optimizer's update rule, written once, as a small function on NumPy arrays.

The optimizer classes call these from ``step()``; the optimizer lab and the benchmarks call
them directly on plain arrays. There is no second copy of the math anywhere.

Each rule is a pair:

- ``<rule>_init(param, ...) -> state``: a fresh state dict: ``{"step": 0, <buffer>: array}``,
  every buffer shaped like ``param`` (the same dict format ``Optimizer.state[p]`` holds);
- ``<rule>(param, grad, state, *, <hyperparameters>, scratch=None, trace=None) -> None``:
  one step, **in place**: it moves ``param``, updates the buffers of ``state`` and adds 1 to
  ``state["step"]``. ``grad`` is only read.

``scratch`` is an optional tuple of arrays shaped like ``param`` that the rule may overwrite
(two for most rules, one for ``sgd``, three for ``adadelta`` and ``schedule_free_adamw``);
passing the same ones every step makes a step allocation-free. A few rules keep numbers beside the arrays in
``state`` (NAdam's ``mu_product``, ASGD's ``eta`` and ``mu``, schedule-free's ``weight_sum``
and ``max_lr``), and ``lbfgs`` is called with a closure instead of a gradient. ``trace``, if
a dict, receives copies of the step's intermediate values (the effective gradient,
bias-corrected moments, the denominator, the update actually added to ``param``): the lab
records them; when it is None they cost nothing.

    >>> import numpy as np
    >>> x = np.array([9.0])                       # RMSProp on f(x) = x^2, the slides' numbers
    >>> state = rmsprop_init(x)
    >>> rmsprop(x, 2 * x, state, lr=0.1, alpha=0.9, eps=1e-7, eps_inside_sqrt=True)
    >>> round(float(x[0]), 4), state["step"], round(float(state["square_avg"][0]), 6)
    (8.6838, 1, 32.4)

Hyperparameter names and defaults are torch.optim's (optax's for the rules PyTorch lacks:
Lion, AdaBelief, Yogi, LAMB, Lookahead, schedule-free). The arithmetic keeps to elementwise
+, -, *, /, sqrt, abs, sign, max and clip (exact or correctly rounded in IEEE arithmetic), so
an update gives the same bits whether it runs on one parameter or on a flat buffer holding
many (LAMB's per-tensor norms are summed by one routine in both cases).

Where a rule is PyTorch's, it also does PyTorch's operations in PyTorch's order (a moving
average is ``lerp`` as PyTorch computes it, ``addcmul`` is ``x + (value * a) * b``, ``addcdiv``
is ``x + (value * a) / b``, ...): in float64 a trajectory then follows PyTorch's to the last
bit, step after step, even where the dynamics amplify every rounding difference. PyTorch's
vectorized CPU kernels fuse ``x + a * b`` into one rounding (FMA) on CPUs that have it; NumPy
has no such operation, so most rules round ``a * b`` and the sum apart, as PyTorch's plain
kernels do. SGD and L-BFGS, whose every array operation is such an add, use BLAS axpy instead
(``_add_scaled_``): one pass, one rounding, as stock PyTorch. PyTorch's float64 ``sqrt`` and
``dot`` (Intel MKL's) differ from NumPy's in the last bit for some inputs; NumPy's sqrt is
correctly rounded. ``tests/optim/test_exactness.py`` checks SGD and L-BFGS against PyTorch's
stock kernels and the other rules against its plain ones, with NumPy's sqrt and dot.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

State = dict[str, Any]
Scratch = tuple[np.ndarray, ...] | None

__all__ = [
    "init_state", "PARAM",
    "sgd_buffers", "sgd_init", "sgd",
    "adagrad_buffers", "adagrad_init", "adagrad",
    "rmsprop_buffers", "rmsprop_init", "rmsprop",
    "adam_buffers", "adam_init", "adam",
    "normalize_bias_correction",
    "adamax_buffers", "adamax_init", "adamax",
    "adadelta_buffers", "adadelta_init", "adadelta",
    "nadam_buffers", "nadam_scalars", "nadam_init", "nadam",
    "radam_buffers", "radam_init", "radam",
    "rprop_buffers", "rprop_init", "rprop",
    "asgd_buffers", "asgd_scalars", "asgd_init", "asgd",
    "lbfgs_init", "lbfgs", "strong_wolfe",
    "lion_buffers", "lion_init", "lion",
    "adabelief_buffers", "adabelief_init", "adabelief",
    "yogi_buffers", "yogi_init", "yogi",
    "lamb_buffers", "lamb_init", "lamb",
    "lookahead_sync",
    "warmup_lr", "schedule_free_buffers", "schedule_free_scalars", "schedule_free_init", "schedule_free_eval",
    "schedule_free_sgd", "schedule_free_adamw",
]


# A buffer whose start value is this string starts as a copy of the parameter (schedule-free's z).
PARAM = "param"


def init_state(param: np.ndarray, buffers: dict[str, float | str]) -> State:
    """A fresh state: ``step`` 0 and one array like ``param`` per buffer, filled with its start
    value (a number, or ``PARAM``: a copy of ``param``)."""
    state: State = {"step": 0}
    for name, start in buffers.items():
        state[name] = np.array(param, copy=True) if start is PARAM else np.full_like(param, start)
    return state


def _scratch(param: np.ndarray, scratch: Scratch, count: int = 2) -> tuple[np.ndarray, ...]:
    """``count`` arrays like ``param`` to overwrite: the given ones, new ones for the rest."""
    if scratch is not None and len(scratch) == count:
        return scratch
    given = tuple(scratch) if scratch is not None else ()
    return given[:count] + tuple(np.empty_like(param) for _ in range(count - len(given)))


def _effective_grad(param, grad, weight_decay: float, maximize: bool, out: np.ndarray) -> np.ndarray:
    """g <- -g if maximizing, then g <- g + weight_decay * param (L2 penalty), without touching grad."""
    if weight_decay == 0:
        if not maximize:
            return grad
        return np.negative(grad, out=out)
    np.multiply(param, weight_decay, out=out)
    if maximize:
        out -= grad
    else:
        out += grad
    return out


def _record(trace: dict | None, **values) -> None:
    for name, value in values.items():
        trace[name] = np.array(value, copy=True)


_AXPY: dict[np.dtype, Any] = {}  # dtype -> BLAS axpy, found on first use (importing SciPy's BLAS takes 0.2 s)

# BLAS axpy kernels fuse the multiply-add only in their unrolled loop; the last n % unroll
# numbers go through a plain C loop that rounds twice (OpenBLAS's Haswell/Zen kernels: an
# unroll of 16 in float64, 32 in float32). A multiple of every unroll keeps every number
# in the fused loop: the array's first multiple of it in place, the rest padded to it.
_FUSED_BLOCK = 128


def _add_scaled_(target: np.ndarray, x: np.ndarray, alpha: float) -> np.ndarray:
    """target <- target + alpha * x, in place, each element rounded once (a fused multiply-add),
    as PyTorch's vectorized CPU kernels round ``target.add_(x, alpha=alpha)`` on CPUs with FMA.

    BLAS axpy does it in one pass over the arrays, where NumPy needs two (alpha * x into a
    scratch array, then the add): on a parameter of a million numbers that pass is most of an
    SGD step. The kernel's unrolled loop is what fuses, so the last ``size % 128`` numbers
    are copied into a block of 128 and updated there. Arrays other than float32/float64, of
    two dtypes, or alpha = 0 (0 * inf must stay NaN, as in PyTorch; BLAS skips the product)
    take NumPy's two roundings."""
    if target.size == 0:
        return target
    if alpha == 0 or x.dtype != target.dtype or target.dtype not in (np.float32, np.float64):
        target += np.multiply(x, alpha, dtype=target.dtype)
        return target
    axpy = _AXPY.get(target.dtype)
    if axpy is None:
        from scipy.linalg import blas

        axpy = _AXPY[target.dtype] = blas.get_blas_funcs("axpy", dtype=target.dtype)
    contiguous = target.flags.c_contiguous and target.flags.writeable
    flat = target.reshape(-1) if contiguous else np.ascontiguousarray(target).reshape(-1)
    x = np.ravel(x)
    size = flat.size
    bulk = size - size % _FUSED_BLOCK
    result = axpy(x, flat, n=bulk, a=alpha) if bulk else flat
    if bulk < size:
        rest = size - bulk
        block = np.zeros((2, _FUSED_BLOCK), dtype=target.dtype)  # the rest of target, then of x
        block[0, :rest] = result[bulk:]
        block[1, :rest] = x[bulk:]
        axpy(block[1], block[0], a=alpha)
        result[bulk:] = block[0, :rest]
    if result is not flat or not contiguous:  # SciPy wrote into a copy: bring it back
        np.copyto(target, result.reshape(target.shape))
    return target


# PyTorch's elementwise operations, in its order of rounding (what makes the last bit agree).

def _lerp_(start: np.ndarray, end: np.ndarray, weight: float, tmp: np.ndarray) -> np.ndarray:
    """start <- start + weight * (end - start), in place, as ``torch.lerp`` rounds it:
    end - (end - start) * (1 - weight) when weight >= 0.5 (exact at weight 1)."""
    np.subtract(end, start, out=tmp)
    if abs(weight) < 0.5:
        tmp *= weight
        start += tmp
    else:
        tmp *= 1 - weight
        np.subtract(end, tmp, out=start)
    return start


def _add_scaled_square_(acc: np.ndarray, value: float, x: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """acc <- acc + (value * x) * x, in place (``acc.addcmul_(x, x, value=value)``)."""
    np.multiply(x, value, out=tmp)
    tmp *= x
    acc += tmp
    return acc


# ---- SGD, momentum ------------------------------------------------------------------------

def sgd_buffers(momentum: float = 0.0) -> dict[str, float]:
    """SGD keeps a velocity only when it has momentum."""
    return {"momentum_buffer": 0.0} if momentum != 0 else {}


def sgd_init(param: np.ndarray, momentum: float = 0.0) -> State:
    return init_state(param, sgd_buffers(momentum))


def sgd(
    param: np.ndarray,
    grad: np.ndarray,
    state: State,
    *,
    lr: float = 1e-3,
    momentum: float = 0.0,
    dampening: float = 0.0,
    nesterov: bool = False,
    weight_decay: float = 0.0,
    maximize: bool = False,
    ema: bool = False,
    scratch: Scratch = None,
    trace: dict | None = None,
) -> None:
    """One SGD step (torch.optim.SGD), optionally with momentum, in place.

    g <- grad (+ weight_decay * param), negated first if maximize. With momentum mu:

        PyTorch (default):  b_1 = g_1;  b_t = mu * b_{t-1} + (1 - dampening) * g_t
        slides' EMA (ema=True):  v_0 = 0;  v_t = mu * v_{t-1} + (1 - mu) * g_t
        direction d = g + mu * b (nesterov) or d = b;      param <- param - lr * d

    Every ``x + a * y`` above (weight decay, the damped or EMA gradient, Nesterov's g + mu * b,
    the step) is one fused multiply-add, as PyTorch's ``add(..., alpha=a)`` rounds it on CPUs
    with FMA: the same bits as stock PyTorch, and one pass over the arrays each.
    Trace: ``grad`` (effective g), ``velocity`` (b or v), ``update`` (-lr * d, rounded).
    """
    work, = _scratch(param, scratch, 1)
    g = _sgd_effective_grad(param, grad, weight_decay, maximize, out=work)
    if trace is not None:
        _record(trace, grad=g)
    direction = g
    if momentum != 0:
        velocity = state["momentum_buffer"]
        if ema:
            velocity *= momentum
            _add_scaled_(velocity, g, 1.0 - momentum)
        elif state["step"] == 0:
            velocity[...] = g  # PyTorch: the buffer starts as the first gradient, undamped
        else:
            velocity *= momentum
            _add_scaled_(velocity, g, 1.0 - dampening)  # alpha 1 without dampening: the plain sum
        if nesterov:  # d = g + mu * b, in the scratch array (g is there already unless it is grad)
            if g is not work:
                np.copyto(work, g)
            direction = _add_scaled_(work, velocity, momentum)
        else:
            direction = velocity
    state["step"] += 1
    if trace is not None:
        _record(trace, update=np.multiply(direction, -lr))
        if momentum != 0:
            _record(trace, velocity=state["momentum_buffer"])
    _add_scaled_(param, direction, -lr)


def _sgd_effective_grad(param, grad, weight_decay: float, maximize: bool, out: np.ndarray) -> np.ndarray:
    """g <- -grad if maximizing, then g <- g + weight_decay * param as PyTorch's SGD adds it
    (``grad.add(param, alpha=weight_decay)``, one rounding), without touching grad."""
    if weight_decay == 0:
        return np.negative(grad, out=out) if maximize else grad
    if maximize:
        np.negative(grad, out=out)
    else:
        np.copyto(out, grad)
    return _add_scaled_(out, param, weight_decay)


# ---- AdaGrad -------------------------------------------------------------------------------

def adagrad_buffers(initial_accumulator_value: float = 0.0) -> dict[str, float]:
    return {"sum": initial_accumulator_value}


def adagrad_init(param: np.ndarray, initial_accumulator_value: float = 0.0) -> State:
    return init_state(param, adagrad_buffers(initial_accumulator_value))


def adagrad(
    param: np.ndarray,
    grad: np.ndarray,
    state: State,
    *,
    lr: float = 1e-2,
    lr_decay: float = 0.0,
    weight_decay: float = 0.0,
    eps: float = 1e-10,
    maximize: bool = False,
    eps_inside_sqrt: bool = False,
    scratch: Scratch = None,
    trace: dict | None = None,
) -> None:
    """One AdaGrad step (torch.optim.Adagrad), in place.

        t <- t + 1;   eta_t = lr / (1 + (t - 1) * lr_decay)
        s_t = s_{t-1} + g_t^2                  (s_0 = initial_accumulator_value; state "sum")
        param <- param - eta_t * g_t / (sqrt(s_t) + eps)       PyTorch (default)
        param <- param - eta_t * g_t / sqrt(s_t + eps)         slides (eps_inside_sqrt=True)

    Trace: ``grad``, ``sum`` (s_t), ``denom``, ``update``.
    """
    work, denom = _scratch(param, scratch)
    g = _effective_grad(param, grad, weight_decay, maximize, out=work)
    state["step"] += 1
    step_size = lr / (1 + (state["step"] - 1) * lr_decay)
    accumulator = state["sum"]
    np.multiply(g, g, out=denom)
    accumulator += denom
    _root_plus_eps(accumulator, eps, eps_inside_sqrt, out=denom)
    if trace is not None:
        _record(trace, grad=g, sum=accumulator, denom=denom)
    np.multiply(g, -step_size, out=work)
    np.divide(work, denom, out=denom)
    if trace is not None:
        _record(trace, update=denom)
    param += denom


def _root_plus_eps(square: np.ndarray, eps: float, eps_inside_sqrt: bool, out: np.ndarray) -> np.ndarray:
    """sqrt(square) + eps (PyTorch) or sqrt(square + eps) (the slides, Keras, optax' eps_root)."""
    if eps_inside_sqrt:
        np.add(square, eps, out=out)
        return np.sqrt(out, out=out)
    np.sqrt(square, out=out)
    out += eps
    return out


# ---- RMSProp -------------------------------------------------------------------------------

def rmsprop_buffers(momentum: float = 0.0, centered: bool = False) -> dict[str, float]:
    buffers = {"square_avg": 0.0}
    if momentum > 0:
        buffers["momentum_buffer"] = 0.0
    if centered:
        buffers["grad_avg"] = 0.0
    return buffers


def rmsprop_init(param: np.ndarray, momentum: float = 0.0, centered: bool = False) -> State:
    return init_state(param, rmsprop_buffers(momentum, centered))


def rmsprop(
    param: np.ndarray,
    grad: np.ndarray,
    state: State,
    *,
    lr: float = 1e-2,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
    maximize: bool = False,
    eps_inside_sqrt: bool = False,
    scratch: Scratch = None,
    trace: dict | None = None,
) -> None:
    """One RMSProp step (torch.optim.RMSprop), in place. alpha is the slides' rho.

        s_t = alpha * s_{t-1} + (1 - alpha) * g_t^2             (s_0 = 0; state "square_avg")
        centered:  a_t = alpha * a_{t-1} + (1 - alpha) * g_t;  s'_t = s_t - a_t^2  (else s'_t = s_t)
        denom = sqrt(s'_t) + eps (PyTorch)  or  sqrt(s'_t + eps) (slides, eps_inside_sqrt=True)
        no momentum:  param <- param - lr * g_t / denom
        momentum mu:  b_t = mu * b_{t-1} + g_t / denom  (b_0 = 0);  param <- param - lr * b_t

    Trace: ``grad``, ``square_avg``, ``denom``, ``update`` (and ``grad_avg``, ``velocity``).
    """
    work, denom = _scratch(param, scratch)
    g = _effective_grad(param, grad, weight_decay, maximize, out=work)
    state["step"] += 1
    square_avg = state["square_avg"]
    square_avg *= alpha
    _add_scaled_square_(square_avg, 1.0 - alpha, g, tmp=denom)
    if centered:
        grad_avg = _lerp_(state["grad_avg"], g, 1.0 - alpha, tmp=denom)
        np.multiply(grad_avg, grad_avg, out=denom)
        np.subtract(square_avg, denom, out=denom)
        _root_plus_eps(denom, eps, eps_inside_sqrt, out=denom)
    else:
        _root_plus_eps(square_avg, eps, eps_inside_sqrt, out=denom)
    if trace is not None:
        _record(trace, grad=g, square_avg=square_avg, denom=denom)
        if centered:
            _record(trace, grad_avg=state["grad_avg"])
    if momentum > 0:
        velocity = state["momentum_buffer"]
        velocity *= momentum
        np.divide(g, denom, out=denom)
        velocity += denom
        np.multiply(velocity, -lr, out=denom)
        if trace is not None:
            _record(trace, velocity=velocity)
    else:
        np.multiply(g, -lr, out=work)
        np.divide(work, denom, out=denom)
    if trace is not None:
        _record(trace, update=denom)
    param += denom


# ---- Adam, AdamW ---------------------------------------------------------------------------

def adam_buffers(amsgrad: bool = False) -> dict[str, float]:
    buffers = {"exp_avg": 0.0, "exp_avg_sq": 0.0}
    if amsgrad:
        buffers["max_exp_avg_sq"] = 0.0
    return buffers


def adam_init(param: np.ndarray, amsgrad: bool = False) -> State:
    return init_state(param, adam_buffers(amsgrad))


_BIAS_CORRECTIONS = {True: (True, True), False: (False, False), "both": (True, True),
                     "none": (False, False), "first": (True, False), "second": (False, True)}


def normalize_bias_correction(bias_correction: bool | str) -> tuple[bool, bool]:
    """True/"both", False/"none", "first" (m only, as the last Adam slide of seeds/002) or
    "second" (v only) -> (correct m, correct v)."""
    try:
        return _BIAS_CORRECTIONS[bias_correction]
    except (KeyError, TypeError):
        raise ValueError(
            f"Invalid bias_correction: {bias_correction!r} (use True, False, 'first' or 'second')"
        ) from None


def adam(
    param: np.ndarray,
    grad: np.ndarray,
    state: State,
    *,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
    maximize: bool = False,
    decoupled_weight_decay: bool = False,
    bias_correction: bool | str = True,
    eps_inside_sqrt: bool = False,
    eps_hat: bool = False,
    sum_grad_squared: np.ndarray | None = None,
    scratch: Scratch = None,
    trace: dict | None = None,
) -> None:
    """One Adam / AdamW step (torch.optim.Adam, AdamW), in place. betas = (beta1, beta2).

        AdamW (decoupled_weight_decay):  param <- param * (1 - lr * weight_decay)
        Adam:                            g_t <- g_t + weight_decay * param
        m_t = beta1 * m_{t-1} + (1 - beta1) * g_t        (m_0 = 0; state "exp_avg")
        v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2      (v_0 = 0; state "exp_avg_sq")
        amsgrad:  vmax_t = max(vmax_{t-1}, v_t), used for v_t below ("max_exp_avg_sq")
        m^_t = m_t / (1 - beta1^t),  v^_t = v_t / (1 - beta2^t)   (bias_correction: both,
               "first": m only, "second": v only, False: neither -- the slides' simpler Adam)
        param <- param - lr * m^_t / (sqrt(v^_t) + eps)        PyTorch (default)
        param <- param - lr * m^_t / sqrt(v^_t + eps)          slides (eps_inside_sqrt=True)
        param <- param - lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m_t / (sqrt(v_t) + eps)
                                                               Keras / scikit-learn (eps_hat=True)

    ``sum_grad_squared`` (seeds/000's minibatch Adam): ``grad`` is the sum over the batch of
    the per-sample gradients, sum_i g_i, and this array, shaped like ``param``, is
    sum_i g_i^2; it replaces g_t^2 in v: v_t = beta2 * v_{t-1} + (1 - beta2) * sum_i g_i^2.
    Nothing else changes. An L2 ``weight_decay`` (not decoupled) is refused: its gradient
    wd * param is not a per-sample term, so it has no place in a sum of per-sample squares.

    Trace: ``grad``, ``exp_avg``, ``exp_avg_sq``, ``m_hat``, ``v_hat``, ``denom``, ``update``.
    """
    if sum_grad_squared is not None and weight_decay != 0 and not decoupled_weight_decay:
        raise ValueError(
            f"adam: sum_grad_squared (per-sample second moments) with an L2 weight_decay={weight_decay!r} is "
            f"not defined; use decoupled_weight_decay=True (AdamW's decay) or weight_decay=0"
        )
    beta1, beta2 = betas
    correct_m, correct_v = normalize_bias_correction(bias_correction)
    work, denom = _scratch(param, scratch)
    if decoupled_weight_decay:
        if weight_decay != 0:
            param *= 1.0 - lr * weight_decay
        g = _effective_grad(param, grad, 0.0, maximize, out=work)
    else:
        g = _effective_grad(param, grad, weight_decay, maximize, out=work)
    if trace is not None:
        _record(trace, grad=g)
    state["step"] += 1
    step = state["step"]
    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]

    _lerp_(exp_avg, g, 1.0 - beta1, tmp=denom)
    exp_avg_sq *= beta2
    if sum_grad_squared is None:
        _add_scaled_square_(exp_avg_sq, 1.0 - beta2, g, tmp=denom)
    else:  # v's input is the sum of the per-sample squares, not the square of the sum
        np.multiply(sum_grad_squared, 1.0 - beta2, out=denom)
        exp_avg_sq += denom
    second_moment = exp_avg_sq
    if amsgrad:
        second_moment = np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])

    correction1 = 1.0 - beta1**step if correct_m else 1.0
    correction2 = 1.0 - beta2**step if correct_v else 1.0
    step_size = lr / correction1
    # g is no longer needed: its buffer (work) may now hold the denominator.
    if eps_hat:
        step_size *= correction2**0.5
        np.sqrt(second_moment, out=work)
        work += eps
    elif eps_inside_sqrt:
        np.divide(second_moment, correction2, out=work)
        work += eps
        np.sqrt(work, out=work)
    else:
        np.sqrt(second_moment, out=work)
        work /= correction2**0.5
        work += eps
    if trace is not None:
        _record(trace, exp_avg=exp_avg, exp_avg_sq=exp_avg_sq,
                m_hat=exp_avg / correction1, v_hat=second_moment / correction2, denom=work)
    np.multiply(exp_avg, -step_size, out=denom)
    np.divide(denom, work, out=work)
    if trace is not None:
        _record(trace, update=work)
    param += work


def _decay_weights(param, grad, lr: float, weight_decay: float, decoupled: bool, maximize: bool,
                   out: np.ndarray) -> np.ndarray:
    """The effective gradient after weight decay: decoupled (AdamW's p <- p (1 - lr wd), the
    gradient untouched) or L2 (g + wd p); negated first if maximizing."""
    if decoupled:
        if weight_decay != 0:
            param *= 1.0 - lr * weight_decay
        return _effective_grad(param, grad, 0.0, maximize, out=out)
    return _effective_grad(param, grad, weight_decay, maximize, out=out)


def _moments_(state: State, g: np.ndarray, beta1: float, beta2: float, tmp: np.ndarray) -> None:
    """m_t = beta1 m_{t-1} + (1 - beta1) g_t and v_t = beta2 v_{t-1} + (1 - beta2) g_t^2, in
    PyTorch's rounding (a lerp, then an addcmul)."""
    _lerp_(state["exp_avg"], g, 1.0 - beta1, tmp=tmp)
    exp_avg_sq = state["exp_avg_sq"]
    exp_avg_sq *= beta2
    _add_scaled_square_(exp_avg_sq, 1.0 - beta2, g, tmp=tmp)


# ---- Adamax --------------------------------------------------------------------------------

def adamax_buffers() -> dict[str, float]:
    return {"exp_avg": 0.0, "exp_inf": 0.0}


def adamax_init(param: np.ndarray) -> State:
    return init_state(param, adamax_buffers())


def adamax(
    param: np.ndarray,
    grad: np.ndarray,
    state: State,
    *,
    lr: float = 2e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    maximize: bool = False,
    scratch: Scratch = None,
    trace: dict | None = None,
) -> None:
    """One Adamax step (torch.optim.Adamax; optax.adamax), in place: Adam with the infinity
    norm in place of the root mean square.

        g_t <- g_t + weight_decay * theta
        m_t = beta1 m_{t-1} + (1 - beta1) g_t                 (m_0 = 0; state "exp_avg")
        u_t = max(beta2 u_{t-1}, |g_t| + eps)                 (u_0 = 0; state "exp_inf")
        theta_t = theta_{t-1} - eta / (1 - beta1^t) * m_t / u_t

    Trace: ``grad``, ``exp_avg``, ``exp_inf``, ``update``.
    """
    beta1, beta2 = betas
    work, tmp = _scratch(param, scratch)
    g = _effective_grad(param, grad, weight_decay, maximize, out=work)
    state["step"] += 1
    exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
    _lerp_(exp_avg, g, 1.0 - beta1, tmp=tmp)
    exp_inf *= beta2
    np.abs(g, out=tmp)
    tmp += eps
    np.maximum(exp_inf, tmp, out=exp_inf)
    if trace is not None:
        _record(trace, grad=g, exp_avg=exp_avg, exp_inf=exp_inf)
    clr = lr / (1 - beta1 ** state["step"])
    np.multiply(exp_avg, -clr, out=tmp)
    tmp /= exp_inf
    if trace is not None:
        _record(trace, update=tmp)
    param += tmp


# ---- Adadelta ------------------------------------------------------------------------------

def adadelta_buffers() -> dict[str, float]:
    return {"square_avg": 0.0, "acc_delta": 0.0}


def adadelta_init(param: np.ndarray) -> State:
    return init_state(param, adadelta_buffers())


def adadelta(
    param: np.ndarray,
    grad: np.ndarray,
    state: State,
    *,
    lr: float = 1.0,
    rho: float = 0.9,
    eps: float = 1e-6,
    weight_decay: float = 0.0,
    maximize: bool = False,
    scratch: Scratch = None,
    trace: dict | None = None,
) -> None:
    """One Adadelta step (torch.optim.Adadelta; optax.adadelta), in place: RMSProp whose step
    size is the root mean square of the past steps, so the units match and lr can stay 1.

        g_t <- g_t + weight_decay * theta
        s_t = rho s_{t-1} + (1 - rho) g_t^2                   (s_0 = 0; state "square_avg")
        d_t = sqrt(u_{t-1} + eps) / sqrt(s_t + eps) * g_t
        u_t = rho u_{t-1} + (1 - rho) d_t^2                   (u_0 = 0; state "acc_delta")
        theta_t = theta_{t-1} - eta d_t

    Trace: ``grad``, ``square_avg``, ``delta`` (d_t), ``acc_delta``, ``update``.
    Uses three scratch arrays.
    """
    work, std, delta = _scratch(param, scratch, 3)
    g = _effective_grad(param, grad, weight_decay, maximize, out=work)
    state["step"] += 1
    square_avg, acc_delta = state["square_avg"], state["acc_delta"]
    square_avg *= rho
    _add_scaled_square_(square_avg, 1.0 - rho, g, tmp=std)
    np.add(square_avg, eps, out=std)
    np.sqrt(std, out=std)
    np.add(acc_delta, eps, out=delta)
    np.sqrt(delta, out=delta)
    delta /= std
    delta *= g
    acc_delta *= rho
    _add_scaled_square_(acc_delta, 1.0 - rho, delta, tmp=std)
    if trace is not None:
        _record(trace, grad=g, square_avg=square_avg, delta=delta, acc_delta=acc_delta)
    delta *= -lr
    if trace is not None:
        _record(trace, update=delta)
    param += delta


# ---- NAdam ---------------------------------------------------------------------------------

def nadam_buffers() -> dict[str, float]:
    return {"exp_avg": 0.0, "exp_avg_sq": 0.0}


def nadam_scalars() -> dict[str, float]:
    return {"mu_product": 1.0}


def nadam_init(param: np.ndarray) -> State:
    return {**init_state(param, nadam_buffers()), **nadam_scalars()}


def nadam(
    param: np.ndarray,
    grad: np.ndarray,
    state: State,
    *,
    lr: float = 2e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum_decay: float = 4e-3,
    decoupled_weight_decay: bool = False,
    maximize: bool = False,
    scratch: Scratch = None,
    trace: dict | None = None,
) -> None:
    """One NAdam step (torch.optim.NAdam), in place: Adam with Nesterov momentum, and a
    momentum coefficient that warms up (Dozat 2016; ``momentum_decay`` is psi).

        AdamW-style (decoupled_weight_decay):  theta <- theta (1 - eta weight_decay)
        else:                                  g_t <- g_t + weight_decay * theta
        mu_t = beta1 (1 - 0.5 * 0.96^(t psi)),   P_t = mu_1 ... mu_t   (state "mu_product")
        m_t = beta1 m_{t-1} + (1 - beta1) g_t,   v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
        v^_t = v_t / (1 - beta2^t)
        theta_t = theta_{t-1} - eta (1 - mu_t) / (1 - P_t) * g_t / (sqrt(v^_t) + eps)
                              - eta mu_{t+1} / (1 - P_t mu_{t+1}) * m_t / (sqrt(v^_t) + eps)

    optax.nadam is a different rule (no mu schedule: Adam with m^_t replaced by
    beta1 m^_t + (1 - beta1) g_t / (1 - beta1^t)).
    Trace: ``grad``, ``exp_avg``, ``exp_avg_sq``, ``denom``, ``update``.
    """
    beta1, beta2 = betas
    work, denom = _scratch(param, scratch)
    state["step"] += 1
    step = state["step"]
    bias_correction2 = 1 - beta2**step
    g = _decay_weights(param, grad, lr, weight_decay, decoupled_weight_decay, maximize, out=work)
    mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
    state["mu_product"] *= mu
    mu_product = state["mu_product"]
    _moments_(state, g, beta1, beta2, tmp=denom)
    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
    np.divide(exp_avg_sq, bias_correction2, out=denom)
    np.sqrt(denom, out=denom)
    denom += eps
    if trace is not None:
        _record(trace, grad=g, exp_avg=exp_avg, exp_avg_sq=exp_avg_sq, denom=denom)
        before = np.array(param, copy=True)
    mu_product_next = mu_product * mu_next
    np.multiply(g, -lr * (1.0 - mu) / (1.0 - mu_product), out=work)
    work /= denom
    param += work
    np.multiply(exp_avg, (-lr * mu_next) / (1.0 - mu_product_next), out=work)
    work /= denom
    param += work
    if trace is not None:
        _record(trace, update=param - before)


# ---- RAdam ---------------------------------------------------------------------------------

def radam_buffers() -> dict[str, float]:
    return {"exp_avg": 0.0, "exp_avg_sq": 0.0}


def radam_init(param: np.ndarray) -> State:
    return init_state(param, radam_buffers())


def radam(
    param: np.ndarray,
    grad: np.ndarray,
    state: State,
    *,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    decoupled_weight_decay: bool = False,
    maximize: bool = False,
    scratch: Scratch = None,
    trace: dict | None = None,
) -> None:
    """One RAdam step (torch.optim.RAdam; optax.radam with threshold 5), in place: Adam whose
    adaptive step is switched on only once the variance of v^_t is defined, and rectified.

        AdamW-style (decoupled_weight_decay):  theta <- theta (1 - eta weight_decay)
        else:                                  g_t <- g_t + weight_decay * theta
        m_t = beta1 m_{t-1} + (1 - beta1) g_t,   v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
        m^_t = m_t / (1 - beta1^t)
        rho_inf = 2 / (1 - beta2) - 1,   rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
        rho_t > 5:  r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                    theta_t = theta_{t-1} - eta m^_t r_t sqrt(1 - beta2^t) / (sqrt(v_t) + eps)
        else:       theta_t = theta_{t-1} - eta m^_t            (SGD with momentum)

    Trace: ``grad``, ``exp_avg``, ``exp_avg_sq``, ``update``.
    """
    beta1, beta2 = betas
    work, tmp = _scratch(param, scratch)
    state["step"] += 1
    step = state["step"]
    g = _decay_weights(param, grad, lr, weight_decay, decoupled_weight_decay, maximize, out=work)
    _moments_(state, g, beta1, beta2, tmp=tmp)
    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
    if trace is not None:
        _record(trace, grad=g, exp_avg=exp_avg, exp_avg_sq=exp_avg_sq)
    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
    np.divide(exp_avg, bias_correction1, out=work)
    work *= lr
    if rho_t > 5.0:
        np.sqrt(exp_avg_sq, out=tmp)
        tmp += eps
        np.reciprocal(tmp, out=tmp)  # PyTorch's scalar / tensor is reciprocal() * scalar
        tmp *= bias_correction2**0.5
        work *= tmp
        work *= ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
    np.negative(work, out=work)
    if trace is not None:
        _record(trace, update=work)
    param += work


# ---- Rprop ---------------------------------------------------------------------------------

def rprop_buffers(lr: float = 1e-2) -> dict[str, float]:
    """``prev``: the last gradient used (0 after a sign change); ``step_size``: starts at lr."""
    return {"prev": 0.0, "step_size": lr}


def rprop_init(param: np.ndarray, lr: float = 1e-2) -> State:
    return init_state(param, rprop_buffers(lr))


def rprop(
    param: np.ndarray,
    grad: np.ndarray,
    state: State,
    *,
    lr: float = 1e-2,
    etas: tuple[float, float] = (0.5, 1.2),
    step_sizes: tuple[float, float] = (1e-6, 50.0),
    maximize: bool = False,
    scratch: Scratch = None,
    trace: dict | None = None,
) -> None:
    """One Rprop step (torch.optim.Rprop; optax.rprop), in place: each coordinate moves by its
    own step size, by the sign of the gradient only. ``lr`` is only the first step size
    (``rprop_init``), etas = (eta-, eta+), step_sizes = (Delta_min, Delta_max).

        s = sign(g_t * g_{t-1})                               (g_0 = 0; state "prev")
        Delta_t = clip(Delta_{t-1} * (eta+ if s > 0, eta- if s < 0, 1 if s = 0),
                       Delta_min, Delta_max)                  (Delta_0 = lr; state "step_size")
        s < 0: g_t <- 0 (the sign changed: step back from nothing, forget g_t)
        theta_t = theta_{t-1} - sign(g_t) * Delta_t;    g_{t-1} <- g_t for the next step

    Trace: ``grad``, ``step_size``, ``update``.
    """
    eta_minus, eta_plus = etas
    step_size_min, step_size_max = step_sizes
    work, factor = _scratch(param, scratch)
    g = _effective_grad(param, grad, 0.0, maximize, out=work)
    state["step"] += 1
    prev, step_size = state["prev"], state["step_size"]
    np.multiply(g, prev, out=factor)  # a product, not sign(g) * sign(prev): it may underflow to 0
    np.sign(factor, out=factor)
    flipped = factor < 0
    np.copyto(factor, eta_plus, where=factor > 0)
    np.copyto(factor, 1.0, where=factor == 0)
    np.copyto(factor, eta_minus, where=flipped)
    step_size *= factor
    np.clip(step_size, step_size_min, step_size_max, out=step_size)
    if g is not work:
        np.copyto(work, g)
    np.copyto(work, 0.0, where=flipped)
    if trace is not None:
        _record(trace, grad=work, step_size=step_size)
    np.sign(work, out=factor)
    np.negative(factor, out=factor)
    factor *= step_size
    if trace is not None:
        _record(trace, update=factor)
    param += factor
    np.copyto(prev, work)


# ---- ASGD ----------------------------------------------------------------------------------

def asgd_buffers() -> dict[str, float]:
    return {"ax": 0.0}


def asgd_scalars(lr: float = 1e-2) -> dict[str, float]:
    """``eta``: this step's step size (lr at first); ``mu``: the averaging weight."""
    return {"eta": lr, "mu": 1.0}


def asgd_init(param: np.ndarray, lr: float = 1e-2) -> State:
    return {**init_state(param, asgd_buffers()), **asgd_scalars(lr)}


def asgd(
    param: np.ndarray,
    grad: np.ndarray,
    state: State,
    *,
    lr: float = 1e-2,
    lambd: float = 1e-4,
    alpha: float = 0.75,
    t0: float = 1e6,
    weight_decay: float = 0.0,
    maximize: bool = False,
    scratch: Scratch = None,
    trace: dict | None = None,
) -> None:
    """One averaged-SGD step (torch.optim.ASGD, Polyak-Ruppert averaging), in place: SGD with
    a decaying step size, and beside it the running average of the iterates from step t0 on.

        g_t <- g_t + weight_decay * theta
        theta_t = theta_{t-1} (1 - lambd eta_t) - eta_t g_t        (eta_1 = lr; state "eta")
        a_t = a_{t-1} + mu_t (theta_t - a_{t-1})   (a_t = theta_t while mu_t = 1; state "ax")
        eta_{t+1} = lr / (1 + lambd lr t)^alpha,   mu_{t+1} = 1 / max(1, t - t0)

    The average ``ax`` is what to evaluate (copy it into the parameters); the parameters
    themselves keep following SGD.
    NOTE: PyTorch keeps eta and mu in float32 unless torch's default dtype is float64; here
    they are Python floats, which is PyTorch after ``torch.set_default_dtype(torch.float64)``.
    Trace: ``grad``, ``ax``, ``update``.
    """
    work, tmp = _scratch(param, scratch)
    g = _effective_grad(param, grad, weight_decay, maximize, out=work)
    state["step"] += 1
    eta, mu, ax = state["eta"], state["mu"], state["ax"]
    if trace is not None:
        before = np.array(param, copy=True)
    param *= 1 - lambd * eta
    np.multiply(g, -eta, out=tmp)
    param += tmp
    if mu != 1:
        np.subtract(param, ax, out=tmp)
        tmp *= mu
        ax += tmp
    else:
        np.copyto(ax, param)
    step = state["step"]
    state["eta"] = lr / ((1 + lambd * lr * step) ** alpha)
    state["mu"] = 1 / max(1, step - t0)
    if trace is not None:
        _record(trace, grad=g, ax=ax, update=param - before)


# ---- L-BFGS --------------------------------------------------------------------------------

def lbfgs_init(param: np.ndarray) -> State:
    """A fresh L-BFGS state. The rest (``d``, ``t``, ``old_dirs``, ``old_stps``, ``ro``,
    ``H_diag``, ``prev_flat_grad``, ``prev_loss``) appears after the first step."""
    return {"func_evals": 0, "n_iter": 0}


def _cubic_minimum(x1: float, f1: float, g1: float, x2: float, f2: float, g2: float,
                   bounds: tuple[float, float] | None = None) -> float:
    """The minimizer of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2, kept in
    ``bounds`` (default: between x1 and x2); their midpoint when the cubic has no minimum."""
    low, high = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square < 0:
        return (low + high) / 2.0
    d2 = math.sqrt(d2_square)
    if x1 <= x2:
        at = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        at = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(at, low), high)


def strong_wolfe(evaluate, t: float, d: np.ndarray, loss: float, grad: np.ndarray, gtd: float, *,
                 c1: float = 1e-4, c2: float = 0.9, tolerance_change: float = 1e-9, max_ls: int = 25):
    """A step length t along d that satisfies the strong Wolfe conditions

        f(x + t d) <= f(x) + c1 t g.d           (sufficient decrease)
        |g(x + t d).d| <= c2 |g.d|               (the slope has flattened)

    by bracketing then zooming with cubic interpolation (Nocedal & Wright, algorithms 3.5 and
    3.6; minFunc's and PyTorch's variant). ``evaluate(t) -> (loss, grad)`` at x + t d.
    Returns (loss, grad, t, evaluations), the values at the step found (or at the best point
    of the bracket when ``max_ls`` evaluations or ``tolerance_change`` end the search).
    """
    d_norm = float(np.max(np.abs(d)))
    new_loss, new_grad = evaluate(t)
    evaluations = 1
    new_gtd = float(np.dot(new_grad, d))
    prev_t, prev_loss, prev_grad, prev_gtd = 0.0, loss, grad, gtd
    done = False
    iteration = 0
    bracket = None
    while iteration < max_ls:
        if new_loss > loss + c1 * t * gtd or (iteration > 1 and new_loss >= prev_loss):
            bracket = [[prev_t, prev_loss, prev_grad, prev_gtd], [t, new_loss, new_grad, new_gtd]]
            break
        if abs(new_gtd) <= -c2 * gtd:
            bracket = [[t, new_loss, new_grad, new_gtd]]
            done = True
            break
        if new_gtd >= 0:
            bracket = [[prev_t, prev_loss, prev_grad, prev_gtd], [t, new_loss, new_grad, new_gtd]]
            break
        # extrapolate: somewhere in [t + 0.01 (t - prev_t), 10 t]
        t_next = _cubic_minimum(prev_t, prev_loss, prev_gtd, t, new_loss, new_gtd,
                                bounds=(t + 0.01 * (t - prev_t), t * 10))
        prev_t, prev_loss, prev_grad, prev_gtd = t, new_loss, new_grad, new_gtd
        t = t_next
        new_loss, new_grad = evaluate(t)
        evaluations += 1
        new_gtd = float(np.dot(new_grad, d))
        iteration += 1
    if bracket is None:  # max_ls evaluations without a bracket
        bracket = [[0.0, loss, grad, gtd], [t, new_loss, new_grad, new_gtd]]

    low, high = (0, 1) if bracket[0][1] <= bracket[-1][1] else (1, 0)
    stuck = False  # the last trial was too close to an end of the bracket
    while not done and iteration < max_ls:
        (t0, f0, _, g0), (t1, f1, _, g1) = bracket
        if abs(t1 - t0) * d_norm < tolerance_change:
            break
        t = _cubic_minimum(t0, f0, g0, t1, f1, g1)
        top, bottom = max(t0, t1), min(t0, t1)
        margin = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < margin:
            if stuck or t >= top or t <= bottom:
                t = top - margin if abs(t - top) < abs(t - bottom) else bottom + margin
                stuck = False
            else:
                stuck = True
        else:
            stuck = False
        new_loss, new_grad = evaluate(t)
        evaluations += 1
        new_gtd = float(np.dot(new_grad, d))
        iteration += 1
        if new_loss > loss + c1 * t * gtd or new_loss >= bracket[low][1]:
            bracket[high] = [t, new_loss, new_grad, new_gtd]
            low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
        else:
            if abs(new_gtd) <= -c2 * gtd:
                done = True
            elif new_gtd * (bracket[high][0] - bracket[low][0]) >= 0:
                bracket[high] = bracket[low]
            bracket[low] = [t, new_loss, new_grad, new_gtd]
    t, new_loss, new_grad, _ = bracket[low]
    return new_loss, new_grad, t, evaluations


def _lbfgs_direction(grad: np.ndarray, state: State, history_size: int) -> np.ndarray:
    """Update the (s, y) memory with the last step, then d = -H g by the two-loop recursion.
    Each x += a * v is PyTorch's x.add_(v, alpha=a): one pass, rounded once."""
    if state["n_iter"] == 1:
        state.update(old_dirs=[], old_stps=[], ro=[], H_diag=1.0)
        return np.negative(grad)
    y = grad - state["prev_flat_grad"]
    s = state["d"] * state["t"]
    ys = float(np.dot(y, s))
    old_dirs, old_stps, ro = state["old_dirs"], state["old_stps"], state["ro"]
    if ys > 1e-10:  # only pairs with positive curvature keep H positive definite
        if len(old_dirs) == history_size:
            del old_dirs[0], old_stps[0], ro[0]
        old_dirs.append(y)
        old_stps.append(s)
        ro.append(1.0 / ys)
        state["H_diag"] = ys / float(np.dot(y, y))
    alphas = [0.0] * len(old_dirs)
    q = np.negative(grad)
    for i in range(len(old_dirs) - 1, -1, -1):
        alphas[i] = float(np.dot(old_stps[i], q)) * ro[i]
        _add_scaled_(q, old_dirs[i], -alphas[i])
    r = np.multiply(q, state["H_diag"], out=q)
    for i in range(len(old_dirs)):
        beta = float(np.dot(old_dirs[i], r)) * ro[i]
        _add_scaled_(r, old_stps[i], alphas[i] - beta)
    return r


def lbfgs(
    param: np.ndarray,
    closure,
    state: State,
    *,
    lr: float = 1.0,
    max_iter: int = 20,
    max_eval: int | None = None,
    tolerance_grad: float = 1e-7,
    tolerance_change: float = 1e-9,
    history_size: int = 100,
    line_search_fn: str | None = None,
    trace: dict | None = None,
) -> float:
    """Up to ``max_iter`` L-BFGS iterations (torch.optim.LBFGS; optax.lbfgs), in place on the
    1-D array ``param``; returns the loss at the start.

    ``closure() -> (loss, grad)`` evaluates the objective and its gradient at the current
    contents of ``param`` (a float and a 1-D array like it). L-BFGS needs the loss, not only the
    gradient: it compares losses to stop and to search along a line. Each iteration:

        s_k = theta_k - theta_{k-1},  y_k = g_k - g_{k-1}   (the last ``history_size`` pairs
                                                             with y.s > 1e-10 are kept)
        d_k = -H_k g_k   (two-loop recursion; H_0 = (y.s / y.y) I from the newest pair)
        theta_{k+1} = theta_k + t_k d_k,   t_k = lr (the first: lr * min(1, 1 / |g_0|_1)),
                      or a strong Wolfe line search from there (line_search_fn="strong_wolfe")

    It stops after ``max_iter`` iterations or ``max_eval`` evaluations (default
    max_iter * 5 // 4), when max |g| <= tolerance_grad, when the step or the change of the
    loss falls below tolerance_change, or when d is no longer a descent direction. State
    (PyTorch's keys): ``func_evals``, ``n_iter`` (over all calls), ``d``, ``t``, ``old_dirs``
    (y), ``old_stps`` (s), ``ro`` (1 / y.s), ``H_diag``, ``prev_flat_grad``, ``prev_loss``.
    Every x + a * v (the two-loop recursion, the step) is one fused multiply-add, as PyTorch's
    ``add_(v, alpha=a)`` rounds it on CPUs with FMA.
    If ``closure`` raises, ``param`` and ``state`` are left as they were.
    Trace: ``direction`` and ``step_size`` of the last iteration, ``evaluations``.
    """
    if max_eval is None:
        max_eval = max_iter * 5 // 4
    start_param = np.array(param, copy=True)
    start_state = {k: (list(v) if isinstance(v, list) else v) for k, v in state.items()}
    try:
        return _lbfgs_iterations(param, closure, state, lr, max_iter, max_eval, tolerance_grad,
                                 tolerance_change, history_size, line_search_fn, trace)
    except BaseException:
        np.copyto(param, start_param)
        state.clear()
        state.update(start_state)
        raise


def _largest_magnitude(x: np.ndarray):
    """max |x|, exactly (as max(abs(x)), NaN if x has one), from two passes that only read x."""
    high, low = x.max(), x.min()
    return high if high >= -low else -low


def _lbfgs_iterations(param, closure, state, lr, max_iter, max_eval, tolerance_grad, tolerance_change,
                      history_size, line_search_fn, trace) -> float:
    first_loss, grad = closure()
    loss = first_loss
    evaluations = 1
    state["func_evals"] += 1
    if _largest_magnitude(grad) <= tolerance_grad:
        return first_loss
    for iteration in range(1, max_iter + 1):
        state["n_iter"] += 1
        d = _lbfgs_direction(grad, state, history_size)
        state["prev_flat_grad"] = np.array(grad, copy=True)  # a new array: a failed call restores the old
        state["prev_loss"] = loss
        if state["n_iter"] == 1:
            t = min(1.0, 1.0 / float(np.sum(np.abs(grad)))) * lr
        else:
            t = lr
        state["d"], state["t"] = d, t
        gtd = float(np.dot(grad, d))
        if gtd > -tolerance_change:  # not a descent direction any more
            break
        if line_search_fn is not None:
            start = np.array(param, copy=True)

            def along_d(step: float):  # param is start on entry: every call puts it back
                _add_scaled_(param, d, step)
                try:
                    return closure()
                finally:
                    np.copyto(param, start)

            loss, grad, t, spent = strong_wolfe(along_d, t, d, loss, grad, gtd, tolerance_change=tolerance_change,
                                                max_ls=max_eval - evaluations)
            state["t"] = t
            _add_scaled_(param, d, t)
            converged = _largest_magnitude(grad) <= tolerance_grad
        else:
            _add_scaled_(param, d, t)
            spent = 0
            converged = False
            if iteration != max_iter:  # the last iteration's loss is the next call's first
                loss, grad = closure()
                converged = _largest_magnitude(grad) <= tolerance_grad
                spent = 1
        evaluations += spent
        state["func_evals"] += spent
        if trace is not None:
            _record(trace, direction=d, step_size=t, evaluations=evaluations)
        if (iteration == max_iter or evaluations >= max_eval or converged
                # max |t d_i| = |t| max |d_i|, rounded the same (rounding keeps the order)
                or d.dtype.type(abs(t)) * _largest_magnitude(d) <= tolerance_change
                or abs(loss - state["prev_loss"]) < tolerance_change):
            break
    return first_loss


# ---- beyond torch.optim: optax's Lion, AdaBelief, Yogi, LAMB, Lookahead, schedule-free ------
# These follow optax's equations and its order of operations (optax writes a moving average
# as (1 - beta) g + beta m; its updates u are added as theta + u).

def _ema_(average: np.ndarray, x: np.ndarray, decay: float, tmp: np.ndarray, square: bool = False) -> None:
    """average <- (1 - decay) * x + decay * average (x^2 if ``square``), as optax rounds it."""
    if square:
        np.multiply(x, x, out=tmp)
        tmp *= 1 - decay
    else:
        np.multiply(x, 1 - decay, out=tmp)
    average *= decay
    np.add(tmp, average, out=average)


def _bias_corrected(x: np.ndarray, decay: float, count: int, out: np.ndarray) -> np.ndarray:
    """x / (1 - decay^count) (optax.tree.bias_correction)."""
    return np.divide(x, 1 - decay**count, out=out)


def lion_buffers() -> dict[str, float]:
    return {"exp_avg": 0.0}


def lion_init(param: np.ndarray) -> State:
    return init_state(param, lion_buffers())


def lion(
    param: np.ndarray,
    grad: np.ndarray,
    state: State,
    *,
    lr: float = 1e-4,
    betas: tuple[float, float] = (0.9, 0.99),
    weight_decay: float = 1e-3,
    scratch: Scratch = None,
    trace: dict | None = None,
) -> None:
    """One Lion step (optax.lion; Chen et al. 2023), in place. betas = (b1, b2).

        c_t = b1 m_{t-1} + (1 - b1) g_t
        theta_t = theta_{t-1} - eta (sign(c_t) + weight_decay * theta_{t-1})
        m_t = b2 m_{t-1} + (1 - b2) g_t                             (m_0 = 0; state "exp_avg")

    Trace: ``grad``, ``direction`` (sign(c_t)), ``exp_avg``, ``update``.
    """
    beta1, beta2 = betas
    direction, tmp = _scratch(param, scratch)
    exp_avg = state["exp_avg"]
    np.multiply(grad, 1 - beta1, out=direction)
    np.multiply(exp_avg, beta1, out=tmp)
    direction += tmp
    np.sign(direction, out=direction)
    _ema_(exp_avg, grad, beta2, tmp=tmp)
    state["step"] += 1
    if trace is not None:
        _record(trace, grad=grad, direction=direction, exp_avg=exp_avg)
    if weight_decay != 0:
        np.multiply(param, weight_decay, out=tmp)
        direction += tmp
    direction *= -lr
    if trace is not None:
        _record(trace, update=direction)
    param += direction


def adabelief_buffers() -> dict[str, float]:
    return {"exp_avg": 0.0, "exp_avg_var": 0.0}


def adabelief_init(param: np.ndarray) -> State:
    return init_state(param, adabelief_buffers())


def adabelief(
    param: np.ndarray,
    grad: np.ndarray,
    state: State,
    *,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-16,
    eps_root: float = 1e-16,
    nesterov: bool = False,
    scratch: Scratch = None,
    trace: dict | None = None,
) -> None:
    """One AdaBelief step (optax.adabelief; Zhuang et al. 2020), in place: Adam with the
    variance of the gradient around its moving average (the "belief") in place of v_t.

        m_t = b1 m_{t-1} + (1 - b1) g_t                             (state "exp_avg")
        s_t = b2 s_{t-1} + (1 - b2) (g_t - m_t)^2 + eps_root        (state "exp_avg_var")
        m^_t = m_t / (1 - b1^t)   (nesterov: b1 m_t / (1 - b1^(t+1)) + (1 - b1) g_t / (1 - b1^t))
        s^_t = s_t / (1 - b2^t)
        theta_t = theta_{t-1} - eta m^_t / (sqrt(s^_t) + eps)

    Trace: ``grad``, ``exp_avg``, ``exp_avg_var``, ``update``.
    """
    beta1, beta2 = betas
    work, tmp = _scratch(param, scratch)
    exp_avg, exp_avg_var = state["exp_avg"], state["exp_avg_var"]
    _ema_(exp_avg, grad, beta1, tmp=tmp)
    np.subtract(grad, exp_avg, out=work)
    _ema_(exp_avg_var, work, beta2, tmp=tmp, square=True)
    exp_avg_var += eps_root
    state["step"] += 1
    t = state["step"]
    if nesterov:
        _bias_corrected(exp_avg, beta1, t + 1, out=work)
        work *= beta1
        _bias_corrected(grad, beta1, t, out=tmp)
        tmp *= 1 - beta1
        work += tmp
    else:
        _bias_corrected(exp_avg, beta1, t, out=work)
    _bias_corrected(exp_avg_var, beta2, t, out=tmp)
    np.sqrt(tmp, out=tmp)
    tmp += eps
    work /= tmp
    work *= -lr
    if trace is not None:
        _record(trace, grad=grad, exp_avg=exp_avg, exp_avg_var=exp_avg_var, update=work)
    param += work


def yogi_buffers(initial_accumulator_value: float = 1e-6) -> dict[str, float]:
    return {"exp_avg": initial_accumulator_value, "exp_avg_sq": initial_accumulator_value}


def yogi_init(param: np.ndarray, initial_accumulator_value: float = 1e-6) -> State:
    return init_state(param, yogi_buffers(initial_accumulator_value))


def yogi(
    param: np.ndarray,
    grad: np.ndarray,
    state: State,
    *,
    lr: float = 1e-2,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-3,
    eps_root: float = 0.0,
    initial_accumulator_value: float = 1e-6,
    scratch: Scratch = None,
    trace: dict | None = None,
) -> None:
    """One Yogi step (optax.yogi; Zaheer et al. 2018), in place: Adam whose v_t moves towards
    g_t^2 by a fixed (1 - b2) g_t^2, in the direction of the difference, instead of
    multiplicatively (v_t cannot collapse when gradients grow suddenly).

        m_t = b1 m_{t-1} + (1 - b1) g_t                    (m_0 = initial_accumulator_value)
        v_t = v_{t-1} - (1 - b2) sign(v_{t-1} - g_t^2) g_t^2   (v_0 = initial_accumulator_value)
        theta_t = theta_{t-1} - eta m^_t / (sqrt(v^_t + eps_root) + eps)   (m^, v^: Adam's)

    ``initial_accumulator_value`` only sets the start (``yogi_init``). Trace: ``grad``,
    ``exp_avg``, ``exp_avg_sq``, ``update``.
    """
    beta1, beta2 = betas
    work, tmp = _scratch(param, scratch)
    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
    _ema_(exp_avg, grad, beta1, tmp=tmp)
    np.multiply(grad, grad, out=work)
    np.subtract(exp_avg_sq, work, out=tmp)
    np.sign(tmp, out=tmp)
    tmp *= 1 - beta2
    tmp *= work
    exp_avg_sq -= tmp
    state["step"] += 1
    t = state["step"]
    _bias_corrected(exp_avg_sq, beta2, t, out=tmp)
    if eps_root != 0:
        tmp += eps_root
    np.sqrt(tmp, out=tmp)
    tmp += eps
    _bias_corrected(exp_avg, beta1, t, out=work)
    work /= tmp
    work *= -lr
    if trace is not None:
        _record(trace, grad=grad, exp_avg=exp_avg, exp_avg_sq=exp_avg_sq, update=work)
    param += work


def lamb_buffers() -> dict[str, float]:
    return {"exp_avg": 0.0, "exp_avg_sq": 0.0}


def lamb_init(param: np.ndarray) -> State:
    return init_state(param, lamb_buffers())


def _segment_norms(x: np.ndarray, segments, tmp: np.ndarray) -> np.ndarray:
    """The 2-norm of x, or of each segment (start, stop) of a flat x (one summation routine
    for both, so a parameter's norm has the same bits alone or in a flat buffer)."""
    np.multiply(x, x, out=tmp)
    starts = [0] if segments is None else [start for start, _ in segments]
    return np.sqrt(np.add.reduceat(tmp.reshape(-1), starts))


def lamb(
    param: np.ndarray,
    grad: np.ndarray,
    state: State,
    *,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-6,
    eps_root: float = 0.0,
    weight_decay: float = 0.0,
    segments: list[tuple[int, int]] | None = None,
    scratch: Scratch = None,
    trace: dict | None = None,
) -> None:
    """One LAMB step (optax.lamb; You et al. 2020), in place: AdamW's update rescaled, per
    parameter tensor, to a fixed ratio of that tensor's norm (a layer-wise trust ratio).

        m_t, v_t, m^_t, v^_t as Adam's               (states "exp_avg", "exp_avg_sq")
        u_t = m^_t / (sqrt(v^_t + eps_root) + eps) + weight_decay * theta_{t-1}
        r_t = ||theta_{t-1}|| / ||u_t||   (1 if either norm is 0)
        theta_t = theta_{t-1} - eta r_t u_t

    The norms are over each parameter tensor: for a flat buffer holding several, pass their
    ``segments`` [(start, stop), ...] (the optimizer does). Trace: ``grad``, ``exp_avg``,
    ``exp_avg_sq``, ``trust_ratio``, ``update``.
    """
    beta1, beta2 = betas
    work, tmp = _scratch(param, scratch)
    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
    _ema_(exp_avg, grad, beta1, tmp=tmp)
    _ema_(exp_avg_sq, grad, beta2, tmp=tmp, square=True)
    state["step"] += 1
    t = state["step"]
    _bias_corrected(exp_avg_sq, beta2, t, out=tmp)
    if eps_root != 0:
        tmp += eps_root
    np.sqrt(tmp, out=tmp)
    tmp += eps
    _bias_corrected(exp_avg, beta1, t, out=work)
    work /= tmp
    if weight_decay != 0:
        np.multiply(param, weight_decay, out=tmp)
        work += tmp
    param_norms = _segment_norms(param, segments, tmp)
    update_norms = _segment_norms(work, segments, tmp)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where((param_norms == 0) | (update_norms == 0), 1.0, param_norms / update_norms)
    if segments is None:
        work *= ratios[0]
    else:
        for (start, stop), ratio in zip(segments, ratios):
            work[start:stop] *= ratio
    work *= -lr
    if trace is not None:
        _record(trace, grad=grad, exp_avg=exp_avg, exp_avg_sq=exp_avg_sq, trust_ratio=ratios, update=work)
    param += work


def lookahead_sync(fast: np.ndarray, slow: np.ndarray, slow_step_size: float = 0.5) -> None:
    """Lookahead's synchronisation (optax.lookahead; Zhang et al. 2019), in place:

        slow <- slow + alpha (fast - slow),   fast <- slow        (alpha = slow_step_size)

    every ``sync_period`` steps of the fast (inner) optimizer.
    """
    np.subtract(fast, slow, out=fast)
    fast *= slow_step_size
    slow += fast
    np.copyto(fast, slow)


# ---- schedule-free SGD and AdamW (optax.contrib; Defazio et al. 2024) ---------------------

def warmup_lr(lr: float, count: int, warmup_steps: int) -> float:
    """optax.warmup_constant_schedule(0, lr, warmup_steps) at ``count``: linear from 0 to lr."""
    if warmup_steps <= 0:
        return lr
    fraction = 1 - min(max(count, 0), warmup_steps) / warmup_steps
    return (0 - lr) * fraction + lr


def schedule_free_buffers(adam: bool = False) -> dict[str, float | str]:
    """``z``: the SGD (or Adam) iterate, starting at the parameter; ``exp_avg_sq`` for AdamW."""
    return {"z": PARAM, "exp_avg_sq": 0.0} if adam else {"z": PARAM}


def schedule_free_scalars() -> dict[str, float]:
    """``weight_sum``: the sum of the averaging weights; ``max_lr``: the largest lr so far."""
    return {"weight_sum": 0.0, "max_lr": 0.0}


def schedule_free_init(param: np.ndarray, adam: bool = False) -> State:
    return {**init_state(param, schedule_free_buffers(adam)), **schedule_free_scalars()}


def schedule_free_eval(param: np.ndarray, state: State, b1: float, out: np.ndarray | None = None) -> np.ndarray:
    """The point to evaluate (optax.contrib.schedule_free_eval_params): x = (y - (1 - b1) z) / b1."""
    out = np.multiply(state["z"], 1.0 - b1, out=out)
    np.subtract(param, out, out=out)
    out /= b1
    return out


def _schedule_free_step(param, state, base_update, b1: float, lr: float, weight_lr_power: float,
                        warmup_steps: int, work, tmp, trace) -> None:
    """The schedule-free averaging around a base optimizer's update u (in ``work``):

        z_t = z_{t-1} + u_t,                    c_t = w_t / (w_1 + ... + w_t),  w_t = max_lr^power
        x_t = (1 - c_t) x_{t-1} + c_t z_t,      x_{t-1} = (y_{t-1} - (1 - b1) z_{t-1}) / b1
        y_t = b1 x_t + (1 - b1) z_t             (y: the parameters, where gradients are taken)
    """
    lr_now = warmup_lr(lr, state["step"] + 1, warmup_steps)
    max_lr = max(state["max_lr"], lr_now)
    weight = max_lr**weight_lr_power
    total = state["weight_sum"] + weight
    ck = weight / total if total != 0 else (math.nan if math.isnan(weight) else 0.0)
    z = state["z"]
    x = schedule_free_eval(param, state, b1, out=tmp)
    z += base_update
    x *= 1.0 - ck
    np.multiply(z, ck, out=work)
    x += work
    x *= b1
    np.multiply(z, 1.0 - b1, out=work)
    x += work
    np.subtract(x, param, out=work)  # the update y_t - y_{t-1}, added as any optimizer's
    state["max_lr"], state["weight_sum"] = max_lr, total
    state["step"] += 1
    if trace is not None:
        _record(trace, z=z, update=work)
    param += work


def schedule_free_sgd(
    param: np.ndarray,
    grad: np.ndarray,
    state: State,
    *,
    lr: float = 1.0,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    warmup_steps: int = 0,
    weight_lr_power: float = 2.0,
    scratch: Scratch = None,
    trace: dict | None = None,
) -> None:
    """One schedule-free SGD step (optax.contrib.schedule_free_sgd; ``momentum`` is optax's b1),
    in place. The base update is u_t = -eta_t (g_t + weight_decay * y_{t-1}), g_t taken at y.

    With ``warmup_steps``, eta rises linearly from 0 over that many steps; as in optax, the
    base update uses eta at the step count before this step and the averaging weight at the
    count after it. Evaluate at ``schedule_free_eval``. See ``_schedule_free_step``.
    """
    work, tmp = _scratch(param, scratch)
    base_lr = warmup_lr(lr, state["step"], warmup_steps)
    if weight_decay != 0:
        np.multiply(param, weight_decay, out=work)
        work += grad
    else:
        np.copyto(work, grad)
    work *= -base_lr
    _schedule_free_step(param, state, work, momentum, lr, weight_lr_power, warmup_steps, work=work, tmp=tmp,
                        trace=trace)


def schedule_free_adamw(
    param: np.ndarray,
    grad: np.ndarray,
    state: State,
    *,
    lr: float = 2.5e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    warmup_steps: int = 0,
    weight_lr_power: float = 2.0,
    scratch: Scratch = None,
    trace: dict | None = None,
) -> None:
    """One schedule-free AdamW step (optax.contrib.schedule_free_adamw), in place: schedule-free
    averaging around RMSProp with bias correction (Adam without its momentum; b1 = betas[0]
    does the averaging instead):

        v_t = b2 v_{t-1} + (1 - b2) g_t^2                     (state "exp_avg_sq")
        u_t = -eta_t (g_t / (sqrt(v_t / (1 - b2^t)) + eps) + weight_decay * y_{t-1})

    Warmup and the averaging as in ``schedule_free_sgd``. Uses three scratch arrays.
    """
    beta1, beta2 = betas
    work, tmp, spare = _scratch(param, scratch, 3)
    base_lr = warmup_lr(lr, state["step"], warmup_steps)
    exp_avg_sq = state["exp_avg_sq"]
    _ema_(exp_avg_sq, grad, beta2, tmp=tmp, square=True)
    _bias_corrected(exp_avg_sq, beta2, state["step"] + 1, out=tmp)
    np.sqrt(tmp, out=tmp)
    tmp += eps
    np.divide(1.0, tmp, out=tmp)
    np.multiply(tmp, grad, out=work)
    if weight_decay != 0:
        np.multiply(param, weight_decay, out=tmp)
        work += tmp
    work *= -base_lr
    _schedule_free_step(param, state, work, beta1, lr, weight_lr_power, warmup_steps, work=spare, tmp=tmp,
                        trace=trace)
