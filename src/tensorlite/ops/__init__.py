"""Differentiable ops, grouped by family. Each op is one Function class plus a public function."""

from tensorlite.ops._util import as_tensor
from tensorlite.ops.activation import log_softmax, relu, sigmoid, softmax, tanh
from tensorlite.ops.conv import conv2d
from tensorlite.ops.elementwise import (
    abs,
    add,
    cast,
    clamp,
    clip,
    clone,
    cos,
    div,
    eq,
    exp,
    ge,
    gt,
    le,
    log,
    logical_not,
    lt,
    maximum,
    minimum,
    mul,
    ne,
    neg,
    pow,
    sin,
    sqrt,
    sub,
    where,
)
from tensorlite.ops.loss import cross_entropy, mse_loss
from tensorlite.ops.matmul import linear, matmul
from tensorlite.ops.pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from tensorlite.ops.reduce import amax, amin, argmax, argmin, max, mean, min, std, sum, var
from tensorlite.ops.shape import (
    cat,
    concat,
    expand,
    flatten,
    getitem,
    index_key,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    transpose,
    unsqueeze,
    view,
)

# Ops that are also Tensor methods: t.exp(), t.sum(dim=1), t.reshape(2, 3), ...
TENSOR_METHODS = (
    "abs", "add", "sub", "mul", "div", "pow", "neg", "exp", "log", "sqrt", "sin", "cos", "clip", "clamp",
    "maximum", "minimum", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "matmul",
    "sum", "mean", "var", "std", "max", "min", "amax", "amin", "argmax", "argmin",
    "reshape", "view", "flatten", "transpose", "permute", "squeeze", "unsqueeze", "expand", "split",
)  # fmt: skip

__all__ = [
    "adaptive_avg_pool2d", "avg_pool2d", "conv2d", "max_pool2d",
    "abs", "add", "amax", "amin", "argmax", "argmin", "as_tensor", "cast", "cat", "clamp", "clip", "clone",
    "concat", "cos", "cross_entropy", "div", "eq", "exp", "expand", "flatten", "ge", "getitem", "gt",
    "index_key", "le", "linear", "log", "log_softmax", "logical_not", "lt", "matmul", "max", "maximum", "mean", "min",
    "minimum", "mse_loss", "mul", "ne", "neg", "permute", "pow", "relu", "reshape", "sigmoid", "sin",
    "softmax", "split", "sqrt", "squeeze", "stack", "std", "sub", "sum", "tanh", "transpose", "unsqueeze",
    "var", "view", "where",
]  # fmt: skip
