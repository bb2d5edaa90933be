"""Loss modules: thin wrappers that hold the options of the functions in ``functional``.

Names, arguments and their order are ``torch.nn``'s, PyTorch's deprecated ``size_average``
and ``reduce`` included (folded into ``reduction`` with PyTorch's warning). A class
``weight`` (and BCEWithLogitsLoss's ``pos_weight``) is a buffer, so it is in the state
dict under PyTorch's name. minigrad's earlier positional form, ``CrossEntropyLoss("sum")``
or ``MSELoss("sum")``, still works: a string where PyTorch has ``weight`` or
``size_average`` can only be the reduction.
"""
from __future__ import annotations

import numpy as np

from minigrad.nn import functional as F
from minigrad.nn.module import Module
from minigrad.tensor import Tensor


def _as_buffer(value) -> Tensor | None:
    if value is None or isinstance(value, Tensor):
        return value
    return Tensor(np.asarray(value) if not isinstance(value, np.ndarray) else value)


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__()
        if isinstance(size_average, str):  # minigrad's earlier positional form: Loss("sum")
            size_average, reduction = None, size_average
        reduction = F.legacy_reduction(size_average, reduce, reduction)
        self._check(reduction)
        self.reduction = reduction

    def _check(self, reduction: str) -> None:
        F.check_reduction(reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class _WeightedLoss(_Loss):
    """A loss with a per-class (or per-element) ``weight``, kept as a buffer."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
        if isinstance(weight, str):  # minigrad's earlier positional form: Loss("sum")
            weight, reduction = None, weight
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _as_buffer(weight))


class CrossEntropyLoss(_WeightedLoss):
    """``F.cross_entropy(input, target)``: class indices or class probabilities, with a class
    ``weight``, ``ignore_index`` and ``label_smoothing`` as PyTorch's."""

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean", label_smoothing: float = 0.0):
        if isinstance(weight, str) and isinstance(size_average, (int, float)) and not isinstance(size_average, bool):
            # the earlier positional form CrossEntropyLoss("mean", 0.1): (reduction, label_smoothing)
            label_smoothing, size_average = size_average, None
        super().__init__(weight, size_average, reduce, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
        self.ignore_index = int(ignore_index)
        self.label_smoothing = float(label_smoothing)

    def forward(self, input, target) -> Tensor:
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)

    def extra_repr(self) -> str:
        return super().extra_repr() + (f", label_smoothing={self.label_smoothing}" if self.label_smoothing else "")


class NLLLoss(_WeightedLoss):
    """``F.nll_loss(input, target)``: pair it with ``log_softmax``."""

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = int(ignore_index)

    def forward(self, input, target) -> Tensor:
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class MSELoss(_Loss):
    """``F.mse_loss(input, target)``: squared error; shapes must match."""

    def forward(self, input, target) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """``F.l1_loss(input, target)``: absolute error; shapes must match."""

    def forward(self, input, target) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """``F.smooth_l1_loss(input, target, beta)``: quadratic below ``beta``, linear above."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0):
        super().__init__(size_average, reduce, reduction)
        if beta < 0:
            raise ValueError(f"SmoothL1Loss: beta must be non-negative, got {beta}")
        self.beta = float(beta)

    def forward(self, input, target) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", beta={self.beta}"


class HuberLoss(_Loss):
    """``F.huber_loss(input, target, delta)``: quadratic below ``delta``, then linear with slope ``delta``."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction=reduction)
        if not delta > 0:
            raise ValueError(f"HuberLoss: delta must be positive, got {delta}")
        self.delta = float(delta)

    def forward(self, input, target) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", delta={self.delta}"


class KLDivLoss(_Loss):
    """``F.kl_div(input, target)``: ``input`` holds log-probabilities; ``reduction="batchmean"``
    gives the KL divergence averaged over the batch."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = bool(log_target)

    def _check(self, reduction: str) -> None:
        if reduction != "batchmean":
            F.check_reduction(reduction)

    def forward(self, input, target) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)

    def extra_repr(self) -> str:
        return super().extra_repr() + (", log_target=True" if self.log_target else "")


class BCELoss(_WeightedLoss):
    """``F.binary_cross_entropy(input, target)``: ``input`` holds probabilities in [0, 1]."""

    def forward(self, input, target) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """``F.binary_cross_entropy_with_logits(input, target)``: sigmoid and binary cross-entropy
    in one stable step; ``pos_weight`` (a buffer, like ``weight``) scales the positive term."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean", pos_weight=None):
        super().__init__(weight, size_average, reduce, reduction)
        self.register_buffer("pos_weight", _as_buffer(pos_weight))

    def forward(self, input, target) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, weight=self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)
