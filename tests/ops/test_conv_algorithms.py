"""conv2d by each forced algorithm (im2col, direct, batched columns, Winograd) against the float64 reference,
forward and both gradients, over drawn geometries: 1-row images, stride 2 in either direction, padding,
dilation, groups, batch 1 and odd widths; and the batched path's blocks split over threads."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tensorlite as tl
import tensorlite.nn.functional as F
from tensorlite import _C

from harness import conv_algorithm
from reference.conv import conv2d_backward_reference, conv2d_reference


@st.composite
def conv_geometries(draw):
    """(x shape, w shape, stride, padding, dilation, groups) of a small valid convolution; a third of them
    1-row images (MNIST-1D style), the rest up to 7 rows."""
    groups = draw(st.sampled_from([1, 1, 2]))
    channels, out_channels = groups * draw(st.integers(1, 4)), groups * draw(st.integers(1, 3))
    one_row = draw(st.integers(0, 2)) == 0
    kernel = (1 if one_row else draw(st.integers(1, 3)), draw(st.integers(1, 5)))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    dilation = (1 if one_row else draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (0 if one_row else draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    size = []
    for k, d, p, largest in zip(kernel, dilation, padding, (7, 13)):
        smallest = max(1, d * (k - 1) + 1 - 2 * p)
        size.append(1 if (one_row and largest == 7) else draw(st.integers(smallest, max(smallest, largest))))
    batch = draw(st.integers(1, 5))
    x_shape = (batch, channels, *size)
    w_shape = (out_channels, channels // groups, *kernel)
    return x_shape, w_shape, stride, padding, dilation, groups


def output_size(x_shape, w_shape, stride, padding, dilation):
    return tuple(
        (size + 2 * p - d * (k - 1) - 1) // s + 1
        for size, k, s, p, d in zip(x_shape[2:], w_shape[2:], stride, padding, dilation)
    )


def check_against_reference(x, w, b, dy, stride, padding, dilation, groups, dtype):
    """Forward and all three gradients through the op, against the float64 reference."""
    xt, wt, bt = (tl.tensor(a.astype(dtype), requires_grad=True) for a in (x, w, b))
    y = F.conv2d(xt, wt, bt, stride=stride, padding=padding, dilation=dilation, groups=groups)
    y.backward(tl.tensor(dy.astype(dtype)))
    pads = tuple((p, p) for p in padding)
    expected = conv2d_reference(x, w, b, stride, pads, dilation, groups)
    expected_grads = conv2d_backward_reference(x, w, dy, stride, pads, dilation, groups)
    # float32: each output sums a few dozen to a few hundred products of unit-normal values (dW over the
    # batch), so its rounding error grows like terms * 2^-24 at worst; a 4x margin over that.
    terms = max(x.shape[0] * dy.shape[2] * dy.shape[3], w.shape[1] * w.shape[2] * w.shape[3])
    tol = (
        {"rtol": 2e-4, "atol": 4 * terms * 2.0**-24}
        if dtype == np.float32
        else {"rtol": 1e-10, "atol": 1e-11}
    )
    for got, want in zip((y, xt.grad, wt.grad, bt.grad), (expected, *expected_grads)):
        assert got.dtype == dtype
        np.testing.assert_allclose(got.detach().numpy().astype(np.float64), want, **tol)


@given(
    geometry=conv_geometries(),
    algorithm=st.sampled_from(["im2col", "direct", "batched", "winograd"]),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**32 - 1),
)
def test_each_algorithm_matches_the_reference(geometry, algorithm, dtype, seed):
    x_shape, w_shape, stride, padding, dilation, groups = geometry
    rng = np.random.default_rng(seed)
    x, w, b = (rng.standard_normal(s) for s in (x_shape, w_shape, w_shape[:1]))
    out = output_size(x_shape, w_shape, stride, padding, dilation)
    dy = rng.standard_normal((x_shape[0], w_shape[0], *out))
    with conv_algorithm(algorithm):
        ran = _C.conv2d_algorithm(x.astype(dtype), w.astype(dtype), stride, padding, dilation, groups, out)
        # The forced algorithm really runs where it applies (these images are small enough for batched
        # columns, and for the direct forward unless 1x1, unpadded and stride 1).
        if algorithm == "batched":
            assert ran == ("batched",) * 3
        if (
            algorithm == "direct"
            and stride[1] <= 2
            and (w_shape[2:] != (1, 1) or stride != (1, 1) or any(padding))
        ):
            assert ran[0] == "direct"
        check_against_reference(x, w, b, dy, stride, padding, dilation, groups, dtype)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize(
    "x_shape, w_shape, stride, padding",
    [
        ((100, 25, 1, 19), (25, 25, 1, 3), (1, 2), (0, 1)),  # MNIST-1D's second convolution: 10 positions
        ((37, 32, 4, 5), (48, 32, 3, 3), (1, 1), (1, 1)),  # an odd batch over blocks and threads
        ((9, 4, 9, 11), (6, 4, 3, 3), (2, 2), (1, 0)),  # stride 2 both ways
        ((9, 64, 10, 10), (64, 64, 3, 3), (1, 1), (1, 1)),  # 4 images a block: 3 blocks
    ],
)
def test_batched_blocks_over_threads_match_the_reference(
    x_shape, w_shape, stride, padding, threads, threads_restored
):
    """Batches large enough to be split into several blocks of images, shared by the threads (dW summed
    over the threads' partial sums), float32 against the float64 reference."""
    rng = np.random.default_rng(x_shape[0])
    x, w, b = (rng.standard_normal(s) for s in (x_shape, w_shape, w_shape[:1]))
    dy = rng.standard_normal(
        (x_shape[0], w_shape[0], *output_size(x_shape, w_shape, stride, padding, (1, 1)))
    )
    tl.set_num_threads(threads)
    with conv_algorithm("batched"):
        check_against_reference(x, w, b, dy, stride, padding, (1, 1), 1, np.float32)
