"""Loss modules: thin wrappers that hold the options of the functions in ``functional``."""
from __future__ import annotations

from minigrad.nn import functional as F
from minigrad.nn.module import Module
from minigrad.tensor import Tensor


class _Loss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        F.check_reduction(reduction)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class CrossEntropyLoss(_Loss):
    """``F.cross_entropy(logits, target)``: integer class targets or class probabilities."""

    def __init__(self, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
        self.label_smoothing = float(label_smoothing)

    def forward(self, logits, target) -> Tensor:
        return F.cross_entropy(logits, target, reduction=self.reduction, label_smoothing=self.label_smoothing)

    def extra_repr(self) -> str:
        return super().extra_repr() + (f", label_smoothing={self.label_smoothing}" if self.label_smoothing else "")


class NLLLoss(_Loss):
    """``F.nll_loss(log_probs, target)``: pair it with ``log_softmax``."""

    def forward(self, log_probs, target) -> Tensor:
        return F.nll_loss(log_probs, target, reduction=self.reduction)


class MSELoss(_Loss):
    """``F.mse_loss(input, target)``: squared error; shapes must match."""

    def forward(self, input, target) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """``F.binary_cross_entropy_with_logits(logits, target)``: sigmoid and binary cross-entropy in one stable step."""

    def forward(self, logits, target) -> Tensor:
        return F.binary_cross_entropy_with_logits(logits, target, reduction=self.reduction)
