"""Matrix product with NumPy semantics (1-D, 2-D, broadcast batches), computed by the C++ GEMM."""

import math

import numpy as np

from tensorlite import backend
from tensorlite.autograd.function import Function
from tensorlite.ops._util import as_tensor, broadcastable, promote, unbroadcast


class MatMul(Function):
    """z = a @ b for a (..., m, k), b (..., k, n);  da = g @ b^T, db = a^T @ g (summed over broadcast batches)"""

    def forward(self, a, b):
        self.a, self.b = a, b
        return backend.matmul(a, b)

    def backward(self, grad):
        a, b = self.a, self.b
        da = db = None
        if self.inputs[0].requires_grad:
            da = unbroadcast(backend.matmul(grad, np.swapaxes(b, -1, -2)), a.shape)
        if self.inputs[1].requires_grad:
            if b.ndim == 2:
                db = backend.gemm(backend.rows(a), backend.rows(grad), trans_a=True)
            else:
                db = unbroadcast(backend.matmul(np.swapaxes(a, -1, -2), grad), b.shape)
        return da, db


def matmul(a, b):
    """Matrix product a @ b with NumPy's rules: 1-D operands are promoted and the added dim removed."""
    a, b = _matmul_operands(a, b)
    shape_a, shape_b = a._array.shape, b._array.shape  # NumPy's tuples: cheaper than tl.Size per check
    if not shape_a or not shape_b:
        raise ValueError(
            f"matmul: both operands need at least 1 dimension, got shapes {a.shape} and {b.shape}"
        )
    k_a = shape_a[-1]
    k_b = shape_b[-2] if len(shape_b) > 1 else shape_b[0]
    if k_a != k_b:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} are not aligned ({k_a} != {k_b})")
    if not broadcastable(shape_a[:-2], shape_b[:-2]):
        raise ValueError(f"matmul: batch dimensions of {a.shape} and {b.shape} cannot be broadcast")
    if len(shape_a) == 2 and len(shape_b) == 2:
        return MatMul.apply(a, b)
    a2 = a.unsqueeze(0) if a.ndim == 1 else a
    b2 = b.unsqueeze(-1) if b.ndim == 1 else b
    out = MatMul.apply(a2, b2)
    if a.ndim == 1:
        out = out.squeeze(-2)
    if b.ndim == 1:
        out = out.squeeze(-1)
    return out


def _matmul_operands(a, b):
    """Coerce both operands to tensors of one dtype (no elementwise broadcasting check)."""
    a, b = as_tensor(a), as_tensor(b)
    if a.dtype != b.dtype:
        target = promote(a.dtype, b.dtype)
        a, b = a.astype(target), b.astype(target)
    return a, b


class Linear(Function):
    """z = x W^T + b for x (N, in), W (out, in), b (out,);  dx = g W, dW = g^T x, db = sum_n g"""

    def forward(self, x, weight, *bias):
        self.x, self.weight = x, weight
        out = backend.gemm(x, weight, trans_b=True)
        if bias:
            out += bias[0]
        return out

    def backward(self, grad):
        dx = backend.gemm(grad, self.weight) if self.inputs[0].requires_grad else None
        dw = backend.gemm(grad, self.x, trans_a=True) if self.inputs[1].requires_grad else None
        if len(self.inputs) == 2:
            return dx, dw
        return dx, dw, grad.sum(axis=0)


def linear(x, weight, bias=None):
    """Affine map y = x W^T + b over the last dimension of x (any leading dimensions)."""
    x, weight = _matmul_operands(x, weight)
    x_shape, w_shape = x._array.shape, weight._array.shape  # NumPy's tuples: cheaper than tl.Size per use
    if len(w_shape) != 2 or not x_shape or x_shape[-1] != w_shape[1]:
        raise ValueError(
            f"linear: input of shape {x.shape} does not match weight of shape {weight.shape} "
            f"(expected last input dimension {weight.shape[-1] if weight.ndim else '?'})"
        )
    if bias is not None:
        bias = as_tensor(bias)
        if bias._array.shape != (w_shape[0],):
            raise ValueError(
                f"linear: bias has shape {bias.shape} but weight {weight.shape} needs ({w_shape[0]},)"
            )
        bias = bias if bias.dtype == weight.dtype else bias.astype(weight.dtype)
    if len(x_shape) == 2:
        return Linear.apply(x, weight) if bias is None else Linear.apply(x, weight, bias)
    lead = x_shape[:-1]
    rows = x.reshape(math.prod(lead), x_shape[-1])
    out = Linear.apply(rows, weight) if bias is None else Linear.apply(rows, weight, bias)
    return out.reshape(lead + (w_shape[0],))
