"""conv_transpose2d (conv2d's kernels run backwards) and conv1d (conv2d of unit height): forward vs naive
float64 references and gradcheck over random configurations (stride, padding, output_padding, dilation,
groups, odd sizes), every conv2d algorithm, PyTorch agreement, and invalid arguments."""

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn.functional as F
from tensorlite import _C

from harness import OpTestCase, assert_close
from reference.conv import conv2d_reference
from reference.layers import conv_transpose2d_reference


def random_transpose_config(rng):
    groups = int(rng.choice([1, 1, 2, 3]))
    stride = tuple(int(s) for s in rng.integers(1, 4, size=2))
    dilation = tuple(int(d) for d in rng.integers(1, 3, size=2))
    kernel = tuple(int(k) for k in rng.integers(1, 4, size=2))
    padding = tuple(int(p) for p in rng.integers(0, 3, size=2))
    output_padding = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation))
    size = []
    for s, p, d, k, o in zip(stride, padding, dilation, kernel, output_padding):
        n = int(rng.integers(1, 5))
        while (n - 1) * s - 2 * p + d * (k - 1) + o + 1 < 1:
            n += 1
        size.append(n)
    batch = 0 if rng.random() < 0.1 else int(rng.integers(1, 3))
    params = {"stride": stride, "padding": padding, "output_padding": output_padding, "dilation": dilation,
              "groups": groups}  # fmt: skip
    x_shape = (batch, groups * int(rng.integers(1, 3)), *size)
    w_shape = (x_shape[1], int(rng.integers(1, 3)), *kernel)
    return x_shape, w_shape, params


class TestConvTranspose2d(OpTestCase):
    def generate_inputs(self, rng):
        x_shape, w_shape, self.params = random_transpose_config(rng)
        arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape)]
        if rng.random() < 0.7:
            arrays.append(rng.standard_normal(w_shape[1] * self.params["groups"]))
        return tuple(arrays)

    def forward(self, x, weight, bias=None):
        return F.conv_transpose2d(x, weight, bias, **self.params)

    def forward_expected(self, x, weight, bias=None):
        return conv_transpose2d_reference(x, weight, bias, **self.params)


class TestConv1d(OpTestCase):
    def generate_inputs(self, rng):
        groups = int(rng.choice([1, 2]))
        kernel, stride, dilation = int(rng.integers(1, 4)), int(rng.integers(1, 3)), int(rng.integers(1, 3))
        padding = int(rng.integers(0, 3))
        length = max(1, dilation * (kernel - 1) + 1 - 2 * padding) + int(rng.integers(0, 5))
        self.params = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
        x = rng.standard_normal((int(rng.integers(1, 3)), 2 * groups, length))
        w = rng.standard_normal((groups * int(rng.integers(1, 3)), 2, kernel))
        return x, w, rng.standard_normal(w.shape[0])

    def forward(self, x, weight, bias):
        return F.conv1d(x, weight, bias, **self.params)

    def forward_expected(self, x, weight, bias):
        p = self.params
        y = conv2d_reference(x[:, :, None], weight[:, :, None], bias, (1, p["stride"]),
                             ((0, 0), (p["padding"],) * 2), (1, p["dilation"]), p["groups"])  # fmt: skip
        return y[:, :, 0]


def test_transpose_is_the_adjoint_of_conv2d():
    """<conv2d(u; W), v> = <u, conv_transpose2d(v; W)> for the same stride, padding, dilation and groups."""
    rng = np.random.default_rng(0)
    u, w = rng.standard_normal((2, 4, 9, 8)), rng.standard_normal((6, 2, 3, 2))
    params = {"stride": (2, 3), "padding": (1, 2), "dilation": (2, 1), "groups": 2}
    y = F.conv2d(tl.tensor(u), tl.tensor(w), **params).numpy()
    v = rng.standard_normal(y.shape)
    # output_padding recovers u's size: conv2d maps sizes 9 and 8 to 4 and 4.
    back = F.conv_transpose2d(tl.tensor(v), tl.tensor(w), output_padding=(0, 1), **params).numpy()
    assert back.shape == u.shape
    np.testing.assert_allclose(np.sum(y * v), np.sum(u * back), rtol=1e-12)


