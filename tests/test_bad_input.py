"""Wrong shapes and dtypes for every public op: the exception type, and a message naming what was wrong."""

import numpy as np
import pytest

import tensorlite as tl
from tensorlite import _C

F = tl.nn.functional
A23, A32, A34, I3 = tl.ones(2, 3), tl.ones(3, 2), tl.ones(3, 4), tl.tensor([1, 2, 3])

SHAPE_CASES = {
    "add": (lambda: tl.add(A23, A32), r"add: shapes \(2, 3\) and \(3, 2\) cannot be broadcast"),
    "+": (lambda: A23 + A34, r"add: shapes \(2, 3\) and \(3, 4\) cannot be broadcast"),
    "sub": (lambda: A23 - A32, r"sub: shapes \(2, 3\) and \(3, 2\)"),
    "mul": (lambda: A23 * A32, r"mul: shapes \(2, 3\) and \(3, 2\)"),
    "div": (lambda: A23 / A32, r"div: shapes \(2, 3\) and \(3, 2\)"),
    "pow": (lambda: A23**A32, r"pow: shapes \(2, 3\) and \(3, 2\)"),
    "maximum": (lambda: tl.maximum(A23, A32), r"maximum: shapes \(2, 3\) and \(3, 2\)"),
    "minimum": (lambda: tl.minimum(A23, A32), r"minimum: shapes \(2, 3\) and \(3, 2\)"),
    "where": (
        lambda: tl.where(tl.ones(4) > 0, A23, A23),
        r"condition shape \(4,\) and operand shapes \(2, 3\)",
    ),
    "comparison": (lambda: A23 < A32, r"lt: shapes \(2, 3\) and \(3, 2\)"),
    "matmul": (lambda: A23 @ A34.T, r"matmul: shapes \(2, 3\) and \(4, 3\) are not aligned"),
    "linear": (
        lambda: F.linear(A23, A34),
        r"input of shape \(2, 3\) does not match weight of shape \(3, 4\)",
    ),
    "reshape": (lambda: A23.reshape(5), r"shape \(2, 3\) \(6 elements\) to \(5,\)"),
    "expand": (lambda: A23.expand(2, 4), r"cannot expand shape \(2, 3\) to \(2, 4\)"),
    "permute": (
        lambda: A23.permute(1, 2),
        r"\(1, 2\) is not a permutation of the 2 dimensions of shape \(2, 3\)",
    ),
    "concat": (lambda: tl.concat([A23, A34]), r"shapes \(2, 3\) and \(3, 4\) differ outside dimension 0"),
    "stack": (lambda: tl.stack([A23, A32]), r"\(2, 3\) and \(3, 2\)"),
    "split": (lambda: A23.split([1, 1], dim=1), r"sizes \[1, 1\] do not sum to the length 3"),
    "sum": (lambda: A23.sum(dim=3), r"dim 3 is out of range for a tensor with 2 dimensions"),
    "softmax": (lambda: tl.softmax(A23, dim=2), r"dim 2 is out of range"),
    "max": (lambda: tl.zeros(0, 2).max(), r"empty tensor of shape \(0, 2\)"),
    "cross_entropy": (
        lambda: F.cross_entropy(A23, I3),
        r"input of shape \(2, 3\) needs a target of shape \(2,\), got \(3,\)",
    ),
    "mse_loss": (lambda: F.mse_loss(A23, A32), r"input shape \(2, 3\) and target shape \(3, 2\)"),
    "backward": (lambda: (A23.requires_grad_() * 1).backward(tl.ones(3)), r"gradient has shape \(3,\)"),
    "load_state_dict": (
        lambda: tl.nn.Linear(3, 2).load_state_dict({"weight": A32, "bias": tl.ones(2)}),
        r"weight: checkpoint shape \(3, 2\) != model shape \(2, 3\)",
    ),
    "_C.gemm": (lambda: _C.gemm(np.ones((2, 3)), np.ones((2, 3))), r"a shape \(2, 3\).*b shape \(2, 3\)"),
    "_C.softmax_forward": (lambda: _C.softmax_forward(np.ones(3)), r"expected a 2-D array, got shape \(3,\)"),
    "_C.softmax_backward": (
        lambda: _C.softmax_backward(np.ones((2, 3)), np.ones((3, 2))),
        r"shapes \(2, 3\) and \(3, 2\) must be equal",
    ),
    "_C.activation_backward": (
        lambda: _C.activation_backward(np.ones(3), np.ones(4), "relu"),
        r"shapes \(3,\) and \(4,\) must be equal",
    ),
}

DTYPE_CASES = {
    "tensor": (lambda: tl.tensor(["x"]), "unsupported dtype <U1"),
    "requires_grad": (lambda: tl.ones(2, dtype=tl.int64, requires_grad=True), "dtype int64"),
    "relu": (lambda: tl.relu(I3), "expected a float32 or float64 tensor, got dtype int64"),
    "sigmoid": (lambda: tl.sigmoid(I3), "got dtype int64"),
    "tanh": (lambda: tl.tanh(I3), "got dtype int64"),
    "softmax": (lambda: tl.softmax(I3), "got dtype int64"),
    "log_softmax": (lambda: tl.log_softmax(I3), "got dtype int64"),
    "mean": (lambda: I3.mean(), "got dtype int64"),
    "var": (lambda: I3.var(), "got dtype int64"),
    "cross_entropy logits": (
        lambda: F.cross_entropy(tl.ones(3, 2, dtype=tl.int64), I3 - 1),
        "got dtype int64",
    ),
    "cross_entropy labels": (
        lambda: F.cross_entropy(A32, tl.tensor([True, False, True])),
        "integer class labels, got dtype bool",
    ),
    "zeros": (lambda: tl.zeros(2, dtype="complex64"), "unsupported dtype complex64"),
    "Module.to": (lambda: tl.nn.Linear(1, 1).to(tl.bool), "got bool"),
    "_C.gemm": (lambda: _C.gemm(np.ones((2, 2), np.int32), np.ones((2, 2), np.int32)), "got dtype int32"),
    "_C.gemm mixed": (lambda: _C.gemm(np.ones((2, 2)), np.ones((2, 2), np.float32)), "b has dtype float32"),
    "_C.softmax_forward": (lambda: _C.softmax_forward(np.ones((2, 2), np.int64)), "got dtype int64"),
    "_C.activation_forward": (lambda: _C.activation_forward(np.ones(2, object), "tanh"), "got dtype object"),
    "_C.activation_backward": (
        lambda: _C.activation_backward(np.ones(2), np.ones(2, np.float32), "tanh"),
        "dy has dtype float32 but float64 was expected",
    ),
}


@pytest.mark.parametrize("call, message", SHAPE_CASES.values(), ids=SHAPE_CASES.keys())
def test_wrong_shapes_raise_value_error_naming_the_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("call, message", DTYPE_CASES.values(), ids=DTYPE_CASES.keys())
def test_wrong_dtypes_raise_type_error_naming_the_dtype(call, message):
    with pytest.raises(TypeError, match=message):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: _C.gemm(None, np.ones((2, 2))),
        lambda: _C.activation_forward(np.ones(2), 3),
        lambda: _C.softmax_forward("text"),
    ],
)
def test_the_binding_rejects_non_arrays_without_crashing(call):
    with pytest.raises(TypeError):
        call()


def test_unknown_activation_name():
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        _C.activation_forward(np.ones(2), "gelu")
