"""Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (in place on .grad)."""

import math

import numpy as np

from tensorlite import backend
from tensorlite.tensor import Tensor


def _grads(parameters):
    """The gradients (Tensors) of the parameters that have one (a single Tensor is allowed)."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"expected Tensors (parameters), got {type(p).__name__}")
    return [p.grad for p in params if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients together so that their joint norm is at most max_norm; returns the norm
    before clipping (a float).

        total = (sum over all grads of |g|^p)^(1/p)      (max |g| for norm_type = inf)
        g = g * min(1, max_norm / (total + 1e-6))

    The norm is one fused C++ reduction over every gradient (float64 accumulation). A NaN or infinite
    total raises RuntimeError when error_if_nonfinite, else it propagates into the gradients as in
    PyTorch (max_norm / inf = 0, max_norm / nan = nan).
    """
    norm_type = float(norm_type)
    if not (norm_type > 0):
        raise ValueError(f"clip_grad_norm_: norm_type must be > 0 or inf, got {norm_type!r}")
    grads = _grads(parameters)
    if not grads:
        return 0.0
    total = backend.grad_norm([g._array for g in grads], norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is non-finite ({total}), "
            "so it cannot be clipped; set error_if_nonfinite=False to clip anyway"
        )
    coef = float(max_norm) / (total + 1e-6)
    if not coef >= 1.0:
        with np.errstate(invalid="ignore"):  # inf * 0 = nan is the intended outcome
            for g in grads:
                np.multiply(g._array, coef, out=g._array)
                g._bump_version()
    return total


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient element into [-clip_value, clip_value] in place (NaN stays NaN)."""
    clip_value = float(clip_value)
    if clip_value < 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value!r}")
    for g in _grads(parameters):
        np.clip(g._array, -clip_value, clip_value, out=g._array)
        g._bump_version()
