"""Elementwise arithmetic, math functions and comparisons (NumPy broadcasting)."""

import numpy as np

from tensorlite.autograd.function import Function
from tensorlite.tensor import Tensor


class Add(Function):
    """z = a + b"""

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a + b

    def backward(self, grad):
        return unbroadcast(grad, self.shapes[0]), unbroadcast(grad, self.shapes[1])


class Sub(Function):
    """z = a - b"""

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a - b

    def backward(self, grad):
        return unbroadcast(grad, self.shapes[0]), unbroadcast(-grad, self.shapes[1])


class Mul(Function):
    """z = a * b;  da = g * b, db = g * a"""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        return unbroadcast(grad * self.b, self.a.shape), unbroadcast(grad * self.a, self.b.shape)


class Div(Function):
    """z = a / b;  da = g / b, db = -g * a / b^2"""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, grad):
        da = grad / self.b
        return unbroadcast(da, self.a.shape), unbroadcast(-da * self.a / self.b, self.b.shape)


class Pow(Function):
    """z = a ** b;  da = g * b * a^(b-1), taken as 0 where b == 0 (even at a = 0, where it is 0 * inf);
    db = g * z * log(a), taken as 0 where a == 0 and b >= 0 (PyTorch's pow_backward rules)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        self.z = np.power(a, b)
        return self.z

    def backward(self, grad):
        da = np.where(self.b == 0, 0, grad * self.b * np.power(self.a, self.b - 1))
        db = None
        if self.inputs[1].requires_grad:
            db = grad * np.where((self.a == 0) & (self.b >= 0), 0, self.z * np.log(self.a))
            db = unbroadcast(db, self.b.shape)
        return unbroadcast(da, self.a.shape), db


class Neg(Function):
    """z = -x"""

    def forward(self, x):
        return -x

    def backward(self, grad):
        return (-grad,)


class Exp(Function):
    """z = exp(x);  dx = g * z"""

    def forward(self, x):
        self.z = np.exp(x)
        return self.z

    def backward(self, grad):
        return (grad * self.z,)


class Log(Function):
    """z = log(x);  dx = g / x"""

    def forward(self, x):
        self.x = x
        return np.log(x)

    def backward(self, grad):
        return (grad / self.x,)


class Sqrt(Function):
    """z = sqrt(x);  dx = g / (2 z)"""

    def forward(self, x):
        self.z = np.sqrt(x)
        return self.z

    def backward(self, grad):
        return (grad / (2 * self.z),)


class Abs(Function):
    """z = |x|;  dx = g * sign(x) (0 at x = 0)"""

    def forward(self, x):
        self.x = x
        return np.abs(x)

    def backward(self, grad):
        return (grad * np.sign(self.x),)


class Sin(Function):
    """z = sin(x);  dx = g * cos(x)"""

    def forward(self, x):
        self.x = x
        return np.sin(x)

    def backward(self, grad):
        return (grad * np.cos(self.x),)


class Cos(Function):
    """z = cos(x);  dx = -g * sin(x)"""

    def forward(self, x):
        self.x = x
        return np.cos(x)

    def backward(self, grad):
        return (-grad * np.sin(self.x),)


class Clip(Function):
    """z = min(max(x, low), high);  dx = g where low <= x <= high, else 0"""

    def forward(self, x):
        self.x = x
        return np.clip(x, self.low, self.high)

    def backward(self, grad):
        inside = np.ones(self.x.shape, dtype=bool)
        if self.low is not None:
            inside &= self.x >= self.low
        if self.high is not None:
            inside &= self.x <= self.high
        return (grad * inside,)


class Maximum(Function):
    """z = max(a, b); ties split the gradient evenly."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.maximum(a, b)

    def backward(self, grad):
        share_a = (self.a > self.b) + 0.5 * (self.a == self.b)
        return (unbroadcast(grad * share_a, self.a.shape), unbroadcast(grad * (1 - share_a), self.b.shape))


