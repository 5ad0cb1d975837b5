"""Non-finite values propagate as the direct algorithm and PyTorch propagate them: Winograd against the
direct sum, BatchNorm's running statistics, and avg_pool2d's divisor past 2**32."""

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn.functional as F


def test_winograd_propagates_inf_and_nan_as_the_direct_sum():
    """An inf or NaN in a Winograd-sized convolution's input (48 -> 48, 3x3) or in dy gives the same
    non-finite outputs as im2col (y, dx, and dW from x's infs); Winograd's transforms alone gave NaN
    (inf - inf) in place of inf."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 48, 8, 8)).astype(np.float32)
    x[0, 3, 4, 5], x[0, 7, 0, 0], x[0, 9, 6, 2] = np.inf, -np.inf, np.nan
    w = rng.standard_normal((48, 48, 3, 3)).astype(np.float32)
    dy = rng.standard_normal((1, 48, 8, 8)).astype(np.float32)
    dy[0, 5, 2, 2], dy[0, 6, 3, 3], dy[0, 9, 6, 6] = np.inf, -np.inf, np.nan
    results = {}
    try:
        for algorithm in ("winograd", "im2col"):
            tl._C.set_conv2d_algorithm(algorithm)
            assert tl._C.conv2d_algorithm(x, w, (1, 1), (1, 1), (1, 1), 1, (8, 8)) == (algorithm,) * 3
            y = F.conv2d(tl.tensor(x), tl.tensor(w), padding=1)
            xt = tl.tensor(np.nan_to_num(x), requires_grad=True)
            F.conv2d(xt, tl.tensor(w), padding=1).backward(tl.tensor(dy))
            wt = tl.tensor(w, requires_grad=True)
            F.conv2d(tl.tensor(x), wt, padding=1).backward(tl.tensor(np.nan_to_num(dy)))
            results[algorithm] = (y.numpy(), xt.grad.numpy(), wt.grad.numpy())
    finally:
        tl._C.set_conv2d_algorithm("auto")
    for winograd, im2col in zip(results["winograd"], results["im2col"]):
        assert np.isinf(im2col).sum() > 50 and np.isnan(im2col).sum() > 0  # the case tests something
        np.testing.assert_array_equal(np.isnan(winograd), np.isnan(im2col))
        np.testing.assert_array_equal(np.isinf(winograd), np.isinf(im2col))
        np.testing.assert_array_equal(winograd[np.isinf(winograd)], im2col[np.isinf(im2col)])
        finite = np.isfinite(im2col)
        np.testing.assert_allclose(winograd[finite], im2col[finite], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_running_stats_keep_inf_and_nan_as_pytorch(dtype):
    """Training-mode batch norm over channels holding an inf, a NaN, a -inf, and both infs. Expected values
    from torch 2.13 (F.batch_norm, momentum 0.1, running stats 0 and 1): the mean is inf where an inf
    is, the variance NaN (inf - inf); before, the variance's NaN became 0 and the mean NaN."""
    x = np.array(
        [
            [[1.0, 2.0], [1.0, np.inf], [np.nan, 3.0], [-np.inf, 2.0], [np.inf, -np.inf]],
            [[3.0, 4.0], [2.0, 5.0], [4.0, 3.0], [0.0, 1.0], [1.0, 2.0]],
        ],
        dtype,
    )
    running_mean, running_var = tl.zeros(5, dtype=dtype), tl.ones(5, dtype=dtype)
    y = F.batch_norm(tl.tensor(x), running_mean, running_var, training=True, momentum=0.1)
    np.testing.assert_allclose(running_mean.numpy(), [0.25, np.inf, np.nan, -np.inf, np.nan], rtol=1e-6)
    np.testing.assert_allclose(
        running_var.numpy(), [1.0666666666666667, np.nan, np.nan, np.nan, np.nan], rtol=1e-6
    )
    np.testing.assert_allclose(y.numpy()[0, 0], [-1.341635419968927, -0.4472118066563091], rtol=1e-5)
    assert np.isnan(y.numpy()[:, 1:]).all()


def test_avg_pool_divides_by_windows_over_2_pow_32_exactly():
    """A 65537 x 65537 window (4295098369 > 2**32 positions, all but one padding) over a 1x1 input: the
    divisor counts every position (count_include_pad), or the one inside; the gradient is 1/divisor."""
    x = tl.ones(1, 1, 1, 1, dtype=tl.float64, requires_grad=True)
    y = F.avg_pool2d(x, kernel_size=65537, padding=32768)
    y.backward(tl.ones(1, 1, 1, 1, dtype=tl.float64))
    assert y.numpy().item() == 1 / 65537**2
    assert x.grad.numpy().item() == 1 / 65537**2
    assert F.avg_pool2d(x, kernel_size=65537, padding=32768, count_include_pad=False).numpy().item() == 1.0
