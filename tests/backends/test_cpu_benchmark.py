"""tl.backends.cpu.benchmark (kernels chosen by measurement): tuned GEMM and conv2d results against the float64
reference and the untuned kernels, one cache entry per configuration, every candidate correct, forcing wins,
no tuning inside a convolution's GEMMs."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensorlite as tl
from tensorlite import _C

from harness import assert_close, conv_algorithm
from reference.conv import conv2d_backward_reference, conv2d_reference

cpu = tl.backends.cpu


@pytest.fixture
def tuning():
    """Tuning on with an empty cache inside the test; everything back to the defaults after it."""
    cpu.benchmark_cache_clear()
    cpu.benchmark = True
    try:
        yield
    finally:
        cpu.benchmark = False
        cpu.benchmark_cache_clear()
        _C.set_gemm_kernel("auto")


def entries(op):
    return [e for e in cpu.benchmark_choices() if e["op"] == op]


# ---------------------------------------------------------------- GEMM


@settings(max_examples=12)
@given(
    m=st.integers(16, 40),
    n=st.integers(16, 40),
    k=st.integers(16, 40),
    trans_a=st.booleans(),
    trans_b=st.booleans(),
    beta=st.sampled_from([0.0, 1.0]),
    f64=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_tuned_gemm_matches_reference_and_untuned(m, n, k, trans_a, trans_b, beta, f64, seed):
    dtype = np.float64 if f64 else np.float32
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(dtype)
    c0 = rng.standard_normal((m, n)).astype(dtype)
    expected = (a.T if trans_a else a).astype(np.float64) @ (b.T if trans_b else b) + beta * c0
    untuned = _C.gemm(a, b, trans_a, trans_b, 1.0, beta, c0.copy())
    cpu.benchmark_cache_clear()
    cpu.benchmark = True
    try:
        tuned = [_C.gemm(a, b, trans_a, trans_b, 1.0, beta, c0.copy()) for _ in range(2)]
        (entry,) = cpu.benchmark_choices()  # one entry: the second call reused it
    finally:
        cpu.benchmark = False
        cpu.benchmark_cache_clear()
    for (
        result
    ) in tuned:  # the first call ran every candidate (C restored between them), the second the winner
        assert_close(result, expected, dtype)
        np.testing.assert_allclose(result, untuned, rtol=1e-5 if f64 else 1e-3, atol=1e-5 if f64 else 1e-3)
    assert entry["sizes"] == {"m": m, "n": n, "k": k, "trans_a": trans_a, "trans_b": trans_b}
    assert entry["dtype"] == np.dtype(dtype).name and entry["threads"] == tl.get_num_threads()
    assert entry["kernel"] in _C.gemm_kernel_variants() and entry["algorithm"] is None
    assert entry["kernel"] == min(entry["seconds"], key=entry["seconds"].get)


def test_tuned_gemm_second_call_reuses_choice_and_batched_has_its_own_entry(tuning):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 32, 24)), rng.standard_normal((3, 24, 20))
    _C.gemm(a[0], b[0])
    first = cpu.benchmark_choices()
    for _ in range(3):
        _C.gemm(a[0], b[0])
    assert cpu.benchmark_choices() == first  # same times: not measured again
    batched = _C.gemm(a, b)
    assert_close(batched, np.einsum("bij,bjk->bik", a, b), np.float64)
    (entry,) = entries("gemm_batched")
    assert entry["sizes"]["batch"] == 3 and len(cpu.benchmark_choices()) == 2


def test_tuned_gemm_every_candidate_is_correct(tuning):
    """Each measured variant, made the cached choice, computes the product."""
    rng = np.random.default_rng(1)
    a, b, c0 = rng.standard_normal((33, 47)), rng.standard_normal((47, 29)), rng.standard_normal((33, 29))
    _C.gemm(a, b, False, False, 2.0, 1.0, c0.copy())
    (entry,) = cpu.benchmark_choices()
    assert len(entry["seconds"]) >= 1 and set(entry["seconds"]) <= set(_C.gemm_kernel_variants())
    for kernel in entry["seconds"]:
        cpu.benchmark_cache_clear()
        _C.autotune_load([{**entry, "kernel": kernel}])
        assert_close(_C.gemm(a, b, False, False, 2.0, 1.0, c0.copy()), 2.0 * a @ b + c0, np.float64)
        assert cpu.benchmark_choices()[0]["kernel"] == kernel


def test_tiny_gemm_and_forced_kernel_are_not_tuned(tuning):
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((4, 4)), rng.standard_normal((4, 4))
    assert_close(_C.gemm(a, b), a @ b, np.float64)  # 64 multiply-adds: below the tuning threshold
    variant = _C.gemm_kernel_variants()[-1]
    _C.set_gemm_kernel(variant)
    big_a, big_b = rng.standard_normal((40, 40)), rng.standard_normal((40, 40))
    assert_close(_C.gemm(big_a, big_b), big_a @ big_b, np.float64)
    assert cpu.benchmark_choices() == []


# ---------------------------------------------------------------- conv2d


def conv_case(seed, batch, cin, cout, kernel, stride, pad, groups):
    rng = np.random.default_rng(seed)
    h, w = 3 + seed % 5, 4 + seed % 6
    x = rng.standard_normal((batch, cin * groups, h, w))
    wt = rng.standard_normal((cout * groups, cin, *kernel))
    bias = rng.standard_normal(cout * groups)
    out = ((h + 2 * pad[0] - kernel[0]) // stride[0] + 1, (w + 2 * pad[1] - kernel[1]) // stride[1] + 1)
    return x, wt, bias, out


def run_conv(x, wt, bias, stride, pad, groups, out, dy=None):
    y = _C.conv2d_forward(x, wt, bias, stride, pad, (1, 1), groups, out)
    grads = _C.conv2d_backward(x, wt, y if dy is None else dy, stride, pad, (1, 1), groups, True, True, True)
    return y, grads


def applicable(algorithm, conv_pass, kernel, stride, groups):
    """Where each algorithm can run (conv.h) for conv_pass "forward", "dx" or "dw": Winograd 3x3 stride 1 one
    group, direct horizontal stride 1 or 2 (both strides 1 for dX, never dW), batched columns for small images
    (all of these), im2col everywhere."""
    if algorithm == "winograd":
        return kernel == (3, 3) and stride == (1, 1) and groups == 1
    if algorithm == "direct":
        return {"forward": stride[1] <= 2, "dx": stride == (1, 1), "dw": False}[conv_pass]
    return algorithm in ("batched", "im2col")


def applicable_choice(label, op, kernel, stride, groups):
    """Whether a measured "algorithm/variant" label can run: conv2d_forward's algorithm, or conv2d_backward's
    pair "dx+dw" of dX's and dW's algorithms."""
    choice = label.split("/")[0]
    if op == "conv2d_forward":
        return applicable(choice, "forward", kernel, stride, groups)
    dx, dw = choice.split("+")
    return applicable(dx, "dx", kernel, stride, groups) and applicable(dw, "dw", kernel, stride, groups)


@settings(max_examples=10)
@given(
    seed=st.integers(0, 2**31),
    batch=st.integers(1, 3),
    cin=st.integers(1, 4),
    cout=st.integers(1, 5),
    kernel=st.sampled_from([(1, 1), (3, 3), (1, 3), (2, 3)]),
    stride=st.sampled_from([(1, 1), (1, 2), (2, 1)]),
    pad=st.sampled_from([(0, 0), (1, 1), (0, 1)]),
    groups=st.sampled_from([1, 2]),
)
def test_tuned_conv_matches_reference_untuned_and_applicable_choice(
    seed, batch, cin, cout, kernel, stride, pad, groups
):
    x, wt, bias, out = conv_case(seed, batch, cin, cout, kernel, stride, pad, groups)
    if min(out) < 1:
        return
    rng = np.random.default_rng(seed + 1)
    dy = rng.standard_normal((batch, cout * groups, *out))
    padding = ((pad[0], pad[0]), (pad[1], pad[1]))
    expected_y = conv2d_reference(x, wt, bias, stride, padding, groups=groups)
    expected_grads = conv2d_backward_reference(x, wt, dy, stride, padding, groups=groups)
    untuned = run_conv(x, wt, bias, stride, pad, groups, out, dy)
    cpu.benchmark_cache_clear()
    cpu.benchmark = True
    try:
        tuned = [run_conv(x, wt, bias, stride, pad, groups, out, dy) for _ in range(2)]
        choices = cpu.benchmark_choices()
    finally:
        cpu.benchmark = False
        cpu.benchmark_cache_clear()
    for y, grads in tuned:
        assert_close(y, expected_y, np.float64)
        np.testing.assert_allclose(y, untuned[0], rtol=1e-9, atol=1e-9)
        for got, want, plain in zip(grads, expected_grads, untuned[1]):
            assert_close(got, want, np.float64)
            np.testing.assert_allclose(got, plain, rtol=1e-9, atol=1e-9)
    # One entry per pass, none for the GEMMs inside (they ran under the conv's choice).
    assert sorted(e["op"] for e in choices) == ["conv2d_backward", "conv2d_forward"]
    for e in choices:
        assert e["kernel"] in _C.gemm_kernel_variants()
        for label in e["seconds"]:
            assert applicable_choice(label, e["op"], kernel, stride, groups), (label, e)
        assert f"{e['algorithm']}/{e['kernel']}" == min(e["seconds"], key=e["seconds"].get)
        assert e["sizes"]["stride_w"] == stride[1] and e["sizes"]["groups"] == groups


@pytest.mark.parametrize(
    "geometry",
    [
        (
            (2, 1, 7, 8),
            (3, 1, 3, 3),
            (1, 1),
            (1, 1),
        ),  # dX direct with one input channel: only tuning tries it
        ((2, 3, 6, 9), (4, 3, 3, 3), (1, 1), (0, 1)),
        ((3, 2, 1, 12), (5, 2, 1, 5), (1, 2), (0, 0)),
        ((2, 16, 8, 8), (16, 16, 3, 3), (1, 1), (1, 1)),  # dW by Winograd, batched or im2col
    ],
)
def test_every_conv_candidate_is_correct(tuning, geometry):
    """Each measured (algorithm, variant) pair, made the cached choice, computes both passes."""
    xs, ws, stride, pad = geometry
    rng = np.random.default_rng(3)
    x, wt, bias = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    out = ((xs[2] + 2 * pad[0] - ws[2]) // stride[0] + 1, (xs[3] + 2 * pad[1] - ws[3]) // stride[1] + 1)
    dy = rng.standard_normal((xs[0], ws[0], *out))
    padding = ((pad[0], pad[0]), (pad[1], pad[1]))
    expected = (
        conv2d_reference(x, wt, bias, stride, padding),
        conv2d_backward_reference(x, wt, dy, stride, padding),
    )
    run_conv(x, wt, bias, stride, pad, 1, out, dy)
    measured = cpu.benchmark_choices()
    assert len(measured) == 2
    for entry in measured:
        for label in entry["seconds"]:
            algorithm, kernel = label.split("/")
            cpu.benchmark_cache_clear()
            _C.autotune_load([{**entry, "algorithm": algorithm, "kernel": kernel}])
            y, grads = run_conv(x, wt, bias, stride, pad, 1, out, dy)
            assert_close(y, expected[0], np.float64)
            for got, want in zip(grads, expected[1]):
                assert_close(got, want, np.float64)
            (used,) = [e for e in cpu.benchmark_choices() if e["op"] == entry["op"]]  # loaded, not measured
            assert (used["algorithm"], used["kernel"], used["seconds"]) == (algorithm, kernel, {})


def test_tuned_backward_times_each_dx_and_each_dw_algorithm_against_the_rules_other(tuning):
    """conv2d_backward's candidates: the rule's (dX, dW) pair, each other dX algorithm with the rule's dW, and
    the rule's dX with each other dW algorithm, every one under every kernel variant."""
    rng = np.random.default_rng(6)
    x, wt, dy = (rng.standard_normal(s) for s in ((2, 16, 8, 8), (16, 16, 3, 3), (2, 16, 8, 8)))
    _, rule_dx, rule_dw = _C.conv2d_algorithm(x, wt, (1, 1), (1, 1), (1, 1), 1, (8, 8))
    assert (rule_dx, rule_dw) == ("direct", "winograd")
    _C.conv2d_backward(x, wt, dy, (1, 1), (1, 1), (1, 1), 1, True, True, False)
    (entry,) = entries("conv2d_backward")
    measured = {label.split("/")[0] for label in entry["seconds"]}
    expected = {f"{dx}+{rule_dw}" for dx in ("winograd", "direct", "batched", "im2col")}
    expected |= {f"{rule_dx}+{dw}" for dw in ("winograd", "batched", "im2col")}
    assert measured == expected
    kernels = {label.split("/")[1] for label in entry["seconds"]}
    assert kernels <= set(_C.gemm_kernel_variants()) and len(entry["seconds"]) == len(expected) * len(kernels)
    assert entry["algorithm"] in expected


