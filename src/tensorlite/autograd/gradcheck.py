"""Finite-difference gradient checking in float64."""

import numpy as np


class GradcheckError(AssertionError):
    """Raised when analytic and numerical gradients disagree."""


def _as_tuple(x):
    return x if isinstance(x, (tuple, list)) else (x,)


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Compare autograd's gradients of ``fn(*inputs)`` with central finite differences.

    For a random cotangent v the checked quantity is d<v, fn(x)>/dx; numerically
    (<v, fn(x + eps e_i)> - <v, fn(x - eps e_i)>) / (2 eps) for every element i of every input that
    requires grad. Inputs are float64 tensors. Returns True, or raises GradcheckError naming the
    worst element (input index, position, analytic and numerical values).
    """
    from tensorlite.tensor import Tensor

    inputs = list(_as_tuple(inputs))
    for i, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.requires_grad and t.dtype != np.float64:
            raise TypeError(f"gradcheck: input {i} has dtype {t.dtype}; gradcheck needs float64 inputs")
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad")

    rng = np.random.default_rng(seed)
    outputs = _as_tuple(fn(*inputs))
    cotangents = [rng.standard_normal(o.shape) for o in outputs]

    def projected(*args):
        return sum(float(np.sum(o._array * v)) for o, v in zip(_as_tuple(fn(*args)), cotangents))

    for i in checked:
        inputs[i].grad = None
    total = sum((o * Tensor._wrap(v)).sum() for o, v in zip(outputs, cotangents))
    total.backward()

    for i in checked:
        x = inputs[i]
        analytic = np.zeros(x.shape) if x.grad is None else x.grad._array.astype(np.float64)
        numeric = np.zeros(x.shape)
        for index in np.ndindex(x.shape):
            original = x._array[index]
            x._array[index] = original + eps
            plus = projected(*inputs)
            x._array[index] = original - eps
            minus = projected(*inputs)
            x._array[index] = original
            x._bump_version()  # written in place: graphs recorded on x before must not backward silently
            numeric[index] = (plus - minus) / (2 * eps)
        error = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
        error = np.where(np.isnan(analytic) & np.isnan(numeric), 0.0, np.nan_to_num(error, nan=np.inf))
        if error.size and error.max() > 0:
            worst = np.unravel_index(int(np.argmax(error)), x.shape) if x.ndim else ()
            raise GradcheckError(
                f"gradcheck: input {i} (shape {x.shape}) at index {tuple(int(w) for w in worst)}: "
                f"analytic {analytic[worst]:.8g} vs numerical {numeric[worst]:.8g} "
                f"(atol={atol}, rtol={rtol})"
            )
    return True
