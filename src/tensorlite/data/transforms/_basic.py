"""Non-resampling transforms (torchvision's names and semantics): Compose, ToTensor, Normalize, random
flips, RandomCrop and RandomErasing. Random ones draw per-sample parameters for an (N, C, H, W) batch."""

import math
import numbers

import numpy as np

from tensorlite.data.transforms._image import (
    as_images,
    check_fill,
    fill_array,
    number_range,
    random_state,
    restore,
)
from tensorlite.tensor import Tensor


class Compose:
    """Apply the transforms in order: Compose([a, b])(x) = b(a(x))."""

    def __init__(self, transforms):
        transforms = list(transforms)
        for t in transforms:
            if not callable(t):
                raise TypeError(f"Compose: every transform must be callable, got {t!r}")
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        return "Compose([" + ", ".join(repr(t) for t in self.transforms) + "])"


class ToTensor:
    """An (H, W, C) or (H, W) numpy image (or an (N, H, W, C) batch) to a CHW (NCHW) tl.Tensor; uint8
    values are scaled to float32 in [0, 1] (x / 255), other dtypes keep their values (torchvision's rule)."""

    def __call__(self, pic):
        arr = pic._array if isinstance(pic, Tensor) else pic
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"ToTensor: expected a numpy array (H, W, C), got {type(pic).__name__}")
        if arr.ndim not in (2, 3, 4):
            raise ValueError(
                f"ToTensor: expected an image (H, W) or (H, W, C) or a batch (N, H, W, C), got shape {arr.shape}"
            )
        if not (np.issubdtype(arr.dtype, np.number) and not np.issubdtype(arr.dtype, np.complexfloating)):
            raise ValueError(f"ToTensor: expected real image values, got dtype {arr.dtype}")
        if arr.ndim == 2:
            arr = arr[:, :, None]
        arr = np.moveaxis(arr, -1, -3)
        arr = arr.astype(np.float32) / 255.0 if arr.dtype == np.uint8 else arr.copy()
        return Tensor._wrap(np.ascontiguousarray(arr))

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    """out[c] = (x[c] - mean[c]) / std[c] per channel of a float (C, H, W) image or (N, C, H, W) batch;
    inplace=True writes into the input."""

    def __init__(self, mean, std, inplace=False):
        self.mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
        self.std = np.atleast_1d(np.asarray(std, dtype=np.float64))
        if self.mean.ndim != 1 or self.std.ndim != 1:
            raise ValueError(f"Normalize: mean and std must be numbers or sequences, got {mean!r}, {std!r}")
        if np.any(self.std == 0) or not np.all(np.isfinite(self.std)):
            raise ValueError(f"Normalize: std must be finite and non-zero, got {std!r}")
        self.inplace = bool(inplace)

    def __call__(self, img):
        batch, batched, is_tensor = as_images("Normalize", img)
        if not np.issubdtype(batch.dtype, np.floating):
            raise ValueError(
                f"Normalize: expected a float image, got dtype {batch.dtype} (apply ToTensor first)"
            )
        c = batch.shape[1]
        for name, v in (("mean", self.mean), ("std", self.std)):
            if len(v) not in (1, c):
                raise ValueError(f"Normalize: {name} has {len(v)} values but the image has {c} channels")
        mean = self.mean.astype(batch.dtype).reshape(1, -1, 1, 1)
        std = self.std.astype(batch.dtype).reshape(1, -1, 1, 1)
        if self.inplace:
            if is_tensor:
                img._check_inplace()  # an in-place write: refused under autograd, counted in the version
            batch -= mean
            batch /= std
            return img
        return restore((batch - mean) / std, batched, is_tensor)

    def __repr__(self):
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


def _probability(op, p):
    if not isinstance(p, numbers.Real) or isinstance(p, bool) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: p must be a probability in [0, 1], got {p!r}")
    return float(p)


class _RandomFlip:
    axis = -1

    def __init__(self, p=0.5, generator=None):
        self.p = _probability(type(self).__name__, p)
        self.generator = generator

    def __call__(self, img):
        batch, batched, is_tensor = as_images(type(self).__name__, img)
        flip = random_state(self.generator).random(batch.shape[0]) < self.p
        out = batch.copy()
        out[flip] = np.flip(batch[flip], axis=self.axis)
        return restore(out, batched, is_tensor)

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


class RandomHorizontalFlip(_RandomFlip):
    """Mirror left-right (x[..., ::-1]) with probability p, independently per image."""

    axis = -1


class RandomVerticalFlip(_RandomFlip):
    """Mirror top-bottom (x[..., ::-1, :]) with probability p, independently per image."""

    axis = -2


def _size_pair(op, name, size):
    pair = (
        (size, size)
        if isinstance(size, numbers.Integral)
        else tuple(size)
        if isinstance(size, (tuple, list))
        else ()
    )
    if len(pair) != 2 or not all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) and s > 0 for s in pair
    ):
        raise ValueError(f"{op}: {name} must be a positive int or an (h, w) pair of them, got {size!r}")
    return int(pair[0]), int(pair[1])


_PAD_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}


