"""interpolate (nearest, linear, bilinear, trilinear; align_corners; size or scale_factor) and pad (constant,
reflect, replicate): forward vs element-by-element float64 references, gradcheck, PyTorch agreement, and
invalid arguments."""

import math

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn.functional as F

from harness import OpTestCase, assert_close
from reference.layers import interpolate_reference, pad_reference


class TestInterpolate(OpTestCase):
    def generate_inputs(self, rng):
        self.mode = str(rng.choice(["nearest", "nearest", "linear", "bilinear"]))
        dims = {"linear": 1, "bilinear": 2}.get(self.mode, int(rng.integers(1, 3)))
        spatial = tuple(int(n) for n in rng.integers(1, 6, dims))
        self.align_corners = None if self.mode == "nearest" else bool(rng.random() < 0.5)
        if rng.random() < 0.5:
            self.kwargs = {"size": tuple(int(m) for m in rng.integers(1, 9, dims))}
            self.size, self.scales = self.kwargs["size"], (None,) * dims
        else:
            self.scales = tuple(float(s) for s in rng.choice([0.5, 0.7, 1.0, 1.5, 2.0, 2.5, 3.0], dims))
            self.kwargs = {"scale_factor": self.scales}
            spatial = tuple(max(n, math.ceil(1 / s)) for n, s in zip(spatial, self.scales))  # output >= 1
            self.size = tuple(math.floor(n * s) for n, s in zip(spatial, self.scales))
        return (rng.standard_normal((int(rng.integers(1, 3)), int(rng.integers(1, 3)), *spatial)),)

    def forward(self, x):
        return F.interpolate(x, mode=self.mode, align_corners=self.align_corners, **self.kwargs)

    def forward_expected(self, x):
        return interpolate_reference(x, self.size, self.scales, self.mode, bool(self.align_corners))


class TestPad(OpTestCase):
    def generate_inputs(self, rng):
        self.mode = str(rng.choice(["constant", "reflect", "replicate"]))
        dims = int(rng.integers(1, 3))
        ndim = dims + int(rng.integers(1, 3)) if self.mode != "constant" else int(rng.integers(dims, 4))
        shape = tuple(int(n) for n in rng.integers(1, 5, ndim))
        pad = []
        for n in reversed(shape[ndim - dims :]):
            high = n if self.mode == "reflect" else 4  # reflect needs widths < size
            low = -1 if self.mode == "constant" and n > 2 else 0  # constant may crop
            pad += [int(rng.integers(low, high)), int(rng.integers(low, high))]
        self.pad, self.value = tuple(pad), float(rng.choice([0.0, 1.5]))
        return (rng.standard_normal(shape),)

    def forward(self, x):
        value = self.value if self.mode == "constant" else None
        return F.pad(x, self.pad, mode=self.mode, value=value)

    def forward_expected(self, x):
        return pad_reference(x, self.pad, self.mode, self.value)


INTERPOLATE_CASES = [
    ({"size": (7, 3)}, "nearest", None),
    ({"scale_factor": 2}, "nearest", None),
    ({"scale_factor": 1.7}, "nearest", None),
    ({"scale_factor": (0.5, 3.0)}, "nearest", None),
    ({"size": (7, 3)}, "bilinear", False),
    ({"size": (7, 3)}, "bilinear", True),
    ({"scale_factor": 1.7}, "bilinear", False),
    ({"scale_factor": (0.5, 3.0)}, "bilinear", True),
    ({"scale_factor": 1.7, "recompute_scale_factor": True}, "bilinear", False),
    ({"scale_factor": 1.7, "recompute_scale_factor": True}, "nearest", None),
]


