"""Typed signatures of tensorlite._C, the C++ kernels (cpp/bindings/). Arrays are NumPy arrays; a float
array is float32 or float64, every array of one call the same dtype. Inputs of any layout are accepted (a
contiguous copy is made where a kernel needs one); outputs are new C-contiguous arrays, except the fused
optimizer updates, which write param and their state in place. Bad input raises TypeError or ValueError.
tests/test_c_stub.py checks this file against the module."""
# ruff: noqa: N999  (the module's name is pybind11's _C)

from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

FloatArray: TypeAlias = NDArray[np.floating[Any]]
Pair: TypeAlias = tuple[int, int]

compiler: str
cuda_enabled: bool

# ---------------------------------------------------------------- GEMM (cpp/bindings/gemm.cpp)

def gemm(
    a: FloatArray,
    b: FloatArray,
    trans_a: bool = False,
    trans_b: bool = False,
    alpha: float = 1.0,
    beta: float = 0.0,
    out: FloatArray | None = None,
) -> FloatArray: ...
def gemm_isa() -> str: ...
def set_gemm_isa(name: str) -> None: ...
def gemm_config() -> dict[str, Any]: ...
def gemm_kernel_variants() -> list[str]: ...
def set_gemm_kernel(name: str) -> None: ...
def gemm_kernel() -> str: ...

# ---------------------------------------------------------------- normalization and activations
# (cpp/bindings/norm_activation.cpp)

def softmax_forward(x: FloatArray, log: bool = False) -> FloatArray: ...
def softmax_backward(y: FloatArray, dy: FloatArray, log: bool = False) -> FloatArray: ...
def activation_forward(x: FloatArray, kind: str) -> FloatArray: ...
def activation_backward(saved: FloatArray, dy: FloatArray, kind: str) -> FloatArray: ...
def parametric_activation_forward(x: FloatArray, kind: str, a: float = 0.0, b: float = 0.0) -> FloatArray: ...
def parametric_activation_backward(
    x: FloatArray, dy: FloatArray, kind: str, a: float = 0.0, b: float = 0.0
) -> FloatArray: ...
def batchnorm_forward_train(
    x: FloatArray, weight: FloatArray | None, bias: FloatArray | None, eps: float
) -> tuple[FloatArray, FloatArray, FloatArray]: ...
def batchnorm_forward_eval(
    x: FloatArray,
    weight: FloatArray | None,
    bias: FloatArray | None,
    mean: FloatArray,
    var: FloatArray,
    eps: float,
) -> FloatArray: ...
def batchnorm_backward(
    x: FloatArray,
    dy: FloatArray,
    mean: FloatArray,
    var: FloatArray,
    weight: FloatArray | None,
    eps: float,
    batch_stats: bool,
) -> tuple[FloatArray, FloatArray, FloatArray]: ...
def batchnorm_isa() -> str: ...
def batchnorm_available_isas() -> list[str]: ...
def set_batchnorm_isa(name: str) -> None: ...
def layernorm_forward(
    x: FloatArray, weight: FloatArray | None, bias: FloatArray | None, groups: int, eps: float
) -> tuple[FloatArray, FloatArray, FloatArray]: ...
def layernorm_backward(
    x: FloatArray,
    dy: FloatArray,
    mean: FloatArray,
    rstd: FloatArray,
    weight: FloatArray | None,
    groups: int,
    need_params: bool,
) -> tuple[FloatArray, FloatArray | None, FloatArray | None]: ...

# ---------------------------------------------------------------- convolution and pooling
# (cpp/bindings/conv_pool.cpp)

def conv2d_forward(
    x: FloatArray,
    weight: FloatArray,
    bias: FloatArray | None,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    groups: int,
    out_size: Pair,
) -> FloatArray: ...
def conv2d_backward(
    x: FloatArray,
    weight: FloatArray,
    grad_output: FloatArray,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    groups: int,
    need_dx: bool,
    need_dw: bool,
    need_db: bool,
) -> tuple[FloatArray | None, FloatArray | None, FloatArray | None]: ...
def conv2d_algorithm(
    x: FloatArray,
    weight: FloatArray,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    groups: int,
    out_size: Pair,
) -> tuple[str, str]: ...
def conv2d_algorithm_override() -> str: ...
def set_conv2d_algorithm(name: str) -> None: ...
def max_pool2d_forward(
    x: FloatArray,
    kernel_size: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    out_size: Pair,
    save_indices: bool,
) -> tuple[FloatArray, NDArray[np.int64] | None]: ...
def max_pool2d_backward(
    grad_output: FloatArray, indices: NDArray[np.int64], input_size: Pair
) -> FloatArray: ...
def avg_pool2d_forward(
    x: FloatArray,
    kernel_size: Pair,
    stride: Pair,
    padding: Pair,
    out_size: Pair,
    count_include_pad: bool,
    divisor_override: int,
) -> FloatArray: ...
def avg_pool2d_backward(
    grad_output: FloatArray,
    input_size: Pair,
    kernel_size: Pair,
    stride: Pair,
    padding: Pair,
    count_include_pad: bool,
    divisor_override: int,
) -> FloatArray: ...
def adaptive_avg_pool2d_forward(x: FloatArray, out_size: Pair) -> FloatArray: ...
def adaptive_avg_pool2d_backward(grad_output: FloatArray, input_size: Pair) -> FloatArray: ...

