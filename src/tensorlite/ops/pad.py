"""F.pad: constant, reflect and replicate padding (PyTorch semantics), vectorized NumPy with backward."""

import numbers

import numpy as np

from tensorlite.autograd.function import Function
from tensorlite.ops._util import as_tensor

_MODES = ("constant", "reflect", "replicate")


class Pad(Function):
    """y = x padded by widths ((lo, hi) per dimension, negative = crop, constant mode only).

    Backward (the adjoint of the index map): the interior of dy goes back to x; for reflect, the border
    slice dy[lo - 1 - i] adds to x[i + 1] and mirrored on the high side; for replicate, the border
    slices' sums add to x[0] and x[-1]."""

    def forward(self, x):
        grow = [(max(lo, 0), max(hi, 0)) for lo, hi in self.widths]
        mode = {"replicate": "edge"}.get(self.mode, self.mode)
        extra = {"constant_values": self.value} if mode == "constant" else {}
        y = np.pad(x, grow, mode=mode, **extra) if any(lo or hi for lo, hi in grow) else x
        crop = tuple(slice(-min(lo, 0), y.shape[d] + min(hi, 0)) for d, (lo, hi) in enumerate(self.widths))
        return np.ascontiguousarray(y[crop])

    def backward(self, grad):
        for axis in reversed(range(grad.ndim)):
            grad = self._axis_adjoint(grad, axis, *self.widths[axis])
        return (grad,)

    def _axis_adjoint(self, grad, axis, lo, hi):
        """The gradient of padding one axis by (lo, hi): grad has the padded length along axis."""
        if lo == 0 and hi == 0:
            return grad
        moved = np.moveaxis(grad, axis, 0)
        n = moved.shape[0] - lo - hi  # the unpadded length
        if self.mode == "constant":
            out = np.zeros((n,) + moved.shape[1:], grad.dtype)
            src = moved[max(lo, 0) : moved.shape[0] - max(hi, 0)]
            out[max(-lo, 0) : n - max(-hi, 0)] = src
            return np.moveaxis(out, 0, axis)
        out = moved[lo : lo + n].copy()
        if self.mode == "reflect":
            out[1 : lo + 1] += moved[:lo][::-1]
            out[n - 1 - hi : n - 1] += moved[lo + n :][::-1]
        else:  # replicate
            out[0] += moved[:lo].sum(axis=0)
            out[n - 1] += moved[lo + n :].sum(axis=0)
        return np.moveaxis(out, 0, axis)


def pad(input, pad, mode="constant", value=None):
    """Pad the last len(pad) // 2 dimensions of input, PyTorch's order: pad = (left, right) of the last
    dimension, then (top, bottom) of the one before, and so on.

    mode "constant": fill with `value` (default 0); negative widths crop. "reflect": mirror without
    repeating the edge (widths < the dimension's size). "replicate": repeat the edge value (dimension
    size >= 1). reflect and replicate pad at most the last 3 dimensions of a 2-D to 5-D input."""
    x = as_tensor(input)
    op = "pad"
    if not isinstance(pad, (tuple, list)) or len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(
            f"{op}: pad must be a sequence of even length at most 2 * {x.ndim} (input {x.shape}), got {pad!r}"
        )
    for p in pad:
        if not isinstance(p, numbers.Integral) or isinstance(p, bool):
            raise TypeError(f"{op}: pad must hold ints, got {pad!r}")
    if mode == "circular":
        raise NotImplementedError(
            "pad: mode 'circular' is not supported yet (constant, reflect, replicate are)"
        )
    if mode not in _MODES:
        raise ValueError(f"{op}: mode must be one of {', '.join(_MODES)}, got {mode!r}")
    if mode != "constant" and value:
        raise ValueError(f"{op}: value={value!r} only applies to mode 'constant', not {mode!r}")
    dims = len(pad) // 2
    widths = [(0, 0)] * (x.ndim - dims) + [
        (int(pad[2 * i]), int(pad[2 * i + 1])) for i in reversed(range(dims))
    ]
    if mode != "constant":
        _check_border_modes(mode, x.shape, dims, widths, pad)
    for d, (lo, hi) in enumerate(widths):
        if x.shape[d] + lo + hi < 0:
            raise ValueError(f"{op}: pad {pad!r} crops dimension {d} of input {x.shape} below size 0")
    return Pad.apply(x, widths=widths, mode=mode, value=0 if value is None else value)


def _check_border_modes(mode, shape, dims, widths, pad):
    """reflect/replicate: PyTorch's limits on the rank, non-negative widths, and sizes that can be mirrored."""
    if dims > 3 or not dims + 1 <= len(shape) <= dims + 2:
        raise ValueError(
            f"pad: mode {mode!r} pads the last 1, 2 or 3 dimensions of a (N, C, *) or (C, *) input; "
            f"got pad {pad!r} for input of shape {shape}"
        )
    for d, (lo, hi) in enumerate(widths):
        if lo < 0 or hi < 0:
            raise ValueError(f"pad: mode {mode!r} needs pad widths >= 0, got {pad!r}")
        if mode == "reflect" and (lo >= shape[d] or hi >= shape[d]) and (lo or hi):
            raise ValueError(
                f"pad: reflect padding {(lo, hi)} must be smaller than the size {shape[d]} of dimension {d} "
                f"(input {shape}, pad {pad!r})"
            )
        if mode == "replicate" and shape[d] == 0 and (lo or hi):
            raise ValueError(f"pad: replicate padding of dimension {d} needs a size >= 1, input {shape}")
