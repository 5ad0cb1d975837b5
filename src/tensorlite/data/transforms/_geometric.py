"""Geometric augmentation (torchvision's names and semantics): RandomRotation, RandomAffine and
ElasticTransform. Each draws per-sample parameters and resamples the whole (N, C, H, W) batch in one C++
grid_sample call (a single (C, H, W) image is a batch of one)."""

import math
import numbers

import numpy as np

from tensorlite.data.transforms._image import (
    as_images,
    check_fill,
    check_interpolation,
    number_range,
    random_state,
    resample,
    restore,
)


def affine_matrices(angle, scale, shear_x, shear_y):
    """Forward 2x2 maps M = scale R(angle) SHy(shear_y) SHx(shear_x) per sample (torchvision's RSS matrix;
    angles in degrees, clockwise on screen since y points down): R = [[cos, -sin], [sin, cos]],
    SHy = [[1, 0], [-tan sy, 1]], SHx = [[1, -tan sx], [0, 1]]."""
    a, sx, sy = np.radians(angle), np.radians(shear_x), np.radians(shear_y)
    cos, sin, tx, ty = np.cos(a), np.sin(a), np.tan(sx), np.tan(sy)
    # R @ SHy @ SHx written out
    m00, m10 = cos + sin * ty, sin - cos * ty
    m = np.empty(np.shape(a) + (2, 2))
    m[..., 0, 0], m[..., 1, 0] = m00, m10
    m[..., 0, 1], m[..., 1, 1] = -m00 * tx - sin, -m10 * tx + cos
    return m * np.asarray(scale)[..., None, None]


def warp(op, batch, matrices, translate, center, out_hw, interpolation, fill):
    """Output pixel p takes the input at M^-1 (p - c_out - t) + c_in, c_in = `center` (default the image
    centre ((W - 1) / 2, (H - 1) / 2)) and c_out the same point moved with the output's centre. With
    pixel = D n + o (D = diag(W, H) / 2, o the centre) for grid_sample's normalized n, the grid is
    n_in = A n_out + b, A = D_in^-1 M^-1 D_out, b = D_in^-1 (M^-1 (o_out - c_out - t) + c_in - o_in)."""
    h, w = batch.shape[2:]
    out_h, out_w = out_hw
    o_in, o_out = np.array([(w - 1) / 2, (h - 1) / 2]), np.array([(out_w - 1) / 2, (out_h - 1) / 2])
    c_in = o_in if center is None else np.asarray(center, dtype=np.float64)
    c_out = c_in + o_out - o_in
    inverse = np.linalg.inv(matrices)  # (N, 2, 2)
    d_in, d_out = np.array([w / 2, h / 2]), np.array([out_w / 2, out_h / 2])
    a = inverse * d_out[None, None, :] / d_in[None, :, None]
    b = (np.einsum("nij,nj->ni", inverse, o_out - c_out - translate) + c_in - o_in) / d_in
    return resample(op, batch, affine_grid_points(a, b, out_h, out_w, batch.dtype), interpolation, fill)


def affine_grid_points(a, b, out_h, out_w, dtype):
    """(N, H, W, 2) grid[n, h, w] = a[n] @ (x_w, y_h) + b[n] over the normalized pixel centres, built by
    broadcasting (two multiply-adds per value, no per-pixel matrix product); float64 for float64 images,
    else float32 (the precision resampling runs at)."""
    dtype = np.float64 if dtype == np.float64 else np.float32
    xs = ((2 * np.arange(out_w) + 1) / out_w - 1).astype(dtype)
    ys = ((2 * np.arange(out_h) + 1) / out_h - 1).astype(dtype)
    a, b = a.astype(dtype), b.astype(dtype)
    grid = np.empty((a.shape[0], out_h, out_w, 2), dtype=dtype)
    for k in range(2):
        row = a[:, k, 1, None] * ys + b[:, k, None]  # (N, H): the y term and offset, per row
        np.multiply(a[:, k, 0, None, None], xs, out=grid[..., k])
        grid[..., k] += row[:, :, None]
    return grid


def _center(op, center):
    if center is None:
        return None
    if not (
        isinstance(center, (tuple, list))
        and len(center) == 2
        and all(isinstance(v, numbers.Real) for v in center)
    ):
        raise ValueError(f"{op}: center must be None or an (x, y) pair of pixel coordinates, got {center!r}")
    return tuple(float(v) for v in center)


