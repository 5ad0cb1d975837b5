"""Activations: relu, sigmoid, tanh (fused C++ kernels) and the numerically stable softmax/log_softmax."""

from tensorlite import backend
from tensorlite.autograd.function import Function
from tensorlite.ops._util import as_tensor, normalize_dims, require_float


class Activation(Function):
    """z = f(x) for f in relu, sigmoid, tanh; the backward is one fused kernel."""

    def forward(self, x):
        self.x = x
        self.z = backend.activation(x, self.kind)
        return self.z

    def backward(self, grad):
        saved = self.x if self.kind == "relu" else self.z
        return (backend.activation_backward(saved, grad, self.kind),)


class Softmax(Function):
    """softmax: z_i = exp(x_i - max x) / sum_j exp(x_j - max x);  log_softmax: z_i = x_i - logsumexp(x)"""

    def forward(self, x):
        self.z = backend.softmax(x, self.dim, log=self.log)
        return self.z

    def backward(self, grad):
        return (backend.softmax_backward(self.z, grad, self.dim, log=self.log),)


def _activation(kind, x):
    x = as_tensor(x)
    require_float(kind, x)
    return Activation.apply(x, kind=kind)


def relu(x):
    """max(x, 0)"""
    return _activation("relu", x)


def sigmoid(x):
    """1 / (1 + exp(-x)), computed without overflow for large |x|."""
    return _activation("sigmoid", x)


def tanh(x):
    """Hyperbolic tangent."""
    return _activation("tanh", x)


def _softmax(x, dim, log):
    name = "log_softmax" if log else "softmax"
    x = as_tensor(x)
    require_float(name, x)
    if x.ndim == 0:
        return Softmax.apply(x.reshape(1), dim=0, log=log).reshape(())
    (d,) = normalize_dims(dim, x.ndim, name)
    return Softmax.apply(x, dim=d, log=log)


def softmax(x, dim=-1):
    """exp(x_i) / sum_j exp(x_j) along `dim` (max-subtracted, so it never overflows)."""
    return _softmax(x, dim, log=False)


def log_softmax(x, dim=-1):
    """x_i - log(sum_j exp(x_j)) along `dim`, computed stably."""
    return _softmax(x, dim, log=True)
