"""conv2d: forward vs a naive float64 reference and gradcheck over random configurations, thread-count
independence, the column-tiling path, the Winograd F(2x2, 3x3) path (forward and dx) with its algorithm
choice, and every invalid configuration."""

import contextlib

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tensorlite as tl
import tensorlite.nn.functional as F
from tensorlite import _C, backend

from harness import OpTestCase, assert_close
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
    from tensorlite import _C

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


@contextlib.contextmanager
def conv_algorithm(name):
    """Runs the block with conv2d's algorithm choice set to 'auto', 'im2col', 'direct' or 'winograd'."""
    previous = _C.conv2d_algorithm_override()
    _C.set_conv2d_algorithm(name)
    try:
        yield
    finally:
        _C.set_conv2d_algorithm(previous)


def winograd_error_bound(a, filter_sums, pad, out_size, bias, dtype):
    """Bound on |computed - exact| of a Winograd F(2x2, 3x3) convolution of a (N, Cin, H, W), whose filters
    have absolute sums filter_sums (Cout, Cin), output (N, Cout, *out_size) with (top, left) offsets pad.

    Each 2x2 output tile is A^T [sum_c (G g_c G^T) .* (B^T d_c B)] A + bias over its 4x4 input patch d.
    Every operation rounds with relative error <= eps, and the transforms' coefficients (0, +-1, +-1/2) are
    exact, so the error is at most n * eps times the same expression with every matrix and operand replaced
    by its absolute value, where n counts the roundings on the longest path: 4 in G g G^T (two additions
    per side), 2 in B^T d B, 1 product, Cin - 1 in the GEMM's sum over channels, 4 in A^T M A and 1 for the
    bias, so n <= Cin + 12. In that absolute expression the pair (patch element p, tap t) has coefficient
    sum_e |A_e| |G_e,t| |B_e,p|, at most 2 per dimension (e.g. 1D patch element 2 meets tap 0 through
    three transformed elements with weights 1, 1/2, 1/2), so the transform's growth factor is 4 and
        |error| <= (Cin + 12) * eps * (4 * sum_c P[n, c, tile] * filter_sums[k, c] + |bias[k]|)
    with P the sum of |a| over the tile's 4x4 patch. Direct summation would give sum_c,t |d||g| instead."""
    (top, left), (out_h, out_w) = pad, out_size
    n, cin, h, w = a.shape
    # Zero margins so that every patch row 2*(oh//2) - top + [0, 4) is a valid index after the shift.
    lo_h, lo_w = max(0, top), max(0, left)
    hi_h, hi_w = max(0, out_h + 3 - top - h), max(0, out_w + 3 - left - w)
    padded = np.pad(np.abs(a), ((0, 0), (0, 0), (lo_h, hi_h), (lo_w, hi_w)))
    patch_sums = np.empty((n, cin, out_h, out_w))
    for oh in range(out_h):
        for ow in range(out_w):
            r, c = 2 * (oh // 2) - top + lo_h, 2 * (ow // 2) - left + lo_w
            patch_sums[:, :, oh, ow] = padded[:, :, r : r + 4, c : c + 4].sum(axis=(2, 3))
    magnitude = 4 * np.einsum("ncij,kc->nkij", patch_sums, filter_sums)
    if bias is not None:
        magnitude += np.abs(bias)[None, :, None, None]
    return (cin + 12) * np.finfo(dtype).eps * magnitude


def summation_error_bound(terms, magnitude, dtype):
    """Bound on the error of a sum of `terms` products whose absolute values sum to `magnitude`: one rounding
    per product and per addition (any order, partial sums included), with slack for reduction stages."""
    return (terms + 8) * np.finfo(dtype).eps * magnitude


def assert_within(actual, expected, bound, name):
    assert actual.shape == expected.shape, f"{name}: shape {actual.shape} != expected {expected.shape}"
    error = np.abs(actual.astype(np.float64) - expected)
    worst = np.unravel_index(np.argmax(error - bound), error.shape) if error.size else None
    assert np.all(error <= bound), f"{name}: error {error[worst]:.3g} > bound {bound[worst]:.3g} at {worst}"


def check_winograd_conv(x, weight, bias, dy, pads):
    """Forward and backward of the stride-1 3x3 convolution of x with padding pads = ((top, bottom), (left,
    right)) through the backend, against the float64 references: y and dx (Winograd) within
    winograd_error_bound, dw and db (im2col + GEMM) within summation_error_bound."""
    dtype = x.dtype.type
    (top, bottom), (left, right) = pads
    n, _, h, w = x.shape
    out_size = (h + top + bottom - 2, w + left + right - 2)
    args = ((1, 1), (top, left), (1, 1), 1)
    y = backend.conv2d(x, weight, bias, *args, out_size)
    dx, dw, db = backend.conv2d_backward(x, weight, dy, *args, True, True, bias is not None)
    x64, w64, dy64 = (a.astype(np.float64) for a in (x, weight, dy))
    b64 = None if bias is None else bias.astype(np.float64)
    filter_sums = np.abs(w64).sum(axis=(2, 3))  # (K, C); the adjoint's filters are their 180-degree turns
    y_bound = winograd_error_bound(x64, filter_sums, (top, left), out_size, b64, dtype)
    assert_within(y, conv2d_reference(x64, w64, b64, padding=pads), y_bound, "y")
    dx_ref, dw_ref, db_ref = conv2d_backward_reference(x64, w64, dy64, padding=pads)
    dx_bound = winograd_error_bound(dy64, filter_sums.T, (2 - top, 2 - left), (h, w), None, dtype)
    assert_within(dx, dx_ref, dx_bound, "dx")
    terms = n * out_size[0] * out_size[1]
    _, dw_magnitude, db_magnitude = conv2d_backward_reference(np.abs(x64), w64, np.abs(dy64), padding=pads)
    assert_within(dw, dw_ref, summation_error_bound(terms, dw_magnitude, dtype), "dw")
    if bias is not None:
        assert_within(db, db_ref, summation_error_bound(terms, db_magnitude, dtype), "db")
    return y, dx


@given(
    n=st.integers(0, 2),
    c=st.integers(1, 4),
    k=st.integers(1, 4),
    h=st.integers(1, 9),
    w=st.integers(1, 9),
    pads=st.tuples(*[st.integers(0, 3)] * 4),
    with_bias=st.booleans(),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**32 - 1),
)
def test_winograd_forward_and_backward_match_the_reference(n, c, k, h, w, pads, with_bias, dtype, seed):
    """Winograd forced onto small shapes: odd and even sizes (partial edge tiles), images smaller than a
    tile, paddings 0-3 on each side (asymmetric through out_size; dx's adjoint offset 2 - pad down to -1),
    chunks spanning images, empty batches."""
    top, bottom, left, right = pads
    assume(h + top + bottom >= 3 and w + left + right >= 3)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    weight = rng.standard_normal((k, c, 3, 3)).astype(dtype)
    bias = rng.standard_normal(k).astype(dtype) if with_bias else None
    dy = rng.standard_normal((n, k, h + top + bottom - 2, w + left + right - 2)).astype(dtype)
    with conv_algorithm("winograd"):
        out_size = dy.shape[2:]
        assert _C.conv2d_algorithm(x, weight, (1, 1), (top, left), (1, 1), 1, out_size) == ("winograd",) * 2
        check_winograd_conv(x, weight, bias, dy, ((top, bottom), (left, right)))


