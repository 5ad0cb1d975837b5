"""Naive NumPy float64 references of the losses, written from PyTorch's documented formulas (loops over
samples where that is clearer)."""

import numpy as np


def log_softmax(x, axis=1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def reduce(loss, reduction, denominator=None):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / (loss.size if denominator is None else denominator)


def cross_entropy_labels(x, y, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """x (N, C, *) logits, y (N, *) int labels."""
    c = x.shape[1]
    w = np.ones(c) if weight is None else weight
    logp = np.moveaxis(log_softmax(x), 1, -1).reshape(-1, c)
    labels = y.reshape(-1)
    loss = np.zeros(labels.size)
    denominator = 0.0
    for n, label in enumerate(labels):
        if label == ignore_index:
            continue
        nll = -w[label] * logp[n, label]
        smooth = -(w * logp[n]).sum() / c
        loss[n] = (1 - label_smoothing) * nll + label_smoothing * smooth
        denominator += w[label]
    return reduce(loss.reshape(y.shape), reduction, denominator)


def cross_entropy_probs(x, q, weight=None, reduction="mean", label_smoothing=0.0):
    """x (N, C, *) logits, q (N, C, *) class probabilities."""
    c = x.shape[1]
    w = np.ones(c) if weight is None else weight
    q = q * (1 - label_smoothing) + label_smoothing / c
    loss = -(log_softmax(x) * q * w.reshape((1, c) + (1,) * (x.ndim - 2))).sum(axis=1)
    return reduce(loss, reduction)


def nll(logp, y, weight=None, ignore_index=-100, reduction="mean"):
    c = logp.shape[1]
    w = np.ones(c) if weight is None else weight
    rows = np.moveaxis(logp, 1, -1).reshape(-1, c)
    labels = y.reshape(-1)
    loss = np.zeros(labels.size)
    denominator = 0.0
    for n, label in enumerate(labels):
        if label != ignore_index:
            loss[n] = -w[label] * rows[n, label]
            denominator += w[label]
    return reduce(loss.reshape(y.shape), reduction, denominator)


def bce(p, y, weight=None, reduction="mean"):
    with np.errstate(divide="ignore"):
        loss = -(y * np.maximum(np.log(p), -100) + (1 - y) * np.maximum(np.log(1 - p), -100))
    return reduce(loss if weight is None else loss * weight, reduction)


def bce_with_logits(x, y, weight=None, reduction="mean", pos_weight=None):
    """-w [pw y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))], log sigmoid evaluated stably."""
    log_sig = -np.logaddexp(0, -x)
    log_one_minus_sig = -np.logaddexp(0, x)
    pw = 1.0 if pos_weight is None else pos_weight
    loss = -(pw * y * log_sig + (1 - y) * log_one_minus_sig)
    return reduce(loss if weight is None else loss * weight, reduction)


def huber(x, y, delta=1.0, reduction="mean"):
    d = np.abs(x - y)
    return reduce(np.where(d < delta, 0.5 * d**2, delta * (d - 0.5 * delta)), reduction)


def smooth_l1(x, y, beta=1.0, reduction="mean"):
    d = np.abs(x - y)
    loss = d if beta == 0 else np.where(d < beta, 0.5 * d**2 / beta, d - 0.5 * beta)
    return reduce(loss, reduction)
