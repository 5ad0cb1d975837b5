"""Padding layers (PyTorch semantics) over F.pad: padding is an int (every side) or a tuple in F.pad's
order, (left, right) for 1-d and (left, right, top, bottom) for 2-d."""

import numbers

from tensorlite import ops
from tensorlite.nn.module import Module


class _PadNd(Module):
    mode = "constant"
    sides = 2

    def __init__(self, padding, value=0.0):
        super().__init__()
        if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
            padding = (int(padding),) * self.sides
        if not isinstance(padding, (tuple, list)) or len(padding) != self.sides:
            raise ValueError(
                f"{type(self).__name__}: padding must be an int or a {self.sides}-tuple, got {padding!r}"
            )
        self.padding, self.value = tuple(padding), value

    def forward(self, x):
        value = self.value if self.mode == "constant" else None
        return ops.pad(x, self.padding, self.mode, value)

    def extra_repr(self):
        return f"{self.padding}" + (f", value={self.value}" if self.mode == "constant" else "")


class ConstantPad1d(_PadNd):
    """Pad the last dimension with a constant: y = F.pad(x, (left, right), value=value)."""

    def __init__(self, padding, value):
        super().__init__(padding, value)


class ConstantPad2d(_PadNd):
    """Pad the last two dimensions with a constant: y = F.pad(x, (left, right, top, bottom), value=value)."""

    sides = 4

    def __init__(self, padding, value):
        super().__init__(padding, value)


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dimensions with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)


class ReflectionPad1d(_PadNd):
    """Mirror-pad the last dimension (without repeating the edge): F.pad(x, padding, "reflect")."""

    mode = "reflect"

    def __init__(self, padding):
        super().__init__(padding)


class ReflectionPad2d(ReflectionPad1d):
    """Mirror-pad the last two dimensions (without repeating the edge)."""

    sides = 4


class ReplicationPad1d(_PadNd):
    """Pad the last dimension by repeating the edge value: F.pad(x, padding, "replicate")."""

    mode = "replicate"

    def __init__(self, padding):
        super().__init__(padding)


class ReplicationPad2d(ReplicationPad1d):
    """Pad the last two dimensions by repeating the edge values."""

    sides = 4
