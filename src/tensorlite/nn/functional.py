"""Functional forms of layers and losses (tl.nn.functional, imported as F)."""

from tensorlite.ops import (
    adaptive_avg_pool2d,
    avg_pool2d,
    conv2d,
    cross_entropy,
    linear,
    log_softmax,
    max_pool2d,
    mse_loss,
    relu,
    sigmoid,
    softmax,
    tanh,
)

__all__ = [
    "adaptive_avg_pool2d", "avg_pool2d", "conv2d", "cross_entropy", "linear", "log_softmax", "max_pool2d",
    "mse_loss", "relu", "sigmoid", "softmax", "tanh",
]  # fmt: skip
