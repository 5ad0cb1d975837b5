"""Reductions: sum, mean, var, std, max, min, argmax, argmin (dim=/keepdim=, axis=/keepdims= aliases)."""

import builtins
from collections import namedtuple

import numpy as np

from tensorlite.autograd.function import Function
from tensorlite.ops._util import as_tensor, normalize_dims, require_float, resolve_dim_aliases
from tensorlite.tensor import Tensor

MaxMin = namedtuple("MaxMin", ["values", "indices"])


def _expand_back(grad, shape, dims, keepdim):
    """Broadcast a reduced gradient back to the input shape."""
    if not keepdim:
        grad = np.expand_dims(grad, dims)
    return np.broadcast_to(grad, shape)


class Sum(Function):
    """z = sum of x over dims;  dx = g broadcast back"""

    def forward(self, x):
        self.shape = x.shape
        return np.sum(x, axis=self.dims, keepdims=self.keepdim)

    def backward(self, grad):
        return (_expand_back(grad, self.shape, self.dims, self.keepdim),)


class Mean(Function):
    """z = sum(x) / n over dims;  dx = g / n broadcast back"""

    def forward(self, x):
        self.shape = x.shape
        self.count = int(np.prod([x.shape[d] for d in self.dims]))
        return np.sum(x, axis=self.dims, keepdims=self.keepdim) / x.dtype.type(self.count)  # empty: nan

    def backward(self, grad):
        return (_expand_back(grad / builtins.max(self.count, 1), self.shape, self.dims, self.keepdim),)


class Var(Function):
    """z = sum((x - mean)^2) / (n - correction);  dx = 2 g (x - mean) / (n - correction)"""

    def forward(self, x):
        self.shape = x.shape
        n = int(np.prod([x.shape[d] for d in self.dims]))
        self.denominator = builtins.max(n - self.correction, 0)
        self.centered = x - np.sum(x, axis=self.dims, keepdims=True) / x.dtype.type(n)
        return np.sum(self.centered**2, axis=self.dims, keepdims=self.keepdim) / self.denominator

    def backward(self, grad):
        g = _expand_back(grad, self.shape, self.dims, self.keepdim)
        return (2 * g * self.centered / self.denominator,)


class ReduceExtreme(Function):
    """z = max (or min) over dims; the gradient is split evenly between tied extremes."""

    def forward(self, x):
        reduce = np.max if self.largest else np.min
        self.shape = x.shape
        kept = reduce(x, axis=self.dims, keepdims=True)
        self.mask = x == kept
        return kept if self.keepdim else np.squeeze(kept, axis=self.dims)

    def backward(self, grad):
        g = _expand_back(grad, self.shape, self.dims, self.keepdim)
        count = self.mask.sum(axis=self.dims, keepdims=True)
        return (g * self.mask / count,)


class TakeAlongDim(Function):
    """z = x gathered at `indices` along `dim`;  dx = g scattered back to those positions"""

    def forward(self, x):
        self.shape = x.shape
        return np.take_along_axis(x, self.indices, axis=self.dim)

    def backward(self, grad):
        dx = np.zeros(self.shape, dtype=grad.dtype)
        np.put_along_axis(dx, self.indices, grad, axis=self.dim)
        return (dx,)


