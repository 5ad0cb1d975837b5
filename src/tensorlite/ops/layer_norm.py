"""Layer and group normalization: one Function over the fused C++ kernel (kernels/layernorm.h)."""

import math
import numbers

import numpy as np

from tensorlite import backend
from tensorlite.autograd.function import Function
from tensorlite.ops._util import as_tensor, require_float


class GroupNormFunction(Function):
    """y = (x - mean) * rstd * weight_c + bias_c with mean and rstd = 1 / sqrt(var + eps) taken per sample
    over each of `groups` channel groups of (N, C, *) x (LayerNorm: x viewed as (N, D), groups = 1).

    With h = dy * weight_c, xhat = (x - mean) * rstd and D values per group:
        dx = rstd * (h - mean_D(h) - xhat * mean_D(h * xhat)),
        dweight_c = sum dy * xhat,  dbias_c = sum dy  (over the batch and the positions of channel c).
    Inputs: x, then weight if has_weight, then bias if has_bias.
    """

    def forward(self, x, *affine):
        self.x = x
        weight = affine[0] if self.has_weight else None
        bias = affine[-1] if self.has_bias else None
        self.weight = weight
        y, self.mean, self.rstd = backend.group_norm(x, weight, bias, self.groups, self.eps)
        return y

    def backward(self, grad):
        need_params = any(t.requires_grad for t in self.inputs[1:])
        dx, dweight, dbias = backend.group_norm_backward(
            self.x, np.ascontiguousarray(grad, dtype=self.x.dtype), self.mean, self.rstd, self.weight,
            self.groups, need_params,
        )  # fmt: skip
        grads = [dx]
        if self.has_weight:
            grads.append(dweight)
        if self.has_bias:
            grads.append(dbias)
        return tuple(grads)


def _affine_operand(op, name, t, shape, x):
    """weight/bias as a tensor of x's dtype and the given shape; ValueError naming it otherwise."""
    t = as_tensor(t)
    if tuple(t.shape) != tuple(shape):
        raise ValueError(
            f"{op}: {name} has shape {tuple(t.shape)}, expected {tuple(shape)} for input {x.shape}"
        )
    return t if t.dtype == x.dtype else t.astype(x.dtype)


def _check_eps(op, eps):
    if not isinstance(eps, numbers.Real) or not math.isfinite(eps) or eps < 0:
        raise ValueError(f"{op}: eps must be a finite number >= 0, got {eps!r}")
    return float(eps)


def normalized_shape_tuple(op, normalized_shape):
    """An int or a sequence of non-negative ints as a tuple (PyTorch's normalized_shape)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else tuple(normalized_shape)
    if not shape or any(not isinstance(d, numbers.Integral) or isinstance(d, bool) or d < 0 for d in shape):
        raise ValueError(
            f"{op}: normalized_shape must be a non-empty sequence of ints >= 0, got {normalized_shape!r}"
        )
    return tuple(int(d) for d in shape)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalization over the trailing dimensions given by normalized_shape:
    y = (x - mean) / sqrt(var + eps) * weight + bias, mean and biased var over those dimensions for each
    leading index; weight and bias (optional) have shape normalized_shape."""
    x = as_tensor(input)
    require_float("layer_norm", x)
    shape = normalized_shape_tuple("layer_norm", normalized_shape)
    if x.shape[x.ndim - len(shape) :] != shape or x.ndim < len(shape):
        raise ValueError(
            f"layer_norm: normalized_shape {shape} does not match the trailing dimensions of input {x.shape}"
        )
    eps = _check_eps("layer_norm", eps)
    rows = x.shape[: x.ndim - len(shape)]
    size = math.prod(shape)
    flat = x.reshape(math.prod(rows), size)
    operands = [flat]
    if weight is not None:
        operands.append(_affine_operand("layer_norm", "weight", weight, shape, x).reshape(size))
    if bias is not None:
        operands.append(_affine_operand("layer_norm", "bias", bias, shape, x).reshape(size))
    y = GroupNormFunction.apply(
        *operands, groups=1, eps=eps, has_weight=weight is not None, has_bias=bias is not None
    )
    return y.reshape(x.shape)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Group normalization of (N, C, *) input: the C channels split into num_groups groups, and each
    sample's group normalized over its channels and positions, y = (x - mean) / sqrt(var + eps)
    (biased var), then y * weight_c + bias_c per channel (weight, bias of shape (C,), optional)."""
    x = as_tensor(input)
    require_float("group_norm", x)
    if x.ndim < 2:
        raise ValueError(f"group_norm: expected input of shape (N, C, *), got {x.shape}")
    channels = x.shape[1]
    if not isinstance(num_groups, numbers.Integral) or isinstance(num_groups, bool) or num_groups < 1:
        raise ValueError(f"group_norm: num_groups must be a positive int, got {num_groups!r}")
    if channels % num_groups:
        raise ValueError(
            f"group_norm: num_groups={num_groups} does not divide the {channels} channels of input {x.shape}"
        )
    eps = _check_eps("group_norm", eps)
    operands = [x]
    if weight is not None:
        operands.append(_affine_operand("group_norm", "weight", weight, (channels,), x))
    if bias is not None:
        operands.append(_affine_operand("group_norm", "bias", bias, (channels,), x))
    return GroupNormFunction.apply(
        *operands, groups=int(num_groups), eps=eps, has_weight=weight is not None, has_bias=bias is not None
    )
