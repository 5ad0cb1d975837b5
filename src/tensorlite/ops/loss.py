"""Loss ops (PyTorch names, formulas and reductions). Classification losses are fused Functions; the
regression losses are short compositions or one elementwise Function.

Targets of the fused losses (cross_entropy, nll_loss, binary_cross_entropy[_with_logits]) are treated
as constants: gradients flow to the input only.
"""

import numpy as np

from tensorlite import backend
from tensorlite.autograd.function import Function
from tensorlite.ops._util import as_tensor, require_float
from tensorlite.ops.elementwise import abs as abs_
from tensorlite.tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")


class CrossEntropy(Function):
    """Fused log-softmax + cross-entropy over the rows of (N, C) logits against target weights
    q_n = row_weight_n * onehot(labels_n) + dense_n (either part may be None):

        loss_n = -sum_c q_nc log softmax(x_n)_c;   dx_n = g_n * (s_n softmax(x_n) - q_n),  s_n = sum_c q_nc
    dx_n is exactly 0 for rows outside `keep` (ignored labels; None keeps all), whatever g_n is: PyTorch
    never writes those rows, so an all-ignored 'mean' (0 / 0 = nan loss) still has a zero gradient.
    """

    def forward(self, logits):
        self.log_probs = backend.softmax(logits, 1, log=True)
        loss = np.zeros(logits.shape[0], logits.dtype)
        if self.labels is not None:
            loss -= self.row_weight * self.log_probs[np.arange(logits.shape[0]), self.labels]
        if self.dense is not None:
            loss -= np.einsum("nc,nc->n", self.dense, self.log_probs)
        return loss

    def backward(self, grad):
        total = np.zeros(self.log_probs.shape[0], self.log_probs.dtype)
        if self.labels is not None:
            total += self.row_weight
        if self.dense is not None:
            total += self.dense.sum(axis=1)
        dx = np.exp(self.log_probs) * total[:, None]
        if self.labels is not None:
            dx[np.arange(dx.shape[0]), self.labels] -= self.row_weight
        if self.dense is not None:
            dx -= self.dense
        return (_kept_rows(dx * grad[:, None], self.keep),)


class NLL(Function):
    """loss_n = -row_weight_n * x[n, labels_n] over rows of (N, C) log-probabilities;
    dx[n, labels_n] = -row_weight_n * g_n, 0 elsewhere and in rows outside `keep` (as CrossEntropy)."""

    def forward(self, log_probs):
        self.shape = log_probs.shape
        return -self.row_weight * log_probs[np.arange(log_probs.shape[0]), self.labels]

    def backward(self, grad):
        dx = np.zeros(self.shape, grad.dtype)
        dx[np.arange(self.shape[0]), self.labels] = -self.row_weight * grad
        return (_kept_rows(dx, self.keep),)


def _kept_rows(dx, keep):
    """dx with the rows outside `keep` set to exactly 0 (not 0 * g, which is nan for g = inf or nan)."""
    return dx if keep is None else np.where(keep[:, None], dx, 0)


class BinaryCrossEntropy(Function):
    """loss = -w (y log x + (1 - y) log(1 - x)), each log clamped at -100 (PyTorch's rule, so x = 0 or 1
    gives a finite loss);  dx = g w (x - y) / max(x (1 - x), 1e-12)."""

    def forward(self, x):
        self.x = x
        log_x = np.maximum(np.log(x), -100)
        log_not_x = np.maximum(np.log1p(-x), -100)
        loss = -(self.target * log_x + (1 - self.target) * log_not_x)
        return loss if self.weight is None else loss * self.weight

    def backward(self, grad):
        dx = grad * (self.x - self.target) / np.maximum(self.x * (1 - self.x), 1e-12)
        return (dx if self.weight is None else dx * self.weight,)


