"""out= on tl.add / sub / mul / div / pow / matmul / mm / bmm / cat / stack (ops/out.py): the result is
written into `out` and `out` returned, with PyTorch's rules for autograd, dtypes and shapes."""

import numpy as np
import pytest

import tensorlite as tl

A = np.arange(1.0, 7.0).reshape(2, 3)
B = np.arange(6.0, 0.0, -1).reshape(2, 3)

CASES = [
    ("add", lambda a, b: (a, b), lambda a, b: a + b),
    ("sub", lambda a, b: (a, b), lambda a, b: a - b),
    ("mul", lambda a, b: (a, b), lambda a, b: a * b),
    ("div", lambda a, b: (a, b), lambda a, b: a / b),
    ("pow", lambda a, b: (a, b), lambda a, b: a**b),
    ("matmul", lambda a, b: (a, b.t()), lambda a, b: a @ b.T),
    ("mm", lambda a, b: (a, b.t()), lambda a, b: a @ b.T),
    ("bmm", lambda a, b: (a.unsqueeze(0), b.t().unsqueeze(0)), lambda a, b: (a @ b.T)[None]),
    ("cat", lambda a, b: ([a, b], 1), lambda a, b: np.concatenate([a, b], 1)),
    ("stack", lambda a, b: ([a, b],), lambda a, b: np.stack([a, b])),
]


@pytest.mark.parametrize(("name", "args", "expected"), CASES, ids=[c[0] for c in CASES])
def test_out_receives_the_result_and_is_returned(name, args, expected):
    want = expected(A, B)
    out = tl.zeros(*want.shape, dtype=tl.float64)
    result = getattr(tl, name)(*args(tl.tensor(A), tl.tensor(B)), out=out)
    assert result is out
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-6)
    assert out._version == 1  # an in-place write, as PyTorch counts it
    np.testing.assert_allclose(getattr(tl, name)(*args(tl.tensor(A), tl.tensor(B))).numpy(), want, rtol=1e-6)


def test_out_writes_through_to_views_of_its_memory():
    base = tl.zeros(2, 3)
    tl.mul(tl.tensor(A, dtype=tl.float32), 2.0, out=base)
    np.testing.assert_array_equal(base.numpy(), A * 2)
    target = tl.zeros(4, 3)
    view = target[1:3]
    tl.add(tl.tensor(A, dtype=tl.float32), 1.0, out=view)
    np.testing.assert_array_equal(target.numpy()[1:3], A + 1)
    assert target._version == 1  # the view shares the storage's counter


def test_out_refuses_autograd_while_grad_mode_is_on():
    w = tl.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"mul\(\): functions with out=.*requires grad"):
        tl.mul(w, 2.0, out=tl.zeros(2, 2))
    needs_grad = tl.zeros(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        tl.matmul(tl.ones(2, 2), tl.ones(2, 2), out=needs_grad)
    with tl.no_grad():  # as PyTorch: allowed when nothing is recorded
        tl.matmul(tl.ones(2, 2), tl.ones(2, 2), out=needs_grad)
    np.testing.assert_array_equal(needs_grad.detach().numpy(), np.full((2, 2), 2.0))


def test_out_dtype_rules_follow_pytorch():
    as_double = tl.zeros(2, 2, dtype=tl.float64)
    tl.mul(tl.ones(2, 2), 3.0, out=as_double)  # float32 result into float64: cast
    np.testing.assert_array_equal(as_double.numpy(), np.full((2, 2), 3.0))
    as_float = tl.zeros(2)
    tl.add(tl.tensor([1, 2]), 1, out=as_float)  # int result into float: fine
    assert as_float.tolist() == [2.0, 3.0]
    with pytest.raises(TypeError, match="result type float32 can't be cast to the desired output type int64"):
        tl.mul(tl.ones(2), 2.0, out=tl.zeros(2, dtype=tl.int64))
    with pytest.raises(TypeError, match="out must be a Tensor"):
        tl.add(tl.ones(2), 1.0, out=np.zeros(2))


def test_out_of_another_shape_is_resized_with_pytorchs_warning():
    empty = tl.zeros(0)
    tl.add(tl.ones(2, 3), 1.0, out=empty)  # an empty out is resized silently
    assert empty.shape == (2, 3) and empty.numpy().sum() == 12.0
    wrong = tl.zeros(3)
    with pytest.warns(UserWarning, match=r"resized since it had shape \(3,\)"):
        tl.add(tl.ones(2, 3), 1.0, out=wrong)
    assert wrong.shape == (2, 3) and wrong._version == 1


def test_out_on_a_read_only_tensor_raises():
    out = tl.zeros(1).expand(3)
    with pytest.raises(RuntimeError, match="read-only"):
        tl.add(tl.ones(3), 1.0, out=out)


def test_tensorqs_tutorial_idioms():
    tensor = tl.ones(4, 4)
    tensor[:, 1] = 0
    y1 = tensor @ tensor.T
    y3 = tl.rand_like(y1)
    tl.matmul(tensor, tensor.T, out=y3)
    z3 = tl.rand_like(tensor)
    tl.mul(tensor, tensor, out=z3)
    np.testing.assert_array_equal(y3.numpy(), y1.numpy())
    np.testing.assert_array_equal(z3.numpy(), (tensor * tensor).numpy())
