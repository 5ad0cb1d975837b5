"""Backend dispatch: NumPy arrays in, NumPy arrays out. Ops call these functions, never _C directly."""

from tensorlite.backend.cpu import (
    activation,
    activation_backward,
    adaptive_avg_pool2d,
    adaptive_avg_pool2d_backward,
    avg_pool2d,
    avg_pool2d_backward,
    conv2d,
    conv2d_backward,
    gemm,
    matmul,
    max_pool2d,
    max_pool2d_backward,
    softmax,
    softmax_backward,
)

__all__ = [
    "activation", "activation_backward", "gemm", "matmul", "softmax", "softmax_backward",
    "conv2d", "conv2d_backward", "max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward",
    "adaptive_avg_pool2d", "adaptive_avg_pool2d_backward",
]  # fmt: skip
