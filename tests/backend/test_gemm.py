"""GEMM through the public binding, C = alpha * op(A) @ op(B) + beta * C, against NumPy in float64: on every
kernel variant this machine can run (each register-tile shape of avx512, avx2, generic; forced per test with
_C.set_gemm_kernel) and through tl.backend.gemm, with the error bound |C - C_ref| <= gamma * (|alpha| |op(A)| |op(B)| + |beta| |C|),
gamma = 2 (k + 2) eps, which holds for any summation order, blocking or FMA use.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tensorlite as tl
from tensorlite import _C


def operand(rng, rows, cols, layout, dtype):
    """A random matrix with logical shape rows x cols, laid out in memory as `layout` says:
    'contiguous', 'padded' (row stride > cols), 'fortran' (column-major) or 'step' (every other column,
    so neither axis is unit-stride and the binding copies)."""
    if layout == "padded":
        return rng.standard_normal((rows, cols + 3)).astype(dtype)[:, :cols]
    if layout == "fortran":
        return np.asfortranarray(rng.standard_normal((rows, cols)).astype(dtype))
    if layout == "step":
        return rng.standard_normal((rows, 2 * cols)).astype(dtype)[:, ::2]
    return rng.standard_normal((rows, cols)).astype(dtype)


def reference(op_a, op_b, alpha, beta, c):
    """alpha * op_a @ op_b + beta * c in float64, and the elementwise rounding-error bound."""
    a64, b64 = op_a.astype(np.float64), op_b.astype(np.float64)
    expected = alpha * (a64 @ b64)
    magnitude = abs(alpha) * (np.abs(a64) @ np.abs(b64))
    if c is not None and beta != 0:
        expected = expected + beta * c.astype(np.float64)
        magnitude = magnitude + abs(beta) * np.abs(c.astype(np.float64))
    gamma = 2 * (op_a.shape[-1] + 2) * np.finfo(op_a.dtype).eps
    return expected, gamma * magnitude + np.finfo(op_a.dtype).tiny


def assert_within(result, expected, bound):
    assert result.shape == expected.shape
    error = np.abs(result.astype(np.float64) - expected)
    assert np.all(error <= bound), (
        f"max error {error.max():.3g}, bound there {bound.flat[np.argmax(error)]:.3g}"
    )


def run_gemm(a_stored, b_stored, trans_a, trans_b, alpha, beta, c):
    """Run _C.gemm on stored operands and return (result, op(A), op(B))."""
    out = _C.gemm(a_stored, b_stored, trans_a, trans_b, alpha, beta, c)
    return out, (a_stored.T if trans_a else a_stored), (b_stored.T if trans_b else b_stored)


DTYPES = (np.float32, np.float64)


def stored(rng, rows, cols, transposed, dtype):
    """A random matrix whose op() is rows x cols: stored as its transpose when `transposed`."""
    shape = (cols, rows) if transposed else (rows, cols)
    return rng.standard_normal(shape).astype(dtype)


def op(x, transposed):
    """op(x): x or its transpose."""
    return x.T if transposed else x


# The ISA fixture holds for every example, so sharing it across examples is intended.
@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gemm_isa_matches_numpy(gemm_variant, dtype, data):
    cfg = _C.gemm_config()[np.dtype(dtype).name]
    # Sizes reach past two cache blocks in m and k, past the A-packing threshold (4 NR) in n, and in k past
    # the depth up to which A read in place (not packed) runs as one slice.
    m = data.draw(st.integers(0, 2 * cfg["mc"] + 17), label="m")
    n = data.draw(st.integers(0, 8 * cfg["nr"] + 17), label="n")
    k = data.draw(st.integers(0, max(2 * cfg["kc"], cfg["in_place_a_max_depth"]) + 17), label="k")
    trans_a, trans_b = data.draw(st.booleans(), label="trans_a"), data.draw(st.booleans(), label="trans_b")
    layouts = st.sampled_from(["contiguous", "padded", "fortran", "step"])
    layout_a, layout_b = data.draw(layouts, label="layout_a"), data.draw(layouts, label="layout_b")
    alpha = data.draw(st.sampled_from([1.0, -0.5, 2.0]), label="alpha")
    beta = data.draw(st.sampled_from([0.0, 1.0, -1.5]), label="beta")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    a = operand(rng, *((k, m) if trans_a else (m, k)), layout_a, dtype)
    b = operand(rng, *((n, k) if trans_b else (k, n)), layout_b, dtype)
    c = rng.standard_normal((m, n)).astype(dtype) if beta else np.full((m, n), np.nan, dtype)
    c_before = c.copy()
    out, op_a, op_b = run_gemm(a, b, trans_a, trans_b, alpha, beta, c)
    assert out is c or np.shares_memory(out, c)
    assert_within(out, *reference(op_a, op_b, alpha, beta, c_before))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m, n, k", [(1, 300, 257), (300, 1, 257), (1, 1, 1000), (7, 300, 513), (300, 9, 40)])
def test_gemm_isa_gemv_and_thin_shapes(gemm_variant, dtype, m, n, k):
    rng = np.random.default_rng(m * 7 + n * 3 + k)
    for trans_a in (False, True):
        for trans_b in (False, True):
            a = operand(rng, *((k, m) if trans_a else (m, k)), "padded", dtype)
            b = operand(rng, *((n, k) if trans_b else (k, n)), "padded", dtype)
            c = rng.standard_normal((m, n)).astype(dtype)
            c_before = c.copy()
            out, op_a, op_b = run_gemm(a, b, trans_a, trans_b, 0.75, 0.5, c)
            assert_within(out, *reference(op_a, op_b, 0.75, 0.5, c_before))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gemm_isa_one_and_two_threads_agree(gemm_variant, dtype, threads_restored):
    """Each element's summation order is independent of the thread split, so results are bit-identical."""
    rng = np.random.default_rng(5)
    # Each case is big enough for two threads (GEMM: > 2^18 multiply-adds, GEMV: > 2^20), except the
    # small one, whose batch is then split across threads. The blocked cases take each way of sharing a
    # product: rows with one B panel packed together, rows with several B panels packed together (and,
    # in float64, over the 32 MiB shared budget: packed per thread), columns because C is wide, columns
    # because C has too few rows. Only the smaller cases are also run as a batch of 16.
    cases = [
        ((301, 257), (257, 203), True),
        ((100, 16000), (16000, 100), False),
        ((64, 65600), (65600, 64), False),
        ((64, 300), (300, 1000), True),
        ((9, 700), (700, 600), True),
        ((1, 2000), (2000, 700), True),
        ((1500, 800), (800, 1), True),
        ((40, 30), (30, 20), True),
    ]
    if (
        "-" in gemm_variant
    ):  # a tile variant: the two deep cases test how threads share packed B, the same driver code
        cases = [case for case in cases if case[2]]  # for every tile, and most of this file's time
    for a_shape, b_shape, batched in cases:
        a = rng.standard_normal(a_shape).astype(dtype)
        b = rng.standard_normal(b_shape).astype(dtype)
        batch_a = rng.standard_normal((16,) + a_shape).astype(dtype) if batched else a[None]
        batch_b = rng.standard_normal((16,) + b_shape).astype(dtype) if batched else b[None]
        results = []
        for threads in (1, 2):
            tl.set_num_threads(threads)
            results.append((_C.gemm(a, b), _C.gemm(a.T, b, True), _C.gemm(batch_a, batch_b)))
        for one, two in zip(*results):
            np.testing.assert_array_equal(one, two)
        assert_within(results[1][0], *reference(a, b, 1.0, 0.0, None))
        assert_within(results[1][1], *reference(a, b, 1.0, 0.0, None))
        assert_within(results[0][2], *reference(batch_a, batch_b, 1.0, 0.0, None))


