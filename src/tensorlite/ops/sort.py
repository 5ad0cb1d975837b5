"""Sorting: sort, argsort and topk. Values keep a gradient (it flows back to where each value came from);
indices are int64. NaN sorts as the largest value, as in PyTorch."""

from collections import namedtuple

import numpy as np

from tensorlite.ops._util import as_tensor, normalize_dims
from tensorlite.ops.reduce import TakeAlongDim
from tensorlite.tensor import Tensor

SortResult = namedtuple("SortResult", ["values", "indices"])
TopkResult = namedtuple("TopkResult", ["values", "indices"])


def _order(a, axis, descending, stable):
    """Indices sorting `a` along axis; descending keeps ties in their original order when stable."""
    kind = "stable" if stable else None
    if not descending:
        return np.argsort(a, axis=axis, kind=kind)
    # ascending order of the reversed line, reversed back: descending, ties (and nan first) in input order
    n = a.shape[axis]
    return n - 1 - np.flip(np.argsort(np.flip(a, axis), axis=axis, kind=kind), axis)


def _dim(name, x, dim):
    if x.ndim == 0:
        normalize_dims(dim, 0, name)
        return None
    (d,) = normalize_dims(dim, x.ndim, name)
    return d


def sort(x, dim=-1, descending=False, stable=False):
    """(values, indices) of x sorted along dim (ascending unless descending); stable keeps ties in order."""
    x = as_tensor(x)
    d = _dim("sort", x, dim)
    if d is None:
        return SortResult(x, Tensor._wrap(np.zeros((), np.int64)))
    indices = _order(x._array, d, descending, stable)
    return SortResult(TakeAlongDim.apply(x, indices=indices, dim=d), Tensor._wrap(indices.astype(np.int64)))


def argsort(x, dim=-1, descending=False, stable=False):
    """The indices that sort x along dim (int64)."""
    return sort(x, dim, descending, stable).indices


def topk(x, k, dim=-1, largest=True, sorted=True):
    """(values, indices) of the k largest (or smallest) entries along dim, in order (always sorted here)."""
    x = as_tensor(x)
    d = _dim("topk", x, dim)
    n = 1 if d is None else x.shape[d]
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 0 <= k <= n:
        raise ValueError(f"topk: k must be an int in [0, {n}] for dimension size {n}, got {k!r}")
    if d is None:  # a 0-d tensor: as a line of one element, the result keeps the 0-d shape for k = 1
        values, indices = topk(x.reshape(1), k, 0, largest, sorted)
        return TopkResult(values.reshape(()), indices.reshape(())) if k else TopkResult(values, indices)
    indices = np.take(_order(x._array, d, largest, stable=True), np.arange(k), axis=d)
    return TopkResult(TakeAlongDim.apply(x, indices=indices, dim=d), Tensor._wrap(indices.astype(np.int64)))
