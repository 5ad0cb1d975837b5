"""Ops that copy elements to new places: repeat (tiling), flip, roll, and chunk (split into n pieces)."""

import numpy as np

from tensorlite.autograd.function import Function
from tensorlite.ops._util import as_tensor, normalize_dims
from tensorlite.ops.shape import _shape_arg, split


class Repeat(Function):
    """z = x tiled `reps` times along each dim (leading dims added);  dx = g summed over the copies"""

    def forward(self, x):
        self.shape = (1,) * (len(self.reps) - x.ndim) + x.shape
        self.source = x.shape
        return np.tile(x.reshape(self.shape), self.reps)

    def backward(self, grad):
        split_shape = [n for r, s in zip(self.reps, self.shape) for n in (r, s)]
        summed = grad.reshape(split_shape).sum(axis=tuple(range(0, 2 * len(self.reps), 2)))
        return (summed.reshape(self.source),)


class Flip(Function):
    """z = x reversed along dims (a copy, as in PyTorch);  dx = g reversed along the same dims"""

    def forward(self, x):
        return np.flip(x, self.dims).copy()

    def backward(self, grad):
        return (np.flip(grad, self.dims),)


class Roll(Function):
    """z = x shifted cyclically by shifts along dims (the flattened x when dims is None);
    dx = g shifted back"""

    def forward(self, x):
        return np.roll(x, self.shifts, self.dims)

    def backward(self, grad):
        return (np.roll(grad, tuple(-s for s in self.shifts), self.dims),)


def repeat(x, *sizes):
    """x tiled sizes[i] times along dim i (torch.Tensor.repeat); len(sizes) >= x.ndim adds leading dims."""
    x = as_tensor(x)
    reps = _shape_arg(sizes)
    if len(reps) < x.ndim:
        raise ValueError(
            f"repeat: {len(reps)} repeat counts for a tensor with {x.ndim} dimensions (need >= ndim)"
        )
    if any(r < 0 for r in reps):
        raise ValueError(f"repeat: repeat counts must be non-negative, got {reps}")
    return Repeat.apply(x, reps=reps)


def flip(x, dims):
    """x with the order of elements reversed along each of dims (an int or a sequence)."""
    x = as_tensor(x)
    return Flip.apply(x, dims=normalize_dims(dims, x.ndim, "flip"))


def roll(x, shifts, dims=None):
    """x shifted cyclically by `shifts` along `dims` (int or sequences of equal length); with dims None the
    flattened tensor is rolled and the shape restored."""
    x = as_tensor(x)
    shifts_t = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    if dims is None:
        if len(shifts_t) != 1:
            raise ValueError(f"roll: without dims give one shift, got {shifts!r}")
        return Roll.apply(x.reshape(-1), shifts=shifts_t, dims=(0,)).reshape(x.shape)
    dims_t = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(dims_t) != len(shifts_t):
        raise ValueError(f"roll: shifts {shifts!r} and dims {dims!r} must have the same length")
    dims_t = tuple(normalize_dims(d, x.ndim, "roll")[0] for d in dims_t)
    return Roll.apply(x, shifts=tuple(int(s) for s in shifts_t), dims=dims_t)


def chunk(x, chunks, dim=0):
    """Split x along dim into `chunks` pieces of ceil(n / chunks) elements (the last may be smaller, and
    fewer pieces come back when n is small), as torch.chunk."""
    x = as_tensor(x)
    if not isinstance(chunks, (int, np.integer)) or isinstance(chunks, bool) or chunks < 1:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
    if x.ndim == 0:
        raise ValueError("chunk: a zero-dimensional tensor (shape ()) cannot be chunked")
    (d,) = normalize_dims(dim, x.ndim, "chunk")
    n = x.shape[d]
    return split(x, -(-n // chunks), dim=d) if n else split(x, [0] * chunks, dim=d)
