"""conv2d's algorithm choice and its Winograd path: forward and backward against the float64 reference
within a derived error bound, gradcheck, thread-count independence, and the choice rule."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tensorlite as tl
import tensorlite.nn.functional as F
from tensorlite import _C, backend

from harness import conv_algorithm
from reference.conv import conv2d_backward_reference, conv2d_reference


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


def winograd_weight_error_bound(a, dy, pad, dtype):
    """Bound on |computed - exact| of dW by Winograd's transpose, F(3x3, 2x2), for input a (N, Cin, H, W),
    output gradient dy (N, Cout, out_h, out_w) and (top, left) offsets pad.

    dW_kc = G^T [sum_tiles (A dY_k A^T) .* (B^T d_c B)] G over every 2x2 block dY of dy (0 outside it) and
    its 4x4 input patch d. The roundings on the longest path: 2 in A dY A^T, 2 in B^T d B, 1 product,
    T - 1 in the sum over the T tiles, 4 in G^T M G, and up to 8 more for the threads' partial sums, so
    n <= T + 17. The trilinear form sum_e A_e,q G_e,t B_e,p is the forward transform's, with the same growth
    factor 4, so with Q and P the sums of |dy| over a tile's block and of |a| over its patch
        |error| <= (T + 17) * eps * 4 * sum_(n, tile) Q[n, k, tile] * P[n, c, tile]   (every tap)."""
    (top, left), (out_h, out_w) = pad, dy.shape[2:]
    n, cin, h, w = a.shape
    tiles_h, tiles_w = -(-out_h // 2), -(-out_w // 2)
    lo_h, lo_w = max(0, top), max(0, left)
    hi_h, hi_w = max(0, 2 * tiles_h + 2 - top - h), max(0, 2 * tiles_w + 2 - left - w)
    padded = np.pad(np.abs(a), ((0, 0), (0, 0), (lo_h, hi_h), (lo_w, hi_w)))
    dy_padded = np.pad(np.abs(dy), ((0, 0), (0, 0), (0, 2 * tiles_h - out_h), (0, 2 * tiles_w - out_w)))
    magnitude = np.zeros((dy.shape[1], cin))
    for th in range(tiles_h):
        for tw in range(tiles_w):
            r, c = 2 * th - top + lo_h, 2 * tw - left + lo_w
            patch = padded[:, :, r : r + 4, c : c + 4].sum(axis=(2, 3))
            block = dy_padded[:, :, 2 * th : 2 * th + 2, 2 * tw : 2 * tw + 2].sum(axis=(2, 3))
            magnitude += 4 * block.T @ patch
    tiles = n * tiles_h * tiles_w
    return (tiles + 17) * np.finfo(dtype).eps * magnitude[:, :, None, None]


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
    winograd_error_bound, dw within winograd_weight_error_bound where Winograd computes it (else, and db,
    within summation_error_bound)."""
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
    if _C.conv2d_algorithm(x, weight, *args, out_size)[2] == "winograd":
        dw_bound = winograd_weight_error_bound(x64, dy64, (top, left), dtype)
    else:
        dw_bound = summation_error_bound(terms, dw_magnitude, dtype)
    assert_within(dw, dw_ref, dw_bound, "dw")
    if bias is not None:
        assert_within(db, db_ref, summation_error_bound(terms, db_magnitude, dtype), "db")
    return y, dx, dw


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
    chunks spanning images, empty batches; dW's tiles clipped at odd output sizes."""
    top, bottom, left, right = pads
    assume(h + top + bottom >= 3 and w + left + right >= 3)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    weight = rng.standard_normal((k, c, 3, 3)).astype(dtype)
    bias = rng.standard_normal(k).astype(dtype) if with_bias else None
    dy = rng.standard_normal((n, k, h + top + bottom - 2, w + left + right - 2)).astype(dtype)
    with conv_algorithm("winograd"):
        out_size = dy.shape[2:]
        assert _C.conv2d_algorithm(x, weight, (1, 1), (top, left), (1, 1), 1, out_size) == ("winograd",) * 3
        check_winograd_conv(x, weight, bias, dy, ((top, bottom), (left, right)))


