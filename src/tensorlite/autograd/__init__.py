"""Define-by-run automatic differentiation."""

from tensorlite.autograd.anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled
from tensorlite.autograd.engine import backward
from tensorlite.autograd.function import Function
from tensorlite.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from tensorlite.autograd.gradcheck import GradcheckError, gradcheck

__all__ = [
    "AnomalyError",
    "Function",
    "GradcheckError",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "gradcheck",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
    "set_grad_enabled",
]