class RandomCrop:
    """Crop a size = (h, w) window at a uniformly random position (per image), after padding the borders by
    `padding` (an int, (left/right, top/bottom) or (left, top, right, bottom); torchvision's order) and,
    with pad_if_needed, up to the crop size. padding_mode: 'constant' (fill), 'edge', 'reflect' or
    'symmetric' (numpy.pad's modes of the same names)."""

    def __init__(
        self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant", generator=None
    ):
        self.size = _size_pair("RandomCrop", "size", size)
        self.padding = self._padding(padding)
        self.pad_if_needed = bool(pad_if_needed)
        self.fill = check_fill("RandomCrop", fill)
        if padding_mode not in _PAD_MODES:
            raise ValueError(
                f"RandomCrop: padding_mode must be one of {sorted(_PAD_MODES)}, got {padding_mode!r}"
            )
        self.padding_mode = padding_mode
        self.generator = generator

    @staticmethod
    def _padding(padding):
        """(left, top, right, bottom)."""
        if padding is None:
            return (0, 0, 0, 0)
        p = (
            (padding,)
            if isinstance(padding, numbers.Integral)
            else tuple(padding)
            if isinstance(padding, (tuple, list))
            else ()
        )
        if len(p) not in (1, 2, 4) or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 0 for v in p
        ):
            raise ValueError(
                f"RandomCrop: padding must be a non-negative int or a sequence of 2 or 4, got {padding!r}"
            )
        return tuple(int(v) for v in (p * 4 if len(p) == 1 else p * 2 if len(p) == 2 else p))

    def __call__(self, img):
        batch, batched, is_tensor = as_images("RandomCrop", img)
        left, top, right, bottom = self.padding
        h, w = self.size
        if self.pad_if_needed:
            top_bottom = max(0, h - (batch.shape[2] + top + bottom))
            left_right = max(0, w - (batch.shape[3] + left + right))
            left, right, top, bottom = (
                left + left_right,
                right + left_right,
                top + top_bottom,
                bottom + top_bottom,
            )
        padded = self._pad(batch, left, top, right, bottom)
        n, c, ph, pw = padded.shape
        if ph < h or pw < w:
            raise ValueError(
                f"RandomCrop: crop size {self.size} is larger than the (padded) image {(ph, pw)}"
            )
        r = random_state(self.generator)
        tops, lefts = r.integers(0, ph - h + 1, size=n), r.integers(0, pw - w + 1, size=n)
        rows = (tops[:, None] + np.arange(h))[:, None, :, None]
        cols = (lefts[:, None] + np.arange(w))[:, None, None, :]
        out = padded[np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None], rows, cols]
        return restore(out, batched, is_tensor)

    def _pad(self, batch, left, top, right, bottom):
        if not (left or top or right or bottom):
            return batch
        widths = ((0, 0), (0, 0), (top, bottom), (left, right))
        if self.padding_mode != "constant":
            return np.pad(batch, widths, mode=self.padding_mode)
        out = np.pad(batch, widths, mode="constant")
        fill = fill_array("RandomCrop", self.fill, batch.shape[1])
        if np.any(fill != 0):
            mask = np.ones(out.shape[2:], dtype=bool)
            mask[top : top + batch.shape[2], left : left + batch.shape[3]] = False
            out[:, :, mask] = np.broadcast_to(fill.reshape(1, -1, 1), (out.shape[0], out.shape[1], 1)).astype(
                out.dtype
            )
        return out

    def __repr__(self):
        return f"RandomCrop(size={self.size}, padding={self.padding}, padding_mode={self.padding_mode!r})"


class RandomErasing:
    """With probability p (per image), overwrite a random rectangle (Zhong et al. 2017, torchvision's
    algorithm): area ~ U(scale) of the image, log aspect ratio ~ U(log ratio), h = round(sqrt(area ratio)),
    w = round(sqrt(area / ratio)), up to 10 tries to fit inside; value 0, a number, one per channel, or
    'random' (standard normal noise). Float images only (apply after ToTensor)."""

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False, generator=None):
        self.p = _probability("RandomErasing", p)
        self.scale = number_range("RandomErasing", "scale", scale, minimum=0.0)
        self.ratio = number_range("RandomErasing", "ratio", ratio)
        if not isinstance(scale, (tuple, list)) or self.scale[1] > 1:
            raise ValueError(f"RandomErasing: scale must be a (min, max) pair within [0, 1], got {scale!r}")
        if not isinstance(ratio, (tuple, list)) or self.ratio[0] <= 0:
            raise ValueError(
                f"RandomErasing: ratio must be a (min, max) pair of positive numbers, got {ratio!r}"
            )
        self.value = (
            value if isinstance(value, str) and value == "random" else check_fill("RandomErasing", value)
        )
        self.inplace = bool(inplace)
        self.generator = generator

    def __call__(self, img):
        batch, batched, is_tensor = as_images("RandomErasing", img)
        if not np.issubdtype(batch.dtype, np.floating):
            raise ValueError(
                f"RandomErasing: expected a float image, got dtype {batch.dtype} (apply ToTensor first)"
            )
        if self.inplace and is_tensor:
            img._check_inplace()  # an in-place write: refused under autograd, counted in the version
        out = batch if self.inplace else batch.copy()
        n, c, h, w = out.shape
        r = random_state(self.generator)
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for i in np.flatnonzero(r.random(n) < self.p):
            for _ in range(10):
                area = h * w * r.uniform(*self.scale)
                aspect = math.exp(r.uniform(*log_ratio))
                eh, ew = round(math.sqrt(area * aspect)), round(math.sqrt(area / aspect))
                if eh < h and ew < w:
                    y, x = int(r.integers(0, h - eh + 1)), int(r.integers(0, w - ew + 1))
                    if self.value == "random":
                        patch = r.standard_normal((c, eh, ew))
                    else:
                        patch = fill_array("RandomErasing", self.value, c).reshape(-1, 1, 1)
                    out[i, :, y : y + eh, x : x + ew] = patch
                    break
        if self.inplace:
            return img
        return restore(out, batched, is_tensor)

    def __repr__(self):
        return f"RandomErasing(p={self.p}, scale={self.scale}, ratio={self.ratio}, value={self.value!r})"
