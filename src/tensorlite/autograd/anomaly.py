"""Anomaly detection: stop at the first op whose forward output or backward gradient is not finite."""

import os
import sys

import numpy as np

from tensorlite.autograd import function

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class AnomalyError(RuntimeError):
    """Raised inside detect_anomaly() at the first non-finite forward output or backward gradient."""


class _State:
    depth = 0  # nesting depth of detect_anomaly blocks; the engine checks gradients while > 0


def is_anomaly_enabled():
    """True inside a detect_anomaly() block."""
    return _State.depth > 0


def _user_site():
    """'file:line in function' of the innermost caller outside the tensorlite package."""
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"


def _describe(fn, inputs):
    """The op's name, the shapes of its inputs and where it was created."""
    kind = getattr(fn, "kind", None)
    name = f"{fn.name}({kind})" if isinstance(kind, str) else fn.name
    shapes = ", ".join(str(tuple(t.shape)) for t in inputs)
    return f"op '{name}' (input shapes [{shapes}]) created at {getattr(fn, '_anomaly_site', '<unknown>')}"


def _bad_value(array):
    """'nan' or 'inf' when a floating array has a non-finite element, else None."""
    if array.dtype.kind != "f" or np.isfinite(array).all():
        return None
    return "nan" if np.isnan(array).any() else "inf"


def _check_forward(fn, inputs, output):
    fn._anomaly_site = _user_site()
    bad = _bad_value(output._array)
    if bad is None:
        return
    inherited = any(_bad_value(np.asarray(t._array)) for t in inputs)
    note = " (its inputs already held non-finite values)" if inherited else ""
    raise AnomalyError(f"detect_anomaly: forward of {_describe(fn, inputs)} produced {bad}{note}")


def check_backward(fn, input_grads):
    """Raise AnomalyError if `fn`'s backward returned a non-finite gradient (called by the engine)."""
    for i, grad in enumerate(input_grads):
        bad = None if grad is None else _bad_value(np.asarray(grad))
        if bad is not None:
            raise AnomalyError(
                f"detect_anomaly: backward of {_describe(fn, fn.inputs)} produced {bad} in the gradient "
                f"of input {i}"
            )


class detect_anomaly:
    """Context manager: raise AnomalyError at the first op whose forward output or backward gradient
    holds nan or inf, naming the op, its input shapes and the user-code file:line that created it.

    The creation site is recorded only inside the block; outside it ops cost nothing extra.
    """

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        if not self.check_nan:
            return self
        if _State.depth == 0:
            function._apply_hooks.append(_check_forward)
        _State.depth += 1
        return self

    def __exit__(self, *exc_info):
        if not self.check_nan:
            return False
        _State.depth -= 1
        if _State.depth == 0:
            function._apply_hooks.remove(_check_forward)
        return False
