"""Activations: relu, sigmoid, tanh, leaky_relu, elu, selu, gelu, softplus (C++ kernels) and the
numerically stable softmax/log_softmax."""

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


class ParametricActivation(Function):
    """z = f(x; a, b) for leaky_relu, elu, selu, gelu, gelu_tanh, softplus (one C++ kernel each way);
    the backward is dx = g * f'(x) from the saved input."""

    def forward(self, x):
        self.x = x
        return backend.parametric_activation(x, self.kind, self.a, self.b)

    def backward(self, grad):
        return (backend.parametric_activation_backward(self.x, grad, self.kind, self.a, self.b),)


def _parametric(kind, x, a=0.0, b=0.0):
    x = as_tensor(x)
    require_float(kind, x)
    return ParametricActivation.apply(x, kind=kind, a=float(a), b=float(b))


def leaky_relu(x, negative_slope=0.01):
    """x if x > 0 else negative_slope * x"""
    return _parametric("leaky_relu", x, negative_slope)


def elu(x, alpha=1.0):
    """x if x > 0 else alpha * (exp(x) - 1)"""
    return _parametric("elu", x, alpha)


def selu(x):
    """scale * (x if x > 0 else alpha * (exp(x) - 1)) with alpha = 1.6732632423543772,
    scale = 1.0507009873554805 (self-normalizing: keeps N(0, 1) activations at N(0, 1))."""
    return _parametric("selu", x)


def gelu(x, approximate="none"):
    """x * Phi(x) = x/2 * (1 + erf(x / sqrt(2))) (exact); approximate='tanh' gives
    x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _parametric("gelu" if approximate == "none" else "gelu_tanh", x)


def softplus(x, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (for numerical stability)."""
    if beta == 0:
        raise ValueError("softplus: beta must be non-zero")
    return _parametric("softplus", x, beta, threshold)
