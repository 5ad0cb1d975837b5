"""max_pool2d / avg_pool2d / adaptive_avg_pool2d: forward vs naive float64 references and gradcheck over random
configurations (windows that do not divide the input, ceil_mode, padding, dilation), ties, -inf and NaN,
and every invalid configuration."""

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn.functional as F

from harness import OpTestCase, assert_close
from reference.pool import adaptive_avg_pool2d_reference, avg_pool2d_reference, max_pool2d_reference


def random_pool_config(rng, with_dilation):
    """A valid pooling configuration and a matching input shape (padding at most half the dilated kernel)."""
    kernel = tuple(int(k) for k in rng.integers(1, 4, size=2))
    stride = None if rng.random() < 0.3 else tuple(int(s) for s in rng.integers(1, 4, size=2))
    dilation = tuple(int(d) for d in rng.integers(1, 3, size=2)) if with_dilation else (1, 1)
    effective = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    padding = tuple(int(rng.integers(0, e // 2 + 1)) for e in effective)
    size = []
    for e, p in zip(effective, padding):
        smallest = max(1, e - 2 * p)
        size.append(int(rng.integers(smallest, smallest + 6)))
    shape = (
        int(rng.integers(0, 3)) if rng.random() < 0.1 else int(rng.integers(1, 3)),
        int(rng.integers(1, 4)),
        *size,
    )
    params = {
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "ceil_mode": bool(rng.random() < 0.5),
    }
    if with_dilation:
        params["dilation"] = dilation
    return shape, params


def window_args(params):
    stride = params["stride"] if params["stride"] is not None else params["kernel_size"]
    return params["kernel_size"], stride, params["padding"]


class TestMaxPool2d(OpTestCase):
    def generate_inputs(self, rng):
        while True:  # windows of padding only (-inf outputs, tested separately) would break the gradcheck
            shape, self.params = random_pool_config(rng, with_dilation=True)
            x = rng.standard_normal(shape)
            if np.all(np.isfinite(self.forward_expected(x))):
                return (x,)

    def forward(self, x):
        return F.max_pool2d(x, **self.params)

    def forward_expected(self, x):
        kernel, stride, padding = window_args(self.params)
        y, _ = max_pool2d_reference(
            x, kernel, stride, padding, self.params["dilation"], self.params["ceil_mode"]
        )
        return y


class TestAvgPool2d(OpTestCase):
    def generate_inputs(self, rng):
        shape, self.params = random_pool_config(rng, with_dilation=False)
        self.params["count_include_pad"] = bool(rng.random() < 0.5)
        self.params["divisor_override"] = int(rng.integers(1, 5)) if rng.random() < 0.2 else None
        return (rng.standard_normal(shape),)

    def forward(self, x):
        return F.avg_pool2d(x, **self.params)

    def forward_expected(self, x):
        kernel, stride, padding = window_args(self.params)
        p = self.params
        return avg_pool2d_reference(
            x, kernel, stride, padding, p["ceil_mode"], p["count_include_pad"], p["divisor_override"]
        )


class TestAdaptiveAvgPool2d(OpTestCase):
    def generate_inputs(self, rng):
        shape = (
            int(rng.integers(1, 3)),
            int(rng.integers(1, 4)),
            int(rng.integers(1, 9)),
            int(rng.integers(1, 9)),
        )
        self.output_size = (int(rng.integers(1, 6)), int(rng.integers(1, 6)))
        return (rng.standard_normal(shape),)

    def forward(self, x):
        return F.adaptive_avg_pool2d(x, self.output_size)

    def forward_expected(self, x):
        return adaptive_avg_pool2d_reference(x, self.output_size)


def pooled_with_grad(fn, x, **kwargs):
    xt = tl.tensor(np.asarray(x, np.float64), requires_grad=True)
    y = fn(xt, **kwargs)
    y.sum().backward()
    return y.detach().numpy(), xt.grad.detach().numpy()


def test_max_pool_ties_send_the_gradient_to_the_first_maximum():
    x = np.array([[[[1.0, 3.0, 3.0], [3.0, 0.0, 3.0], [2.0, 3.0, 3.0]]]])
    y, dx = pooled_with_grad(F.max_pool2d, x, kernel_size=2, stride=1)
    np.testing.assert_array_equal(y, [[[[3.0, 3.0], [3.0, 3.0]]]])
    # windows: top-left picks (0,1); top-right (0,1) too; bottom-left (1,0); bottom-right (1,2)
    np.testing.assert_array_equal(dx, [[[[0.0, 2.0, 0.0], [1.0, 0.0, 1.0], [0.0, 0.0, 0.0]]]])
    _, argmax = max_pool2d_reference(x, (2, 2), (1, 1), (0, 0))
    np.testing.assert_array_equal(argmax.ravel(), [1, 1, 3, 5])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(2, 3, 8, 8), (1, 2, 7, 9), (3, 1, 2, 2)])
def test_max_pool_2x2_fast_path_ties_and_nan_match_the_reference(dtype, shape):
    x = np.random.default_rng(0).integers(0, 3, size=shape).astype(dtype)  # many ties
    x[0, 0, 0, 1] = np.nan
    xt = tl.tensor(x, requires_grad=True)
    y = F.max_pool2d(xt, 2)
    expected, argmax = max_pool2d_reference(x.astype(np.float64), (2, 2), (2, 2), (0, 0))
    np.testing.assert_array_equal(y.detach().numpy(), expected.astype(dtype))
    y.backward(tl.ones(*y.shape, dtype=y.dtype))
    expected_dx = np.zeros(x.size)
    planes = np.arange(shape[0] * shape[1])[:, None] * (shape[2] * shape[3])
    np.add.at(expected_dx, (argmax.reshape(len(planes), -1) + planes).ravel(), 1.0)
    np.testing.assert_array_equal(xt.grad.numpy().ravel(), expected_dx)


def test_max_pool_2x2_stride_2_with_dilation_is_not_the_plain_2x2_case():
    x = np.random.default_rng(4).standard_normal((2, 2, 5, 3))
    y = F.max_pool2d(tl.tensor(x), 2, dilation=2, ceil_mode=True)
    assert_close(y, max_pool2d_reference(x, (2, 2), (2, 2), (0, 0), (2, 2), ceil_mode=True)[0], np.float64)


def test_max_pool_all_equal_plane_with_padding():
    x = np.full((1, 1, 4, 4), 2.0)
    y, dx = pooled_with_grad(F.max_pool2d, x, kernel_size=3, stride=2, padding=1)
    np.testing.assert_array_equal(y, np.full((1, 1, 2, 2), 2.0))
    expected = np.zeros((4, 4))
    expected[0, 0] = expected[0, 1] = expected[1, 0] = expected[1, 1] = (
        1.0  # first in-bounds tap of each window
    )
    np.testing.assert_array_equal(dx[0, 0], expected)


def test_max_pool_minus_infinity_input_still_routes_the_gradient():
    x = np.full((1, 1, 2, 2), -np.inf)
    y, dx = pooled_with_grad(F.max_pool2d, x, kernel_size=2, padding=1)
    assert np.all(y == -np.inf)
    np.testing.assert_array_equal(dx[0, 0], np.ones((2, 2)))


def test_max_pool_window_of_padding_only_gives_minus_infinity_and_no_gradient():
    x = np.array([[[[1.0, 2.0, 3.0]]]])
    y, dx = pooled_with_grad(F.max_pool2d, x, kernel_size=(2, 1), stride=1, padding=(1, 0), dilation=(2, 1))
    np.testing.assert_array_equal(y, np.full((1, 1, 1, 3), -np.inf))  # taps at rows -1 and 1 of a 1-row input
    np.testing.assert_array_equal(dx, np.zeros_like(x))


def test_max_pool_propagates_nan():
    x = np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4)
    x[0, 0, 1, 0] = np.nan
    y, _ = pooled_with_grad(F.max_pool2d, x, kernel_size=2)
    assert np.isnan(y[0, 0, 0, 0]) and not np.isnan(y[0, 0, 1, 1])