def assert_both_layouts_on_one_and_two_threads(a, b, c):
    """C := 0.75 A B + 0.5 C with A row-major and with A stored transposed, on 1 and 2 threads: the two thread
    counts agree bit for bit, and both layouts match the float64 reference."""
    results = []
    for threads in (1, 2):
        tl.set_num_threads(threads)
        results.append(
            (
                _C.gemm(a, b, False, False, 0.75, 0.5, c.copy()),
                _C.gemm(a.T.copy(), b, True, False, 0.75, 0.5, c.copy()),
            )
        )
    for one, two in zip(*results):
        np.testing.assert_array_equal(one, two)
    for out in results[0]:
        assert_within(out, *reference(a, b, 0.75, 0.5, c))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 3, 4, 6, 19, 100])
def test_gemm_isa_narrow_last_micro_panel(gemm_variant, dtype, n, threads_restored):
    """The last micro-panel of B when it is narrow: up to 4 columns, the dot-form tail (A row-major, read in
    place; k % 8 != 0 leaves a remainder) or the axpy-form tail (A transposed, whole blocks of rows, the
    rest on tall tiles); up to half a micro-panel, the tall tiles. Ragged row tiles, alpha and beta, 1 and 2
    threads (the two agree bit for bit); with A transposed and n < 16, C is computed transposed."""
    rng = np.random.default_rng(11)
    m, k = 131, 301
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    c = rng.standard_normal((m, n)).astype(dtype)
    assert_both_layouts_on_one_and_two_threads(a, b, c)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m, n", [(2, 300), (5, 1801), (11, 100), (23, 37), (30, 64), (47, 10)])
