"""Adam and AdamW (torch.optim.Adam, torch.optim.AdamW): momentum plus RMSProp, bias-corrected."""
from __future__ import annotations

from typing import Iterable

from minigrad.optim import functional as F
from minigrad.optim.optimizer import Optimizer, as_pair, check_betas, check_flag, check_nonnegative


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
        flat: bool = True,
    ):
        defaults = dict(lr=lr, betas=as_pair(betas), eps=eps,
                        weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay, bias_correction=bias_correction,
                        eps_inside_sqrt=eps_inside_sqrt, eps_hat=eps_hat)
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

    def _buffers(self, group) -> dict[str, float]:
        return F.adam_buffers(group["amsgrad"])

    def _update(self, param, grad, state, group, scratch) -> None:
        F.adam(param, grad, state, lr=group["lr"], betas=group["betas"], eps=group["eps"],
               weight_decay=group["weight_decay"], amsgrad=group["amsgrad"], maximize=group["maximize"],
               decoupled_weight_decay=group["decoupled_weight_decay"],
               bias_correction=group["bias_correction"], eps_inside_sqrt=group["eps_inside_sqrt"],
               eps_hat=group["eps_hat"], scratch=scratch)


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
        flat: bool = True,
    ):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize, decoupled_weight_decay=True, bias_correction=bias_correction,
                         eps_inside_sqrt=eps_inside_sqrt, eps_hat=eps_hat, flat=flat)