def test_forced_conv_algorithm_and_gemm_kernel_win_over_tuning(tuning):
    rng = np.random.default_rng(4)
    x, wt = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((4, 3, 3, 3))
    expected = conv2d_reference(x, wt, None, padding=((1, 1), (1, 1)))
    with conv_algorithm("im2col"):
        assert_close(_C.conv2d_forward(x, wt, None, (1, 1), (1, 1), (1, 1), 1, (6, 6)), expected, np.float64)
    assert entries("conv2d_forward") == []
    _C.set_gemm_kernel(_C.gemm_kernel_variants()[-1])
    assert_close(_C.conv2d_forward(x, wt, None, (1, 1), (1, 1), (1, 1), 1, (6, 6)), expected, np.float64)
    assert cpu.benchmark_choices() == []


def test_tuned_winograd_candidate_still_falls_back_on_non_finite_input(tuning):
    rng = np.random.default_rng(5)
    x, wt = rng.standard_normal((2, 4, 6, 6)), rng.standard_normal((4, 4, 3, 3))
    x[0, 1, 2, 3] = np.inf
    tuned = _C.conv2d_forward(x, wt, None, (1, 1), (1, 1), (1, 1), 1, (6, 6))
    cpu.benchmark = False
    reference = _C.conv2d_forward(x, wt, None, (1, 1), (1, 1), (1, 1), 1, (6, 6))
    cpu.benchmark = True
    (entry,) = cpu.benchmark_choices()
    assert "winograd/" + entry["kernel"] in entry["seconds"]
    cpu.benchmark_cache_clear()
    _C.autotune_load([{**entry, "algorithm": "winograd"}])
    forced = _C.conv2d_forward(x, wt, None, (1, 1), (1, 1), (1, 1), 1, (6, 6))
    for y in (tuned, forced):
        np.testing.assert_array_equal(np.isnan(y), np.isnan(reference))
        np.testing.assert_allclose(y, reference, rtol=1e-9, atol=1e-9, equal_nan=True)
    assert np.isinf(reference).any() and not np.isnan(reference).any()  # inf propagates as the direct sum
