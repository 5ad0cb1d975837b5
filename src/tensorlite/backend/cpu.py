"""The CPU backend: the C++ kernels of tensorlite._C, and the NumPy reshaping some of them need.

A kernel whose binding takes the arrays as the ops hold them is exposed as it is, under the name the ops
use (signatures in src/tensorlite/_C.pyi); the functions below adapt the others (any axis for softmax,
(N, C, *) for the norms, NumPy matmul semantics, non-contiguous optimizer parameters)."""

import math

import numpy as np

from tensorlite import _C

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

gemm = _C.gemm  # (a, b, trans_a, trans_b, alpha, beta, out): C = alpha op(a) op(b) + beta out
activation = _C.activation_forward  # (x, kind): relu / sigmoid / tanh
activation_backward = _C.activation_backward  # (saved, dy, kind): saved is x for relu, y for sigmoid/tanh
parametric_activation = _C.parametric_activation_forward  # (x, kind, a, b)
parametric_activation_backward = _C.parametric_activation_backward  # (x, dy, kind, a, b): dy * f'(x)
conv2d = _C.conv2d_forward
conv2d_backward = _C.conv2d_backward
max_pool2d = _C.max_pool2d_forward
max_pool2d_backward = _C.max_pool2d_backward
avg_pool2d = _C.avg_pool2d_forward
avg_pool2d_backward = _C.avg_pool2d_backward
adaptive_avg_pool2d = _C.adaptive_avg_pool2d_forward
adaptive_avg_pool2d_backward = _C.adaptive_avg_pool2d_backward
lstm_cell = _C.lstm_cell_forward
lstm_cell_backward = _C.lstm_cell_backward
gru_cell = _C.gru_cell_forward
gru_cell_backward = _C.gru_cell_backward
grid_sample = _C.grid_sample_forward
grid_sample_backward = _C.grid_sample_backward


def matmul(a, b):
    """NumPy-semantics matmul (1-D, 2-D, broadcast batches) computed by the C++ GEMM for float data."""
    if a.dtype not in _FLOAT_DTYPES or a.dtype != b.dtype or a.ndim == 0 or b.ndim == 0:
        return np.matmul(a, b)
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    if a2.shape[-1] != b2.shape[-2]:
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} are not aligned ({a2.shape[-1]} != {b2.shape[-2]})"
        )
    if a2.ndim == 2 and b2.ndim == 2:
        out = gemm(a2, b2)
    elif b2.ndim == 2:
        # Batched a times one matrix: fold the batch into the rows, one GEMM.
        out = _C.gemm(rows(a2), b2).reshape(a2.shape[:-1] + (b2.shape[-1],))
    else:
        batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        m, k, n = a2.shape[-2], a2.shape[-1], b2.shape[-1]
        a3 = _as_batch3(a2, batch, (m, k))
        b3 = _as_batch3(b2, batch, (k, n))
        out = _C.gemm(a3, b3).reshape(batch + (m, n))
    if a.ndim == 1:
        out = out[..., 0, :]
    if b.ndim == 1:
        out = out[..., 0]
    return out


def rows(x):
    """x of shape (..., n) as a 2-D (rows, n) array: a view when the layout allows, else a copy.

    Unlike reshape(-1, n) this also works when a dimension is 0."""
    return x.reshape(math.prod(x.shape[:-1]), x.shape[-1])


def _as_batch3(x, batch, mat_shape):
    """View x broadcast to batch + mat_shape as a 3-D (batch, rows, cols) array (stride 0 where broadcast)."""
    full = np.broadcast_to(x, batch + mat_shape)
    if len(batch) == 1:
        return full
    return full.reshape((math.prod(batch),) + mat_shape)


def softmax(x, axis, log=False):
    """Numerically stable (log-)softmax of x along `axis`."""
    if x.size == 0:
        return np.empty_like(x)
    moved = np.moveaxis(x, axis, -1)
    y = _C.softmax_forward(rows(moved), log)
    return np.moveaxis(y.reshape(moved.shape), -1, axis)


def softmax_backward(y, dy, axis, log=False):
    """Gradient of (log-)softmax along `axis` from its output y and upstream gradient dy."""
    if y.size == 0:
        return np.zeros_like(y)
    moved_y = np.moveaxis(y, axis, -1)
    moved_dy = np.moveaxis(dy, axis, -1)
    shape = moved_y.shape
    dx = _C.softmax_backward(rows(moved_y), rows(moved_dy), log)
    return np.moveaxis(dx.reshape(shape), -1, axis)


# ---------------------------------------------------------------- optimizers


