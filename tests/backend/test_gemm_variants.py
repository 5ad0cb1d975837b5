"""GEMM kernel variants (register-tile shapes of each ISA build): gemm_kernel_variants, set_gemm_kernel /
gemm_kernel, their limit under TENSORLITE_ISA, and convolutions (GatheredGemm and the dW/dX products) run on
every variant against the float64 reference. The GEMM property tests in test_gemm.py run on every variant."""

import os
import subprocess
import sys

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn.functional as F
from tensorlite import _C

from harness import conv_algorithm
from reference.conv import conv2d_backward_reference, conv2d_reference

VARIANTS = _C.gemm_kernel_variants()


def test_variants_hold_every_available_isa_and_are_unique():
    assert _C.gemm_kernel() == "auto"
    assert len(set(VARIANTS)) == len(VARIANTS) and VARIANTS[-1] == "generic"
    available = _C.gemm_config()["available"]
    assert [v for v in VARIANTS if "-" not in v] == available
    assert all(v.split("-")[0] in available for v in VARIANTS)
    assert _C.gemm_config()["variants"] == VARIANTS


def test_forced_variant_is_reported_with_its_tile(gemm_variant):
    cfg = _C.gemm_config()
    assert _C.gemm_kernel() == cfg["kernel"] == gemm_variant
    if "-" in gemm_variant:  # "avx512-MRxNR" names its float32 tile; float64 has half the columns
        mr, nr = map(int, gemm_variant.split("-")[1].split("x"))
        assert (cfg["float32"]["mr"], cfg["float32"]["nr"]) == (mr, nr)
        assert (cfg["float64"]["mr"], cfg["float64"]["nr"]) == (mr, nr // 2)
    for dtype in ("float32", "float64"):
        blk = cfg[dtype]
        assert blk["mc"] % blk["mr"] == 0 and blk["nc"] % blk["nr"] == 0


def test_auto_restores_the_active_isa_blocking():
    before = _C.gemm_config()
    _C.set_gemm_kernel(VARIANTS[-1])
    _C.set_gemm_kernel("auto")
    assert _C.gemm_kernel() == "auto" and _C.gemm_config() == before


def test_set_gemm_kernel_rejects_unknown_names_listing_the_choices():
    with pytest.raises(
        ValueError, match=r"unknown GEMM kernel variant 'avx512-5x5' \(choices: auto, .*generic\)"
    ):
        _C.set_gemm_kernel("avx512-5x5")
    assert _C.gemm_kernel() == "auto"


def test_isa_limit_hides_the_variants_above_it():
    """Under TENSORLITE_ISA=generic only the generic variant runs; forcing any other one is refused."""
    code = (
        "from tensorlite import _C\n"
        "print(','.join(_C.gemm_kernel_variants()))\n"
        f"for name in {VARIANTS!r}[:-1]:\n"
        "    try:\n"
        "        _C.set_gemm_kernel(name)\n"
        "        print('accepted', name)\n"
        "    except ValueError as e:\n"
        "        assert 'cannot run' in str(e), e\n"
    )
    env = dict(os.environ, TENSORLITE_ISA="generic")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["generic"]


# Convolutions whose products take each class of the per-shape choice: the direct path's GatheredGemm with
# 1, 3, 16 and 32 rows (output channels forward, input channels for dX), dW^T with 9..16 and 5..8 columns,
# and the im2col path's products; rows wider than a 16-column tile with a ragged edge.
CONV_CASES = [
    ((2, 3, 9, 37), (16, 3, 3, 3), 1, "direct"),
    ((3, 1, 8, 29), (32, 1, 3, 3), 1, "direct"),
    ((2, 6, 9, 13), (16, 6, 5, 5), 0, "im2col"),
    ((2, 1, 12, 12), (6, 1, 5, 5), 0, "im2col"),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape, w_shape, pad, algorithm", CONV_CASES)
def test_conv_forward_and_backward_on_every_variant(gemm_variant, x_shape, w_shape, pad, algorithm, dtype):
    rng = np.random.default_rng(x_shape[1] * 100 + w_shape[0])
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    expected = conv2d_reference(x, w, b, (1, 1), ((pad, pad), (pad, pad)), (1, 1), 1)
    dy = rng.standard_normal(expected.shape)
    expected_grads = conv2d_backward_reference(x, w, dy, (1, 1), ((pad, pad), (pad, pad)), (1, 1), 1)
    xt, wt, bt = (tl.tensor(a.astype(dtype), requires_grad=True) for a in (x, w, b))
    with conv_algorithm(algorithm):
        y = F.conv2d(xt, wt, bt, padding=pad)
        y.backward(tl.tensor(dy.astype(dtype)))
    # Each value sums up to depth = max(C*kh*kw, K*kh*kw, N*H*W) unit-normal products: float32 error about
    # sqrt(depth) * 2^-24 * sqrt(depth), with a 4x margin.
    depth = max(
        np.prod(w_shape[1:]), w_shape[0] * np.prod(w_shape[2:]), np.prod(expected.shape) // w_shape[0]
    )
    tol = (
        {"rtol": 2e-4, "atol": 4 * depth * 2.0**-24}
        if dtype == np.float32
        else {"rtol": 1e-10, "atol": 1e-11}
    )
    for got, want in zip((y, xt.grad, wt.grad, bt.grad), (expected, *expected_grads)):
        np.testing.assert_allclose(got.detach().numpy().astype(np.float64), want, **tol)
