"""GEMM through the public binding: C = alpha * op(A) @ op(B) + beta * C against numpy.matmul in float64.

Errors are checked against the classical bound |C - C_ref| <= gamma * (|alpha| |op(A)| |op(B)| + |beta| |C|)
with gamma = 2 (k + 2) eps, which holds for any summation order, blocking or FMA use.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensorlite as tl
from tensorlite import _C

DTYPES = (np.float32, np.float64)


@pytest.fixture
def restore_threads():
    before = tl.get_num_threads()
    yield
    tl.set_num_threads(before)


def stored(rng, rows, cols, transposed, dtype):
    """A random matrix whose op() is rows x cols: stored as its transpose when `transposed`."""
    shape = (cols, rows) if transposed else (rows, cols)
    return rng.standard_normal(shape).astype(dtype)


def reference(a, b, trans_a, trans_b, alpha, beta, c):
    """alpha * op(a) @ op(b) + beta * c in float64, and the elementwise rounding-error bound."""
    op_a = (a.T if trans_a else a).astype(np.float64)
    op_b = (b.T if trans_b else b).astype(np.float64)
    k = op_a.shape[-1]
    expected = alpha * (op_a @ op_b)
    magnitude = abs(alpha) * (np.abs(op_a) @ np.abs(op_b))
    if c is not None and beta != 0:
        expected = expected + beta * c.astype(np.float64)
        magnitude = magnitude + abs(beta) * np.abs(c.astype(np.float64))
    gamma = 2 * (k + 2) * np.finfo(a.dtype).eps
    return expected, gamma * magnitude + np.finfo(a.dtype).tiny


def assert_gemm_close(result, expected, bound):
    assert result.shape == expected.shape
    error = np.abs(result.astype(np.float64) - expected)
    worst = np.unravel_index(np.argmax(error - bound), error.shape) if error.size else None
    assert np.all(error <= bound), f"error {error[worst]:.3g} > bound {bound[worst]:.3g} at {worst}"


@settings(max_examples=40)
@given(
    m=st.integers(0, 300),
    n=st.integers(0, 300),
    k=st.integers(0, 300),
    trans_a=st.booleans(),
    trans_b=st.booleans(),
    dtype=st.sampled_from(DTYPES),
    alpha=st.sampled_from([1.0, -0.5, 2.0, 0.0]),
    beta=st.sampled_from([0.0, 1.0, -1.5]),
    seed=st.integers(0, 2**32 - 1),
)
def test_gemm_matches_numpy(m, n, k, trans_a, trans_b, dtype, alpha, beta, seed):
    rng = np.random.default_rng(seed)
    a, b = stored(rng, m, k, trans_a, dtype), stored(rng, k, n, trans_b, dtype)
    c = rng.standard_normal((m, n)).astype(dtype)
    expected, bound = reference(a, b, trans_a, trans_b, alpha, beta, c)
    out = c.copy()
    result = tl.backend.gemm(a, b, trans_a, trans_b, alpha, beta, out)
    assert result is out and result.dtype == dtype
    assert_gemm_close(out, expected, bound)
    fresh = _C.gemm(a, b, trans_a, trans_b, alpha)  # no out: beta is irrelevant, C is new
    assert_gemm_close(fresh, *reference(a, b, trans_a, trans_b, alpha, 0.0, None))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "m, n, k", [(1, 1, 1), (1, 300, 1), (300, 1, 7), (17, 33, 65), (64, 64, 300), (0, 5, 3)]
)
def test_gemm_edge_sizes_all_transposes(dtype, m, n, k):
    rng = np.random.default_rng(m * 1000 + n * 10 + k)
    for trans_a in (False, True):
        for trans_b in (False, True):
            a, b = stored(rng, m, k, trans_a, dtype), stored(rng, k, n, trans_b, dtype)
            result = _C.gemm(a, b, trans_a, trans_b)
            assert_gemm_close(result, *reference(a, b, trans_a, trans_b, 1.0, 0.0, None))


@pytest.mark.parametrize("dtype", DTYPES)
def test_gemm_strided_transposed_and_negative_stride_views(dtype):
    rng = np.random.default_rng(8)
    base_a = rng.standard_normal((90, 140)).astype(dtype)
    base_b = rng.standard_normal((150, 80)).astype(dtype)
    views_a = [
        base_a[:, ::2],
        base_a[::-1, :70],
        base_a[:70, :90].T[:, ::-1],
        base_a[1:71:1, 3:73],
        base_a.T[:70],
    ]
    views_b = [base_b[:70, ::3], base_b[::-2][:70], base_b[:80, :70].T, base_b[5:75, ::-1]]
    for a in views_a:
        for b in views_b:
            a_use, b_use = a[:, : b.shape[0]], b
            if a_use.shape[1] != b_use.shape[0]:
                a_use = a_use[:, : min(a_use.shape[1], b_use.shape[0])]
                b_use = b_use[: a_use.shape[1]]
            result = tl.backend.gemm(a_use, b_use)
            assert_gemm_close(result, *reference(a_use, b_use, False, False, 1.0, 0.0, None))


@pytest.mark.parametrize("dtype", DTYPES)
def test_gemm_batched_with_broadcast_and_views(dtype):
    rng = np.random.default_rng(9)
    a = rng.standard_normal((4, 13, 7)).astype(dtype)
    b = rng.standard_normal((4, 11, 7)).astype(dtype)
    result = _C.gemm(a, b, False, True)
    expected = np.matmul(a.astype(np.float64), np.swapaxes(b, 1, 2).astype(np.float64))
    np.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-4)
    shared_b = np.broadcast_to(b[0].T, (4, 7, 11))  # stride 0 over the batch
    expected_shared = np.matmul(a.astype(np.float64), b[0].T.astype(np.float64))
    np.testing.assert_allclose(_C.gemm(a, shared_b), expected_shared, rtol=1e-4, atol=1e-4)
    reversed_batch = a[::-1]  # negative batch stride
    np.testing.assert_allclose(
        _C.gemm(reversed_batch, b[::-1], False, True), expected[::-1], rtol=1e-4, atol=1e-4
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_nan_in_c_is_ignored_when_beta_is_zero(dtype):
    rng = np.random.default_rng(10)
    a, b = rng.standard_normal((20, 30)).astype(dtype), rng.standard_normal((30, 10)).astype(dtype)
    out = np.full((20, 10), np.nan, dtype=dtype)
    _C.gemm(a, b, False, False, 1.0, 0.0, out)
    assert np.all(np.isfinite(out))
    assert_gemm_close(out, *reference(a, b, False, False, 1.0, 0.0, None))
    out[:] = np.nan
    _C.gemm(a, b, False, False, 0.0, 0.0, out)  # alpha = beta = 0: C := 0
    assert np.all(out == 0)
    empty_k = np.full((3, 4), np.nan, dtype=dtype)
    _C.gemm(np.zeros((3, 0), dtype), np.zeros((0, 4), dtype), False, False, 1.0, 0.0, empty_k)
    assert np.all(empty_k == 0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_one_and_two_threads_agree(dtype, restore_threads):
    rng = np.random.default_rng(11)
    a, b = rng.standard_normal((257, 190)).astype(dtype), rng.standard_normal((190, 131)).astype(dtype)
    c = rng.standard_normal((257, 131)).astype(dtype)
    results = []
    for threads in (1, 2):
        tl.set_num_threads(threads)
        assert tl.get_num_threads() == threads
        out = c.copy()
        _C.gemm(a, b, False, False, 0.5, 2.0, out)
        results.append((out, _C.gemm(a, b), _C.gemm(b, a, True, True, -1.0)))
    for single, double in zip(results[0], results[1]):
        np.testing.assert_allclose(
            single, double, rtol=20 * np.finfo(dtype).eps, atol=20 * np.finfo(dtype).eps
        )


@pytest.mark.parametrize(
    "args, error, message",
    [
        (
            (np.ones((2, 3)), np.ones((4, 5))),
            ValueError,
            r"op\(a\) is 2x3 \(a shape \(2, 3\)\).*op\(b\) is 4x5",
        ),
        ((np.ones(3), np.ones(3)), ValueError, r"must both be 2-D or both 3-D, got shapes \(3,\) and \(3,\)"),
        (
            (np.ones((2, 2, 2)), np.ones((3, 2, 2))),
            ValueError,
            r"batch sizes differ: \(2, 2, 2\) and \(3, 2, 2\)",
        ),
        (
            (np.ones((2, 2), np.int64), np.ones((2, 2), np.int64)),
            TypeError,
            "float32 or float64 array, got dtype int64",
        ),
        (
            (np.ones((2, 2)), np.ones((2, 2), np.float32)),
            TypeError,
            "b has dtype float32 but float64 was expected",
        ),
    ],
)
def test_gemm_rejects_bad_operands(args, error, message):
    with pytest.raises(error, match=message):
        _C.gemm(*args)


def test_gemm_rejects_bad_out():
    a = np.ones((2, 3))
    with pytest.raises(
        ValueError, match=r"out must be a writeable C-contiguous array of shape \(2, 2\), got \(2, 3\)"
    ):
        _C.gemm(a, a, False, True, 1.0, 0.0, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="C-contiguous"):
        _C.gemm(a, a, False, True, 1.0, 0.0, np.zeros((2, 4))[:, ::2])
    readonly = np.zeros((2, 2))
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        _C.gemm(a, a, False, True, 1.0, 0.0, readonly)
    with pytest.raises(TypeError, match="out has dtype float32"):
        _C.gemm(a, a, False, True, 1.0, 0.0, np.zeros((2, 2), np.float32))
