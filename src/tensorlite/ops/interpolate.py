"""F.interpolate: nearest and (bi)linear resampling with PyTorch's index rules, vectorized NumPy, one axis
at a time (both modes are separable), with backward."""

import math
import numbers

import numpy as np

from tensorlite.autograd.function import Function
from tensorlite.ops._util import as_tensor, require_float

_LINEAR_MODES = {"linear": 3, "bilinear": 4, "trilinear": 5}
_UNSUPPORTED_MODES = ("bicubic", "area", "nearest-exact")


def _source_scale(in_size, out_size, scale_factor, align_corners):
    """PyTorch's area_pixel_compute_scale: input pixels per output pixel."""
    if align_corners:
        return (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    return 1.0 / scale_factor if scale_factor else in_size / out_size


def nearest_indices(in_size, out_size, scale_factor):
    """src = min(floor(dst * scale), in - 1), scale = 1/scale_factor or in/out, in float32 as PyTorch."""
    if out_size == in_size:
        return np.arange(out_size)
    if out_size == 2 * in_size:  # PyTorch's shortcut, whatever the scale factor
        return np.arange(out_size) // 2
    scale = np.float32(_source_scale(in_size, out_size, scale_factor, False))
    src = np.floor(np.arange(out_size, dtype=np.float32) * scale).astype(np.int64)
    return np.minimum(src, in_size - 1)


def linear_weights(in_size, out_size, scale_factor, align_corners, dtype):
    """(i0, i1, w0, w1): y[j] = w0[j] x[i0[j]] + w1[j] x[i1[j]], PyTorch's source positions:
    align_corners: src = j * (in-1)/(out-1);  else src = max((j + 0.5) * scale - 0.5, 0)."""
    if out_size == in_size:  # PyTorch copies (whatever the scale factor)
        i0 = np.arange(out_size)
        return i0, i0, np.ones(out_size, dtype), np.zeros(out_size, dtype)
    scale = dtype.type(_source_scale(in_size, out_size, scale_factor, align_corners))
    dst = np.arange(out_size, dtype=dtype)
    src = dst * scale if align_corners else np.maximum((dst + dtype.type(0.5)) * scale - dtype.type(0.5), 0)
    i0 = np.minimum(src.astype(np.int64), in_size - 1)
    i1 = np.minimum(i0 + 1, in_size - 1)
    w1 = np.clip(src - i0, 0, 1).astype(dtype)
    return i0, i1, (1 - w1).astype(dtype), w1


def _segment_sum(values, idx, size, axis):
    """out[i] = sum of values[j] over idx[j] == i along axis (idx non-decreasing): the adjoint of take."""
    shape = list(values.shape)
    shape[axis] = size
    out = np.zeros(shape, values.dtype)
    if len(idx) == 0:
        return out
    starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])
    sums = np.add.reduceat(values, starts, axis=axis)
    index = [slice(None)] * values.ndim
    index[axis] = idx[starts]
    out[tuple(index)] = sums
    return out


class Interpolate(Function):
    """Separable resampling of the spatial axes: per axis, nearest y = x[idx], linear
    y = w0 x[i0] + w1 x[i1]. Backward applies each axis' adjoint (segment sums) in reverse order."""

    def forward(self, x):
        self.in_shape = x.shape
        self.plans = []
        y = x
        for k, (n, m, s) in enumerate(zip(x.shape[2:], self.size, self.scales)):
            axis = 2 + k
            if self.mode == "nearest":
                plan = (nearest_indices(n, m, s),)
                y = np.take(y, plan[0], axis=axis)
            else:
                plan = linear_weights(n, m, s, self.align_corners, x.dtype)
                shape = [1] * x.ndim
                shape[axis] = m
                w0, w1 = plan[2].reshape(shape), plan[3].reshape(shape)
                y = np.take(y, plan[0], axis=axis) * w0 + np.take(y, plan[1], axis=axis) * w1
            self.plans.append(plan)
        return np.ascontiguousarray(y)

    def backward(self, grad):
        for k in reversed(range(len(self.plans))):
            axis, n, plan = 2 + k, self.in_shape[2 + k], self.plans[k]
            if self.mode == "nearest":
                grad = _segment_sum(grad, plan[0], n, axis)
                continue
            shape = [1] * grad.ndim
            shape[axis] = len(plan[0])
            w0, w1 = plan[2].reshape(shape), plan[3].reshape(shape)
            grad = _segment_sum(grad * w0, plan[0], n, axis) + _segment_sum(grad * w1, plan[1], n, axis)
        return (grad,)


