"""Index-driven ops: gather, scatter, scatter_add, index_select, masked_fill, tril and triu."""

import numpy as np

from tensorlite.autograd.function import Function
from tensorlite.ops._util import as_tensor, normalize_dims
from tensorlite.tensor import Tensor


def _positions(index, dim):
    """Index arrays addressing x[..., index[p], ...] for every position p of `index` (index along `dim`)."""
    grid = list(np.indices(index.shape, sparse=True))
    grid[dim] = index
    return tuple(grid)


class Gather(Function):
    """z[p] = x[p with p_dim := index[p]];  dx = g added at those positions (repeats accumulate)"""

    def forward(self, x):
        self.shape = x.shape
        return x[_positions(self.index, self.dim)]

    def backward(self, grad):
        dx = np.zeros(self.shape, dtype=grad.dtype)
        np.add.at(dx, _positions(self.index, self.dim), grad)
        return (dx,)


class Scatter(Function):
    """z = x with z[p with p_dim := index[p]] = src[p] (add: += src[p]);
    dx = g (zero at overwritten positions unless add), dsrc = g gathered at those positions"""

    def forward(self, x, src):
        self.where = _positions(self.index, self.dim)
        z = x.copy()
        values = src[tuple(slice(0, n) for n in self.index.shape)]
        if self.add:
            np.add.at(z, self.where, values)
        else:
            z[self.where] = values
        self.src_shape = src.shape
        return z

    def backward(self, grad):
        dx = grad
        if not self.add:
            dx = grad.copy()
            dx[self.where] = 0
        dsrc = np.zeros(self.src_shape, dtype=grad.dtype)
        dsrc[tuple(slice(0, n) for n in self.index.shape)] = grad[self.where]
        return dx, dsrc


class IndexSelect(Function):
    """z = x taken at `index` along dim;  dx = g added back along dim at those indices"""

    def forward(self, x):
        self.shape = x.shape
        return np.take(x, self.index, axis=self.dim)

    def backward(self, grad):
        dx = np.zeros(self.shape, dtype=grad.dtype)
        key = (slice(None),) * self.dim + (self.index,)
        np.add.at(dx, key, grad)
        return (dx,)


class MaskedFill(Function):
    """z = value where mask else x (mask broadcast to x);  dx = g where not mask, dvalue = sum of g at mask"""

    def forward(self, x, value):
        return np.where(self.mask, value, x)

    def backward(self, grad):
        return np.where(self.mask, 0, grad), np.sum(np.where(self.mask, grad, 0))


class Triangle(Function):
    """z = x with the elements off the kept triangle of the last two dims zeroed;  dx = g likewise"""

    def forward(self, x):
        self.keep = (np.tril if self.lower else np.triu)(np.ones(x.shape[-2:], dtype=bool), self.diagonal)
        return np.where(self.keep, x, np.zeros((), x.dtype))

    def backward(self, grad):
        return (np.where(self.keep, grad, 0),)


def _index_array(name, index):
    index = index._array if isinstance(index, Tensor) else np.asarray(index)
    if index.dtype.kind not in "iu":
        raise TypeError(f"{name}: index must be an integer tensor, got dtype {index.dtype}")
    return index.astype(np.int64, copy=False)


def _checked_index(name, x, dim, index, src_shape=None):
    """(dim, index) after PyTorch's checks: index has x's ndim, fits x (and src) outside dim, in range."""
    index = _index_array(name, index)
    _refuse_0d(name, x)
    (d,) = normalize_dims(dim, x.ndim, name)
    if index.ndim != x.ndim:
        raise ValueError(
            f"{name}: index must have {x.ndim} dimensions like the input, got shape {index.shape}"
        )
    for i, n in enumerate(index.shape):
        if (i != d and x.ndim and n > x.shape[i]) or (src_shape is not None and n > src_shape[i]):
            raise ValueError(
                f"{name}: index of shape {index.shape} is larger than the input {x.shape}"
                + ("" if src_shape is None else f" or src {tuple(src_shape)}")
                + f" in dimension {i}"
            )
    _check_range(name, index, x.shape[d], d)
    return d, index