def _in_place(kernel):
    """A fused optimizer update from tensorlite._C that also takes a non-contiguous param (updated through
    a contiguous copy) and any array-like grad; arguments after param and grad are keywords, as the
    kernel's."""

    def update(param, grad, **state_and_hyper):
        grad = np.asarray(grad, order="C")
        work = param if param.flags.c_contiguous else np.ascontiguousarray(param)
        kernel(param=work, grad=grad, **state_and_hyper)
        if work is not param:
            param[...] = work

    update.__name__ = update.__qualname__ = kernel.__name__
    update.__doc__ = kernel.__doc__
    return update


# One in-place update of param and its state buffers (C-contiguous arrays of param's dtype and shape);
# the formulas are in cpp/kernels/optim.h.
sgd_step = _in_place(_C.sgd_step)
momentum_step = _in_place(_C.momentum_step)
adagrad_step = _in_place(_C.adagrad_step)
rmsprop_step = _in_place(_C.rmsprop_step)
adam_step = _in_place(_C.adam_step)
adadelta_step = _in_place(_C.adadelta_step)


def grad_norm(grads, norm_type):
    """The norm_type-norm (p > 0 or inf) of float arrays taken together, accumulated in float64."""
    return _C.grad_norm(list(grads), float(norm_type))


def _as_channels3(x):
    """View an (N, C, *) array as (N, C, S) with S the product of the trailing dimensions."""
    return x if x.ndim == 3 else x.reshape(x.shape[0], x.shape[1], math.prod(x.shape[2:]))


def batch_norm_train(x, weight, bias, eps):
    """Batch norm of (N, C, *) x with its own per-channel statistics; returns (y, mean, biased var)."""
    y, mean, var = _C.batchnorm_forward_train(_as_channels3(x), weight, bias, eps)
    return y.reshape(x.shape), mean, var


def batch_norm_eval(x, weight, bias, mean, var, eps):
    """Batch norm of (N, C, *) x with given per-channel mean and variance (e.g. running statistics)."""
    return _C.batchnorm_forward_eval(_as_channels3(x), weight, bias, mean, var, eps).reshape(x.shape)


def batch_norm_backward(x, dy, mean, var, weight, eps, batch_stats):
    """Fused batch-norm gradient; returns (dx, dweight, dbias). batch_stats: mean/var came from x."""
    dx, dweight, dbias = _C.batchnorm_backward(
        _as_channels3(x), _as_channels3(dy), mean, var, weight, eps, batch_stats
    )
    return dx.reshape(x.shape), dweight, dbias


# ---------------------------------------------------------------- layer / group norm, transposed conv


def group_norm(x, weight, bias, groups, eps):
    """Normalize (N, C, *) x over each of `groups` channel groups (and *) per sample, then the per-channel
    affine map; returns (y, mean, rstd), the statistics of shape (N, groups). LayerNorm is groups = 1
    over x viewed as (N, D)."""
    y, mean, rstd = _C.layernorm_forward(_as_channels3(x), weight, bias, groups, eps)
    return y.reshape(x.shape), mean, rstd


def group_norm_backward(x, dy, mean, rstd, weight, groups, need_params):
    """Fused gradient of group_norm: (dx, dweight or None, dbias or None)."""
    dx, dweight, dbias = _C.layernorm_backward(
        _as_channels3(x), _as_channels3(dy), mean, rstd, weight, groups, need_params
    )
    return dx.reshape(x.shape), dweight, dbias


def conv_transpose2d(x, weight, stride, padding, dilation, groups, out_size):
    """NCHW transposed convolution with an (C_in, C_out/groups, kh, kw) weight: the input gradient of the
    conv2d that maps out_size images with C_out channels to x (so output_padding is only the size)."""
    shape = (x.shape[0], weight.shape[1] * groups) + tuple(out_size)
    # conv2d_backward reads its input only for dW, so an unwritten array of the right shape stands in.
    dx, _, _ = _C.conv2d_backward(
        np.empty(shape, x.dtype), weight, x, stride, padding, dilation, groups, True, False, False
    )
    return dx


def conv_transpose2d_backward(x, weight, grad, stride, padding, dilation, groups, need_dx, need_dw):
    """(dx, dweight) of conv_transpose2d, None where not needed: dx = conv2d(grad, weight) cut to x's
    size, dweight = the weight gradient of that conv2d with x as its output gradient."""
    dx = dw = None
    if need_dx:
        dx = _C.conv2d_forward(grad, weight, None, stride, padding, dilation, groups, x.shape[2:])
    if need_dw:
        _, dw, _ = _C.conv2d_backward(grad, weight, x, stride, padding, dilation, groups, False, True, False)
    return dx, dw
