"""What the transforms share: image validation, array/Tensor round trips, random draws, fill values and
resampling through the C++ grid_sample kernel."""

import numbers

import numpy as np

from tensorlite import backend
from tensorlite.random import rng
from tensorlite.tensor import Tensor

INTERPOLATIONS = {"bilinear": 0, "nearest": 1}


def as_images(op, img):
    """(array (N, C, H, W), batched, is_tensor): a CHW image becomes a batch of one (a view, no copy).
    ValueError for anything that is not a float or uint8 image or batch of images."""
    is_tensor = isinstance(img, Tensor)
    if not is_tensor and not isinstance(img, np.ndarray):
        raise TypeError(f"{op}: expected a tl.Tensor or numpy array image, got {type(img).__name__}")
    arr = img._array if is_tensor else img
    if arr.ndim not in (3, 4):
        raise ValueError(
            f"{op}: expected an image (C, H, W) or a batch of images (N, C, H, W), got shape {arr.shape}"
        )
    if not (np.issubdtype(arr.dtype, np.floating) or arr.dtype == np.uint8):
        raise ValueError(f"{op}: expected float or uint8 image values, got dtype {arr.dtype}")
    if min(arr.shape[-2:]) < 1:
        raise ValueError(f"{op}: image of shape {arr.shape} has an empty spatial dimension")
    return (arr if arr.ndim == 4 else arr[None]), arr.ndim == 4, is_tensor


def restore(batch, batched, is_tensor):
    """Undo as_images: drop the batch axis of a single image, wrap a Tensor input's result in a Tensor."""
    out = batch if batched else batch[0]
    return Tensor._wrap(out) if is_tensor else out


def random_state(generator):
    """The numpy Generator to draw from: `generator`'s, else tl's global one (seeded per DataLoader worker)."""
    return rng(generator)


def number_range(op, name, value, center=0.0, minimum=None):
    """A number d as (center - d, center + d) (d >= 0), or a 2-sequence (lo, hi) with lo <= hi."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{op}: {name} must be non-negative when a single number, got {value!r}")
        lo, hi = center - float(value), center + float(value)
    elif (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value)
    ):
        lo, hi = float(value[0]), float(value[1])
        if lo > hi:
            raise ValueError(f"{op}: {name} must be (min, max) with min <= max, got {value!r}")
    else:
        raise ValueError(f"{op}: {name} must be a number or a (min, max) pair, got {value!r}")
    if minimum is not None and lo < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return lo, hi


def check_fill(op, fill):
    """fill as a float or a tuple of per-channel floats."""
    if isinstance(fill, numbers.Real) and not isinstance(fill, bool):
        return float(fill)
    if isinstance(fill, (tuple, list)) and fill and all(isinstance(v, numbers.Real) for v in fill):
        return tuple(float(v) for v in fill)
    raise ValueError(f"{op}: fill must be a number or a sequence of per-channel numbers, got {fill!r}")


def fill_array(op, fill, channels):
    """fill broadcastable against (N, C, H, W); ValueError when a per-channel fill has the wrong length."""
    if isinstance(fill, tuple):
        if len(fill) not in (1, channels):
            raise ValueError(f"{op}: fill has {len(fill)} values but the image has {channels} channels")
        return np.asarray(fill).reshape(1, -1, 1, 1)
    return np.asarray(fill)


def check_interpolation(op, interpolation):
    if interpolation not in INTERPOLATIONS:
        raise ValueError(
            f"{op}: interpolation must be one of {sorted(INTERPOLATIONS)}, got {interpolation!r}"
        )
    return interpolation


def resample(op, batch, grid, interpolation, fill):
    """grid_sample of the whole (N, C, H, W) batch at grid (N, H_out, W_out, 2) (zeros padding, pixel
    centres); the outside is `fill`: out + (1 - coverage) * fill, coverage being the sampled all-ones image
    (for 'nearest', pixels with coverage < 1/2 take fill). uint8 input is resampled in float32, then
    rounded and clipped back."""
    dtype = (
        batch.dtype if np.issubdtype(batch.dtype, np.floating) and batch.dtype.itemsize >= 4 else np.float32
    )
    x = np.ascontiguousarray(batch, dtype=dtype)
    mode = INTERPOLATIONS[interpolation]
    fill_values = fill_array(op, fill, x.shape[1])
    has_fill = np.any(fill_values != 0)
    if has_fill:  # one more channel of ones tells how much of each output pixel lies inside the input
        x = np.concatenate([x, np.ones_like(x[:, :1])], axis=1)
    out = backend.grid_sample(x, grid.astype(dtype, copy=False), mode, 0, False)
    if has_fill:
        out, coverage = out[:, :-1], out[:, -1:]
        if mode == INTERPOLATIONS["nearest"]:
            out = np.where(coverage < 0.5, fill_values.astype(dtype), out)
        else:
            out = out + (1 - coverage) * fill_values.astype(dtype)
    if batch.dtype == np.uint8:
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return out.astype(batch.dtype, copy=False)
