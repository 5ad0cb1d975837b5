"""Tensor factories: tensor, as_tensor, from_numpy, zeros, ones, full, empty, arange, linspace, eye, rand,
randn, randint and the *_like variants. Each takes device= ("cpu"; an accelerator raises RuntimeError)."""

import numpy as np

from tensorlite import _dtype
from tensorlite._device import check_device
from tensorlite.random import rng
from tensorlite.tensor import Tensor


def _shape(size):
    """Shape given as varargs or a single tuple/list."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    shape = tuple(int(s) for s in size)
    if any(s < 0 for s in shape):
        raise ValueError(f"negative dimension in shape {shape}")
    return shape


def _make(array, requires_grad):
    return Tensor._wrap(array).requires_grad_(requires_grad) if requires_grad else Tensor._wrap(array)


def _float_dtype(dtype):
    dtype = _dtype.as_dtype(dtype)
    return _dtype.float32 if dtype is None else dtype


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of `data` (nested lists, scalars, arrays). Floats default to float32."""
    check_device(device, "tensor")
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)


def as_tensor(data, dtype=None, device=None):
    """`data` as a tensor, sharing memory where it can (torch.as_tensor): a tensor of that dtype is returned
    as is (another dtype: converted, in the graph), a NumPy array whose dtype a tensor holds is shared as by
    from_numpy, anything else (lists, scalars, other dtypes) is copied as tl.tensor(data, dtype) copies it."""
    check_device(device, "as_tensor")
    dtype = _dtype.as_dtype(dtype)
    if isinstance(data, Tensor):
        return data if dtype is None or dtype == data.dtype else data.to(dtype)
    if (
        isinstance(data, np.ndarray)
        and not isinstance(data, np.ma.MaskedArray)
        and data.dtype.isnative
        and data.dtype in _dtype.SUPPORTED
        and dtype in (None, data.dtype)
    ):
        return from_numpy(data)
    return Tensor(data, dtype=dtype)


def from_numpy(array):
    """A tensor sharing memory with a NumPy array of dtype float32/64, int64 or bool in native byte order
    (other dtypes need a converting copy: tl.tensor(array)). An ndarray subclass such as np.matrix is
    viewed as a plain ndarray, as torch.from_numpy does; a masked array is refused (TypeError)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    _dtype.refuse_masked("from_numpy", array)
    if type(array) is not np.ndarray:
        array = array.view(np.ndarray)  # np.matrix would make * a matrix product inside every op
    if not array.dtype.isnative:
        raise ValueError(
            f"from_numpy: the array's byte order ({array.dtype.str}) is not the machine's, so its memory "
            "cannot be shared; use tl.tensor(array) for a converted copy"
        )
    if array.dtype not in _dtype.SUPPORTED:
        _dtype.check_numeric("from_numpy", array.dtype)
        raise TypeError(
            f"from_numpy: unsupported dtype {array.dtype} (not float32, float64, int64 or bool, so its "
            "memory cannot be shared); use tl.tensor(array) for a converted copy (integers become int64, "
            "float16 float32)"
        )
    return Tensor._wrap(array)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros."""
    check_device(device, "zeros")
    return _make(np.zeros(_shape(size), dtype=_float_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of ones."""
    check_device(device, "ones")
    return _make(np.ones(_shape(size), dtype=_float_dtype(dtype)), requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor filled with `fill_value` (dtype inferred from it when not given)."""
    check_device(device, "full")
    dtype = _dtype.as_dtype(dtype)
    if dtype is None and isinstance(fill_value, float):
        dtype = _dtype.float32  # like torch.full: a float fill (NumPy's float64 included) gives float32
    value = _dtype.convert(fill_value, dtype, "full")
    if value.ndim:
        raise ValueError(f"full: fill_value must be a scalar, got shape {value.shape}")
    return _make(np.full(_shape((size,)), value), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    """An uninitialized tensor."""
    check_device(device, "empty")
    return _make(np.empty(_shape(size), dtype=_float_dtype(dtype)), requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Values from start (inclusive) to end (exclusive) by step; int64 for integer arguments."""
    check_device(device, "arange")
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    dtype = _dtype.as_dtype(dtype)
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = _dtype.int64 if is_int else _dtype.float32
    return _make(np.arange(start, end, step).astype(dtype), requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    """`steps` evenly spaced values from start to end, both included."""
    check_device(device, "linspace")
    if steps < 0:
        raise ValueError(f"linspace: steps must be non-negative, got {steps}")
    return _make(np.linspace(start, end, steps).astype(_float_dtype(dtype)), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    """An n x m identity matrix."""
    check_device(device, "eye")
    return _make(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples from [0, 1)."""
    check_device(device, "rand")
    return _make(rng(generator).random(_shape(size)).astype(_float_dtype(dtype)), requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples."""
    check_device(device, "randn")
    return _make(rng(generator).standard_normal(_shape(size)).astype(_float_dtype(dtype)), requires_grad)


def randint(low, high=None, size=(), generator=None, dtype=None, device=None, requires_grad=False):
    """Integers drawn uniformly from [low, high) (int64 by default)."""
    check_device(device, "randint")
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    dtype = _dtype.int64 if dtype is None else _dtype.as_dtype(dtype)
    return _make(rng(generator).integers(low, high, size=_shape((size,))).astype(dtype), requires_grad)


def _like(factory):
    def like(t, *args, dtype=None, device=None, requires_grad=False, **kwargs):
        check_device(device, like.__name__)
        return factory(
            t.shape, *args, dtype=t.dtype if dtype is None else dtype, requires_grad=requires_grad, **kwargs
        )

    like.__name__ = factory.__name__ + "_like"
    like.__doc__ = f"Same as {factory.__name__} with the shape (and by default the dtype) of `t`."
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)
rand_like = _like(rand)
randn_like = _like(randn)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor shaped like `t` filled with `fill_value`."""
    check_device(device, "full_like")
    return full(t.shape, fill_value, dtype=t.dtype if dtype is None else dtype, requires_grad=requires_grad)