class RandomRotation:
    """Rotate by an angle drawn uniformly from `degrees` ((-d, d) for a number d), counter-clockwise,
    about `center` (default: the image centre). Pixels from outside the input take `fill` (a number or
    one per channel); interpolation 'nearest' (torchvision's default) or 'bilinear'. expand=True enlarges
    the output to hold the whole rotated image (single images only: a batch shares one size)."""

    def __init__(self, degrees, interpolation="nearest", expand=False, center=None, fill=0, generator=None):
        self.degrees = number_range("RandomRotation", "degrees", degrees)
        self.interpolation = check_interpolation("RandomRotation", interpolation)
        self.expand = bool(expand)
        self.center = _center("RandomRotation", center)
        self.fill = check_fill("RandomRotation", fill)
        self.generator = generator

    def __call__(self, img):
        batch, batched, is_tensor = as_images("RandomRotation", img)
        n, _, h, w = batch.shape
        angles = random_state(self.generator).uniform(self.degrees[0], self.degrees[1], size=n)
        # torchvision: rotate(a) = affine(-a)
        m = affine_matrices(-angles, np.ones(n), np.zeros(n), np.zeros(n))
        out_hw = (h, w)
        if self.expand:
            if batched:
                raise ValueError(
                    "RandomRotation: expand=True gives each rotated image its own size; apply it to single "
                    f"(C, H, W) images, not a batch of shape {batch.shape}"
                )
            out_hw = _expanded_size(m[0], h, w)
        return restore(
            warp("RandomRotation", batch, m, np.zeros((n, 2)), self.center, out_hw, self.interpolation, self.fill),
            batched, is_tensor,
        )  # fmt: skip

    def __repr__(self):
        return f"RandomRotation(degrees={self.degrees}, interpolation={self.interpolation!r}, expand={self.expand})"


def _expanded_size(m, h, w):
    """(H, W) of the box holding the image corners mapped by m (torchvision's rule, 1e-4 tolerance)."""
    corners = np.array([[-w, -h], [-w, h], [w, h], [w, -h]]) / 2.0
    mapped = corners @ m.T
    lo, hi = np.floor(mapped.min(axis=0) + 1e-4), np.ceil(mapped.max(axis=0) - 1e-4)
    size = (hi - lo).astype(int)
    return int(size[1]), int(size[0])


class RandomAffine:
    """Random affine map per image (torchvision semantics): rotation by an angle from `degrees`
    (clockwise), translation by (round(u W a), round(v H b)) pixels with u, v ~ U(-1, 1) for
    translate = (a, b), scale from the `scale` range, shear angles from `shear` (a number s: x shear in
    (-s, s); (lo, hi): x shear; 4 values: x then y ranges). Output p takes the input at
    M^-1 (p - c - t) + c with M = scale R SHy SHx (see affine_matrices), c the centre."""

    def __init__(self, degrees, translate=None, scale=None, shear=None, interpolation="nearest", fill=0,
                 center=None, generator=None):  # fmt: skip
        op = "RandomAffine"
        self.degrees = number_range(op, "degrees", degrees)
        if translate is not None and (
            not (isinstance(translate, (tuple, list)) and len(translate) == 2)
            or not all(isinstance(t, numbers.Real) and 0.0 <= t <= 1.0 for t in translate)
        ):
            raise ValueError(f"{op}: translate must be a pair of fractions in [0, 1], got {translate!r}")
        self.translate = translate
        self.scale = None if scale is None else number_range(op, "scale", scale)
        if self.scale is not None and (self.scale[0] <= 0 or not isinstance(scale, (tuple, list))):
            raise ValueError(f"{op}: scale must be a (min, max) pair of positive numbers, got {scale!r}")
        self.shear = self._shear(shear)
        self.interpolation = check_interpolation(op, interpolation)
        self.fill = check_fill(op, fill)
        self.center = _center(op, center)
        self.generator = generator

    @staticmethod
    def _shear(shear):
        if shear is None:
            return None
        if isinstance(shear, (tuple, list)) and len(shear) == 4:
            return number_range("RandomAffine", "shear", shear[:2]) + number_range(
                "RandomAffine", "shear", shear[2:]
            )
        return number_range("RandomAffine", "shear", shear) + (0.0, 0.0)

    def __call__(self, img):
        batch, batched, is_tensor = as_images("RandomAffine", img)
        n, _, h, w = batch.shape
        r = random_state(self.generator)
        angle = r.uniform(*self.degrees, size=n)
        translate = np.zeros((n, 2))
        if self.translate is not None:
            limits = np.array([self.translate[0] * w, self.translate[1] * h])
            translate = np.round(r.uniform(-limits, limits, size=(n, 2)))
        scale = r.uniform(*self.scale, size=n) if self.scale is not None else np.ones(n)
        shear_x, shear_y = np.zeros(n), np.zeros(n)
        if self.shear is not None:
            shear_x = r.uniform(*self.shear[:2], size=n)
            shear_y = r.uniform(*self.shear[2:], size=n)
        m = affine_matrices(angle, scale, shear_x, shear_y)
        out = warp("RandomAffine", batch, m, translate, self.center, (h, w), self.interpolation, self.fill)
        return restore(out, batched, is_tensor)

    def __repr__(self):
        return (
            f"RandomAffine(degrees={self.degrees}, translate={self.translate}, scale={self.scale}, "
            f"shear={self.shear}, interpolation={self.interpolation!r})"
        )