class BinaryCrossEntropyWithLogits(Function):
    """loss = w [(1 - y) x + l softplus(-x)],  l = 1 + (pos_weight - 1) y, softplus(z) = log(1 + exp(z))
    computed as logaddexp(0, z), which never overflows; equal to -w [pos_weight y log sigmoid(x) +
    (1 - y) log(1 - sigmoid(x))].  dx = g w [(1 - y) - l sigmoid(-x)]  (= g w (sigmoid(x) - y) for pos_weight 1).
    """

    def forward(self, x):
        self.x = x
        self.scale = 1 + (self.pos_weight - 1) * self.target if self.pos_weight is not None else 1
        loss = (1 - self.target) * x + self.scale * np.logaddexp(0, -x)
        return loss if self.weight is None else loss * self.weight

    def backward(self, grad):
        sigmoid_neg = np.exp(-np.logaddexp(0, self.x))
        dx = grad * ((1 - self.target) - self.scale * sigmoid_neg)
        return (dx if self.weight is None else dx * self.weight,)


class Huber(Function):
    """d = input - target;  loss = d^2 / 2 if |d| < delta else delta (|d| - delta / 2);
    dinput = g * clip(d, -delta, delta) = -dtarget."""

    def forward(self, input, target):
        self.d = input - target
        a = np.abs(self.d)
        return np.where(a < self.delta, 0.5 * self.d * self.d, self.delta * (a - 0.5 * self.delta))

    def backward(self, grad):
        g = grad * np.clip(self.d, -self.delta, self.delta)
        return g, -g


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


def _weighted_mean(loss, denominator):
    """sum(loss) / denominator: nan (0 / 0, like PyTorch) when every label is ignored; the ignored rows'
    gradient is still 0 (see CrossEntropy)."""
    return loss.sum() / float(denominator)


def _as_array(x):
    return np.asarray(x._array if isinstance(x, Tensor) else x)


def _class_weight(op_name, weight, classes, dtype):
    """The per-class weight as an array of `dtype` and shape (C,), or None."""
    if weight is None:
        return None
    w = _as_array(weight)
    if w.shape != (classes,):
        raise ValueError(
            f"{op_name}: weight must have shape ({classes},) for {classes} classes, got {w.shape}"
        )
    return w.astype(dtype)


def _class_rows(x):
    """(N, C, d1, ...) as (N * d1 * ..., C) rows, class dim last (differentiable)."""
    if x.ndim == 2:
        return x
    return x.permute(0, *range(2, x.ndim), 1).reshape(-1, x.shape[1])


def _class_labels(op_name, x, target, ignore_index):
    """Validated int labels of shape (N, d1, ...) for x of shape (N, C, d1, ...); returns (labels flattened
    with ignored entries set to 0, keep mask)."""
    labels = _as_array(target)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{op_name}: target must hold integer class labels, got dtype {labels.dtype}")
    expected = (x.shape[0],) + x.shape[2:]
    if labels.shape != expected:
        raise ValueError(
            f"{op_name}: input of shape {x.shape} needs a target of shape {expected}, got {labels.shape}"
        )
    classes = x.shape[1]
    flat = labels.reshape(-1).astype(np.int64)
    keep = flat != ignore_index
    bad = flat[keep & ((flat < 0) | (flat >= classes))]
    if bad.size:
        raise ValueError(
            f"{op_name}: label {int(bad[0])} is out of range for {classes} classes "
            f"(valid labels are 0..{classes - 1}, or ignore_index={ignore_index})"
        )
    return np.where(keep, flat, 0), keep


def _unbatched(x, target):
    """Add the batch dimension to (C,) input and its scalar (or (C,)) target."""
    t = _as_array(target)
    return x.reshape(1, -1), (t.reshape(1) if t.ndim == 0 else t.reshape(1, -1))


