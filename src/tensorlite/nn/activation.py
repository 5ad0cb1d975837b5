"""Activation layers."""

from tensorlite import ops
from tensorlite.nn.module import Module


class ReLU(Module):
    """max(x, 0)"""

    def forward(self, x):
        return ops.relu(x)


class Sigmoid(Module):
    """1 / (1 + exp(-x))"""

    def forward(self, x):
        return ops.sigmoid(x)


class Tanh(Module):
    """tanh(x)"""

    def forward(self, x):
        return ops.tanh(x)


class Softmax(Module):
    """exp(x_i) / sum_j exp(x_j) along dim."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return ops.softmax(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """x_i - log sum_j exp(x_j) along dim."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return ops.log_softmax(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"
