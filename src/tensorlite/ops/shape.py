"""Shape ops: reshape/view, flatten, transpose, permute, squeeze, unsqueeze, expand, concat, stack,
split and indexing. Their gradients move values back to where they came from."""

import functools

import numpy as np

from tensorlite.autograd.function import Function
from tensorlite.ops._util import as_tensor, normalize_dims, promote
from tensorlite.tensor import Tensor


def _shape_arg(shape):
    """Accept shape as varargs or a single tuple/list."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


class Reshape(Function):
    """z = x with a new shape (same elements in C order)."""

    returns_view = True

    def forward(self, x):
        self.source = x.shape
        return x.reshape(self.shape)

    def backward(self, grad):
        return (grad.reshape(self.source),)


class Permute(Function):
    """z = x with its axes reordered;  dx = g with the inverse order"""

    returns_view = True

    def forward(self, x):
        return np.transpose(x, self.order)

    def backward(self, grad):
        return (np.transpose(grad, np.argsort(self.order)),)


class Expand(Function):
    """z = x broadcast to a larger shape;  dx = g summed over the broadcast dimensions"""

    returns_view = True

    def forward(self, x):
        self.source = x.shape
        return np.broadcast_to(x, self.shape)

    def backward(self, grad):
        return (unbroadcast(grad, self.source),)


class Concat(Function):
    """z = inputs joined along dim;  each input's gradient is its slice of g"""

    def forward(self, *xs):
        self.sizes = [x.shape[self.dim] for x in xs]
        return np.concatenate(xs, axis=self.dim)

    def backward(self, grad):
        return tuple(np.split(grad, np.cumsum(self.sizes)[:-1], axis=self.dim))


class Index(Function):
    """z = x[key];  dx = g scattered (and summed, for repeated integer indices) back into x's shape"""

    returns_view = True

    def forward(self, x):
        self.shape = x.shape
        return x[self.key]

    def backward(self, grad):
        dx = np.zeros(self.shape, dtype=grad.dtype)
        if self.advanced:
            np.add.at(dx, self.key, grad)
        else:
            dx[self.key] = grad
        return (dx,)


def _resolve_shape(x, shape):
    """The concrete shape for reshaping x to `shape`, which may hold one -1."""
    unknown = [i for i, s in enumerate(shape) if s == -1]
    known = int(np.prod([s for s in shape if s != -1]))
    bad = len(unknown) > 1 or any(s < -1 for s in shape)
    if not bad and unknown:
        bad = known == 0 or x.numel() % known != 0
        if not bad:
            shape = shape[: unknown[0]] + (x.numel() // known,) + shape[unknown[0] + 1 :]
    if bad or int(np.prod(shape)) != x.numel():
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {x.shape} ({x.numel()} elements) to {shape}"
        )
    return shape


def reshape(x, *shape):
    """x with a new shape; one dimension may be -1."""
    x = as_tensor(x)
    return Reshape.apply(x, shape=_resolve_shape(x, _shape_arg(shape)))


def view(x, *shape):
    """Same as reshape (tensorlite tensors are always safe to view)."""
    return reshape(x, *shape)


def view_as(x, other):
    """x viewed with other's shape."""
    return reshape(x, _tensor_arg("view_as", other).shape)


reshape_as = view_as


def expand_as(x, other):
    """x broadcast to other's shape."""
    return expand(x, _tensor_arg("expand_as", other).shape)


def _tensor_arg(op_name, other):
    if not isinstance(other, Tensor):
        raise TypeError(f"{op_name}: other must be a Tensor, got {type(other).__name__}")
    return other


def flatten(x, start_dim=0, end_dim=-1):
    """Merge dimensions start_dim..end_dim into one."""
    x = as_tensor(x)
    if x.ndim == 0:
        return reshape(x, 1)
    for d in (start_dim, end_dim):
        if not -x.ndim <= d < x.ndim:
            raise ValueError(f"flatten: dim {d} is out of range for shape {x.shape}")
    start, end = start_dim % x.ndim, end_dim % x.ndim
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    merged = int(np.prod(x.shape[start : end + 1]))
    return reshape(x, x.shape[:start] + (merged,) + x.shape[end + 1 :])


def permute(x, *dims):
    """x with its dimensions in the order `dims`."""
    x = as_tensor(x)
    dims = _shape_arg(dims)
    in_range = all(-x.ndim <= d < x.ndim for d in dims)
    if not in_range or sorted(d % x.ndim for d in dims) != list(range(x.ndim)):
        raise ValueError(
            f"permute: {dims} is not a permutation of the {x.ndim} dimensions of shape {x.shape}"
        )
    return Permute.apply(x, order=tuple(d % x.ndim for d in dims))


