"""Naive NumPy float64 grid sampling and affine grids for tests: a loop over every output point."""

import math

import numpy as np


def _fold(v, lo, hi):
    """v reflected at lo and hi until it lies in [lo, hi] (mirror folding, one bounce at a time)."""
    if lo == hi:
        return lo
    while v < lo or v > hi:
        v = 2 * lo - v if v < lo else 2 * hi - v
    return v


def _source(coord, size, padding_mode, align_corners):
    """Pixel coordinate of a normalized coordinate along an axis of `size` pixels, after padding."""
    if align_corners:
        v = (coord + 1) / 2 * (size - 1)
    else:
        v = ((coord + 1) * size - 1) / 2
    if padding_mode == "reflection":
        v = _fold(v, 0.0, size - 1.0) if align_corners else _fold(v, -0.5, size - 0.5)
    if padding_mode in ("border", "reflection"):
        v = min(max(v, 0.0), size - 1.0)
    return v


def grid_sample_reference(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False):
    """out[n, c, h, w] = x at grid[n, h, w] (normalized (x, y) in [-1, 1]): bilinear weights
    (1 - |ix - tx|)(1 - |iy - ty|) over the 4 neighbours, or the nearest pixel (ties to even); pixels outside
    the input read 0."""
    n, c, h, w = x.shape
    out_h, out_w = grid.shape[1:3]
    out = np.zeros((n, c, out_h, out_w))
    for b in range(n):
        for oh in range(out_h):
            for ow in range(out_w):
                ix = _source(grid[b, oh, ow, 0], w, padding_mode, align_corners)
                iy = _source(grid[b, oh, ow, 1], h, padding_mode, align_corners)
                if mode == "nearest":
                    taps = [(round(iy), round(ix), 1.0)]  # Python's round: half to even
                else:
                    x0, y0 = math.floor(ix), math.floor(iy)
                    taps = [
                        (ty, tx, (1 - abs(ix - tx)) * (1 - abs(iy - ty)))
                        for ty in (y0, y0 + 1)
                        for tx in (x0, x0 + 1)
                    ]
                for ty, tx, weight in taps:
                    if 0 <= ty < h and 0 <= tx < w:
                        out[b, :, oh, ow] += weight * x[b, :, ty, tx]
    return out


def affine_grid_reference(theta, size, align_corners=False):
    """grid[n, h, w] = theta[n] @ (x_w, y_h, 1) with pixel-centre (or, align_corners, corner) coordinates."""
    n, _, h, w = size

    def axis(k):
        if align_corners:
            return [-1.0 + 2.0 * i / (k - 1) if k > 1 else -1.0 for i in range(k)]
        return [(2.0 * i + 1.0) / k - 1.0 for i in range(k)]

    grid = np.zeros((n, h, w, 2))
    for b in range(n):
        for i, yv in enumerate(axis(h)):
            for j, xv in enumerate(axis(w)):
                grid[b, i, j] = theta[b] @ np.array([xv, yv, 1.0])
    return grid
