"""conv2d: forward vs a naive float64 reference and gradcheck over random configurations, thread-count
independence, the column-tiling path, and every invalid configuration
(the Winograd path and the algorithm choice: test_conv_winograd.py)."""

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn.functional as F
from tensorlite import _C

from harness import OpTestCase, assert_close, conv_algorithm
from reference.conv import conv2d_backward_reference, conv2d_reference


def explicit_padding(padding, kernel, dilation):
    """((top, bottom), (left, right)) for an int pair, "valid" or "same" (the extra pad goes bottom/right)."""
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        return tuple((d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel, dilation))
    return tuple((p, p) for p in padding)


def random_conv_config(rng):
    """Shapes and parameters of a valid small convolution, including 1x1 direct convolutions, groups,
    asymmetric 'same' padding, empty batches and outputs whose windows do not divide the input."""
    groups = int(rng.choice([1, 1, 2, 3]))
    channels = groups * int(rng.integers(1, 3))
    out_channels = groups * int(rng.integers(1, 3))
    if rng.random() < 0.2:
        kernel, stride, dilation, padding = (1, 1), (1, 1), (1, 1), (0, 0)
    else:
        kernel = tuple(int(k) for k in rng.integers(1, 4, size=2))
        stride = tuple(int(s) for s in rng.integers(1, 3, size=2))
        dilation = tuple(int(d) for d in rng.integers(1, 3, size=2))
        choice = rng.random()
        if choice < 0.15:
            padding = "valid"
        elif choice < 0.35:
            padding, stride = "same", (1, 1)
        else:
            padding = tuple(int(p) for p in rng.integers(0, 3, size=2))
    pads = explicit_padding(padding, kernel, dilation)
    size = []
    for k, d, (lo, hi) in zip(kernel, dilation, pads):
        smallest = max(1, d * (k - 1) + 1 - lo - hi)
        size.append(int(rng.integers(smallest, smallest + 6)))
    batch = 0 if rng.random() < 0.1 else int(rng.integers(1, 4))
    return {
        "x_shape": (batch, channels, *size),
        "w_shape": (out_channels, channels // groups, *kernel),
        "bias": rng.random() < 0.7,
        "params": {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups},
    }


class TestConv2d(OpTestCase):
    def generate_inputs(self, rng):
        config = random_conv_config(rng)
        self.params = config["params"]
        arrays = [rng.standard_normal(config["x_shape"]), rng.standard_normal(config["w_shape"])]
        if config["bias"]:
            arrays.append(rng.standard_normal(config["w_shape"][0]))
        return tuple(arrays)

    def forward(self, x, weight, bias=None):
        return F.conv2d(x, weight, bias, **self.params)

    def forward_expected(self, x, weight, bias=None):
        p = self.params
        pads = explicit_padding(p["padding"], weight.shape[2:], p["dilation"])
        return conv2d_reference(x, weight, bias, p["stride"], pads, p["dilation"], p["groups"])


def test_six_by_six_input_two_by_two_filter_stride_one_pad_one_gives_seven_by_seven():
    x = np.arange(36, dtype=np.float64).reshape(1, 1, 6, 6)
    w = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    y = F.conv2d(tl.tensor(x), tl.tensor(w), stride=1, padding=1)
    assert y.shape == (1, 1, 7, 7)
    assert y.numpy()[0, 0, 0, 0] == 4.0 * x[0, 0, 0, 0]  # only the bottom-right tap sees the input
    assert y.numpy()[0, 0, 6, 6] == 1.0 * x[0, 0, 5, 5]
    assert_close(y, conv2d_reference(x, w, padding=((1, 1), (1, 1))), np.float64)


def test_int_and_pair_arguments_agree():
    rng = np.random.default_rng(0)
    x, w = tl.tensor(rng.standard_normal((2, 4, 9, 8))), tl.tensor(rng.standard_normal((6, 2, 3, 2)))
    a = F.conv2d(x, w, stride=2, padding=1, dilation=2, groups=2)
    b = F.conv2d(x, w, stride=(2, 2), padding=(1, 1), dilation=(2, 2), groups=2)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_same_padding_keeps_spatial_size_with_an_even_kernel():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((1, 2, 5, 6)), rng.standard_normal((3, 2, 2, 4))
    y = F.conv2d(tl.tensor(x), tl.tensor(w), padding="same", dilation=(1, 2))
    assert y.shape == (1, 3, 5, 6)
    assert_close(y, conv2d_reference(x, w, padding=((0, 1), (3, 3)), dilation=(1, 2)), np.float64)


@pytest.mark.parametrize("batch", [1, 3])
def test_result_does_not_depend_on_thread_count(batch):
    """With 2 threads, batch 1 runs one image with a multithreaded GEMM and batch 3 splits images over threads."""
    rng = np.random.default_rng(batch)
    x = rng.standard_normal((batch, 8, 16, 15)).astype(np.float32)  # large enough to go multithreaded
    w = rng.standard_normal((8, 8, 3, 3)).astype(np.float32)
    b = rng.standard_normal(8).astype(np.float32)
    dy = rng.standard_normal((batch, 8, 16, 15)).astype(np.float32)
    results = []
    threads = tl.get_num_threads()
    try:
        for n in (1, 2):
            tl.set_num_threads(n)
            xt, wt, bt = (tl.tensor(a, requires_grad=True) for a in (x, w, b))
            y = F.conv2d(xt, wt, bt, padding=1)
            y.backward(tl.tensor(dy))
            results.append(
                [
                    y.detach().numpy(),
                    xt.grad.detach().numpy(),
                    wt.grad.detach().numpy(),
                    bt.grad.detach().numpy(),
                ]
            )
    finally:
        tl.set_num_threads(threads)
    for one, two in zip(*results):
        np.testing.assert_allclose(one, two, rtol=1e-5, atol=1e-5)


def test_large_image_uses_column_tiles_and_stays_correct():
    """The column matrix of one image (576 rows x 38*64 columns in float64, 11 MiB) exceeds the 4 MiB tile
    budget, so the im2col path (horizontal stride 2) processes it a band of output rows at a time; forward
    against the reference, backward by the adjoint identities <dy, y(x, W)> = <dx, x> = <dW, W> of the
    bilinear map."""
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((1, 64, 40, 130)), rng.standard_normal((2, 64, 3, 3))
    xt, wt = tl.tensor(x, requires_grad=True), tl.tensor(w, requires_grad=True)
    y = F.conv2d(xt, wt, stride=(1, 2), padding=(0, 0))
    assert_close(y, conv2d_reference(x, w, stride=(1, 2)), np.float64)
    dy = rng.standard_normal(y.shape)
    y.backward(tl.tensor(dy))
    inner = float(np.sum(dy * y.detach().numpy()))
    assert np.isclose(float(np.sum(xt.grad.numpy() * x)), inner, rtol=1e-10)
    assert np.isclose(float(np.sum(wt.grad.numpy() * w)), inner, rtol=1e-10)


# Horizontal stride 1 takes the direct path (no im2col: the GEMM reads shifted input rows in place) for the
# forward, and for dx too when both strides are 1. Each case is chosen to reach a part of it: rows wider
# than one 16-column register tile with a ragged edge, more channels than one 6-row panel, taps deeper
# than one k slice (450 > 392 / 256), a single image split into bands of rows across threads, vertical
# stride and dilation, groups, asymmetric "same" padding, and padding wider than the kernel's reach
# (the dx convolution then has negative padding).
DIRECT_PATH_CASES = [
    ((1, 50, 9, 37), (13, 50, 3, 3), {"padding": 1}),
    ((3, 6, 12, 40), (8, 3, 3, 2), {"stride": (2, 1), "padding": (2, 1), "dilation": (2, 3), "groups": 2}),
    ((2, 4, 7, 21), (5, 4, 2, 4), {"padding": "same", "dilation": (1, 2)}),
    ((2, 3, 5, 20), (4, 3, 1, 2), {"padding": (1, 3)}),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape, w_shape, params", DIRECT_PATH_CASES)
def test_direct_path_forward_and_backward_match_the_reference(x_shape, w_shape, params, dtype):
    rng = np.random.default_rng(len(x_shape) + x_shape[-1])
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0])
    xt, wt, bt = (tl.tensor(a.astype(dtype), requires_grad=True) for a in (x, w, b))
    p = {"stride": 1, "dilation": 1, "groups": 1} | params
    stride, dilation, padding = (
        p[key] if isinstance(p[key], (tuple, str)) else (p[key],) * 2
        for key in ("stride", "dilation", "padding")
    )
    pads = explicit_padding(padding, w_shape[2:], dilation)
    expected = conv2d_reference(x, w, b, stride, pads, dilation, p["groups"])
    dy = rng.standard_normal(expected.shape)
    with conv_algorithm("direct"):
        y = F.conv2d(xt, wt, bt, **params)
        y.backward(tl.tensor(dy.astype(dtype)))
    expected_grads = conv2d_backward_reference(x, w, dy, stride, pads, dilation, p["groups"])
    # float32: each output sums depth = C/groups*kh*kw products of unit-normal values, so its rounding error
    # grows like sqrt(depth) * 2^-24 * the partial sums' size (~sqrt(depth)); 4x margin.
    depth = w_shape[1] * w_shape[2] * w_shape[3]
    tol = (
        {"rtol": 2e-4, "atol": 4 * depth * 2.0**-24}
        if dtype == np.float32
        else {"rtol": 1e-10, "atol": 1e-11}
    )
    for got, want in zip((y, xt.grad, wt.grad, bt.grad), (expected, *expected_grads)):
        assert got.dtype == dtype
        np.testing.assert_allclose(got.detach().numpy().astype(np.float64), want, **tol)


