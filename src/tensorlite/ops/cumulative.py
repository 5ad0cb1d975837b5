"""Cumulative sums and products along one dimension."""

import numpy as np

from tensorlite.autograd.function import Function
from tensorlite.ops._util import as_tensor, normalize_dims


def _reverse_cumsum(a, axis):
    """r_k = sum_{j >= k} a_j along axis."""
    return np.flip(np.cumsum(np.flip(a, axis), axis), axis)


class Cumsum(Function):
    """z_k = sum_{j <= k} x_j;  dx_k = sum_{j >= k} g_j"""

    def forward(self, x):
        return np.cumsum(x, axis=self.dim)

    def backward(self, grad):
        return (_reverse_cumsum(grad, self.dim),)


class Cumprod(Function):
    """z_k = prod_{j <= k} x_j;  dx_k = sum_{j >= k} g_j prod_{i <= j, i != k} x_i.

    Without zeros that is reverse_cumsum(g z)_k / x_k. Along a line whose first zero is at index f:
    the formula holds for k < f; dx_f = sum_{j >= f} g_j cumprod(x with x_f := 1)_j; dx_k = 0 for k > f
    (every product then contains x_f = 0)."""

    def forward(self, x):
        self.x = x
        self.z = np.cumprod(x, axis=self.dim)
        return self.z

    def backward(self, grad):
        x = np.moveaxis(self.x, self.dim, -1)
        g, z = np.moveaxis(grad, self.dim, -1), np.moveaxis(self.z, self.dim, -1)
        n = x.shape[-1]
        if n == 0 or x.size == 0:
            return (np.zeros_like(grad),)
        zero = x == 0
        first = np.where(zero.any(-1), np.argmax(zero, -1), n)[..., None]  # n: no zero on this line
        position = np.arange(n)
        safe_x = np.where(position < first, x, 1)
        dx = np.where(position < first, _reverse_cumsum(g * z, -1) / safe_x, 0)
        lines = first[..., 0] < n
        if lines.any():
            x_f, g_f = x[lines], g[lines]
            f = first[lines]
            one_at_f = np.where(position == f, 1, x_f)
            at_f = np.sum(np.where(position >= f, g_f * np.cumprod(one_at_f, -1), 0), -1)
            rows = dx[lines]
            np.put_along_axis(rows, f, at_f[..., None], -1)
            dx[lines] = rows
        return (np.moveaxis(dx, -1, self.dim),)


def _cumulative(kind, name, x, dim, dtype):
    x = as_tensor(x)
    if dtype is not None:
        x = x.astype(dtype)
    elif x.dtype == bool:
        x = x.astype(np.int64)  # like PyTorch: cumsum of bools counts
    if x.ndim == 0:
        normalize_dims(dim, 0, name)
        return kind.apply(x.reshape(1), dim=0).reshape(())
    (d,) = normalize_dims(dim, x.ndim, name)
    return kind.apply(x, dim=d)


def cumsum(x, dim, dtype=None):
    """Running sum along dim: z_k = x_0 + ... + x_k."""
    return _cumulative(Cumsum, "cumsum", x, dim, dtype)


def cumprod(x, dim, dtype=None):
    """Running product along dim: z_k = x_0 * ... * x_k (exact gradients where x has zeros)."""
    return _cumulative(Cumprod, "cumprod", x, dim, dtype)