@settings(max_examples=10)
@given(seed=st.integers(0, 2**32 - 1))
def test_winograd_gradcheck(seed):
    """float64 gradcheck of F.conv2d through the Winograd forward, dx and dW (db summed directly)."""
    rng = np.random.default_rng(seed)
    n, c, k = (int(v) for v in rng.integers(1, 4, size=3))
    padding = tuple(int(p) for p in rng.integers(0, 3, size=2))
    size = [int(rng.integers(max(1, 3 - 2 * p), 8)) for p in padding]
    shapes = [(n, c, *size), (k, c, 3, 3), (k,)]
    inputs = [tl.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    with conv_algorithm("winograd"):
        out_size = tuple(s + 2 * p - 2 for s, p in zip(size, padding))
        x, w = (t.detach().numpy() for t in inputs[:2])
        assert _C.conv2d_algorithm(x, w, (1, 1), padding, (1, 1), 1, out_size) == ("winograd",) * 3
        assert tl.autograd.gradcheck(
            lambda x, w, b: F.conv2d(x, w, b, padding=padding), inputs, eps=1e-6, atol=1e-6, rtol=1e-5
        )


def test_winograd_is_chosen_by_itself_and_differs_from_im2col_only_by_rounding():
    """48 -> 48 channels on 2 odd-sized images (144 tiles) take Winograd without an override; through the
    op, forward and backward are within the error bound, and im2col's result differs in the last bits
    (so the two algorithms really are different code), dW too."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 48, 15, 17)).astype(np.float32)
    w = rng.standard_normal((48, 48, 3, 3)).astype(np.float32)
    b = rng.standard_normal(48).astype(np.float32)
    dy = rng.standard_normal((2, 48, 15, 17)).astype(np.float32)
    assert _C.conv2d_algorithm_override() == "auto"
    assert _C.conv2d_algorithm(x, w, (1, 1), (1, 1), (1, 1), 1, (15, 17)) == ("winograd",) * 3
    y, dx, dw = check_winograd_conv(x, w, b, dy, ((1, 1), (1, 1)))
    xt, wt, bt = (tl.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = F.conv2d(xt, wt, bt, padding=1)
    yt.backward(tl.tensor(dy))
    np.testing.assert_array_equal(yt.detach().numpy(), y)
    np.testing.assert_array_equal(xt.grad.numpy(), dx)
    np.testing.assert_array_equal(wt.grad.numpy(), dw)
    with conv_algorithm("im2col"):
        y_im2col = backend.conv2d(x, w, b, (1, 1), (1, 1), (1, 1), 1, (15, 17))
        dx_im2col, dw_im2col, _ = backend.conv2d_backward(
            x, w, dy, (1, 1), (1, 1), (1, 1), 1, True, True, False
        )
    for ours, theirs in ((y, y_im2col), (dx, dx_im2col), (dw, dw_im2col)):
        assert not np.array_equal(ours, theirs)
        np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-3 * np.abs(theirs).max())


def test_winograd_tile_rows_wider_than_a_chunk():
    """float64 64 -> 64 channels: one tile row (75 tiles) is over a chunk's budget (16 tiles for y and dx,
    37 for dW), so rows are cut into segments: 16-tile ones and 11, and dW's 32, 32 and 11."""
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal((1, 64, 3, 150)), rng.standard_normal((64, 64, 3, 3))
    dy = rng.standard_normal((1, 64, 3, 150))
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


@pytest.mark.parametrize("threads", [1, 2])
def test_winograd_weight_gradient_sums_the_threads_partial_sums(threads, threads_restored):
    """dW by Winograd over 3 images in 5 chunks (of 5 tile rows): with 2 threads each sums its chunks and the
    partial sums are added at the end; within the error bound either way, and equal up to rounding."""
    rng = np.random.default_rng(8)
    x = rng.standard_normal((3, 16, 13, 13)).astype(np.float32)
    w = rng.standard_normal((16, 16, 3, 3)).astype(np.float32)
    dy = rng.standard_normal((3, 16, 13, 13)).astype(np.float32)
    tl.set_num_threads(threads)
    with conv_algorithm("winograd"):
        _, _, dw = check_winograd_conv(x, w, None, dy, ((1, 1), (1, 1)))
    tl.set_num_threads(1)
    with conv_algorithm("winograd"):
        one = backend.conv2d_backward(x, w, dy, (1, 1), (1, 1), (1, 1), 1, False, True, False)[1]
    np.testing.assert_allclose(dw, one, rtol=1e-5, atol=1e-5 * np.abs(one).max())


