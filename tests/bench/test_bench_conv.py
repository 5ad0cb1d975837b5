"""The conv benchmark's NumPy baselines (bench/conv.py) compute what tensorlite computes, so the timings
compare equal work."""

import numpy as np

import tensorlite as tl
import tensorlite.nn.functional as F
from tensorlite.bench import conv


def test_numpy_im2col_baseline_matches_tensorlite_forward_and_backward():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((3, 4, 7, 6)), rng.standard_normal((5, 4, 3, 3)), rng.standard_normal(5)
    y, cols = conv.numpy_im2col_conv2d(x, w, b, 1)
    dy = rng.standard_normal(y.shape)
    dx, dw, db = conv.numpy_im2col_conv2d_backward(dy, x.shape, w, cols, 1)
    tx, tw, tb = (tl.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = F.conv2d(tx, tw, tb, padding=1)
    ty.backward(tl.tensor(dy))
    for got, expected in ((ty, y), (tx.grad, dx), (tw.grad, dw), (tb.grad, db)):
        np.testing.assert_allclose(got.detach().numpy(), expected, rtol=1e-10, atol=1e-10)


def test_numpy_max_pool_baseline_matches_tensorlite():
    x = np.random.default_rng(1).standard_normal((2, 3, 8, 6))
    np.testing.assert_array_equal(conv.numpy_max_pool2x2(x), F.max_pool2d(tl.tensor(x), 2).numpy())
