"""Spatial sampling (PyTorch's affine_grid and grid_sample, 4-D NCHW): the sampling kernel, forward and
backward (d input, d grid), is C++ (cpp/kernels/grid_sample.h); the affine grid is one batched matmul."""

import numbers

import numpy as np

from tensorlite import backend
from tensorlite.autograd.function import Function
from tensorlite.ops._util import as_tensor, require_float

_MODES = {"bilinear": 0, "nearest": 1}
_PADDING_MODES = {"zeros": 0, "border": 1, "reflection": 2}


class GridSample(Function):
    """y[n, c, h, w] = sum over the bilinear taps (tx, ty) of x[n, c, ty, tx] (1 - |ix - tx|)(1 - |iy - ty|)
    with (ix, iy) = unnormalize(grid[n, h, w]);  dx[n, c, ty, tx] += weight * dy,
    d grid = sum_c dy * x[tap] * d weight / d(ix, iy) * d(ix, iy) / d grid"""

    def forward(self, x, grid):
        self.x, self.grid = x, grid
        return backend.grid_sample(x, grid, self.mode, self.padding, self.align_corners)

    def backward(self, grad):
        return backend.grid_sample_backward(
            self.x, self.grid, grad, self.mode, self.padding, self.align_corners,
            self.inputs[0].requires_grad, self.inputs[1].requires_grad,
        )  # fmt: skip


class AffineGrid(Function):
    """grid[n, h, w] = theta[n] @ (x_w, y_h, 1);  d theta[n] = sum_{h, w} d grid[n, h, w] (x_w, y_h, 1)^T"""

    def forward(self, theta):
        n, h, w = self.size
        self.base = base_grid(h, w, self.align_corners, theta.dtype)  # (H*W, 3)
        return np.matmul(self.base, theta.transpose(0, 2, 1)).reshape(n, h, w, 2)

    def backward(self, grad):
        n = grad.shape[0]
        return (np.matmul(grad.reshape(n, -1, 2).transpose(0, 2, 1), self.base),)


def base_grid(h, w, align_corners, dtype=np.float64):
    """The (H*W, 3) rows (x, y, 1) of the identity grid in normalized coordinates: pixel centres at
    (2i + 1) / size - 1, or corners at -1 + 2i / (size - 1) with align_corners (a size of 1 gives -1 then,
    0 otherwise, as PyTorch)."""

    def axis(size):
        if align_corners:
            return np.linspace(-1.0, 1.0, size)
        return (2.0 * np.arange(size) + 1.0) / size - 1.0

    ys, xs = np.meshgrid(axis(h), axis(w), indexing="ij")
    return np.stack([xs.ravel(), ys.ravel(), np.ones(h * w)], axis=1).astype(dtype)


def affine_grid(theta, size, align_corners=False):
    """The sampling grid of a batch of 2-D affine maps, PyTorch semantics.

    theta: (N, 2, 3) float; size: the output size (N, C, H, W). grid[n, h, w] = theta[n] @ (x_w, y_h, 1)^T
    with (x_w, y_h) the normalized pixel-centre coordinates (pixel corners with align_corners); returns
    (N, H, W, 2) for grid_sample. Differentiable with respect to theta.
    """
    theta = as_tensor(theta)
    require_float("affine_grid", theta)
    if not isinstance(size, (tuple, list)) or len(size) != 4:
        raise ValueError(f"affine_grid: size must be a 4-element (N, C, H, W) sequence, got {size!r}")
    if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 1 for s in size):
        raise ValueError(f"affine_grid: size must hold positive ints, got {tuple(size)!r}")
    n, _, h, w = (int(s) for s in size)
    if theta.shape != (n, 2, 3):
        raise ValueError(
            f"affine_grid: theta must have shape (N, 2, 3) = ({n}, 2, 3) for size {tuple(size)}, "
            f"got {theta.shape}"
        )
    return AffineGrid.apply(theta, size=(n, h, w), align_corners=bool(align_corners))


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=False):
    """Sample an (N, C, H, W) input at the points of an (N, H_out, W_out, 2) grid, PyTorch semantics.

    grid[..., 0] is x (the width axis), grid[..., 1] y, both normalized to [-1, 1]: ix = ((x + 1) W - 1) / 2
    (pixel centres), or ((x + 1) / 2)(W - 1) with align_corners (pixel corners). mode 'bilinear':
    y = sum of the 4 neighbouring pixels times (1 - |ix - tx|)(1 - |iy - ty|); 'nearest': the pixel at
    (round(iy), round(ix)). padding_mode: 'zeros' (outside reads 0), 'border' (coordinates clipped) or
    'reflection' (reflected at the borders). Returns (N, C, H_out, W_out); differentiable with respect to
    input and grid (the grid gradient is 0 for 'nearest').
    """
    x, grid = as_tensor(input), as_tensor(grid)
    require_float("grid_sample", x)
    if x.ndim != 4:
        raise ValueError(f"grid_sample: expected a 4-D input (N, C, H, W), got shape {x.shape}")
    if grid.dtype != x.dtype:
        raise TypeError(f"grid_sample: input dtype {x.dtype} and grid dtype {grid.dtype} differ")
    if grid.ndim != 4 or grid.shape[3] != 2 or grid.shape[0] != x.shape[0]:
        raise ValueError(
            f"grid_sample: grid must have shape (N, H_out, W_out, 2) with N = {x.shape[0]}, got {grid.shape}"
        )
    if min(x.shape[2:]) < 1:
        raise ValueError(f"grid_sample: input of shape {x.shape} has an empty spatial dimension")
    if not isinstance(mode, str) or mode not in _MODES:
        raise ValueError(f"grid_sample: mode must be one of {sorted(_MODES)}, got {mode!r}")
    if not isinstance(padding_mode, str) or padding_mode not in _PADDING_MODES:
        raise ValueError(
            f"grid_sample: padding_mode must be one of {sorted(_PADDING_MODES)}, got {padding_mode!r}"
        )
    if not isinstance(align_corners, (bool, numbers.Integral)):
        raise TypeError(f"grid_sample: align_corners must be a bool, got {align_corners!r}")
    return GridSample.apply(
        x, grid, mode=_MODES[mode], padding=_PADDING_MODES[padding_mode], align_corners=bool(align_corners)
    )