@pytest.mark.parametrize(
    "x_shape, w_shape, kwargs, expected, forced_direct, batched_applies",
    [
        ((32, 64, 32, 32), (64, 64, 3, 3), {"padding": 1}, ("winograd",) * 3, ("direct", "direct"), False),
        ((32, 64, 14, 14), (128, 64, 3, 3), {"padding": 1}, ("winograd",) * 3, ("direct", "direct"), True),  # K = 2C
        ((8, 48, 16, 16), (192, 48, 3, 3), {"padding": 1}, ("direct", "direct", "winograd"), ("direct", "direct"), True),  # K = 4C
        ((32, 32, 16, 16), (32, 32, 3, 3), {"padding": 1}, ("direct", "direct", "winograd"), ("direct", "direct"), True),  # C < 48
        ((8, 16, 16, 16), (80, 16, 3, 3), {"padding": 1}, ("direct", "direct", "im2col"), ("direct", "direct"), True),  # dW: K > 4C
        ((32, 8, 16, 16), (8, 8, 3, 3), {"padding": 1}, ("direct", "direct", "im2col"), ("direct", "direct"), True),  # dW: C < 16
        ((2, 64, 8, 8), (64, 64, 3, 3), {"padding": 1}, ("direct", "direct", "winograd"), ("direct", "direct"), True),  # 32 tiles
        ((1, 64, 8, 8), (64, 64, 3, 3), {"padding": 1}, ("direct", "direct", "batched"), ("direct", "direct"), True),  # 16 tiles
        ((32, 3, 32, 32), (16, 3, 3, 3), {"padding": 1}, ("direct", "direct", "im2col"), ("direct", "direct"), True),
        ((64, 1, 28, 28), (32, 1, 3, 3), {"padding": 1}, ("direct", "im2col", "im2col"), ("direct", "im2col"), True),  # dx of one channel
        ((32, 64, 32, 32), (64, 64, 3, 3), {"padding": 2, "dilation": 2}, ("direct", "direct", "im2col"), ("direct", "direct"), False),
        ((32, 64, 32, 32), (64, 32, 3, 3), {"padding": 1, "groups": 2}, ("direct", "direct", "im2col"), ("direct", "direct"), False),
        ((32, 64, 32, 32), (64, 64, 5, 5), {"padding": 2}, ("direct", "direct", "im2col"), ("direct", "direct"), False),
        ((32, 64, 32, 32), (64, 64, 3, 3), {"padding": 1, "stride": (2, 1)}, ("direct", "im2col", "im2col"), ("direct", "im2col"), False),
        ((32, 64, 32, 32), (64, 64, 3, 3), {"padding": 1, "stride": 2}, ("direct", "im2col", "im2col"), ("direct", "im2col"), True),
        ((32, 64, 32, 32), (64, 64, 3, 3), {"padding": 1, "stride": 3}, ("im2col", "im2col", "im2col"), ("im2col", "im2col"), True),
        ((32, 64, 32, 32), (64, 64, 1, 1), {"padding": 0}, ("im2col", "im2col", "im2col"), ("im2col", "im2col"), True),  # a plain GEMM per image
        # MNIST-1D's convolutions: stride (1, 2) forward by the direct path, 20 and 5 output positions batched.
        ((100, 1, 1, 40), (25, 1, 1, 5), {"padding": (0, 1), "stride": (1, 2)}, ("direct", "batched", "batched"), ("direct", "im2col"), True),
        ((100, 25, 1, 10), (25, 25, 1, 3), {"padding": (0, 1), "stride": (1, 2)}, ("direct", "batched", "batched"), ("direct", "im2col"), True),
        ((64, 6, 14, 14), (16, 6, 5, 5), {"padding": 0}, ("direct", "direct", "im2col"), ("direct", "direct"), True),  # LeNet: P = 100
        ((64, 1, 8, 8), (32, 1, 3, 3), {"padding": 1}, ("direct", "im2col", "im2col"), ("direct", "im2col"), True),  # depth 9, P = 64
        ((64, 32, 4, 4), (64, 32, 3, 3), {"padding": 1}, ("batched", "batched", "winograd"), ("direct", "direct"), True),  # rows of 4
        ((64, 16, 4, 4), (16, 16, 3, 3), {"padding": 2}, ("direct", "batched", "winograd"), ("direct", "direct"), True),  # out 6x6
    ],
)  # fmt: skip
def test_algorithm_choice(x_shape, w_shape, kwargs, expected, forced_direct, batched_applies):
    """The measured rule (conv_algorithm.cpp): Winograd for 3x3 stride-1 undilated ungrouped convolutions
    with C >= 48, K <= 2C and >= 128 tiles; else the direct path where it applies (horizontal stride 1 or 2;
    for dx both strides 1 and C/groups >= 3; not a 1x1 unpadded stride-1 convolution) to rows at least 5
    wide; else the batched path for outputs of <= 32 positions, or <= 64 with a depth of >= 16; else im2col.
    dW: Winograd for C >= 16, K <= 4C and >= 32 tiles, else batched or im2col. Forcing an algorithm changes
    nothing where it does not apply (im2col there, or the automatic choice for Winograd)."""
    x, w = np.zeros(x_shape, np.float32), np.zeros(w_shape, np.float32)
    stride, padding = kwargs.get("stride", 1), kwargs["padding"]
    stride = stride if isinstance(stride, tuple) else (stride,) * 2
    padding = padding if isinstance(padding, tuple) else (padding,) * 2
    dilation, groups = kwargs.get("dilation", 1), kwargs.get("groups", 1)
    out = tuple(
        (size + 2 * p - dilation * (k - 1) - 1) // s + 1
        for size, p, k, s in zip(x_shape[2:], padding, w_shape[2:], stride)
    )
    args = (stride, padding, (dilation,) * 2, groups, out)
    assert _C.conv2d_algorithm(x, w, *args) == expected
    with conv_algorithm("winograd"):
        applies = kwargs.keys() == {"padding"} and w_shape[2:] == (3, 3)
        assert _C.conv2d_algorithm(x, w, *args) == (("winograd",) * 3 if applies else expected)
    with conv_algorithm("direct"):
        assert _C.conv2d_algorithm(x, w, *args) == (*forced_direct, "im2col")
    with conv_algorithm("batched"):
        assert _C.conv2d_algorithm(x, w, *args) == ("batched" if batched_applies else "im2col",) * 3
    with conv_algorithm("im2col"):
        assert _C.conv2d_algorithm(x, w, *args) == ("im2col",) * 3


def test_algorithm_query_and_override_validate_their_arguments():
    x, w = np.zeros((1, 2, 4, 4), np.float32), np.zeros((3, 2, 3, 3), np.float32)
    with pytest.raises(ValueError, match=r"conv2d_algorithm: input shape \(1, 2, 4, 4\) and weight shape"):
        _C.conv2d_algorithm(x, np.zeros((3, 4, 3, 3), np.float32), (1, 1), (0, 0), (1, 1), 1, (2, 2))
    with pytest.raises(TypeError, match=r"conv2d_algorithm: weight has dtype float64"):
        _C.conv2d_algorithm(x, w.astype(np.float64), (1, 1), (0, 0), (1, 1), 1, (2, 2))
    with pytest.raises(ValueError, match=r"conv2d_algorithm: stride must be >= 1, got \(0, 1\)"):
        _C.conv2d_algorithm(x, w, (0, 1), (0, 0), (1, 1), 1, (2, 2))
    with pytest.raises(
        ValueError, match=r"unknown algorithm 'fft' \(auto, im2col, direct, winograd or batched\)"
    ):
        _C.set_conv2d_algorithm("fft")
    assert _C.conv2d_algorithm_override() == "auto"