def test_gradients_only_for_inputs_that_require_them():
    rng = np.random.default_rng(3)
    x = tl.tensor(rng.standard_normal((2, 2, 5, 5)))
    w = tl.tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    b = tl.tensor(rng.standard_normal(3))
    F.conv2d(x, w, b).sum().backward()
    assert x.grad is None and b.grad is None
    # d(sum y)/dW[k, c, i, j] = sum of the inputs that tap (i, j) reads: x[:, c, i:i+3, j:j+3]
    np.testing.assert_allclose(w.grad.numpy()[0, 0, 0, 0], x.numpy()[:, 0, :3, :3].sum(), rtol=1e-12)


@pytest.mark.parametrize(
    "x_shape, w_shape, kwargs, error, match",
    [
        ((1, 3, 5, 5), (4, 4, 3, 3), {}, ValueError, r"input has 3 channels but weight expects 4 \(weight shape \(4, 4, 3, 3\)"),
        ((1, 3, 5, 5), (4, 1, 3, 3), {"groups": 2}, ValueError, r"groups=2 does not divide the 3 input channels"),
        ((1, 4, 5, 5), (3, 2, 3, 3), {"groups": 2}, ValueError, r"groups=2 does not divide the 3 output channels"),
        ((1, 4, 5, 5), (4, 4, 3, 3), {"groups": 0}, ValueError, r"groups must be a positive int, got 0"),
        ((1, 1, 2, 2), (1, 1, 5, 5), {"padding": 1}, ValueError, r"kernel size 5 .* larger than the padded input size 4"),
        ((1, 1, 4, 4), (1, 1, 3, 3), {"dilation": 2}, ValueError, r"kernel size 3 \(dilated 5\) is larger than the padded input size 4"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"stride": 0}, ValueError, r"stride must be >= 1, got 0"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"stride": (1, -2)}, ValueError, r"stride must be >= 1, got \(1, -2\)"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"padding": -1}, ValueError, r"padding must be >= 0, got -1"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"dilation": 0}, ValueError, r"dilation must be >= 1, got 0"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"padding": (1, 2, 3)}, ValueError, r"padding must be an int or a pair"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"stride": 1.5}, TypeError, r"stride must be an int or a pair of ints, got 1.5"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"padding": "same", "stride": 2}, ValueError, r"padding='same' needs stride 1"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"padding": "full"}, ValueError, r"got 'full'"),
        ((3, 5, 5), (1, 3, 3, 3), {}, ValueError, r"expected a 4-D input \(N, C, H, W\), got shape \(3, 5, 5\)"),
        ((1, 3, 5, 5), (1, 3, 3), {}, ValueError, r"expected a 4-D weight .* got shape \(1, 3, 3\)"),
        ((1, 3, 5, 5), (2, 3, 0, 3), {}, ValueError, r"empty kernel"),
    ],
)  # fmt: skip
def test_invalid_configuration_raises_naming_the_numbers(x_shape, w_shape, kwargs, error, match):
    x, w = tl.zeros(*x_shape), tl.zeros(*w_shape)
    with pytest.raises(error, match=match):
        F.conv2d(x, w, **kwargs)


