"""ops/_util's fast operand paths give exactly what the general conversion gives (values, dtypes, errors)."""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tensorlite as tl
from tensorlite._dtype import IntegerOverflowError
from tensorlite.ops._util import _scalar_like, as_tensor, binary_operands, broadcastable

SCALARS = [
    0.0,
    -0.0,
    2.5,
    1 / 3,
    1e-45,
    3.4028235e38,
    float("inf"),
    float("-inf"),
    0,
    7,
    -(2**31),
    2**53 + 1,
    2**62 + 1,
    2**63 - 1,
    -(2**63),
]


def _general(value, like):
    """The general path's conversion (what binary_operands did before its fast paths)."""
    return as_tensor(value, like=like)


@pytest.mark.parametrize("dtype", [tl.float32, tl.float64, tl.int64, tl.bool])
@pytest.mark.parametrize("value", SCALARS)
def test_scalar_fast_path_matches_the_general_conversion(dtype, value):
    like = tl.zeros(3, dtype=dtype)
    fast = _scalar_like(value, like.dtype)
    if fast is None:  # not a fast case: floats with an integer tensor, anything with a bool tensor
        assert dtype == tl.bool or (dtype == tl.int64 and isinstance(value, float))
        return
    general = _general(value, like)
    assert fast.dtype == general.dtype == dtype and fast.shape == general.shape == ()
    assert fast.numpy().tobytes() == general.numpy().tobytes()  # bit for bit (-0.0, rounding of 2**62+1)


def test_scalar_fast_path_warns_like_the_general_one_on_float32_overflow():
    like = tl.zeros(2)
    for convert in (_scalar_like, lambda v, d: _general(v, tl.zeros(2, dtype=d))):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(RuntimeWarning, match="overflow"):
                convert(1e300, like.dtype)


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, True, np.float64(2.5), np.int32(3)])
def test_other_scalars_take_the_general_path(value):
    assert _scalar_like(value, tl.float32) is None
    assert _scalar_like(value, tl.int64) is None


def test_int64_range_is_still_refused_for_integer_tensors():
    with pytest.raises(IntegerOverflowError):
        tl.tensor([1, 2]) + 2**63


@pytest.mark.parametrize(
    ("tensor", "scalar", "dtype", "expected"),
    [
        (tl.tensor([1.0, 2.0]), 0.5, tl.float32, [1.5, 2.5]),  # a Python float never upcasts float32
        (tl.tensor([1.0, 2.0], dtype=tl.float64), 1, tl.float64, [2.0, 3.0]),
        (tl.tensor([1, 2]), 3, tl.int64, [4, 5]),
        (tl.tensor([1, 2]), 0.5, tl.float32, [1.5, 2.5]),  # general path: an int tensor and a float
        (tl.tensor([True, False]), 2, tl.int64, [3, 2]),  # general path: bool and int give int64
    ],
)
def test_tensor_and_python_scalar_in_both_orders(tensor, scalar, dtype, expected):
    for out in (tensor + scalar, scalar + tensor):
        assert out.dtype == dtype
        np.testing.assert_array_equal(out.numpy(), expected)
    a, b = binary_operands("sub", scalar, tensor)
    assert a.shape == () and b.shape == tensor.shape and a.dtype == b.dtype == dtype


_shapes = st.lists(st.integers(0, 3), max_size=4).map(tuple)


@given(_shapes, _shapes)
def test_broadcastable_agrees_with_numpy(x, y):
    try:
        np.broadcast_shapes(x, y)
        expected = True
    except ValueError:
        expected = False
    assert broadcastable(x, y) == expected


def test_same_dtype_tensors_keep_the_broadcast_error_message():
    a, b = tl.zeros((2, 3)), tl.zeros(4)
    assert binary_operands("add", a, a) == (a, a)
    with pytest.raises(ValueError, match=r"^add: shapes \(2, 3\) and \(4,\) cannot be broadcast together$"):
        a + b
    with pytest.raises(ValueError, match=r"^mul: shapes \(4,\) and \(2, 3\) cannot be broadcast together$"):
        b * a
