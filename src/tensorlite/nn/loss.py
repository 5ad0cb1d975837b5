"""Loss modules (thin wrappers over tl.nn.functional)."""

from tensorlite.nn import functional as F
from tensorlite.nn.module import Module


class CrossEntropyLoss(Module):
    """Cross-entropy of logits against integer class labels (fused log-softmax + NLL)."""

    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, logits, target):
        return F.cross_entropy(logits, target, reduction=self.reduction)


class MSELoss(Module):
    """Mean squared error mean((input - target)^2)."""

    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, input, target):  # noqa: A002
        return F.mse_loss(input, target, reduction=self.reduction)