@pytest.mark.parametrize("kwargs, mode, align_corners", INTERPOLATE_CASES)
def test_interpolate_matches_pytorch(kwargs, mode, align_corners):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 5, 4))
    for dtype, tol in ((np.float64, 1e-12), (np.float32, 1e-5)):
        xt, xl = (
            torch.tensor(x.astype(dtype), requires_grad=True),
            tl.tensor(x.astype(dtype), requires_grad=True),
        )
        yt = torch.nn.functional.interpolate(xt, mode=mode, align_corners=align_corners, **kwargs)
        yl = F.interpolate(xl, mode=mode, align_corners=align_corners, **kwargs)
        dy = rng.standard_normal(tuple(yt.shape)).astype(dtype)
        yt.backward(torch.tensor(dy))
        yl.backward(tl.tensor(dy))
        np.testing.assert_allclose(yl.numpy(), yt.detach().numpy(), rtol=tol, atol=tol)
        np.testing.assert_allclose(xl.grad.numpy(), xt.grad.numpy(), rtol=tol, atol=tol)


def test_nearest_and_linear_on_ncl_and_trilinear_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x1, x3 = rng.standard_normal((2, 3, 7)), rng.standard_normal((1, 2, 3, 4, 5))
    cases = [(x1, "nearest", {"size": 12}), (x1, "linear", {"scale_factor": 0.6}),
             (x3, "trilinear", {"size": (5, 2, 7)}), (x3, "nearest", {"scale_factor": 1.5})]  # fmt: skip
    for x, mode, kwargs in cases:
        ours = F.interpolate(tl.tensor(x), mode=mode, **kwargs).numpy()
        theirs = torch.nn.functional.interpolate(torch.tensor(x), mode=mode, **kwargs).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate"])
def test_pad_matches_pytorch(mode):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 5, 4))
    pad = (1, 3, 4, 0) if mode != "constant" else (2, -1, 0, 3)
    xt, xl = torch.tensor(x, requires_grad=True), tl.tensor(x, requires_grad=True)
    yt, yl = torch.nn.functional.pad(xt, pad, mode=mode), F.pad(xl, pad, mode=mode)
    dy = rng.standard_normal(tuple(yt.shape))
    yt.backward(torch.tensor(dy))
    yl.backward(tl.tensor(dy))
    np.testing.assert_array_equal(yl.numpy(), yt.detach().numpy())
    np.testing.assert_allclose(xl.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_pad_order_starts_from_the_last_dimension():
    x = np.arange(6.0).reshape(2, 3)
    y = F.pad(tl.tensor(x), (1, 0, 0, 2), value=-1.0).numpy()
    assert y.shape == (4, 4)
    assert_close(y[:2, 1:], x, np.float64)
    assert (y[:, 0] == -1).all() and (y[2:] == -1).all()


def test_invalid_arguments_raise_naming_them():
    x = tl.randn(1, 2, 3, 4)
    with pytest.raises(
        ValueError, match=r"reflect padding \(3, 0\) must be smaller than the size 3 of dimension 2"
    ):
        F.pad(x, (0, 0, 3, 0), mode="reflect")
    with pytest.raises(ValueError, match="pad must be a sequence of even length"):
        F.pad(x, (1, 2, 3))
    with pytest.raises(ValueError, match="mode must be one of constant, reflect, replicate, got 'edge'"):
        F.pad(x, (1, 1), mode="edge")
    with pytest.raises(NotImplementedError, match="circular"):
        F.pad(x, (1, 1), mode="circular")
    with pytest.raises(ValueError, match="mode 'replicate' pads the last 1, 2 or 3 dimensions"):
        F.pad(tl.randn(5), (1, 1), mode="replicate")
    with pytest.raises(ValueError, match="give exactly one of size and scale_factor"):
        F.interpolate(x, size=(2, 2), scale_factor=2)
    with pytest.raises(ValueError, match="align_corners=True can only be set with mode linear or bilinear"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match=r"mode 'bilinear' expects a 4-D input, got shape \(1, 2, 3\)"):
        F.interpolate(tl.randn(1, 2, 3), scale_factor=2, mode="bilinear")
    with pytest.raises(ValueError, match=r"scale_factor 0.1 gives an empty output"):
        F.interpolate(x, scale_factor=0.1)
    with pytest.raises(NotImplementedError, match="bicubic"):
        F.interpolate(x, scale_factor=2, mode="bicubic")
