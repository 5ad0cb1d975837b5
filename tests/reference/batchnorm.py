"""Naive NumPy float64 batch normalization (forward with running-stat update, and backward)."""

import numpy as np


def _channel_axes(x):
    return (0,) + tuple(range(2, x.ndim))


def _per_channel(v, x):
    return v.reshape((1, -1) + (1,) * (x.ndim - 2))


def batch_norm_forward(
    x, weight, bias, eps, running_mean=None, running_var=None, training=True, momentum=0.1
):
    """Returns (y, new_running_mean, new_running_var); statistics over every axis but 1."""
    axes = _channel_axes(x)
    if training:
        mean = x.mean(axis=axes)
        var = ((x - _per_channel(mean, x)) ** 2).mean(axis=axes)
        m = x.size // x.shape[1]
        if running_mean is not None:
            running_mean = (1 - momentum) * running_mean + momentum * mean
            running_var = (1 - momentum) * running_var + momentum * var * m / (m - 1)
    else:
        mean, var = running_mean, running_var
    xhat = (x - _per_channel(mean, x)) / np.sqrt(_per_channel(var, x) + eps)
    y = xhat * _per_channel(weight, x) + _per_channel(bias, x)
    return y, running_mean, running_var


def batch_norm_backward(x, dy, weight, eps):
    """(dx, dweight, dbias) for training-mode batch norm, derived step by step through the statistics."""
    axes = _channel_axes(x)
    m = x.size // x.shape[1]
    mean = _per_channel(x.mean(axis=axes), x)
    xc = x - mean
    var = _per_channel((xc**2).mean(axis=axes), x)
    invstd = 1 / np.sqrt(var + eps)
    xhat = xc * invstd
    dxhat = dy * _per_channel(weight, x)
    dvar = (dxhat * xc * -0.5 * invstd**3).sum(axis=axes, keepdims=True)
    dmean = (-dxhat * invstd).sum(axis=axes, keepdims=True) + dvar * (-2 * xc).sum(
        axis=axes, keepdims=True
    ) / m
    dx = dxhat * invstd + dvar * 2 * xc / m + dmean / m
    return dx, (dy * xhat).sum(axis=axes), dy.sum(axis=axes)