@pytest.mark.parametrize("algorithm", ["im2col", "direct", "winograd"])
def test_every_conv2d_algorithm_gives_the_same_transpose(algorithm):
    """Stride 1 3x3 (Winograd's case), padding wider than the kernel's reach and output_padding < dilation."""
    rng = np.random.default_rng(1)
    cases = [((2, 8, 6, 7), (8, 5, 3, 3), {"padding": 1}),
             ((1, 3, 9, 8), (3, 2, 3, 3), {"padding": 3}),
             ((2, 2, 5, 5), (2, 3, 2, 3), {"dilation": 2, "output_padding": 1})]  # fmt: skip
    previous = _C.conv2d_algorithm_override()
    try:
        _C.set_conv2d_algorithm(algorithm)
        for x_shape, w_shape, params in cases:
            x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
            xt, wt = tl.tensor(x, requires_grad=True), tl.tensor(w, requires_grad=True)
            y = F.conv_transpose2d(xt, wt, **params)
            assert_close(y, conv_transpose2d_reference(x, w, **params), np.float64)
            dy = rng.standard_normal(y.shape)
            y.backward(tl.tensor(dy))
            # dx and dW by the adjoint identities of the bilinear map: <dy, y> = <dx, x> = <dW, W>.
            inner = float(np.sum(dy * y.numpy()))
            assert np.isclose(float(np.sum(xt.grad.numpy() * x)), inner, rtol=1e-10)
            assert np.isclose(float(np.sum(wt.grad.numpy() * w)), inner, rtol=1e-10)
    finally:
        _C.set_conv2d_algorithm(previous)


TORCH_CASES = [
    {"stride": 2, "padding": 1, "output_padding": 1},
    {"stride": (3, 2), "padding": (2, 0), "output_padding": (2, 1), "dilation": (1, 2)},
    {"stride": 1, "padding": 0, "output_padding": 1, "dilation": 2, "groups": 2},
    {"stride": 2, "padding": 2, "groups": 4},
]


@pytest.mark.parametrize("params", TORCH_CASES)
def test_conv_transpose2d_matches_pytorch(params):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x, w, b = (
        rng.standard_normal((2, 4, 5, 6)),
        rng.standard_normal((4, 3, 3, 2)),
        rng.standard_normal(3 * params.get("groups", 1)),
    )
    ours = [tl.tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    y = F.conv_transpose2d(*ours, **params)
    yt = torch.nn.functional.conv_transpose2d(*theirs, **params)
    assert y.shape == tuple(yt.shape)
    dy = rng.standard_normal(y.shape)
    y.backward(tl.tensor(dy))
    yt.backward(torch.tensor(dy))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    for a, t in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_conv1d_matches_pytorch_with_same_padding_and_unbatched_input():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((4, 11)), rng.standard_normal((6, 2, 4)), rng.standard_normal(6)
    y = F.conv1d(tl.tensor(x), tl.tensor(w), tl.tensor(b), padding="same", dilation=2, groups=2)
    yt = torch.nn.functional.conv1d(
        torch.tensor(x), torch.tensor(w), torch.tensor(b), padding="same", dilation=2, groups=2
    )
    np.testing.assert_allclose(y.numpy(), yt.numpy(), rtol=1e-12, atol=1e-12)


def test_unbatched_transpose_input():
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 2, 2))
    y = F.conv_transpose2d(tl.tensor(x), tl.tensor(w), stride=2)
    assert_close(y, conv_transpose2d_reference(x[None], w, stride=(2, 2))[0], np.float64)


def test_invalid_arguments_raise_naming_them():
    x, w = tl.randn(1, 4, 5, 5), tl.randn(4, 2, 3, 3)
    with pytest.raises(
        ValueError, match=r"output_padding \(2, 2\) must be smaller than stride \(2, 2\) or dilation"
    ):
        F.conv_transpose2d(x, w, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="input has 3 channels but weight"):
        F.conv_transpose2d(tl.randn(1, 3, 5, 5), w)
    with pytest.raises(ValueError, match="groups=3 does not divide the 4 input channels"):
        F.conv_transpose2d(x, w, groups=3)
    with pytest.raises(ValueError, match=r"output size \(-3, -3\) is not positive"):
        F.conv_transpose2d(tl.randn(1, 4, 1, 1), w, padding=3)
    with pytest.raises(ValueError, match=r"bias has shape \(3,\)"):
        F.conv_transpose2d(x, w, tl.randn(3))
    with pytest.raises(ValueError, match=r"stride must be >= 1, got 0"):
        F.conv1d(tl.randn(1, 4, 5), tl.randn(2, 4, 3), stride=0)
    with pytest.raises(ValueError, match=r"padding must be an int, 'valid' or 'same', got 'full'"):
        F.conv1d(tl.randn(1, 4, 5), tl.randn(2, 4, 3), padding="full")