@settings(max_examples=10)
@given(seed=st.integers(0, 2**32 - 1))
def test_winograd_gradcheck(seed):
    """float64 gradcheck of F.conv2d through the Winograd forward and dx (dW and db by im2col)."""
    rng = np.random.default_rng(seed)
    n, c, k = (int(v) for v in rng.integers(1, 4, size=3))
    padding = tuple(int(p) for p in rng.integers(0, 3, size=2))
    size = [int(rng.integers(max(1, 3 - 2 * p), 8)) for p in padding]
    shapes = [(n, c, *size), (k, c, 3, 3), (k,)]
    inputs = [tl.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    with conv_algorithm("winograd"):
        out_size = tuple(s + 2 * p - 2 for s, p in zip(size, padding))
        x, w = (t.detach().numpy() for t in inputs[:2])
        assert _C.conv2d_algorithm(x, w, (1, 1), padding, (1, 1), 1, out_size) == ("winograd",) * 2
        assert tl.autograd.gradcheck(
            lambda x, w, b: F.conv2d(x, w, b, padding=padding), inputs, eps=1e-6, atol=1e-6, rtol=1e-5
        )


def test_winograd_is_chosen_by_itself_and_differs_from_im2col_only_by_rounding():
    """48 -> 48 channels on 2 odd-sized images (144 tiles) take Winograd without an override; through the
    op, forward and backward are within the error bound, and im2col's result differs in the last bits
    (so the two algorithms really are different code)."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 48, 15, 17)).astype(np.float32)
    w = rng.standard_normal((48, 48, 3, 3)).astype(np.float32)
    b = rng.standard_normal(48).astype(np.float32)
    dy = rng.standard_normal((2, 48, 15, 17)).astype(np.float32)
    assert _C.conv2d_algorithm_override() == "auto"
    assert _C.conv2d_algorithm(x, w, (1, 1), (1, 1), (1, 1), 1, (15, 17)) == ("winograd", "winograd")
    y, dx = check_winograd_conv(x, w, b, dy, ((1, 1), (1, 1)))
    xt, wt, bt = (tl.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = F.conv2d(xt, wt, bt, padding=1)
    yt.backward(tl.tensor(dy))
    np.testing.assert_array_equal(yt.detach().numpy(), y)
    np.testing.assert_array_equal(xt.grad.numpy(), dx)
    with conv_algorithm("im2col"):
        y_im2col = backend.conv2d(x, w, b, (1, 1), (1, 1), (1, 1), 1, (15, 17))
        dx_im2col = backend.conv2d_backward(x, w, dy, (1, 1), (1, 1), (1, 1), 1, True, False, False)[0]
    assert not np.array_equal(y, y_im2col) and not np.array_equal(dx, dx_im2col)
    np.testing.assert_allclose(y, y_im2col, rtol=1e-3, atol=1e-3)


def test_winograd_tile_rows_wider_than_a_chunk():
    """float64 64 -> 64 channels: one tile row (35 tiles) is over a chunk's budget (16 tiles), so rows are cut
    into segments of 16, 16 and 3 tiles."""
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal((1, 64, 3, 70)), rng.standard_normal((64, 64, 3, 3))
    dy = rng.standard_normal((1, 64, 3, 70))
    with conv_algorithm("winograd"):
        check_winograd_conv(x, w, None, dy, ((1, 1), (1, 1)))


@pytest.mark.parametrize(
    "x_shape, k",
    [((3, 16, 13, 13), 16), ((1, 512, 4, 4), 512)],
    ids=["chunks-over-threads", "one-chunk-threaded-gemm"],
)
def test_winograd_does_not_depend_on_thread_count(x_shape, k):
    """Bit for bit: the tiles are chunked the same way for any thread count, and each output is summed in the
    same order, whether threads share the chunks (3 images, 4 chunks) or the GEMMs (one chunk)."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal((k, x_shape[1], 3, 3)).astype(np.float32)
    b = rng.standard_normal(k).astype(np.float32)
    dy = rng.standard_normal((x_shape[0], k, *x_shape[2:])).astype(np.float32)
    results = []
    threads = tl.get_num_threads()
    try:
        with conv_algorithm("winograd"):
            for count in (1, 2):
                tl.set_num_threads(count)
                y = backend.conv2d(x, w, b, (1, 1), (1, 1), (1, 1), 1, x_shape[2:])
                dx = backend.conv2d_backward(x, w, dy, (1, 1), (1, 1), (1, 1), 1, True, False, False)[0]
                results.append((y, dx))
    finally:
        tl.set_num_threads(threads)
    for one, two in zip(*results):
        np.testing.assert_array_equal(one, two)


@pytest.mark.parametrize(
    "x_shape, w_shape, kwargs, expected",
    [
        ((32, 64, 32, 32), (64, 64, 3, 3), {"padding": 1}, ("winograd", "winograd")),
        ((32, 64, 14, 14), (128, 64, 3, 3), {"padding": 1}, ("winograd", "winograd")),  # K = 2C
        ((8, 48, 16, 16), (192, 48, 3, 3), {"padding": 1}, ("direct", "direct")),  # K = 4C
        ((32, 32, 16, 16), (32, 32, 3, 3), {"padding": 1}, ("direct", "direct")),  # C < 48
        ((2, 64, 8, 8), (64, 64, 3, 3), {"padding": 1}, ("direct", "direct")),  # 32 tiles
        ((32, 3, 32, 32), (16, 3, 3, 3), {"padding": 1}, ("direct", "direct")),
        ((64, 1, 28, 28), (32, 1, 3, 3), {"padding": 1}, ("direct", "im2col")),  # dx of one channel
        ((32, 64, 32, 32), (64, 64, 3, 3), {"padding": 2, "dilation": 2}, ("direct", "direct")),
        ((32, 64, 32, 32), (64, 32, 3, 3), {"padding": 1, "groups": 2}, ("direct", "direct")),
        ((32, 64, 32, 32), (64, 64, 5, 5), {"padding": 2}, ("direct", "direct")),
        ((32, 64, 32, 32), (64, 64, 3, 3), {"padding": 1, "stride": (2, 1)}, ("direct", "im2col")),
        ((32, 64, 32, 32), (64, 64, 3, 3), {"padding": 1, "stride": 2}, ("im2col", "im2col")),
        ((32, 64, 32, 32), (64, 64, 1, 1), {"padding": 0}, ("im2col", "im2col")),  # a plain GEMM per image
    ],
)  # fmt: skip
def test_algorithm_choice(x_shape, w_shape, kwargs, expected):
    """The measured rule (conv.cpp): Winograd for 3x3 stride-1 undilated ungrouped convolutions with C >= 48,
    K <= 2C and >= 128 tiles; else the direct path with horizontal stride 1 (for dx: both strides 1 and
    C/groups >= 3), except a 1x1 unpadded stride-1 convolution; else im2col. Forcing an algorithm changes
    nothing where it does not apply."""
    x, w = np.zeros(x_shape, np.float32), np.zeros(w_shape, np.float32)
    stride, padding = kwargs.get("stride", 1), kwargs["padding"]
    stride = stride if isinstance(stride, tuple) else (stride,) * 2
    dilation, groups = kwargs.get("dilation", 1), kwargs.get("groups", 1)
    out = tuple(
        (size + 2 * padding - dilation * (w_shape[2] - 1) - 1) // s + 1
        for size, s in zip(x_shape[2:], stride)
    )
    args = (stride, (padding,) * 2, (dilation,) * 2, groups, out)
    assert _C.conv2d_algorithm(x, w, *args) == expected
    with conv_algorithm("winograd"):
        applies = kwargs.keys() == {"padding"} and w_shape[2] == 3
        assert _C.conv2d_algorithm(x, w, *args) == (("winograd",) * 2 if applies else expected)
    with conv_algorithm("direct"):
        assert _C.conv2d_algorithm(x, w, *args) == tuple(
            "im2col" if a == "im2col" else "direct" for a in expected
        )
    with conv_algorithm("im2col"):
        assert _C.conv2d_algorithm(x, w, *args) == ("im2col", "im2col")


def test_algorithm_query_and_override_validate_their_arguments():
    x, w = np.zeros((1, 2, 4, 4), np.float32), np.zeros((3, 2, 3, 3), np.float32)
    with pytest.raises(ValueError, match=r"conv2d_algorithm: input shape \(1, 2, 4, 4\) and weight shape"):
        _C.conv2d_algorithm(x, np.zeros((3, 4, 3, 3), np.float32), (1, 1), (0, 0), (1, 1), 1, (2, 2))
    with pytest.raises(TypeError, match=r"conv2d_algorithm: weight has dtype float64"):
        _C.conv2d_algorithm(x, w.astype(np.float64), (1, 1), (0, 0), (1, 1), 1, (2, 2))
    with pytest.raises(ValueError, match=r"conv2d_algorithm: stride must be >= 1, got \(0, 1\)"):
        _C.conv2d_algorithm(x, w, (0, 1), (0, 0), (1, 1), 1, (2, 2))
    with pytest.raises(ValueError, match=r"unknown algorithm 'fft' \(auto, im2col, direct or winograd\)"):
        _C.set_conv2d_algorithm("fft")
    assert _C.conv2d_algorithm_override() == "auto"
