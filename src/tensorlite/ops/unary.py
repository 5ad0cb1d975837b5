"""More elementwise functions (log1p, expm1, log2, log10) and the value tests isnan, isinf, isfinite and
allclose. The tests return bool tensors (or a Python bool) with no gradient."""

import numpy as np

from tensorlite.autograd.function import Function
from tensorlite.ops._util import as_tensor, binary_operands
from tensorlite.ops.elementwise import _float_input
from tensorlite.tensor import Tensor

_LN2, _LN10 = np.log(2.0), np.log(10.0)


class Log1p(Function):
    """z = log(1 + x);  dx = g / (1 + x)"""

    def forward(self, x):
        self.x = x
        return np.log1p(x)

    def backward(self, grad):
        return (grad / (1 + self.x),)


class Expm1(Function):
    """z = exp(x) - 1;  dx = g * (z + 1)"""

    def forward(self, x):
        self.z = np.expm1(x)
        return self.z

    def backward(self, grad):
        return (grad * (self.z + 1),)


class Log2(Function):
    """z = log2(x);  dx = g / (x ln 2)"""

    def forward(self, x):
        self.x = x
        return np.log2(x)

    def backward(self, grad):
        return (grad / (self.x * self.x.dtype.type(_LN2)),)


class Log10(Function):
    """z = log10(x);  dx = g / (x ln 10)"""

    def forward(self, x):
        self.x = x
        return np.log10(x)

    def backward(self, grad):
        return (grad / (self.x * self.x.dtype.type(_LN10)),)


def log1p(x):
    """log(1 + x), accurate for small x."""
    return Log1p.apply(_float_input("log1p", x))


def expm1(x):
    """exp(x) - 1, accurate for small x."""
    return Expm1.apply(_float_input("expm1", x))


def log2(x):
    """Base-2 logarithm."""
    return Log2.apply(_float_input("log2", x))


def log10(x):
    """Base-10 logarithm."""
    return Log10.apply(_float_input("log10", x))


def isnan(x):
    """True where x is nan (bool tensor)."""
    return Tensor._wrap(np.isnan(as_tensor(x)._array))


def isinf(x):
    """True where x is +inf or -inf (bool tensor)."""
    return Tensor._wrap(np.isinf(as_tensor(x)._array))


def isfinite(x):
    """True where x is neither inf nor nan (bool tensor)."""
    return Tensor._wrap(np.isfinite(as_tensor(x)._array))


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when |a - b| <= atol + rtol * |b| everywhere (broadcasting), as a Python bool."""
    a, b = binary_operands("allclose", a, b)
    return bool(np.allclose(a._array, b._array, rtol=rtol, atol=atol, equal_nan=equal_nan))
