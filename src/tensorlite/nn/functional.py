"""Functional forms of layers and losses (tl.nn.functional, imported as F)."""

from tensorlite.ops import cross_entropy, linear, log_softmax, mse_loss, relu, sigmoid, softmax, tanh

__all__ = ["cross_entropy", "linear", "log_softmax", "mse_loss", "relu", "sigmoid", "softmax", "tanh"]