@pytest.mark.parametrize("ceil_mode, expected", [(False, (3, 3)), (True, (4, 4))])
def test_windows_that_do_not_divide_the_input(ceil_mode, expected):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 7, 7))
    for fn, reference in ((F.max_pool2d, max_pool2d_reference), (F.avg_pool2d, avg_pool2d_reference)):
        y = fn(tl.tensor(x), 2, ceil_mode=ceil_mode)
        assert y.shape == (2, 3) + expected
        result = reference(x, (2, 2), (2, 2), (0, 0), ceil_mode=ceil_mode)
        assert_close(y, result[0] if isinstance(result, tuple) else result, np.float64)


def test_ceil_mode_drops_a_last_window_that_starts_in_the_padding():
    x = tl.randn(1, 1, 5, 5)
    assert F.max_pool2d(x, 2, stride=2, padding=1, ceil_mode=True).shape == (1, 1, 3, 3)
    assert F.avg_pool2d(x, 2, stride=2, padding=1, ceil_mode=True).shape == (1, 1, 3, 3)


def test_avg_pool_divisors():
    x = np.ones((1, 1, 2, 2))
    include, _ = pooled_with_grad(F.avg_pool2d, x, kernel_size=2, stride=1, padding=1)
    np.testing.assert_allclose(include[0, 0], np.full((3, 3), 0.25) * [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    exclude, dx = pooled_with_grad(
        F.avg_pool2d, x, kernel_size=2, stride=1, padding=1, count_include_pad=False
    )
    np.testing.assert_allclose(exclude, np.ones((1, 1, 3, 3)))
    np.testing.assert_allclose(dx[0, 0], [[1 + 0.5 + 0.5 + 0.25] * 2] * 2)
    override, _ = pooled_with_grad(F.avg_pool2d, x, kernel_size=2, divisor_override=3)
    np.testing.assert_allclose(override, [[[[4 / 3]]]])


def test_adaptive_global_pooling_is_the_mean():
    x = np.random.default_rng(1).standard_normal((2, 3, 5, 7))
    y, dx = pooled_with_grad(F.adaptive_avg_pool2d, x, output_size=1)
    np.testing.assert_allclose(y[:, :, 0, 0], x.mean(axis=(2, 3)), rtol=1e-12)
    np.testing.assert_allclose(dx, np.full(x.shape, 1 / 35), rtol=1e-12)
    assert F.adaptive_avg_pool2d(tl.tensor(x), (None, 3)).shape == (2, 3, 5, 3)


@pytest.mark.parametrize(
    "fn, shape, kwargs, match",
    [
        (F.max_pool2d, (1, 1, 4, 4), {"kernel_size": 2, "padding": 2}, r"padding \(2, 2\) must be at most half the kernel size \(2, 2\)"),
        (F.max_pool2d, (1, 1, 4, 4), {"kernel_size": 2, "dilation": 2, "padding": 2}, r"at most half .*\(dilated 3\)"),
        (F.avg_pool2d, (1, 1, 4, 4), {"kernel_size": 3, "padding": 2}, r"padding \(2, 2\) must be at most half"),
        (F.max_pool2d, (1, 1, 3, 3), {"kernel_size": 5}, r"output size 0x0 is too small for input shape \(1, 1, 3, 3\) \(kernel \(5, 5\), stride \(5, 5\)"),
        (F.avg_pool2d, (1, 1, 3, 8), {"kernel_size": (4, 2)}, r"output size 0x4 is too small"),
        (F.max_pool2d, (1, 1, 4, 4), {"kernel_size": 0}, r"kernel_size must be >= 1, got 0"),
        (F.max_pool2d, (1, 1, 4, 4), {"kernel_size": 2, "stride": 0}, r"stride must be >= 1, got 0"),
        (F.avg_pool2d, (1, 1, 4, 4), {"kernel_size": 2, "padding": -1}, r"padding must be >= 0, got -1"),
        (F.max_pool2d, (1, 1, 4, 4), {"kernel_size": 2, "dilation": 0}, r"dilation must be >= 1, got 0"),
        (F.avg_pool2d, (1, 1, 4, 4), {"kernel_size": 2, "divisor_override": 0}, r"divisor_override must be a positive int, got 0"),
        (F.max_pool2d, (4, 4), {"kernel_size": 2}, r"expected a 4-D input \(N, C, H, W\), got shape \(4, 4\)"),
        (F.avg_pool2d, (1, 4, 4), {"kernel_size": 2}, r"expected a 4-D input"),
        (F.adaptive_avg_pool2d, (1, 4, 4), {"output_size": 2}, r"expected a 4-D input"),
        (F.adaptive_avg_pool2d, (1, 1, 4, 4), {"output_size": 0}, r"output_size must be >= 1, got 0"),
        (F.adaptive_avg_pool2d, (1, 1, 0, 4), {"output_size": 2}, r"input of shape \(1, 1, 0, 4\) has an empty spatial"),
    ],
)  # fmt: skip
def test_invalid_configuration_raises_naming_the_numbers(fn, shape, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fn(tl.zeros(*shape), **kwargs)


def test_max_pool_backward_binding_rejects_bad_indices():
    from tensorlite import _C

    dy = np.ones((1, 1, 2, 2), np.float32)
    with pytest.raises(ValueError, match=r"2 indices lie outside the input planes of size \(3, 3\)"):
        _C.max_pool2d_backward(dy, np.array([[[[0, 9], [-2, 8]]]], np.int64), (3, 3))
    with pytest.raises(TypeError, match=r"indices must be int64"):
        _C.max_pool2d_backward(dy, np.zeros((1, 1, 2, 2), np.int32), (3, 3))
