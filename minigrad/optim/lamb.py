"""LAMB (optax.lamb): AdamW with each tensor's step scaled to a trust ratio of its norm."""
from __future__ import annotations

from typing import Iterable

from minigrad.optim import functional as F
from minigrad.optim.optimizer import Optimizer, as_pair, check_betas, check_nonnegative


class LAMB(Optimizer):
    """LAMB, layer-wise adaptive moments (optax.lamb, You et al. 2020); betas = optax's (b1, b2).

    In the slides' Adam symbols (theta, eta, g_t, m_t, v_t, beta1 = b1, beta2 = b2, eps):

        u_t = m^_t / (sqrt(v^_t + eps_root) + eps) + weight_decay * theta_{t-1}   (AdamW's step)
        r_t = ||theta_{t-1}|| / ||u_t||    (1 if either is 0), per parameter tensor
        theta_t = theta_{t-1} - eta r_t u_t

    Each tensor (a layer's weight, its bias) moves by eta times its own norm, whatever the
    scale of its gradients: made for large batches. The norms are per tensor also on the flat
    buffer. Defaults are optax's; lr 1e-3 (optax has none).
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-6, weight_decay: float = 0.0, *, eps_root: float = 0.0, flat: bool = True):
        defaults = dict(lr=lr, betas=as_pair(betas), eps=eps, weight_decay=weight_decay, eps_root=eps_root)
        super().__init__(params, defaults, flat=flat)

    def _validate(self, group) -> None:
        super()._validate(group)
        check_betas(group["betas"])
        check_nonnegative("eps", group["eps"])
        check_nonnegative("eps_root", group["eps_root"])
        check_nonnegative("weight_decay", group["weight_decay"])

    def _buffers(self, group) -> dict[str, float]:
        return F.lamb_buffers()

    _elementwise = False  # the trust ratio needs each tensor's norm: never split into blocks

    def _update(self, param, grad, state, group, scratch, segments=None) -> None:
        F.lamb(param, grad, state, lr=group["lr"], betas=group["betas"], eps=group["eps"],
               eps_root=group["eps_root"], weight_decay=group["weight_decay"], segments=segments, scratch=scratch)

    def _update_chunk(self, chunk, chunk_state, group) -> None:
        self._update(chunk.data, chunk.grad_flat, chunk_state, group, chunk.scratch, segments=chunk.bounds)