def gaussian_kernel(sigma):
    """torchvision's blur kernel: size int(8 sigma + 1) made odd, weights exp(-x^2 / (2 sigma^2)) summing
    to 1 over x = -(k-1)/2 .. (k-1)/2."""
    k = int(8 * sigma + 1)
    k += 1 - k % 2
    x = np.arange(k) - (k - 1) / 2
    weights = np.exp(-0.5 * (x / sigma) ** 2)
    return weights / weights.sum()


def gaussian_blur(fields, sigma, axis):
    """Blur (..., H, W) fields along `axis` (-2 or -1) with reflect padding."""
    kernel = gaussian_kernel(sigma)
    r = len(kernel) // 2
    pad = [(0, 0)] * fields.ndim
    pad[axis] = (r, r)
    padded = np.pad(fields, pad, mode="reflect")
    size = fields.shape[axis]
    out = np.zeros_like(fields)
    for k, weight in enumerate(kernel):
        out += weight * np.take(padded, np.arange(k, k + size), axis=axis)
    return out


class ElasticTransform:
    """Elastic distortion (Simard et al. 2003, torchvision's ElasticTransform): per image, displacement
    fields dx, dy ~ U(-1, 1) per pixel, each smoothed by a Gaussian of std sigma (kernel int(8 sigma + 1),
    reflect padding) and scaled by alpha / size (in grid_sample's normalized units, i.e. up to alpha / 2
    pixels before smoothing; torchvision divides both by H, here dx by W and dy by H, the same for
    square images); output p takes the input at p + (dx, dy), resampled bilinearly by default. alpha and
    sigma are a number or an (x, y) pair; sigma > 0."""

    def __init__(self, alpha=50.0, sigma=5.0, interpolation="bilinear", fill=0, generator=None):
        self.alpha = self._pair("alpha", alpha, 0.0)
        self.sigma = self._pair("sigma", sigma, None)
        self.interpolation = check_interpolation("ElasticTransform", interpolation)
        self.fill = check_fill("ElasticTransform", fill)
        self.generator = generator

    @staticmethod
    def _pair(name, value, minimum):
        pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
        ok = len(pair) == 2 and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in pair)
        if not ok or not all(math.isfinite(v) and (v >= 0 if minimum == 0.0 else v > 0) for v in pair):
            kind = "non-negative" if minimum == 0.0 else "positive"
            raise ValueError(
                f"ElasticTransform: {name} must be a {kind} number or (x, y) pair, got {value!r}"
            )
        return float(pair[0]), float(pair[1])

    def __call__(self, img):
        batch, batched, is_tensor = as_images("ElasticTransform", img)
        n, _, h, w = batch.shape
        fields = random_state(self.generator).uniform(-1.0, 1.0, size=(n, 2, h, w))
        for i, sigma in enumerate(self.sigma):  # each field smoothed in both directions
            fields[:, i] = gaussian_blur(gaussian_blur(fields[:, i], sigma, -1), sigma, -2)
        scale = np.array([self.alpha[0] / w, self.alpha[1] / h])
        identity = affine_grid_points(np.eye(2)[None], np.zeros((1, 2)), h, w, batch.dtype)
        grid = identity + fields.transpose(0, 2, 3, 1) * scale
        out = resample("ElasticTransform", batch, grid, self.interpolation, self.fill)
        return restore(out, batched, is_tensor)

    def __repr__(self):
        return (
            f"ElasticTransform(alpha={self.alpha}, sigma={self.sigma}, interpolation={self.interpolation!r})"
        )