def sum(x, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
    """Sum over `dim` (int, tuple or None for all)."""
    x = as_tensor(x)
    dim, keepdim = resolve_dim_aliases("sum", dim, keepdim, axis, keepdims)
    if dtype is not None:
        x = x.astype(dtype)
    elif x.dtype == bool:
        x = x.astype(np.int64)
    return Sum.apply(x, dims=normalize_dims(dim, x.ndim, "sum"), keepdim=keepdim)


def mean(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Arithmetic mean over `dim`: sum(x) / n."""
    x = as_tensor(x)
    require_float("mean", x)
    dim, keepdim = resolve_dim_aliases("mean", dim, keepdim, axis, keepdims)
    return Mean.apply(x, dims=normalize_dims(dim, x.ndim, "mean"), keepdim=keepdim)


def var(x, dim=None, keepdim=False, *, correction=1, unbiased=None, axis=None, keepdims=None):
    """Variance sum((x - mean)^2) / (n - correction); correction=1 (unbiased) by default like PyTorch."""
    x = as_tensor(x)
    require_float("var", x)
    dim, keepdim = resolve_dim_aliases("var", dim, keepdim, axis, keepdims)
    if unbiased is not None:
        correction = 1 if unbiased else 0
    return Var.apply(x, dims=normalize_dims(dim, x.ndim, "var"), keepdim=keepdim, correction=correction)


def std(x, dim=None, keepdim=False, *, correction=1, unbiased=None, axis=None, keepdims=None):
    """Standard deviation: sqrt(var(x))."""
    return var(x, dim, keepdim, correction=correction, unbiased=unbiased, axis=axis, keepdims=keepdims).sqrt()


def _extreme(x, dim, keepdim, axis, keepdims, largest):
    name = "max" if largest else "min"
    x = as_tensor(x)
    dim, keepdim = resolve_dim_aliases(name, dim, keepdim, axis, keepdims)
    if x.size == 0:
        raise ValueError(f"{name}: cannot reduce an empty tensor of shape {x.shape}")
    if isinstance(dim, (int, np.integer)):
        if not normalize_dims(dim, x.ndim, name):  # a 0-d tensor is its own maximum, at index 0
            return MaxMin(x, Tensor._wrap(np.zeros((), np.int64)))
        (d,) = normalize_dims(dim, x.ndim, name)
        pick = np.argmax if largest else np.argmin
        indices = np.expand_dims(pick(x._array, axis=d), d)
        values = TakeAlongDim.apply(x, indices=indices, dim=d)
        if not keepdim:
            values, indices = values.squeeze(d), np.squeeze(indices, d)
        return MaxMin(values, Tensor._wrap(indices.astype(np.int64)))
    return ReduceExtreme.apply(x, dims=normalize_dims(dim, x.ndim, name), keepdim=keepdim, largest=largest)


def max(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Maximum. With an int dim returns (values, indices) like torch.max; otherwise a tensor (torch.amax).

    The gradient goes to the selected index (int dim) or is split evenly between ties (dim None/tuple).
    """
    return _extreme(x, dim, keepdim, axis, keepdims, largest=True)


def min(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Minimum; same conventions as max."""
    return _extreme(x, dim, keepdim, axis, keepdims, largest=False)


def amax(x, dim=None, keepdim=False):
    """Maximum over dim (int, tuple or None) as a tensor; ties share the gradient evenly."""
    x = as_tensor(x)
    return ReduceExtreme.apply(x, dims=normalize_dims(dim, x.ndim, "amax"), keepdim=keepdim, largest=True)


def amin(x, dim=None, keepdim=False):
    """Minimum over dim (int, tuple or None) as a tensor; ties share the gradient evenly."""
    x = as_tensor(x)
    return ReduceExtreme.apply(x, dims=normalize_dims(dim, x.ndim, "amin"), keepdim=keepdim, largest=False)


def _arg_extreme(x, dim, keepdim, axis, keepdims, largest):
    name = "argmax" if largest else "argmin"
    x = as_tensor(x)
    dim, keepdim = resolve_dim_aliases(name, dim, keepdim, axis, keepdims)
    if x.size == 0:
        raise ValueError(f"{name}: cannot reduce an empty tensor of shape {x.shape}")
    pick = np.argmax if largest else np.argmin
    if dim is None:
        out = np.asarray(pick(x._array))
        if keepdim:
            out = out.reshape((1,) * x.ndim)
    else:
        dims = normalize_dims(dim, x.ndim, name)
        out = pick(x._array, axis=dims[0], keepdims=keepdim) if dims else np.asarray(0)
    return Tensor._wrap(np.asarray(out, dtype=np.int64))


def argmax(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index of the first maximum (over the flattened tensor when dim is None); int64, no gradient."""
    return _arg_extreme(x, dim, keepdim, axis, keepdims, largest=True)


def argmin(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index of the first minimum (over the flattened tensor when dim is None); int64, no gradient."""
    return _arg_extreme(x, dim, keepdim, axis, keepdims, largest=False)