def _finish(loss, reduction, denominator, spatial_shape):
    if reduction == "mean":
        return _weighted_mean(loss, denominator)
    if reduction == "sum":
        return loss.sum()
    return loss.reshape(spatial_shape)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Cross-entropy of logits x of shape (N, C) [or (N, C, d1, ...), or (C,)] with p = softmax(x) over C.

    Class-index target y (int, shape (N,) [(N, d1, ...)]), class weights w (default 1), smoothing eps:
        loss_n = (1 - eps) w_{y_n} (-log p_{n,y_n}) + (eps / C) sum_c w_c (-log p_{n,c}),
        0 where y_n == ignore_index;  'mean' = sum_n loss_n / sum_{n not ignored} w_{y_n}  (PyTorch's rule).
    Probability target q (float, same shape as x):
        loss_n = -sum_c w_c q'_{n,c} log p_{n,c},  q' = (1 - eps) q + eps / C;  'mean' = sum_n loss_n / N.
    Log-softmax and the loss are fused and stable for any logits (no overflow at |x| = 1e4). A label
    outside 0..C-1 (other than ignore_index) raises ValueError naming it.
    """
    x = as_tensor(input)
    require_float("cross_entropy", x)
    check_reduction("cross_entropy", reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    if x.ndim == 1:
        x, target = _unbatched(x, target)
        loss = cross_entropy(x, target, weight, ignore_index, reduction, label_smoothing)
        return loss.reshape(()) if reduction == "none" else loss
    if x.ndim < 2:
        raise ValueError(f"cross_entropy: expected input of shape (N, C) or (N, C, d1, ...), got {x.shape}")
    classes = x.shape[1]
    w = _class_weight("cross_entropy", weight, classes, x.dtype)
    rows = _class_rows(x)
    spatial_shape = (x.shape[0],) + x.shape[2:]
    q = _as_array(target)
    if q.dtype.kind == "f":
        if q.shape != x.shape:
            raise ValueError(
                f"cross_entropy: probability target shape {q.shape} must equal input shape {x.shape}"
            )
        dense = np.moveaxis(q, 1, -1).reshape(-1, classes).astype(x.dtype)
        if label_smoothing:
            dense = dense * (1 - label_smoothing) + label_smoothing / classes
        if w is not None:
            dense = dense * w
        loss = CrossEntropy.apply(rows, labels=None, row_weight=None, dense=dense, keep=None)
        return _finish(loss, reduction, rows.shape[0], spatial_shape)
    labels, keep = _class_labels("cross_entropy", x, q, ignore_index)
    label_weight = (w[labels] if w is not None else np.ones(labels.shape, x.dtype)) * keep
    dense = None
    if label_smoothing:
        per_class = (w if w is not None else np.ones(classes, x.dtype)) * (label_smoothing / classes)
        dense = keep[:, None] * per_class[None, :].astype(x.dtype)
    row_weight = (label_weight * (1 - label_smoothing)).astype(x.dtype)
    loss = CrossEntropy.apply(rows, labels=labels, row_weight=row_weight, dense=dense, keep=keep)
    return _finish(loss, reduction, label_weight.sum(), spatial_shape)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities x (N, C) [(N, C, d1, ...), (C,)] and int labels y:
    loss_n = -w_{y_n} x[n, y_n] (0 where y_n == ignore_index);  'mean' = sum_n loss_n / sum_{n kept} w_{y_n}.
    """
    x = as_tensor(input)
    require_float("nll_loss", x)
    check_reduction("nll_loss", reduction)
    if x.ndim == 1:
        x, target = _unbatched(x, target)
        loss = nll_loss(x, target, weight, ignore_index, reduction)
        return loss.reshape(()) if reduction == "none" else loss
    if x.ndim < 2:
        raise ValueError(f"nll_loss: expected input of shape (N, C) or (N, C, d1, ...), got {x.shape}")
    w = _class_weight("nll_loss", weight, x.shape[1], x.dtype)
    labels, keep = _class_labels("nll_loss", x, target, ignore_index)
    label_weight = ((w[labels] if w is not None else np.ones(labels.shape, x.dtype)) * keep).astype(x.dtype)
    loss = NLL.apply(_class_rows(x), labels=labels, row_weight=label_weight, keep=keep)
    return _finish(loss, reduction, label_weight.sum(), (x.shape[0],) + x.shape[2:])


def _same_shape(op_name, input, target):
    input, target = as_tensor(input), as_tensor(target, like=as_tensor(input))
    if input.shape != target.shape:
        raise ValueError(f"{op_name}: input shape {input.shape} and target shape {target.shape} differ")
    return input, target


def _elementwise_weight(op_name, weight, shape, dtype):
    if weight is None:
        return None
    w = _as_array(weight)
    try:
        return np.broadcast_to(w, shape).astype(dtype)
    except ValueError:
        raise ValueError(
            f"{op_name}: weight of shape {w.shape} does not broadcast to input shape {shape}"
        ) from None


def mse_loss(input, target, reduction="mean"):
    """Mean squared error: loss = (input - target)^2, then the reduction."""
    check_reduction("mse_loss", reduction)
    input, target = _same_shape("mse_loss", input, target)
    return reduce_loss((input - target) ** 2, reduction)


def l1_loss(input, target, reduction="mean"):
    """Mean absolute error: loss = |input - target|, then the reduction."""
    check_reduction("l1_loss", reduction)
    input, target = _same_shape("l1_loss", input, target)
    return reduce_loss(abs_(input - target), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """Huber loss with d = input - target: d^2 / 2 where |d| < delta, else delta (|d| - delta / 2)."""
    check_reduction("huber_loss", reduction)
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    input, target = _same_shape("huber_loss", input, target)
    require_float("huber_loss", input)
    return reduce_loss(Huber.apply(input, target, delta=float(delta)), reduction)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """Smooth L1 with d = input - target: d^2 / (2 beta) where |d| < beta, else |d| - beta / 2
    (= huber_loss(delta=beta) / beta; beta = 0 gives l1_loss)."""
    check_reduction("smooth_l1_loss", reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction)
    input, target = _same_shape("smooth_l1_loss", input, target)
    require_float("smooth_l1_loss", input)
    return reduce_loss(Huber.apply(input, target, delta=float(beta)) / float(beta), reduction)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """Binary cross-entropy of probabilities x in [0, 1] and targets y:
    loss = -w (y log x + (1 - y) log(1 - x)), each log clamped at -100 like PyTorch."""
    x = as_tensor(input)
    require_float("binary_cross_entropy", x)
    check_reduction("binary_cross_entropy", reduction)
    y = _as_array(target)
    if y.shape != x.shape:
        raise ValueError(f"binary_cross_entropy: target shape {y.shape} must equal input shape {x.shape}")
    if x.numel() and not (x._array.min() >= 0 and x._array.max() <= 1):
        raise ValueError(
            f"binary_cross_entropy: input values must lie in [0, 1], got min {x._array.min()} max {x._array.max()}"
        )
    w = _elementwise_weight("binary_cross_entropy", weight, x.shape, x.dtype)
    loss = BinaryCrossEntropy.apply(x, target=y.astype(x.dtype), weight=w)
    return reduce_loss(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """Sigmoid + binary cross-entropy fused and stable for any logits x:
    loss = -w [pos_weight y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]
         = w [(1 - y) x + (1 + (pos_weight - 1) y) log(1 + exp(-x))]  (computed with logaddexp).
    pos_weight (shape (C,), broadcast over the last dimension) weights the positive examples."""
    x = as_tensor(input)
    require_float("binary_cross_entropy_with_logits", x)
    check_reduction("binary_cross_entropy_with_logits", reduction)
    y = _as_array(target)
    if y.shape != x.shape:
        raise ValueError(
            f"binary_cross_entropy_with_logits: target shape {y.shape} must equal input shape {x.shape}"
        )
    w = _elementwise_weight("binary_cross_entropy_with_logits", weight, x.shape, x.dtype)
    pw = None
    if pos_weight is not None:
        pw = _elementwise_weight("binary_cross_entropy_with_logits", pos_weight, x.shape, x.dtype)
    loss = BinaryCrossEntropyWithLogits.apply(x, target=y.astype(x.dtype), weight=w, pos_weight=pw)
    return reduce_loss(loss, reduction)
