"""Reference activations and losses, written the textbook way (stable where the textbook is)."""

import numpy as np


def sigmoid(x):
    """1 / (1 + exp(-x)), evaluated per element on the side that does not overflow."""
    out = np.empty_like(x)
    positive = x >= 0
    out[positive] = 1 / (1 + np.exp(-x[positive]))
    e = np.exp(x[~positive])
    out[~positive] = e / (1 + e)
    return out


def log_softmax(x, axis):
    """x - max - log(sum(exp(x - max))) along axis."""
    shifted = x - np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(x, axis):
    """exp(log_softmax(x))."""
    return np.exp(log_softmax(x, axis))


def cross_entropy(logits, labels):
    """Per-sample -log softmax(logits)[label] for (N, C) logits, with an explicit loop over samples."""
    log_probs = log_softmax(logits, axis=1)
    return np.array([-log_probs[i, labels[i]] for i in range(len(labels))], dtype=np.float64)
