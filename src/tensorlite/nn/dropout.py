"""Dropout layers: active in training mode, the identity in evaluation mode."""

from tensorlite import ops
from tensorlite.nn.module import Module
from tensorlite.ops.dropout import _check_p


class Dropout(Module):
    """Zeroes each element with probability p and scales the rest by 1 / (1 - p) while training
    (inverted dropout, so no rescaling is needed at evaluation). p must be in [0, 1)."""

    def __init__(self, p=0.5, generator=None):
        super().__init__()
        _check_p(type(self).__name__, p)
        self.p, self.generator = p, generator

    def forward(self, x):
        return ops.dropout(x, self.p, self.training, self.generator)

    def extra_repr(self):
        return f"p={self.p}"


class Dropout2d(Dropout):
    """Zeroes whole channels of (N, C, H, W) or (C, H, W) input with probability p while training,
    scaling the kept channels by 1 / (1 - p)."""

    def forward(self, x):
        return ops.dropout2d(x, self.p, self.training, self.generator)
