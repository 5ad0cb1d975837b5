"""Backend dispatch: NumPy arrays in, NumPy arrays out. Ops call these functions, never _C directly."""

from tensorlite.backend.cpu import grid_sample, grid_sample_backward
from tensorlite.backend.cpu import (
    activation,
    activation_backward,
    adaptive_avg_pool2d,
    adaptive_avg_pool2d_backward,
    avg_pool2d,
    avg_pool2d_backward,
    batch_norm_backward,
    batch_norm_eval,
    batch_norm_train,
    conv2d,
    conv2d_backward,
    gemm,
    matmul,
    max_pool2d,
    max_pool2d_backward,
    parametric_activation,
    parametric_activation_backward,
    rows,
    softmax,
    softmax_backward,
)

__all__ = [
    "activation",
    "activation_backward",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool2d_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
    "batch_norm_backward",
    "batch_norm_eval",
    "batch_norm_train",
    "conv2d",
    "conv2d_backward",
    "gemm",
    "matmul",
    "max_pool2d",
    "max_pool2d_backward",
    "parametric_activation",
    "parametric_activation_backward",
    "rows",
    "softmax",
    "softmax_backward",
]
__all__ += ["grid_sample", "grid_sample_backward"]
