"""Fused loss ops."""

import numpy as np

from tensorlite import backend
from tensorlite.autograd.function import Function
from tensorlite.ops._util import as_tensor, require_float

_REDUCTIONS = ("mean", "sum", "none")


class CrossEntropy(Function):
    """Fused log-softmax + negative log-likelihood over rows of (N, C) logits with int labels.

    loss_n = -log softmax(x_n)[y_n];  dx_n = (softmax(x_n) - onehot(y_n)) * g_n
    """

    def forward(self, logits):
        n = logits.shape[0]
        self.log_probs = backend.softmax(logits, 1, log=True)
        return -self.log_probs[np.arange(n), self.labels]

    def backward(self, grad):
        dx = np.exp(self.log_probs)
        dx[np.arange(dx.shape[0]), self.labels] -= 1
        return (dx * grad[:, None],)


def check_reduction(op_name, reduction):
    """Raise ValueError unless reduction is 'mean', 'sum' or 'none'."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op_name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def reduce_loss(loss, reduction):
    """Apply a reduction ('mean', 'sum' or 'none') to per-element losses."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def cross_entropy(logits, target, reduction="mean"):
    """Cross-entropy of (N, C) [or (N, C, d1, ...)] logits against int64 class labels (N,) [(N, d1, ...)].

    loss = -log(exp(x[y]) / sum_c exp(x[c])), averaged over samples for reduction='mean'.
    """
    logits = as_tensor(logits)
    require_float("cross_entropy", logits)
    check_reduction("cross_entropy", reduction)
    labels = np.asarray(target.data if hasattr(target, "data") else target)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: target must hold integer class labels, got dtype {labels.dtype}")
    if logits.ndim < 2 or labels.shape != (logits.shape[0],) + logits.shape[2:]:
        raise ValueError(
            f"cross_entropy: logits of shape {logits.shape} need labels of shape "
            f"{(logits.shape[0],) + logits.shape[2:] if logits.ndim >= 2 else '(N,)'}, got {labels.shape}"
        )
    classes = logits.shape[1]
    bad = labels[(labels < 0) | (labels >= classes)]
    if bad.size:
        raise ValueError(f"cross_entropy: label {int(bad[0])} is out of range for {classes} classes")
    spatial = labels.shape[1:]
    rows = logits if logits.ndim == 2 else logits.permute(0, *range(2, logits.ndim), 1).reshape(-1, classes)
    loss = CrossEntropy.apply(rows, labels=labels.reshape(-1).astype(np.int64))
    if spatial and reduction == "none":
        loss = loss.reshape(labels.shape)
    return reduce_loss(loss, reduction)


def mse_loss(input, target, reduction="mean"):  # noqa: A002  (PyTorch's name)
    """Mean squared error: mean((input - target)^2)."""
    input, target = as_tensor(input), as_tensor(target)
    check_reduction("mse_loss", reduction)
    if input.shape != target.shape:
        raise ValueError(f"mse_loss: input shape {input.shape} and target shape {target.shape} differ")
    return reduce_loss((input - target) ** 2, reduction)
