"""GEMM kernel variants (gemm_kernel_variants, set_gemm_kernel, gemm_kernel): every variant computes the
product and the gathered products of the direct convolution; unknown or unrunnable names are refused;
TENSORLITE_ISA bounds the variants (in a subprocess)."""

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tensorlite import _C

from harness import assert_close, conv_algorithm
from reference.conv import conv2d_reference

VARIANTS = _C.gemm_kernel_variants()


@pytest.fixture
def restore_kernel():
    try:
        yield
    finally:
        _C.set_gemm_kernel("auto")


def test_variants_follow_the_available_isas_and_switch_reports(restore_kernel):
    assert VARIANTS == _C.gemm_config()["available"] and VARIANTS[-1] == "generic"
    assert _C.gemm_kernel() == "auto"
    for name in VARIANTS:
        _C.set_gemm_kernel(name)
        assert _C.gemm_kernel() == name
    _C.set_gemm_kernel("auto")
    assert _C.gemm_kernel() == "auto"


def test_unknown_variant_is_refused_naming_the_choices(restore_kernel):
    with pytest.raises(ValueError, match=r"'sse'.*available: auto, " + ", ".join(VARIANTS)):
        _C.set_gemm_kernel("sse")
    assert _C.gemm_kernel() == "auto"


@settings(max_examples=8)
@given(
    m=st.integers(1, 70),
    n=st.integers(1, 70),
    k=st.integers(1, 70),
    trans_b=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_every_variant_computes_the_product_and_direct_conv(m, n, k, trans_b, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(np.float32)
    c = rng.standard_normal((m, n)).astype(np.float32)
    x, w = rng.standard_normal((2, 3, 5, 7)), rng.standard_normal((4, 3, 3, 3))
    try:
        for name in VARIANTS:
            _C.set_gemm_kernel(name)
            expected = a.astype(np.float64) @ (b.T if trans_b else b) + 0.5 * c
            assert_close(_C.gemm(a, b, False, trans_b, 1.0, 0.5, c.copy()), expected, np.float32)
            with conv_algorithm("direct"):  # GatheredGemm, packed with the forced variant
                y = _C.conv2d_forward(x, w, None, (1, 1), (1, 1), (1, 1), 1, (5, 7))
            assert_close(y, conv2d_reference(x, w, padding=((1, 1), (1, 1))), np.float64)
    finally:
        _C.set_gemm_kernel("auto")


def test_isa_limit_bounds_the_variants():
    env = dict(os.environ, TENSORLITE_ISA="generic")
    code = (
        "from tensorlite import _C\n"
        "print(_C.gemm_kernel_variants())\n"
        "try:\n    _C.set_gemm_kernel('avx2')\nexcept ValueError as e:\n    print('refused', e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    lines = done.stdout.strip().splitlines()
    assert lines[0] == "['generic']"
    assert lines[1].startswith("refused") and "'avx2'" in lines[1]
