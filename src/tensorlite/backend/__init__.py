"""Backend dispatch: NumPy arrays in, NumPy arrays out. Ops call these functions, never _C directly."""

from tensorlite.backend.cpu import (
    activation,
    activation_backward,
    gemm,
    matmul,
    rows,
    softmax,
    softmax_backward,
)

__all__ = ["activation", "activation_backward", "gemm", "matmul", "rows", "softmax", "softmax_backward"]
