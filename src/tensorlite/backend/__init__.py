"""Backend dispatch: NumPy arrays in, NumPy arrays out. Ops call these functions, never _C directly."""

from tensorlite.backend.cpu import (
    activation,
    activation_backward,
    batch_norm_backward,
    batch_norm_eval,
    batch_norm_train,
    gemm,
    matmul,
    parametric_activation,
    parametric_activation_backward,
    softmax,
    softmax_backward,
)

__all__ = [
    "activation",
    "activation_backward",
    "batch_norm_backward",
    "batch_norm_eval",
    "batch_norm_train",
    "gemm",
    "matmul",
    "parametric_activation",
    "parametric_activation_backward",
    "softmax",
    "softmax_backward",
]