def test_invalid_bias_and_dtypes():
    x, w = tl.zeros(1, 2, 4, 4), tl.zeros(3, 2, 3, 3)
    with pytest.raises(ValueError, match=r"bias has shape \(2,\) but weight \(3, 2, 3, 3\) needs \(3,\)"):
        F.conv2d(x, w, tl.zeros(2))
    with pytest.raises(TypeError, match=r"input dtype float32 and weight dtype float64 differ"):
        F.conv2d(x, w.double())
    with pytest.raises(TypeError, match=r"expected a float32 or float64 tensor"):
        F.conv2d(tl.zeros(1, 2, 4, 4, dtype=tl.int64), w)


def test_binding_rejects_inconsistent_arrays():
    """The C++ boundary validates on its own: a direct call with mismatched arrays raises, never crashes."""

    x, w = np.zeros((1, 2, 4, 4), np.float32), np.zeros((3, 2, 3, 3), np.float32)
    with pytest.raises(ValueError, match=r"do not match with groups=2"):
        _C.conv2d_forward(x, w, None, (1, 1), (0, 0), (1, 1), 2, (2, 2))
    with pytest.raises(TypeError, match=r"weight has dtype float64"):
        _C.conv2d_forward(x, w.astype(np.float64), None, (1, 1), (0, 0), (1, 1), 1, (2, 2))
    with pytest.raises(ValueError, match=r"grad_output shape \(1, 4, 2, 2\) does not match"):
        _C.conv2d_backward(
            x, w, np.zeros((1, 4, 2, 2), np.float32), (1, 1), (0, 0), (1, 1), 1, True, True, True
        )


# ---------------------------------------------------------------- Winograd F(2x2, 3x3)