def _refuse_0d(name, x):
    if x.ndim == 0:
        raise ValueError(f"{name}: the input must have at least 1 dimension, got a 0-d tensor")


def _check_range(name, index, limit, dim):
    """Indices must lie in [0, limit) (PyTorch refuses negative ones here, unlike in x[i])."""
    if index.size and (index.min() < 0 or index.max() >= limit):
        bad = int(index.min() if index.min() < 0 else index.max())
        raise IndexError(f"{name}: index {bad} is out of range for size {limit} of dimension {dim}")


def gather(x, dim, index):
    """out[i][j] = x[index[i][j]][j] for dim 0 (likewise for other dims); out has index's shape."""
    x = as_tensor(x)
    d, index = _checked_index("gather", x, dim, index)
    return Gather.apply(x, index=index, dim=d)


def _scatter(name, x, dim, index, src, add):
    x = as_tensor(x)
    if not isinstance(src, Tensor):
        src = Tensor._wrap(np.full(_index_array(name, index).shape, src, dtype=x.dtype))
    elif src.dtype != x.dtype:
        src = src.astype(x.dtype)
    d, index = _checked_index(name, x, dim, index, src.shape)
    return Scatter.apply(x, src, index=index, dim=d, add=add)


def scatter(x, dim, index, src=None, *, value=None):
    """A copy of x with out[index[i][j]][j] = src[i][j] for dim 0 (likewise for other dims); src may be a
    number (or give value=). Where an index repeats, which src value lands is unspecified, as in PyTorch."""
    if (src is None) == (value is None):
        raise TypeError("scatter: give exactly one of src and value")
    return _scatter("scatter", x, dim, index, value if src is None else src, add=False)


def scatter_add(x, dim, index, src):
    """A copy of x with out[index[i][j]][j] += src[i][j] for dim 0 (likewise for other dims)."""
    return _scatter("scatter_add", x, dim, index, src, add=True)


def index_select(x, dim, index):
    """The entries of x at the positions `index` (a 1-D integer tensor) along dim."""
    x = as_tensor(x)
    index = _index_array("index_select", index)
    if index.ndim > 1:
        raise ValueError(f"index_select: index must be 0-D or 1-D, got shape {index.shape}")
    _refuse_0d("index_select", x)
    (d,) = normalize_dims(dim, x.ndim, "index_select")
    _check_range("index_select", index, x.shape[d], d)
    return IndexSelect.apply(x, index=index.reshape(-1), dim=d)


def masked_fill(x, mask, value):
    """x with `value` (a number or 0-d tensor) where the bool mask (broadcast to x's shape) is True."""
    x = as_tensor(x)
    mask = mask._array if isinstance(mask, Tensor) else np.asarray(mask)
    if mask.dtype != bool:
        raise TypeError(f"masked_fill: mask must be a bool tensor, got dtype {mask.dtype}")
    try:
        mask = np.broadcast_to(mask, x.shape)
    except ValueError:
        raise ValueError(f"masked_fill: mask of shape {mask.shape} does not broadcast to {x.shape}") from None
    value = as_tensor(value, like=x)
    if value.ndim:
        raise ValueError(f"masked_fill: value must be a number or a 0-d tensor, got shape {value.shape}")
    return MaskedFill.apply(x, value if value.dtype == x.dtype else value.astype(x.dtype), mask=mask)


def _triangle(name, x, diagonal, lower):
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"{name}: input must have at least 2 dimensions, got shape {x.shape}")
    return Triangle.apply(x, diagonal=int(diagonal), lower=lower)


def tril(x, diagonal=0):
    """The lower triangle of the last two dims (j - i <= diagonal kept), zeros above."""
    return _triangle("tril", x, diagonal, lower=True)


def triu(x, diagonal=0):
    """The upper triangle of the last two dims (j - i >= diagonal kept), zeros below."""
    return _triangle("triu", x, diagonal, lower=False)
