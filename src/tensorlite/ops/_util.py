"""Helpers shared by the ops: argument coercion, broadcasting and dimension handling."""

import numbers

import numpy as np

from tensorlite import _dtype
from tensorlite.tensor import Tensor


def as_tensor(x, like=None):
    """x as a Tensor; Python scalars take `like`'s dtype so they never upcast a float32 tensor."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, numbers.Number) and not isinstance(x, np.ndarray) and like is not None:
        dtype = like.dtype
        if isinstance(x, (float, np.floating)) and not _dtype.is_floating(dtype):
            dtype = _dtype.float32
        elif dtype == _dtype.bool_ and isinstance(x, numbers.Integral) and type(x) not in (bool, np.bool_):
            dtype = _dtype.int64
        return Tensor._wrap(_dtype.convert(x, dtype))  # range-checked: 2**63 raises, never wraps around
    return Tensor(x)


def binary_operands(op_name, a, b):
    """Coerce two operands to tensors of one dtype and check that they broadcast."""
    a_is_tensor, b_is_tensor = isinstance(a, Tensor), isinstance(b, Tensor)
    # Fast paths for the common cases, with the same results as the general path below: two tensors of
    # one dtype, or a tensor and a Python float/int that takes the tensor's dtype.
    if a_is_tensor and b_is_tensor:
        x, y = a._array, b._array
        if x.dtype == y.dtype:
            if x.shape != y.shape and not broadcastable(x.shape, y.shape):
                raise ValueError(f"{op_name}: shapes {a.shape} and {b.shape} cannot be broadcast together")
            return a, b
    elif a_is_tensor:
        scalar = _scalar_like(b, a._array.dtype)
        if scalar is not None:
            return a, scalar
    elif b_is_tensor:
        scalar = _scalar_like(a, b._array.dtype)
        if scalar is not None:
            return scalar, b
    if not a_is_tensor and not b_is_tensor:
        a = Tensor(a)
    a = as_tensor(a, like=b if b_is_tensor and not a_is_tensor else None)
    b = as_tensor(b, like=a)
    if a.dtype != b.dtype:
        target = promote(a.dtype, b.dtype)
        a = a if a.dtype == target else cast(a, target)
        b = b if b.dtype == target else cast(b, target)
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{op_name}: shapes {a.shape} and {b.shape} cannot be broadcast together") from None
    return a, b


def broadcastable(x, y):
    """Whether shapes x and y broadcast together (np.broadcast_shapes's rule, without building the result)."""
    for m, n in zip(reversed(x), reversed(y)):
        if m != n and m != 1 and n != 1:
            return False
    return True


def _scalar_like(value, dtype):
    """A Python float (for a float dtype) or int (for float or int64, within int64's range) as a 0-d tensor
    of `dtype`, exactly as as_tensor(value, like) converts it; None for anything else (the general path)."""
    kind = dtype.kind
    if type(value) is float:
        if kind == "f":
            return Tensor._wrap(np.array(value, dtype=dtype))  # one rounding of the double, as astype does
    elif type(value) is int and (kind == "f" or kind == "i") and -_INT64_END <= value < _INT64_END:
        return Tensor._wrap(np.asarray(value).astype(dtype))  # via int64, as _dtype.convert goes
    return None


_INT64_END = 2**63


def promote(x, y):
    """Result dtype for mixed operands: a float dtype wins over integers and bools (PyTorch's rule)."""
    x_float, y_float = _dtype.is_floating(x), _dtype.is_floating(y)
    if x_float and not y_float:
        return x
    if y_float and not x_float:
        return y
    return np.promote_types(x, y)


def unbroadcast(grad, shape):
    """Sum `grad` over the dimensions that broadcasting added or stretched to reach `shape`."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def normalize_dims(dim, ndim, op_name):
    """dim (None, int or tuple of ints, negatives allowed) as a sorted tuple of non-negative axes.

    Like PyTorch, a 0-d tensor accepts dim 0 or -1; the result is then () (no axis)."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = []
    for d in dims:
        if not isinstance(d, (int, np.integer)) or isinstance(d, bool):
            raise TypeError(f"{op_name}: dim must be an int or a tuple of ints, got {dim!r}")
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise ValueError(f"{op_name}: dim {d} is out of range for a tensor with {ndim} dimensions")
        out.append(int(d) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{op_name}: dim {dim!r} repeats a dimension")
    return tuple(sorted(out)) if ndim else ()  # a 0-d tensor accepts dim 0 / -1 and has nothing to reduce


def resolve_dim_aliases(op_name, dim, keepdim, axis, keepdims):
    """Accept NumPy's axis=/keepdims= as aliases of dim=/keepdim=."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op_name}: give dim or axis, not both")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return dim, bool(keepdim)


def require_float(op_name, t):
    """Raise TypeError unless t is a floating-point tensor."""
    if t._array.dtype.kind != "f":  # float32 or float64: the only floating dtypes a tensor holds
        raise TypeError(f"{op_name}: expected a float32 or float64 tensor, got dtype {t.dtype}")


# The largest kernel size, stride, padding, dilation or output size an op takes: PyTorch refuses values
# that do not fit a C int, and with this bound every index the C++ kernels form from them fits in int64.
MAX_WINDOW_ARG = 2**31 - 1


def int_pair(op_name, name, value, minimum, maximum=MAX_WINDOW_ARG):
    """value (an int or a pair of ints, PyTorch's convention for kernel_size/stride/padding/dilation) as an
    (h, w) tuple; ValueError for a sequence that is not a pair or a value outside [minimum, maximum],
    TypeError for a value that is not an int."""
    if isinstance(value, (tuple, list)) and len(value) != 2:
        raise ValueError(f"{op_name}: {name} must be an int or a pair of ints, got {value!r}")
    pair = value if isinstance(value, (tuple, list)) else (value, value)
    for v in pair:
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise TypeError(f"{op_name}: {name} must be an int or a pair of ints, got {value!r}")
        if v < minimum:
            raise ValueError(f"{op_name}: {name} must be >= {minimum}, got {value!r}")
        if v > maximum:
            raise ValueError(f"{op_name}: {name} must be at most {maximum} (2**31 - 1), got {value!r}")
    return int(pair[0]), int(pair[1])


def require_allocatable(op_name, shape, dtype):
    """ValueError when an output of this shape and dtype has more bytes than fit in int64 (such an array can
    never exist; numpy's size arithmetic would overflow). Smaller but still too large outputs raise
    MemoryError when allocated."""
    nbytes = int(np.dtype(dtype).itemsize)
    for d in shape:
        nbytes *= int(d)
    if nbytes >= 2**63:
        raise ValueError(
            f"{op_name}: output shape {tuple(shape)} would need {nbytes} bytes, more than fit in int64"
        )


from tensorlite.ops.elementwise import cast
