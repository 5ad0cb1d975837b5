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
    """z = sum((x - m)^2) / max(n - correction, 0),  m = mean(x);  dx = 2 g (x - m) / (n - correction).

    Where n <= correction, z is inf (nan for constant x) and the gradient follows PyTorch's var_backward:
    over all dims g * (nan where x == m, else inf); over explicit dims 2 g (x - m) / (n - correction) as is.
    """

    def forward(self, x):
        self.shape, self.x = x.shape, x
        self.n = int(np.prod([x.shape[d] for d in self.dims]))
        self.mean = np.sum(x, axis=self.dims, keepdims=True) / x.dtype.type(self.n)
        self.centered = x - self.mean
        denominator = builtins.max(self.n - self.correction, 0)
        return np.sum(self.centered**2, axis=self.dims, keepdims=self.keepdim) / denominator

    def backward(self, grad):
        return (self.var_grad(_expand_back(grad, self.shape, self.dims, self.keepdim)),)

    def var_grad(self, g):
        """dx for an upstream gradient g already broadcast to the input shape."""
        dof = self.n - self.correction
        if self.all_dims and dof <= 0:
            return g * np.where(self.x == self.mean, np.nan, np.inf).astype(self.x.dtype)
        return np.asarray(2, self.x.dtype) / np.asarray(dof, self.x.dtype) * g * self.centered


class Std(Var):
    """z = sqrt(var(x));  dx = var's dx for g / (2 z), taken as 0 where z == 0 (PyTorch's std_backward:
    a constant input has a zero gradient, not 0 / 0)."""

    def forward(self, x):
        self.z = np.sqrt(super().forward(x))
        return self.z

    def backward(self, grad):
        g_var = np.where(self.z == 0, 0, grad / (2 * self.z))
        return (self.var_grad(_expand_back(g_var, self.shape, self.dims, self.keepdim)),)


class ReduceExtreme(Function):
    """z = max (or min) over dims; the gradient is split evenly between tied extremes. With nan_aware
    (torch.max(x) / torch.min(x) without dim) a nan result sends the gradient to the nan inputs; amax and
    amin, like PyTorch's, then match no input and give 0 / 0 = nan."""

    def forward(self, x):
        reduce = np.max if self.largest else np.min
        self.shape = x.shape
        kept = reduce(x, axis=self.dims, keepdims=True)
        self.mask = x == kept
        if self.nan_aware:
            self.mask |= np.isnan(x) & np.isnan(kept)
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


def _all_if_empty(dim):
    """PyTorch reduces over every dimension when dim is an empty tuple or list (sum(dim=()) is a full sum)."""
    return None if isinstance(dim, (tuple, list)) and not dim else dim


def sum(x, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
    """Sum over `dim` (int, tuple or None for all)."""
    x = as_tensor(x)
    dim, keepdim = resolve_dim_aliases("sum", dim, keepdim, axis, keepdims)
    dim = _all_if_empty(dim)
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
    dim = _all_if_empty(dim)
    return Mean.apply(x, dims=normalize_dims(dim, x.ndim, "mean"), keepdim=keepdim)


def _variance(kind, x, dim, keepdim, correction, unbiased, axis, keepdims):
    name = kind.__name__.lower()
    x = as_tensor(x)
    require_float(name, x)
    dim, keepdim = resolve_dim_aliases(name, dim, keepdim, axis, keepdims)
    dim = _all_if_empty(dim)
    if unbiased is not None:
        correction = 1 if unbiased else 0
    dims = normalize_dims(dim, x.ndim, name)
    all_dims = dim is None or not x.ndim  # PyTorch's var_backward treats these apart from explicit dims
    return kind.apply(x, dims=dims, keepdim=keepdim, correction=correction, all_dims=all_dims)


def var(x, dim=None, keepdim=False, *, correction=1, unbiased=None, axis=None, keepdims=None):
    """Variance sum((x - mean)^2) / (n - correction); correction=1 (unbiased) by default like PyTorch."""
    return _variance(Var, x, dim, keepdim, correction, unbiased, axis, keepdims)


def std(x, dim=None, keepdim=False, *, correction=1, unbiased=None, axis=None, keepdims=None):
    """Standard deviation sqrt(var(x)); its gradient is 0 where the result is 0 (like PyTorch)."""
    return _variance(Std, x, dim, keepdim, correction, unbiased, axis, keepdims)


def _extreme(x, dim, keepdim, axis, keepdims, largest):
    name = "max" if largest else "min"
    x = as_tensor(x)
    dim, keepdim = resolve_dim_aliases(name, dim, keepdim, axis, keepdims)
    if x.numel() == 0:
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
    dims = normalize_dims(_all_if_empty(dim), x.ndim, name)
    return ReduceExtreme.apply(x, dims=dims, keepdim=keepdim, largest=largest, nan_aware=dim is None)


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
    dims = normalize_dims(_all_if_empty(dim), x.ndim, "amax")
    return ReduceExtreme.apply(x, dims=dims, keepdim=keepdim, largest=True, nan_aware=False)


def amin(x, dim=None, keepdim=False):
    """Minimum over dim (int, tuple or None) as a tensor; ties share the gradient evenly."""
    x = as_tensor(x)
    dims = normalize_dims(_all_if_empty(dim), x.ndim, "amin")
    return ReduceExtreme.apply(x, dims=dims, keepdim=keepdim, largest=False, nan_aware=False)


def _arg_extreme(x, dim, keepdim, axis, keepdims, largest):
    name = "argmax" if largest else "argmin"
    x = as_tensor(x)
    dim, keepdim = resolve_dim_aliases(name, dim, keepdim, axis, keepdims)
    if x.numel() == 0:
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


def _logical_reduce(name, test, x, dim, keepdim):
    x = as_tensor(x)
    dims = normalize_dims(_all_if_empty(dim), x.ndim, name)
    return Tensor._wrap(np.asarray(test(x._array.astype(bool), axis=dims, keepdims=bool(keepdim))))


def any(x, dim=None, keepdim=False):
    """True where any element over dim (all elements when None) is nonzero; a bool tensor."""
    return _logical_reduce("any", np.any, x, dim, keepdim)


def all(x, dim=None, keepdim=False):
    """True where every element over dim (all elements when None) is nonzero; a bool tensor."""
    return _logical_reduce("all", np.all, x, dim, keepdim)
