"""Batch normalization: one Function over the fused C++ kernels (statistics, normalize, backward)."""

import numpy as np

from tensorlite import _dtype, backend
from tensorlite.autograd.function import Function
from tensorlite.ops._util import as_tensor, require_float
from tensorlite.tensor import Tensor


class BatchNorm(Function):
    """y = (x - mean_c) / sqrt(var_c + eps) * weight_c + bias_c over channel dim 1 of (N, C, *) input.

    With batch statistics, mean_c and the biased var_c are taken over the M = N * prod(*) values of
    channel c, the running statistics (when given) are updated in place, and the gradient flows through
    the statistics:
        dx = weight_c / sqrt(var_c + eps) / M * (M dy - sum dy - xhat * sum(dy * xhat))
    With fixed (running) statistics, dx = weight_c / sqrt(var_c + eps) * dy.
    Always dweight_c = sum(dy * xhat), dbias_c = sum(dy). Inputs: x, then weight and bias when affine.
    """

    def forward(self, x, weight=None, bias=None):
        self.x, self.weight = x, weight
        if self.batch_stats:
            y, self.mean, self.var = backend.batch_norm_train(x, weight, bias, self.eps)
            if self.running_mean is not None:  # in place, without temporaries of the running stats' size
                m = x.size // x.shape[1]
                rm, rv, f = self.running_mean, self.running_var, self.momentum
                rm *= 1 - f
                rm += f * self.mean
                rv *= 1 - f
                rv += self.var * (f * m / (m - 1))
        else:
            # copies: training later updates the running statistics in place, and backward needs these
            self.mean = self.running_mean.astype(x.dtype, copy=True)
            self.var = self.running_var.astype(x.dtype, copy=True)
            y = backend.batch_norm_eval(x, weight, bias, self.mean, self.var, self.eps)
        return y

    def backward(self, grad):
        dx, dweight, dbias = backend.batch_norm_backward(
            self.x, np.ascontiguousarray(grad), self.mean, self.var, self.weight, self.eps, self.batch_stats
        )
        if self.weight is None:
            return (dx,)
        return dx, dweight, dbias


def batch_norm(
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training=False,
    momentum=0.1,
    eps=1e-5,
):
    """Batch normalization of (N, C) or (N, C, *) input over every dimension but the channel dim 1.

    training=True (or no running statistics): normalize with the batch mean and biased variance
    var = (1/M) sum (x - mean)^2 over the M = N * prod(*) values per channel, and update the running
    statistics in place when they are given:
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var  = (1 - momentum) * running_var  + momentum * var * M / (M - 1)   (unbiased)
    training=False: normalize with running_mean and running_var.  y = xhat * weight + bias.
    """
    x = as_tensor(input)
    require_float("batch_norm", x)
    array = x._array  # shapes and dtypes of the arrays: cheaper than tl.Size on this per-layer path
    if array.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C) or (N, C, *), got {x.shape}")
    channels = array.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        # Updated in place by training, so they must be float tensors (as PyTorch requires Tensors).
        if t is not None and not (isinstance(t, Tensor) and _dtype.is_floating(t.dtype)):
            kind = f"dtype {t.dtype}" if isinstance(t, Tensor) else type(t).__name__
            raise TypeError(f"batch_norm: {name} must be a floating-point Tensor, got {kind}")
    named = (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias))
    for name, t in named:
        if t is not None and tuple(np.shape(t._array if isinstance(t, Tensor) else t)) != (channels,):
            raise ValueError(
                f"batch_norm: {name} has shape {tuple(t.shape)} but input {x.shape} has {channels} channels"
            )
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm: give both running_mean and running_var, or neither")
    if not training and running_mean is None:
        raise ValueError("batch_norm: running_mean and running_var are required when training=False")
    if training and array.size // max(channels, 1) <= 1:
        raise ValueError(
            f"batch_norm: expected more than 1 value per channel when training, got input of shape {x.shape}"
        )
    affine = ()
    if weight is not None or bias is not None:
        weight = as_tensor(weight if weight is not None else np.ones(channels, array.dtype))
        bias = as_tensor(bias if bias is not None else np.zeros(channels, array.dtype))
        affine = tuple(t if t._array.dtype == array.dtype else t.astype(x.dtype) for t in (weight, bias))
    out = BatchNorm.apply(
        x,
        *affine,
        eps=float(eps),
        momentum=float(momentum),
        batch_stats=bool(training),
        running_mean=None if running_mean is None else running_mean._array,
        running_var=None if running_var is None else running_var._array,
    )
    if training and running_mean is not None:  # the forward updated them in place
        running_mean._bump_version()
        running_var._bump_version()
    return out