# ---------------------------------------------------------------- fused optimizer updates, in place
# (cpp/bindings/optim.cpp)

def sgd_step(
    *,
    param: FloatArray,
    grad: FloatArray,
    lr: float,
    momentum_buffer: FloatArray | None = None,
    momentum: float = 0.0,
    dampening: float = 0.0,
    weight_decay: float = 0.0,
    nesterov: bool = False,
    maximize: bool = False,
    first_step: bool = False,
) -> None: ...
def momentum_step(
    *, param: FloatArray, grad: FloatArray, velocity: FloatArray, lr: float, mu: float
) -> None: ...
def adagrad_step(
    *,
    param: FloatArray,
    grad: FloatArray,
    sum: FloatArray,
    clr: float,
    eps: float,
    weight_decay: float = 0.0,
    maximize: bool = False,
) -> None: ...
def rmsprop_step(
    *,
    param: FloatArray,
    grad: FloatArray,
    square_avg: FloatArray,
    lr: float,
    alpha: float,
    eps: float,
    grad_avg: FloatArray | None = None,
    momentum_buffer: FloatArray | None = None,
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    maximize: bool = False,
) -> None: ...
def adam_step(
    *,
    param: FloatArray,
    grad: FloatArray,
    exp_avg: FloatArray,
    exp_avg_sq: FloatArray,
    beta1: float,
    beta2: float,
    eps: float,
    step_size: float,
    bc2_sqrt: float,
    max_exp_avg_sq: FloatArray | None = None,
    weight_decay: float = 0.0,
    param_decay: float = 1.0,
    grad_coef: float = 0.0,
    maximize: bool = False,
) -> None: ...
def adadelta_step(
    *,
    param: FloatArray,
    grad: FloatArray,
    square_avg: FloatArray,
    acc_delta: FloatArray,
    lr: float,
    rho: float,
    eps: float,
    weight_decay: float = 0.0,
    maximize: bool = False,
) -> None: ...
def optim_isa() -> str: ...
def optim_available_isas() -> list[str]: ...
def set_optim_isa(name: str) -> None: ...
def grad_norm(grads: list[FloatArray], norm_type: float) -> float: ...

# ---------------------------------------------------------------- recurrent cells (cpp/bindings/rnn.cpp)

def lstm_cell_forward(
    xw: FloatArray, hw: FloatArray, b_ih: FloatArray | None, b_hh: FloatArray | None, c_prev: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]: ...
def lstm_cell_backward(
    gates: FloatArray, c_prev: FloatArray, c: FloatArray, dh: FloatArray, dc: FloatArray | None
) -> tuple[FloatArray, FloatArray]: ...
def gru_cell_forward(
    xw: FloatArray, hw: FloatArray, b_ih: FloatArray | None, b_hh: FloatArray | None, h_prev: FloatArray
) -> tuple[FloatArray, FloatArray]: ...
def gru_cell_backward(
    saved: FloatArray, h_prev: FloatArray, dh: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]: ...

# ---------------------------------------------------------------- grid sampling (cpp/bindings/sample.cpp)

def grid_sample_forward(
    input: FloatArray, grid: FloatArray, mode: int, padding: int, align_corners: bool
) -> FloatArray: ...
def grid_sample_backward(
    input: FloatArray,
    grid: FloatArray,
    grad_output: FloatArray,
    mode: int,
    padding: int,
    align_corners: bool,
    need_input: bool,
    need_grid: bool,
) -> tuple[FloatArray | None, FloatArray | None]: ...

# ---------------------------------------------------------------- runtime (cpp/bindings/runtime.cpp)

def get_num_threads() -> int: ...
def set_num_threads(n: int) -> None: ...
def openmp_enabled() -> bool: ...
def cpu_isa() -> str: ...
def measure_clock_ghz() -> float: ...

# ---------------------------------------------------------------- measured kernel choice
# (cpp/bindings/autotune.cpp)

def autotune_enabled() -> bool: ...
def set_autotune(on: bool) -> None: ...
def autotune_entries() -> list[dict[str, Any]]: ...
def autotune_clear() -> None: ...
def autotune_load(entries: list[dict[str, Any]]) -> int: ...

# ---------------------------------------------------------------- large output blocks and their cache
# (cpp/bindings/block_cache.cpp)

def block_cache_info() -> dict[str, int]: ...
def block_cache_clear() -> None: ...
def is_block_owner(obj: object) -> bool: ...