def test_gemm_isa_few_row_panels_read_b_in_place(gemm_variant, dtype, m, n, threads_restored):
    """With only a few row panels of C and A packed, whole micro-panels of B are read in place, row by row
    through a table of offsets (a last partial micro-panel is packed): A stored transposed, or A row-major
    with a wide B; k over three kc slices; B a strided view with contiguous rows; ragged rows, alpha and
    beta, 1 and 2 threads (bit-equal); n = 1801 spans two nc panels; (47, 10) is computed transposed, with
    B = A^T read in place."""
    rng = np.random.default_rng(13)
    k = 901
    a = rng.standard_normal((m, k)).astype(dtype)
    b_wide = rng.standard_normal((k, n + 5)).astype(dtype)
    b = b_wide[:, 3 : 3 + n]
    c = rng.standard_normal((m, n)).astype(dtype)
    assert_both_layouts_on_one_and_two_threads(a, b, c)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m, n, k", [(1, 40, 30), (40, 1, 30), (37, 41, 300)])
def test_gemm_isa_nan_and_inf_propagate(gemm_variant, dtype, m, n, k):
    rng = np.random.default_rng(11)
    for trans_a in (False, True):
        op_a = rng.standard_normal((m, k)).astype(dtype)
        op_b = rng.standard_normal((k, n)).astype(dtype)
        op_a[m // 2, 3] = np.nan
        op_a[m - 1, 5] = np.inf
        op_b[7, n - 1] = -np.inf
        op_b[5, 0] = 0.0  # inf * 0 = nan in C[m-1, 0]
        a = np.ascontiguousarray(op_a.T) if trans_a else op_a
        with np.errstate(invalid="ignore"):
            expected = op_a.astype(np.float64) @ op_b.astype(np.float64)
        out = _C.gemm(a, op_b, trans_a, False)
        np.testing.assert_array_equal(np.isnan(out), np.isnan(expected))
        np.testing.assert_array_equal(np.isposinf(out), np.isposinf(expected))
        np.testing.assert_array_equal(np.isneginf(out), np.isneginf(expected))
        assert np.isnan(out[m - 1, 0]) and np.isnan(out[m // 2]).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m, n, k", [(1, 33, 20), (33, 1, 20), (50, 60, 70), (50, 60, 0)])
def test_gemm_isa_beta_zero_ignores_nan_in_c(gemm_variant, dtype, m, n, k):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    c = np.full((m, n), np.nan, dtype)
    out = _C.gemm(a, b, False, False, 1.0, 0.0, c)
    assert_within(out, *reference(a, b, 1.0, 0.0, None))
    assert np.isfinite(out).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gemm_isa_alpha_zero_scales_c_only(gemm_variant, dtype):
    """BLAS semantics: alpha == 0 leaves A and B unread, C := beta * C."""
    a = np.full((20, 30), np.nan, dtype)
    b = np.ones((30, 40), dtype)
    c = np.arange(800, dtype=dtype).reshape(20, 40)
    out = _C.gemm(a, b, False, False, 0.0, 0.5, c.copy())
    np.testing.assert_array_equal(out, 0.5 * c)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gemm_isa_batched_small_and_broadcast(gemm_variant, dtype, threads_restored):
    rng = np.random.default_rng(8)
    tl.set_num_threads(2)
    a = rng.standard_normal((64, 5, 7)).astype(dtype)
    b = rng.standard_normal((7, 3)).astype(dtype)
    b_batch = np.broadcast_to(b, (64, 7, 3))  # batch stride 0
    out = _C.gemm(a, b_batch)
    assert_within(out, *reference(a, b_batch, 1.0, 0.0, None))
    at = np.ascontiguousarray(np.swapaxes(a, 1, 2))
    out_t = _C.gemm(at, b_batch, True, False)
    np.testing.assert_array_equal(out_t, out)


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
    expected, bound = reference(op(a, trans_a), op(b, trans_b), alpha, beta, c)
    out = c.copy()
    result = tl.backend.gemm(a, b, trans_a, trans_b, alpha, beta, out)
    assert result is out and result.dtype == dtype
    assert_within(out, expected, bound)
    fresh = _C.gemm(a, b, trans_a, trans_b, alpha)  # no out: beta is irrelevant, C is new
    assert_within(fresh, *reference(op(a, trans_a), op(b, trans_b), alpha, 0.0, None))


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
            assert_within(result, *reference(op(a, trans_a), op(b, trans_b), 1.0, 0.0, None))


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
            assert_within(result, *reference(a_use, b_use, 1.0, 0.0, None))


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
