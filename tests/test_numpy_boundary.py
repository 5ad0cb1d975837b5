"""The NumPy boundary (tensor, from_numpy, as_tensor, full, scalar operands): values int64 cannot hold
raise instead of wrapping around, every NumPy dtype converts by the documented rule or raises naming it,
and ndarray subclasses never leak into a tensor."""

import fractions
import warnings

import numpy as np
import pytest

import tensorlite as tl

INT64_MAX = 2**63 - 1


def matrix(rows):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)  # NumPy discourages np.matrix
        return np.matrix(rows)


@pytest.mark.parametrize(
    "make",
    [
        lambda: tl.tensor([2**63]),
        lambda: tl.tensor(2**63),
        lambda: tl.tensor([[1], [2**64]]),
        lambda: tl.tensor([-(2**63) - 1]),
        lambda: tl.tensor([2**100], dtype=tl.int64),
        lambda: tl.tensor(np.array([2**63, 1], dtype=np.uint64)),
        lambda: tl.tensor(np.uint64(2**64 - 1)),
        lambda: tl.as_tensor(np.array([2**63], dtype=np.uint64)),
        lambda: tl.tensor(np.array([1e30]), dtype=tl.int64),
        lambda: tl.tensor([-1e19], dtype=tl.int64),
        lambda: tl.tensor(np.array([2.0**63], dtype=np.float32), dtype=tl.int64),
        lambda: tl.full((2,), 2**63),
        lambda: tl.tensor([1, 2]) + np.uint64(2**63),
        lambda: tl.tensor([1, 2]) * 2**64,
    ],
)
def test_integers_int64_cannot_hold_raise_instead_of_wrapping(make):
    """PyTorch raises ValueError ("Overflow when unpacking long long"); the error is also an OverflowError."""
    with pytest.raises(OverflowError, match="int64") as info:
        make()
    assert isinstance(info.value, ValueError)


def test_integers_at_the_int64_limits_are_kept_exactly():
    assert tl.tensor([INT64_MAX, -(2**63)]).tolist() == [INT64_MAX, -(2**63)]
    assert tl.tensor(np.array([INT64_MAX], dtype=np.uint64)).tolist() == [INT64_MAX]
    assert tl.tensor(np.array([2.0**62, -(2.0**63)]), dtype=tl.int64).tolist() == [2**62, -(2**63)]


def test_large_integers_convert_to_floats_when_asked():
    """As in PyTorch: an explicit float dtype (or a float in the data) stores them as floats."""
    assert tl.tensor([2**63], dtype=tl.float64).item() == 2.0**63
    assert tl.tensor([2**70], dtype=tl.float64).item() == 2.0**70
    assert tl.tensor([2**63, 1.5]).tolist() == [2.0**63, 1.5]
    assert tl.tensor(np.array([2**64 - 1], dtype=np.uint64), dtype=tl.float32).item() == 2.0**64
    with pytest.raises(OverflowError):
        tl.tensor([2**1100], dtype=tl.float64)  # beyond float64, as in PyTorch


def test_non_finite_floats_refuse_int64():
    for value in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(ValueError, match=f"cannot convert {value} to int64"):
            tl.tensor([1.0, value], dtype=tl.int64)
    assert tl.tensor([1.9, -1.9], dtype=tl.int64).tolist() == [1, -1]  # truncation, like PyTorch


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [
        (np.int8, tl.int64),
        (np.int16, tl.int64),
        (np.int32, tl.int64),
        (np.uint8, tl.int64),
        (np.uint16, tl.int64),
        (np.uint32, tl.int64),
        (np.uint64, tl.int64),
        (np.float16, tl.float32),
        (np.float32, tl.float32),
        (np.float64, tl.float64),
        (np.bool_, tl.bool),
        (">f8", tl.float64),
        (">i4", tl.int64),
    ],
)
def test_numeric_numpy_dtypes_convert_value_for_value(dtype, expected):
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
    values = [info.min, 0, min(info.max, INT64_MAX)] if info is not None else [-1.5, 0.0, 2.0]
    if np.dtype(dtype) == np.bool_:
        values = [True, False, True]
    array = np.array(values, dtype=dtype)
    t = tl.tensor(array)
    assert t.dtype == expected
    assert t.tolist() == array.tolist()
    assert tl.as_tensor(array).tolist() == array.tolist()
    assert tl.tensor(array[0]).dtype == expected  # NumPy scalars follow the same rule