def transpose(x, dim0=0, dim1=1):
    """x with dimensions dim0 and dim1 swapped."""
    x = as_tensor(x)
    if x.ndim < 2:
        return x
    d0, d1 = (d % x.ndim for d in (dim0, dim1))
    for d in (dim0, dim1):
        if not -x.ndim <= d < x.ndim:
            raise ValueError(f"transpose: dim {d} is out of range for shape {x.shape}")
    order = list(range(x.ndim))
    order[d0], order[d1] = order[d1], order[d0]
    return Permute.apply(x, order=tuple(order))


def squeeze(x, dim=None):
    """Remove size-1 dimensions (all of them, or only `dim`)."""
    x = as_tensor(x)
    if dim is None:
        shape = tuple(s for s in x.shape if s != 1)
    else:
        dims = normalize_dims(dim, x.ndim, "squeeze")
        shape = tuple(s for i, s in enumerate(x.shape) if not (i in dims and s == 1))
    return Reshape.apply(x, shape=shape)


def unsqueeze(x, dim):
    """Insert a size-1 dimension at `dim`."""
    x = as_tensor(x)
    if not -(x.ndim + 1) <= dim <= x.ndim:
        raise ValueError(f"unsqueeze: dim {dim} is out of range for shape {x.shape}")
    dim = dim % (x.ndim + 1)
    return Reshape.apply(x, shape=x.shape[:dim] + (1,) + x.shape[dim:])


def expand(x, *shape):
    """Broadcast x to `shape` (-1 keeps a dimension)."""
    x = as_tensor(x)
    shape = _shape_arg(shape)
    lead = len(shape) - x.ndim
    if lead < 0:
        raise ValueError(f"expand: cannot expand shape {x.shape} to fewer dimensions {shape}")
    target = tuple(x.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(shape))
    try:
        np.broadcast_to(np.empty(x.shape, dtype=bool), target)
    except ValueError:
        raise ValueError(f"expand: cannot expand shape {x.shape} to {shape}") from None
    return Expand.apply(x, shape=target)


def concat(tensors, dim=0):
    """Join tensors along an existing dimension."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concat: expected a non-empty sequence of tensors")
    ref = tensors[0]
    if ref.ndim == 0:
        raise ValueError("concat: zero-dimensional tensors (shape ()) cannot be concatenated; use stack")
    (d,) = normalize_dims(dim, ref.ndim, "concat")
    for t in tensors[1:]:
        if t.ndim != ref.ndim or any(a != b for i, (a, b) in enumerate(zip(t.shape, ref.shape)) if i != d):
            raise ValueError(f"concat: shapes {ref.shape} and {t.shape} differ outside dimension {d}")
    dtype = functools.reduce(promote, [t.dtype for t in tensors])
    tensors = [t if t.dtype == dtype else t.astype(dtype) for t in tensors]
    return Concat.apply(*tensors, dim=d)


cat = concat


def stack(tensors, dim=0):
    """Join tensors of equal shape along a new dimension."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    for t in tensors[1:]:
        if t.shape != tensors[0].shape:
            raise ValueError(f"stack: all tensors must have one shape, got {tensors[0].shape} and {t.shape}")
    return concat([unsqueeze(t, dim) for t in tensors], dim=dim)


def split(x, split_size_or_sections, dim=0):
    """Split into chunks of size `split_size_or_sections` (an int) or of the listed sizes."""
    x = as_tensor(x)
    if x.ndim == 0:
        raise ValueError("split: a zero-dimensional tensor (shape ()) cannot be split")
    (d,) = normalize_dims(dim, x.ndim, "split")
    length = x.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        if split_size_or_sections <= 0:
            raise ValueError(f"split: split size must be positive, got {split_size_or_sections}")
        sizes = [min(split_size_or_sections, length - s) for s in range(0, length, split_size_or_sections)]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != length:
            raise ValueError(f"split: sizes {sizes} do not sum to the length {length} of dimension {d}")
    pieces, start = [], 0
    for size in sizes:
        key = (slice(None),) * d + (slice(start, start + size),)
        pieces.append(getitem(x, key))
        start += size
    return tuple(pieces)


def index_key(index):
    """Translate an indexing key (tensors become arrays) for NumPy."""
    if isinstance(index, tuple):
        return tuple(index_key(i) for i in index)
    if isinstance(index, Tensor):
        return index._array
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _is_advanced(key):
    parts = key if isinstance(key, tuple) else (key,)
    return any(isinstance(p, np.ndarray) and p.ndim > 0 for p in parts)


def getitem(x, index):
    """x[index] with ints, slices, None, Ellipsis, integer arrays and bool masks."""
    key = index_key(index)
    try:
        x._array[key]
    except IndexError as exc:
        raise IndexError(f"index {index!r} is invalid for a tensor of shape {x.shape}: {exc}") from None
    return Index.apply(x, key=key, advanced=_is_advanced(key))


from tensorlite.ops._util import unbroadcast
