"""Dropout: zero elements (or whole channels) at random, scaling the survivors by 1 / (1 - p)."""

import warnings

import numpy as np

from tensorlite.autograd.function import Function
from tensorlite.ops._util import as_tensor, require_float
from tensorlite.random import rng


class MaskMultiply(Function):
    """z = x * mask with a fixed (broadcastable) mask;  dx = g * mask."""

    def forward(self, x):
        return x * self.mask

    def backward(self, grad):
        return (grad * self.mask,)


def _check_p(op_name, p):
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)) or not 0 <= p < 1:
        raise ValueError(f"{op_name}: dropout probability p must be in [0, 1), got {p!r}")


def _dropout(op_name, x, p, training, mask_shape, generator):
    _check_p(op_name, p)
    x = as_tensor(x)
    require_float(op_name, x)
    if not training or p == 0:
        return x
    keep = rng(generator).random(mask_shape) >= p
    mask = keep.astype(x.dtype) * x.dtype.type(1 / (1 - p))
    return MaskMultiply.apply(x, mask=mask)


def dropout(input, p=0.5, training=True, generator=None):
    """Inverted dropout: each element is zeroed with probability p and the others are scaled by
    1 / (1 - p), so E[output] = input. Identity when training=False or p = 0. p must be in [0, 1)."""
    x = as_tensor(input)
    return _dropout("dropout", x, p, training, x.shape, generator)


def dropout2d(input, p=0.5, training=True, generator=None):
    """Channel dropout for (N, C, H, W) or (C, H, W) input: each whole channel is zeroed with
    probability p, the others scaled by 1 / (1 - p).

    Other inputs of at least 2 dimensions get PyTorch's feature dropout with its UserWarning: one draw
    per (n, c) pair, shared over the remaining dimensions, so a 2-D (N, C) input is plain elementwise
    dropout (PyTorch deprecates both uses and asks for dropout instead)."""
    x = as_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"dropout2d: feature dropout needs at least 2 dimensions, got shape {x.shape}")
    if x.ndim in (3, 4):
        return _dropout("dropout2d", x, p, training, x.shape[:-2] + (1, 1), generator)
    warnings.warn(
        f"dropout2d: received a {x.ndim}-D input (shape {tuple(x.shape)}); dropout2d is meant for "
        "(N, C, H, W) or (C, H, W) input. As PyTorch does (and deprecates), each (n, c) slice is dropped "
        "as a whole; use dropout for elementwise dropout",
        UserWarning,
        stacklevel=2,  # the caller, as PyTorch's warning
    )
    return _dropout("dropout2d", x, p, training, x.shape[:2] + (1,) * (x.ndim - 2), generator)
