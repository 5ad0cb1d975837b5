"""Matrix product with NumPy semantics (1-D, 2-D, broadcast batches), computed by the C++ GEMM."""

import numpy as np

from tensorlite import backend
from tensorlite.autograd.function import Function
from tensorlite.ops._util import as_tensor, promote, unbroadcast


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
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul: both operands need at least 1 dimension, got shapes {a.shape} and {b.shape}"
        )
    k_a = a.shape[-1]
    k_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if k_a != k_b:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} are not aligned ({k_a} != {k_b})")
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(f"matmul: batch dimensions of {a.shape} and {b.shape} cannot be broadcast") from None
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
    if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear: input of shape {x.shape} does not match weight of shape {weight.shape} "
            f"(expected last input dimension {weight.shape[-1] if weight.ndim else '?'})"
        )
    if bias is not None:
        bias = as_tensor(bias)
        if bias.shape != (weight.shape[0],):
            raise ValueError(
                f"linear: bias has shape {bias.shape} but weight {weight.shape} needs ({weight.shape[0]},)"
            )
        bias = bias if bias.dtype == weight.dtype else bias.astype(weight.dtype)
    lead = x.shape[:-1]
    rows = x.reshape(int(np.prod(lead)), x.shape[-1]) if x.ndim != 2 else x
    operands = (rows, weight) if bias is None else (rows, weight, bias)
    out = Linear.apply(*operands)
    return out if x.ndim == 2 else out.reshape(lead + (weight.shape[0],))
