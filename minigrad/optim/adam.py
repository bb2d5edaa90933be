"""Adam and AdamW (torch.optim.Adam, torch.optim.AdamW): momentum plus RMSProp, bias-corrected."""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from minigrad.optim import functional as F
from minigrad.optim.optimizer import (
    Optimizer, as_pair, check_betas, check_flag, check_nonnegative, grad_array, set_grad_array,
)
from minigrad.tensor import Tensor

SECOND_MOMENTS = ("batch", "per_sample")


class Adam(Optimizer):
    """Adam (torch.optim.Adam, same names and defaults), with the slides' variants as options.

    Slides (seeds/001-003 symbols)                  |  here / PyTorch (betas = (beta1, beta2))
    ------------------------------------------------+-----------------------------------------
    m_t = beta1 m_{t-1} + (1 - beta1) g_t  (m_0 = 0) |  exp_avg    (seeds/003: s, rho1;
    v_t = beta2 v_{t-1} + (1 - beta2) g_t^2 (v_0 = 0)|  exp_avg_sq  seeds/000: m, v, beta, gamma)
    m^_t = m_t / (1 - beta1^t)                      |  bias_correction=True (both moments)
    v^_t = v_t / (1 - beta2^t)                      |
    theta_t = theta_{t-1} - eta m^_t / (sqrt(v^_t) + eps)  |  default (PyTorch, seeds/000)
    theta_t = theta_{t-1} - eta m^_t / sqrt(v^_t + eps)    |  eps_inside_sqrt=True (seeds/001, /003)
    "simpler Adam": eta m_t / sqrt(v_t + eps)       |  bias_correction=False, eps_inside_sqrt=True
    last slide of seeds/002: eta / sqrt(v_t + eps) * m_t / (1 - beta1^t)
                                                    |  bias_correction="first", eps_inside_sqrt=True
    Keras / scikit-learn: eta sqrt(1 - beta2^t) / (1 - beta1^t) * m_t / (sqrt(v_t) + eps)
                                                    |  eps_hat=True

    ``amsgrad``: vmax_t = max(vmax_{t-1}, v_t) replaces v_t in the denominator. Before it all:
    g <- -g if ``maximize``; g <- g + weight_decay * p (L2, Adam), or with
    ``decoupled_weight_decay`` p <- p (1 - lr weight_decay) (AdamW). State per parameter:
    ``exp_avg`` (m), ``exp_avg_sq`` (v), ``max_exp_avg_sq`` (amsgrad), ``step`` (t).

    ``second_moment="per_sample"`` (seeds/000's minibatch Adam; PyTorch has no such option):
    with g_i the gradient of sample i's loss l_i over the batch B_t,

        m_{t+1} = beta m_t + (1 - beta) sum_{i in B_t} g_i
        v_{t+1} = gamma v_t + (1 - gamma) sum_{i in B_t} g_i^2     <- not (sum_i g_i)^2

    so ``step`` needs sum_i g_i^2, which one backward cannot give: pass it as
    ``step(sum_grad_squared=[...])`` (one array per parameter, ``.grad`` holding sum_i g_i), or
    let ``step_on_batch(model, loss_fn, inputs, targets)`` compute both in one batched pass
    (``minigrad.func.batch_grad_stats``). The slides' sums are a ``reduction="sum"`` loss; with
    ``"mean"`` the gradient is (1/B) sum_i g_i and the squares are those of the terms g_i / B,
    (1/B^2) sum_i g_i^2: the same steps but for eps, which then weighs B times more. AMSGrad
    and AdamW's decoupled decay apply unchanged; an L2 ``weight_decay`` is refused (its
    gradient is not a per-sample term).

    NOTE: where eps goes matters when v is small: 1e-8 outside the root is far smaller than
    1e-8 under it (sqrt(1e-8) = 1e-4). The eps-hat form adds eps to sqrt(v_t) *before* bias
    correction, which is eps / sqrt(1 - beta2^t) in PyTorch's form: 31.6 eps at t = 1 with
    beta2 = 0.999, larger in the first steps. Bias correction matters early: without it
    m_1 = (1 - beta1) g_1 and v_1 = (1 - beta2) g_1^2, so the first step is
    lr * 0.1 / sqrt(0.001) = 3.16 lr instead of lr; correcting only v (``"second"``) gives 0.1 lr.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
        bias_correction: bool | str = True,
        eps_inside_sqrt: bool = False,
        eps_hat: bool = False,
        second_moment: str = "batch",
        flat: bool = True,
    ):
        defaults = dict(lr=lr, betas=as_pair(betas), eps=eps,
                        weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay, bias_correction=bias_correction,
                        eps_inside_sqrt=eps_inside_sqrt, eps_hat=eps_hat, second_moment=second_moment)
        super().__init__(params, defaults, flat=flat)

    def _validate(self, group) -> None:
        super()._validate(group)
        check_betas(group["betas"])
        check_nonnegative("eps", group["eps"])
        check_nonnegative("weight_decay", group["weight_decay"])
        for flag in ("amsgrad", "maximize", "decoupled_weight_decay", "eps_inside_sqrt", "eps_hat"):
            check_flag(flag, group[flag])
        corrects_both = F.normalize_bias_correction(group["bias_correction"]) == (True, True)
        if group["eps_hat"] and (group["eps_inside_sqrt"] or not corrects_both):
            raise ValueError(
                "eps_hat=True (Keras' Adam) already fixes where eps goes and corrects both moments; "
                f"it cannot be combined with eps_inside_sqrt={group['eps_inside_sqrt']!r}, "
                f"bias_correction={group['bias_correction']!r}"
            )
        if group["second_moment"] not in SECOND_MOMENTS:
            raise ValueError(
                f"Invalid second_moment: {group['second_moment']!r} (use 'batch', PyTorch's Adam, or "
                f"'per_sample', the slides' sum of per-sample squared gradients)"
            )
        if group["second_moment"] == "per_sample" and group["weight_decay"] != 0 \
                and not group["decoupled_weight_decay"]:
            raise ValueError(
                f"second_moment='per_sample' with an L2 weight_decay={group['weight_decay']!r} is not defined "
                f"(the penalty's gradient is not a per-sample term); use AdamW / "
                f"decoupled_weight_decay=True, or weight_decay=0"
            )

    def _buffers(self, group) -> dict[str, float]:
        return F.adam_buffers(group["amsgrad"])

    def _update(self, param, grad, state, group, scratch, sum_grad_squared=None) -> None:
        if sum_grad_squared is None and group["second_moment"] == "per_sample":  # step() stages them
            raise RuntimeError("internal: a per-sample Adam group is updated without its sums of squares")
        F.adam(param, grad, state, lr=group["lr"], betas=group["betas"], eps=group["eps"],
               weight_decay=group["weight_decay"], amsgrad=group["amsgrad"], maximize=group["maximize"],
               decoupled_weight_decay=group["decoupled_weight_decay"],
               bias_correction=group["bias_correction"], eps_inside_sqrt=group["eps_inside_sqrt"],
               eps_hat=group["eps_hat"], sum_grad_squared=sum_grad_squared, scratch=scratch)

    # ---- the slides' per-sample second moment ------------------------------------------------
    def step(self, closure: Callable[[], Any] | None = None, *, sum_grad_squared=None) -> Any:
        """Update every parameter that has a gradient; returns ``closure()`` if one is given.

        ``sum_grad_squared`` is for ``second_moment="per_sample"`` groups, where it is required:
        sum_i g_i^2 of every parameter with a gradient, as a list or tuple in the optimizer's
        parameter order (an entry may be None for a parameter without gradient or in a
        ``"batch"`` group) or a dict {parameter Tensor: array}. Arrays or Tensors shaped like
        their parameters, no value below zero. Everything is checked before anything changes."""
        if sum_grad_squared is None:
            for group in self.param_groups:
                if group["second_moment"] != "batch":
                    break
            else:  # PyTorch's Adam: nothing to stage
                return super().step(closure)
        loss = self._evaluate(closure) if closure is not None else None
        for group_chunks in self._chunks:
            for chunk in group_chunks:
                chunk.adopt_replaced_data()  # so the arrays staged for below are the ones updated
        self._step_inputs = self._stage_squares(sum_grad_squared)
        try:
            super().step()
        finally:
            self._step_inputs = {}
        return loss

    def _stage_squares(self, sum_grad_squared) -> dict:
        """The checked sums of squares, copied into one array per chunk (a flat buffer for a flat
        chunk, so the update stays one call), keyed as ``_step_inputs``: by the id of the
        parameter array (flat buffer or view) the rule runs on."""
        params = self._indexed_params()
        by_param = self._squares_by_param(sum_grad_squared, params)
        number_of = {id(p): n for n, group in enumerate(self.param_groups) for p in group["params"]}
        for index, param in enumerate(params):
            group = self.param_groups[number_of[id(param)]]
            where = f"parameter {index} (shape {param.shape}, group {number_of[id(param)]})"
            given = by_param.get(id(param))
            if group["second_moment"] == "batch":
                if given is not None:
                    raise ValueError(
                        f"step(sum_grad_squared=...) got a value for {where}, whose group has "
                        f"second_moment='batch' and would ignore it; make the optimizer with "
                        f"second_moment='per_sample' to use it"
                    )
            elif given is None and grad_array(param) is not None:
                raise RuntimeError(
                    f"Adam(second_moment='per_sample') needs the per-sample sum of squared gradients of {where}: "
                    f"call step(sum_grad_squared=[...]) with one array per parameter in the optimizer's order "
                    f"(or a dict {{parameter: array}}; minigrad.func.batch_grad_stats computes them), or "
                    f"step_on_batch(model, loss_fn, inputs, targets)"
                )
            elif given is not None:
                by_param[id(param)] = self._checked_square(where, param, given)
        staged = {}
        for group, group_chunks in zip(self.param_groups, self._chunks):
            if group["second_moment"] != "per_sample":
                continue
            for chunk in group_chunks:
                arrays = [by_param.get(id(p)) for p in chunk.params]
                if all(a is None for a in arrays):
                    continue
                if chunk.flat:
                    flat = chunk.inputs.setdefault("sum_grad_squared", np.zeros(chunk.size, chunk.dtype))
                    views = chunk.views_of(flat)
                    for view, array in zip(views, arrays):
                        if array is not None:
                            np.copyto(view, array)
                    staged[id(chunk.data)] = {"sum_grad_squared": flat}
                    for data_view, view in zip(chunk.data_views, views):
                        staged[id(data_view)] = {"sum_grad_squared": view}
                else:
                    staged[id(chunk.data)] = {"sum_grad_squared": np.asarray(arrays[0], dtype=chunk.dtype)}
        return staged

    def _squares_by_param(self, sum_grad_squared, params: list) -> dict:
        """{id(parameter): what was given for it} from a list/tuple or a {Tensor: array} dict."""
        if sum_grad_squared is None:
            return {}
        if isinstance(sum_grad_squared, dict):
            keys = list(sum_grad_squared)
            if any(isinstance(key, str) for key in keys):
                raise TypeError(
                    f"step(sum_grad_squared=...) got a dict keyed by names ({keys[:3]!r}...); the optimizer "
                    f"does not know its parameters' names: pass [sgs[name] for name, _ in "
                    f"model.named_parameters()] in the optimizer's parameter order, a dict keyed by the "
                    f"parameter Tensors, or use step_on_batch(model, loss_fn, inputs, targets)"
                )
            known = {id(p) for p in params}
            unknown = [key for key in keys if id(key) not in known]
            if unknown:
                raise ValueError(
                    f"step(sum_grad_squared=...) got {len(unknown)} key(s) that are not parameters of this "
                    f"optimizer (the first: {unknown[0]!r:.60})"
                )
            return {id(key): value for key, value in sum_grad_squared.items()}
        if not isinstance(sum_grad_squared, (list, tuple)):
            raise TypeError(
                f"step(sum_grad_squared=...) takes a list or tuple (one entry per parameter) or a dict "
                f"{{parameter: array}}, got a {type(sum_grad_squared).__name__}"
            )
        if len(sum_grad_squared) != len(params):
            raise ValueError(
                f"step(sum_grad_squared=...) got {len(sum_grad_squared)} entries for the optimizer's "
                f"{len(params)} parameters"
            )
        return {id(param): value for param, value in zip(params, sum_grad_squared)}

    @staticmethod
    def _checked_square(where: str, param: Tensor, value) -> np.ndarray:
        array = value.data if isinstance(value, Tensor) else value
        if not isinstance(array, np.ndarray):
            raise TypeError(f"the sum_grad_squared of {where} is a {type(value).__name__}, not an array or Tensor")
        if array.shape != param.shape:
            raise ValueError(
                f"the sum_grad_squared of {where} has shape {array.shape}; it must have the parameter's shape"
            )
        if array.dtype.kind not in "fiu":
            raise TypeError(f"the sum_grad_squared of {where} has dtype {array.dtype}; expected real numbers")
        smallest = array.min() if array.size else 0
        if smallest < 0:
            raise ValueError(
                f"the sum_grad_squared of {where} has a negative entry ({smallest!r}); a sum of squares is "
                f">= 0 (was a gradient passed instead?)"
            )
        return array

    def step_on_batch(self, model, loss_fn: Callable, inputs, targets, *, reduction: str = "sum") -> Tensor:
        """Set every parameter's gradient and take one step on the batch (inputs, targets); return
        the batch loss. Sample i's loss l_i is ``loss_fn(model(inputs[i:i+1]), targets[i:i+1])``.

        ``reduction="sum"`` (the slides): the loss is sum_i l_i, ``.grad`` becomes sum_i g_i and a
        ``"per_sample"`` group's v gets sum_i g_i^2. ``"mean"``: the loss is (1/B) sum_i l_i, the
        gradient (1/B) sum_i g_i and the squares (1/B^2) sum_i g_i^2, those of the mean's terms.
        Both come from one batched pass (``minigrad.func.batch_grad_stats``) for networks of
        linear and MLP layers, from a loop over samples otherwise. Replaces ``p.grad`` (no
        ``zero_grad`` needed); a ``"batch"`` group steps as PyTorch's Adam on the same gradient.
        """
        from minigrad.func import batch_grad_stats

        if reduction not in ("sum", "mean"):
            raise ValueError(f"Invalid reduction: {reduction!r} (use 'sum', the slides' sums, or 'mean')")
        names = {id(param): name for name, param in model.named_parameters()}
        params = self._indexed_params()
        strangers = [index for index, param in enumerate(params) if id(param) not in names]
        if strangers:
            raise ValueError(
                f"step_on_batch: the optimizer's parameter(s) {strangers} (shape {params[strangers[0]].shape}, ...) "
                f"are not parameters of the model given; the per-sample gradients are the model's"
            )
        stats = batch_grad_stats(model, loss_fn, inputs, targets)
        count = stats.losses.shape[0]
        per_sample = {id(p) for group in self.param_groups if group["second_moment"] == "per_sample"
                      for p in group["params"]}
        grads, squares = [], []
        for param in params:
            grad = stats.grad_sum[names[id(param)]].data
            square = stats.sum_grad_squared[names[id(param)]].data if id(param) in per_sample else None
            if reduction == "mean":
                grad = grad / count
                square = None if square is None else square / (count * count)
            grads.append(grad.astype(param.dtype, copy=False))
            squares.append(None if square is None else square.astype(param.dtype, copy=False))
        for param, grad in zip(params, grads):
            set_grad_array(param, grad)
        self.step(sum_grad_squared=squares if per_sample else None)
        losses = stats.losses.data
        return Tensor(losses.sum() if reduction == "sum" else losses.mean())

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """As ``Optimizer.load_state_dict``; a state dict saved before ``second_moment`` existed
        loads as PyTorch's Adam (``"batch"``)."""
        groups = state_dict.get("param_groups") if isinstance(state_dict, dict) else None
        if isinstance(groups, (list, tuple)) and all(isinstance(g, dict) for g in groups):
            state_dict = {**state_dict, "param_groups": [{"second_moment": "batch", **g} for g in groups]}
        super().load_state_dict(state_dict)


class AdamW(Adam):
    """Adam with decoupled weight decay (torch.optim.AdamW; weight_decay 0.01 by default).

        p <- p * (1 - lr * weight_decay), then the Adam step on the unchanged gradient.

    NOTE: in Adam, weight_decay adds weight_decay * p to g, which then passes through the
    1/sqrt(v) scaling; AdamW's decay does not, so the two differ at the same value.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        bias_correction: bool | str = True,
        eps_inside_sqrt: bool = False,
        eps_hat: bool = False,
        second_moment: str = "batch",
        flat: bool = True,
    ):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize, decoupled_weight_decay=True, bias_correction=bias_correction,
                         eps_inside_sqrt=eps_inside_sqrt, eps_hat=eps_hat, second_moment=second_moment,
                         flat=flat)
