"""Differentiable ops, grouped by family. Each op is one Function class plus a public function."""

from tensorlite.ops._util import as_tensor
from tensorlite.ops.activation import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    selu,
    sigmoid,
    softmax,
    softplus,
    tanh,
)
from tensorlite.ops.dropout import dropout, dropout2d
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
from tensorlite.ops.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from tensorlite.ops.matmul import linear, matmul
from tensorlite.ops.normalization import batch_norm
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
    "abs", "add", "amax", "amin", "argmax", "argmin", "as_tensor", "cast", "cat", "clamp", "clip", "clone",
    "concat", "cos", "cross_entropy", "div", "eq", "exp", "expand", "flatten", "ge", "getitem", "gt",
    "index_key", "le", "linear", "log", "log_softmax", "logical_not", "lt", "matmul", "max", "maximum", "mean", "min",
    "minimum", "mse_loss", "mul", "ne", "neg", "permute", "pow", "relu", "reshape", "sigmoid", "sin",
    "softmax", "split", "sqrt", "squeeze", "stack", "std", "sub", "sum", "tanh", "transpose", "unsqueeze",
    "var", "view", "where",
    # issue 5: activations, dropout, normalization, losses
    "batch_norm", "binary_cross_entropy", "binary_cross_entropy_with_logits", "dropout", "dropout2d", "elu",
    "gelu", "huber_loss", "l1_loss", "leaky_relu", "nll_loss", "selu", "smooth_l1_loss", "softplus",
]  # fmt: skip