class Minimum(Function):
    """z = min(a, b); ties split the gradient evenly."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.minimum(a, b)

    def backward(self, grad):
        share_a = (self.a < self.b) + 0.5 * (self.a == self.b)
        return (unbroadcast(grad * share_a, self.a.shape), unbroadcast(grad * (1 - share_a), self.b.shape))


class Where(Function):
    """z = a where condition else b (condition is a constant bool array)."""

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return np.where(self.condition, a, b)

    def backward(self, grad):
        return (
            unbroadcast(np.where(self.condition, grad, 0), self.shapes[0]),
            unbroadcast(np.where(self.condition, 0, grad), self.shapes[1]),
        )


class Cast(Function):
    """z = x converted to another dtype; the gradient is converted back."""

    def forward(self, x):
        self.source = x.dtype
        return x.astype(self.dtype)

    def backward(self, grad):
        return (grad.astype(self.source),)


class Clone(Function):
    """z = a copy of x; the gradient passes through."""

    def forward(self, x):
        return x.copy()

    def backward(self, grad):
        return (grad,)


def add(a, b):
    """Elementwise a + b with broadcasting."""
    return Add.apply(*binary_operands("add", a, b))


def sub(a, b):
    """Elementwise a - b with broadcasting."""
    return Sub.apply(*binary_operands("sub", a, b))


def mul(a, b):
    """Elementwise a * b with broadcasting."""
    return Mul.apply(*binary_operands("mul", a, b))


def div(a, b):
    """Elementwise true division a / b with broadcasting (integers give float32)."""
    a, b = binary_operands("div", a, b)
    if a.dtype.kind != "f":
        a, b = cast(a, np.dtype(np.float32)), cast(b, np.dtype(np.float32))
    return Div.apply(a, b)


def pow(a, b):
    """Elementwise a ** b with broadcasting."""
    return Pow.apply(*binary_operands("pow", a, b))


def neg(x):
    """-x"""
    return Neg.apply(as_tensor(x))


def exp(x):
    """e ** x"""
    return Exp.apply(_float_input("exp", x))


def log(x):
    """Natural logarithm (nan for x < 0, -inf at 0)."""
    return Log.apply(_float_input("log", x))


def sqrt(x):
    """Square root."""
    return Sqrt.apply(_float_input("sqrt", x))


def abs(x):
    """|x|"""
    return Abs.apply(as_tensor(x))


def sin(x):
    """Sine."""
    return Sin.apply(_float_input("sin", x))


def cos(x):
    """Cosine."""
    return Cos.apply(_float_input("cos", x))


def clip(x, min=None, max=None):
    """Clamp every element into [min, max] (either bound may be None)."""
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    if min is not None and max is not None and min > max:
        raise ValueError(f"clip: min ({min}) is greater than max ({max})")
    x = as_tensor(x)
    if any(isinstance(bound, float) for bound in (min, max)):
        x = _float_input("clip", x)  # an integer tensor clipped to float bounds becomes float32
    return Clip.apply(x, low=min, high=max)


clamp = clip


def maximum(a, b):
    """Elementwise maximum with broadcasting."""
    return Maximum.apply(*binary_operands("maximum", a, b))


def minimum(a, b):
    """Elementwise minimum with broadcasting."""
    return Minimum.apply(*binary_operands("minimum", a, b))


def where(condition, a, b):
    """Elements of a where condition is true, else of b (all three broadcast)."""
    a, b = binary_operands("where", a, b)
    cond = np.asarray(condition._array if isinstance(condition, Tensor) else condition, dtype=bool)
    try:
        np.broadcast_shapes(cond.shape, a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"where: condition shape {cond.shape} and operand shapes {a.shape}, {b.shape} cannot be broadcast"
        ) from None
    return Where.apply(a, b, condition=cond)


def cast(x, dtype):
    """x converted to `dtype` (differentiable between float dtypes)."""
    x = as_tensor(x)
    if x.dtype == dtype:
        return x
    if x.requires_grad and dtype.kind != "f":
        return Tensor._wrap(x._array.astype(dtype))
    return Cast.apply(x, dtype=dtype)


def clone(x):
    """A copy of x that stays in the graph."""
    return Clone.apply(as_tensor(x))


def _compare(op, name):
    def compare(a, b):
        a, b = binary_operands(name, a, b)
        return Tensor._wrap(op(a._array, b._array))

    compare.__name__ = name
    compare.__doc__ = f"Elementwise comparison ({op.__name__}); returns a bool tensor with no gradient."
    return compare


eq = _compare(np.equal, "eq")
ne = _compare(np.not_equal, "ne")
lt = _compare(np.less, "lt")
le = _compare(np.less_equal, "le")
gt = _compare(np.greater, "gt")
ge = _compare(np.greater_equal, "ge")


def logical_not(x):
    """Elementwise not of a bool tensor (bitwise not for integers)."""
    x = as_tensor(x)
    return Tensor._wrap(np.logical_not(x._array) if x.dtype == bool else np.invert(x._array))


def _float_input(op_name, x):
    x = as_tensor(x)
    if x.dtype.kind != "f":
        x = cast(x, np.dtype(np.float32))
    return x


from tensorlite.ops._util import as_tensor, binary_operands, unbroadcast