@pytest.mark.parametrize(
    ("array", "kind"),
    [
        (np.array([1 + 2j]), "complex128"),
        (np.array([1], dtype=np.complex64), "complex64"),
        (np.array([1.0], dtype=np.longdouble), str(np.dtype(np.longdouble))),
        (np.array(["2020-01-01"], dtype="datetime64[D]"), "datetime64"),
        (np.array([1], dtype="timedelta64[s]"), "timedelta64"),
        (np.array(["1.5"]), "<U3"),
        (np.array([b"1"]), "S1"),
        (np.array([1, 2], dtype=object), "object"),
        (np.zeros(2, dtype=[("a", "i4")]), "a"),
    ],
)
def test_non_numeric_dtypes_raise_type_error_naming_the_dtype(array, kind):
    for make in (tl.tensor, tl.as_tensor, tl.from_numpy, lambda a: tl.tensor(a, dtype=tl.float64)):
        with pytest.raises(TypeError, match=f"unsupported dtype .*{kind}"):
            make(array)


def test_python_data_that_is_not_numeric_raises_type_error():
    for data in ([None], [1, None], [fractions.Fraction(1, 2)], "1.5", [1, "a"]):
        with pytest.raises(TypeError):
            tl.tensor(data)
    assert tl.tensor([fractions.Fraction(1, 2)], dtype=tl.float64).item() == 0.5


def test_from_numpy_shares_only_what_it_can_hold():
    with pytest.raises(TypeError, match="unsupported dtype uint64.*tl.tensor"):
        tl.from_numpy(np.array([1], dtype=np.uint64))
    with pytest.raises(ValueError, match="byte order"):
        tl.from_numpy(np.array([1.0], dtype=">f8"))
    assert tl.tensor(np.array([1.5], dtype=">f8")).tolist() == [1.5]


def test_matrix_becomes_a_plain_tensor_so_star_is_elementwise():
    """torch.from_numpy(np.matrix) is a regular tensor: * multiplies elementwise, and memory is shared."""
    m = matrix([[1.0, 2.0], [3.0, 4.0]])
    for make in (tl.from_numpy, tl.tensor, tl.as_tensor):
        t = make(m)
        assert type(t.numpy()) is np.ndarray
        assert (t * t).tolist() == [[1.0, 4.0], [9.0, 16.0]]
        assert (t @ t).tolist() == [[7.0, 10.0], [15.0, 22.0]]
    shared = tl.from_numpy(m)
    m[0, 0] = 5.0
    assert shared.tolist()[0][0] == 5.0


def test_other_ndarray_subclasses_are_read_as_plain_arrays(tmp_path):
    class Tagged(np.ndarray):
        pass

    tagged = np.arange(3.0).view(Tagged)
    mapped = np.memmap(tmp_path / "m.bin", dtype=np.float32, mode="w+", shape=(3,))
    mapped[:] = [1.0, 2.0, 3.0]
    for array, expected in ((tagged, [0.0, 1.0, 2.0]), (mapped, [1.0, 2.0, 3.0])):
        for make in (tl.from_numpy, tl.tensor):
            t = make(array)
            assert type(t.numpy()) is np.ndarray and t.tolist() == expected
            assert type((t + 1).numpy()) is np.ndarray
    del mapped


def test_masked_arrays_are_refused_rather_than_losing_their_mask():
    """np.ma sums [1, --, 3] to 4; PyTorch silently drops the mask and sums 6. Refuse, say how to choose."""
    masked = np.ma.masked_array([1.0, 2.0, 3.0], mask=[False, True, False])
    for make in (tl.from_numpy, tl.tensor, tl.as_tensor):
        with pytest.raises(TypeError, match=r"masked arrays are not supported.*filled"):
            make(masked)
    assert tl.tensor(masked.filled(0.0)).sum().item() == 4.0
    assert tl.tensor(masked.data).sum().item() == 6.0