def _per_dim(op, name, value, dims, kind):
    """value (a number or a sequence of `dims` numbers) as a tuple of `dims` values."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims
    if len(values) != dims:
        raise ValueError(f"{op}: {name} must have {dims} entries for a {dims + 2}-D input, got {value!r}")
    for v in values:
        if not isinstance(v, kind) or isinstance(v, bool):
            raise TypeError(f"{op}: {name} must hold numbers, got {value!r}")
    return values


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):  # fmt: skip
    """Resize the spatial dimensions of (N, C, L), (N, C, H, W) or (N, C, D, H, W) input to `size` or by `scale_factor`
    (output size floor(in * scale_factor)), PyTorch semantics.

    mode "nearest": y[j] = x[min(floor(j * s), in - 1)], s = 1/scale_factor (if given and
    recompute_scale_factor is not True) else in/out. mode "linear" (3-D) / "bilinear" (4-D) / "trilinear"
    (5-D): linear
    interpolation between the two neighbours of src = j * (in-1)/(out-1) with align_corners=True, else
    src = max((j + 0.5) * s - 0.5, 0) (pixel centres; align_corners defaults to False)."""
    op = "interpolate"
    x = as_tensor(input)
    require_float(op, x)
    if mode in _UNSUPPORTED_MODES or antialias:
        raise NotImplementedError(
            f"{op}: mode {mode!r}{' with antialias' * bool(antialias)} is not supported yet"
        )
    if mode != "nearest" and mode not in _LINEAR_MODES:
        raise ValueError(f"{op}: mode must be 'nearest', 'linear', 'bilinear' or 'trilinear', got {mode!r}")
    if mode == "nearest" and align_corners is not None:
        raise ValueError(
            f"{op}: align_corners={align_corners!r} can only be set with mode linear or bilinear"
        )
    need = (3, 4, 5) if mode == "nearest" else (_LINEAR_MODES[mode],)
    if x.ndim not in need:
        raise ValueError(
            f"{op}: mode {mode!r} expects a {' or '.join(f'{n}-D' for n in need)} input, got shape {x.shape}"
        )
    dims = x.ndim - 2
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: give exactly one of size and scale_factor, got size={size!r}, "
                         f"scale_factor={scale_factor!r}")  # fmt: skip
    if size is not None:
        out = _per_dim(op, "size", size, dims, numbers.Integral)
        if any(m < 1 for m in out):
            raise ValueError(f"{op}: size must be positive, got {size!r}")
        scales = (None,) * dims
    else:
        scales = tuple(float(s) for s in _per_dim(op, "scale_factor", scale_factor, dims, numbers.Real))
        if any(not (math.isfinite(s) and s > 0) for s in scales):
            raise ValueError(f"{op}: scale_factor must be finite and positive, got {scale_factor!r}")
        out = tuple(math.floor(n * s) for n, s in zip(x.shape[2:], scales))
        if any(m < 1 for m in out):
            raise ValueError(
                f"{op}: scale_factor {scale_factor!r} gives an empty output {out} for input {x.shape}"
            )
        if recompute_scale_factor:
            scales = (None,) * dims
    if any(n < 1 for n in x.shape[2:]):
        raise ValueError(f"{op}: input spatial size must be positive, got shape {x.shape}")
    return Interpolate.apply(
        x, size=tuple(int(m) for m in out), scales=scales, mode="nearest" if mode == "nearest" else "linear",
        align_corners=bool(align_corners),
    )  # fmt: skip
