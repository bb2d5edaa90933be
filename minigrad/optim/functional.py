"""Every optimizer's update rule, written once, as a small function on NumPy arrays.

The optimizer classes call these from ``step()``; the optimizer lab and the benchmarks call
them directly on plain arrays. There is no second copy of the math anywhere.

Each rule is a pair:

- ``<rule>_init(param, ...) -> state``: a fresh state dict: ``{"step": 0, <buffer>: array}``,
  every buffer shaped like ``param`` (the same dict format ``Optimizer.state[p]`` holds);
- ``<rule>(param, grad, state, *, <hyperparameters>, scratch=None, trace=None) -> None``:
  one step, **in place**: it moves ``param``, updates the buffers of ``state`` and adds 1 to
  ``state["step"]``. ``grad`` is only read.

``scratch`` is an optional pair of arrays shaped like ``param`` that the rule may overwrite;
passing the same pair every step makes a step allocation-free. ``trace``, if a dict, receives
copies of the step's intermediate values (the effective gradient, bias-corrected moments,
the denominator, the update actually added to ``param``): the lab records them; when it is
None they cost nothing.

    >>> import numpy as np
    >>> x = np.array([9.0])                       # RMSProp on f(x) = x^2, the slides' numbers
    >>> state = rmsprop_init(x)
    >>> rmsprop(x, 2 * x, state, lr=0.1, alpha=0.9, eps=1e-7, eps_inside_sqrt=True)
    >>> round(float(x[0]), 4), state["step"], round(float(state["square_avg"][0]), 6)
    (8.6838, 1, 32.4)

Hyperparameter names and defaults are torch.optim's. The arithmetic keeps to +, -, *, /, sqrt
and max (correctly rounded in IEEE arithmetic), so an update gives the same bits whether it
runs on one parameter or on a flat buffer holding many.

Where a rule is PyTorch's, it also does PyTorch's operations in PyTorch's order (a moving
average is ``lerp`` as PyTorch computes it, ``addcmul`` is ``x + (value * a) * b``, ``addcdiv``
is ``x + (value * a) / b``, ...): in float64 a trajectory then follows PyTorch's to the last
bit, step after step, even where the dynamics amplify every rounding difference. Two things
of PyTorch's CPU build are not operation order and are not followed: its vectorized kernels
fuse ``x + a * b`` into one rounding (FMA) on CPUs that have it, and its float64 ``sqrt``
(Intel MKL's) is off by one unit in the last place for about 1% of inputs; NumPy's sqrt is
correctly rounded. ``tests/optim/test_exactness.py`` checks the order against a PyTorch run
without FMA and with a correctly rounded sqrt.
"""
from __future__ import annotations

from typing import Any

import numpy as np

State = dict[str, Any]
Scratch = tuple[np.ndarray, np.ndarray] | None

__all__ = [
    "init_state",
    "sgd_buffers", "sgd_init", "sgd",
    "adagrad_buffers", "adagrad_init", "adagrad",
    "rmsprop_buffers", "rmsprop_init", "rmsprop",
    "adam_buffers", "adam_init", "adam",
    "normalize_bias_correction",
]


def init_state(param: np.ndarray, buffers: dict[str, float]) -> State:
    """A fresh state: ``step`` 0 and one array like ``param`` per buffer, filled with its start value."""
    state: State = {"step": 0}
    for name, start in buffers.items():
        state[name] = np.full_like(param, start)
    return state


def _scratch(param: np.ndarray, scratch: Scratch) -> tuple[np.ndarray, np.ndarray]:
    if scratch is None:
        return np.empty_like(param), np.empty_like(param)
    return scratch


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

    Trace: ``grad`` (effective g), ``velocity`` (b or v), ``update`` (-lr * d).
    """
    work, spare = _scratch(param, scratch)
    g = _effective_grad(param, grad, weight_decay, maximize, out=work)
    direction = g
    if momentum != 0:
        velocity = state["momentum_buffer"]
        if ema:
            velocity *= momentum
            np.multiply(g, 1.0 - momentum, out=spare)
            velocity += spare
        elif state["step"] == 0:
            velocity[...] = g  # PyTorch: the buffer starts as the first gradient, undamped
        else:
            velocity *= momentum
            if dampening == 0:
                velocity += g
            else:
                np.multiply(g, 1.0 - dampening, out=spare)
                velocity += spare
        if nesterov:
            np.multiply(velocity, momentum, out=spare)
            spare += g
            direction = spare
        else:
            direction = velocity
    state["step"] += 1
    np.multiply(direction, -lr, out=work)
    if trace is not None:
        _record(trace, grad=g, update=work)
        if momentum != 0:
            _record(trace, velocity=state["momentum_buffer"])
    param += work


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

    Trace: ``grad``, ``exp_avg``, ``exp_avg_sq``, ``m_hat``, ``v_hat``, ``denom``, ``update``.
    """
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
    _add_scaled_square_(exp_avg_sq, 1.0 - beta2, g, tmp=denom)
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
