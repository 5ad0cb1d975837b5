"""affine_grid / grid_sample: forward vs naive float64 references and gradcheck over random configurations
(every mode, padding mode and align_corners), agreement with torch when installed, the threaded backward
paths, non-finite grids and every invalid argument."""

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn.functional as F

from harness import OpTestCase, assert_close
from reference.sample import affine_grid_reference, grid_sample_reference

MODES = ("bilinear", "nearest")
PADDINGS = ("zeros", "border", "reflection")


def _away_from_kinks(grid, width, height, align_corners):
    """The grid moved to a quarter pixel from every point where grid_sample is not differentiable, so that
    gradcheck's finite differences never straddle one: in pixel units those points (bilinear cell edges,
    nearest's rounding points, the padding and reflection borders) are all multiples of 1/2."""
    out = grid.copy()
    for axis, size in ((0, width), (1, height)):
        if align_corners and size == 1:
            continue  # every grid value maps to pixel 0: nothing to move
        scale = (size - 1) / 2 if align_corners else size / 2
        offset = (size - 1) / 2
        pixels = out[..., axis] * scale + offset
        out[..., axis] = (np.floor(pixels * 2) / 2 + 0.25 - offset) / scale
    return out


class TestGridSample(OpTestCase):
    def generate_inputs(self, rng):
        self.params = {
            "mode": str(rng.choice(MODES)),
            "padding_mode": str(rng.choice(PADDINGS)),
            "align_corners": bool(rng.random() < 0.5),
        }
        n, c = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        x = rng.standard_normal((n, c, int(rng.integers(1, 6)), int(rng.integers(1, 6))))
        grid = rng.uniform(-1.6, 1.6, size=(n, int(rng.integers(1, 5)), int(rng.integers(1, 5)), 2))
        return x, _away_from_kinks(grid, x.shape[3], x.shape[2], self.params["align_corners"])

    def forward(self, x, grid):
        return F.grid_sample(x, grid, **self.params)

    def forward_expected(self, x, grid):
        return grid_sample_reference(x, grid, **self.params)


class TestAffineGrid(OpTestCase):
    def generate_inputs(self, rng):
        n = int(rng.integers(1, 4))
        self.size = (n, 1, int(rng.integers(1, 6)), int(rng.integers(1, 6)))
        self.align_corners = bool(rng.random() < 0.5)
        return (rng.standard_normal((n, 2, 3)),)

    def forward(self, theta):
        return F.affine_grid(theta, self.size, align_corners=self.align_corners)

    def forward_expected(self, theta):
        return affine_grid_reference(theta, self.size, self.align_corners)


@pytest.mark.parametrize("align_corners", [False, True])
def test_identity_affine_grid_reproduces_the_input(align_corners):
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 5))
    theta = np.tile(np.eye(2, 3), (2, 1, 1))
    grid = F.affine_grid(tl.tensor(theta), x.shape, align_corners=align_corners)
    y = F.grid_sample(tl.tensor(x), grid, align_corners=align_corners)
    np.testing.assert_allclose(y.numpy(), x, atol=1e-12)


def test_spatial_transformer_gradient_flows_to_theta():
    """grid_sample(x, affine_grid(theta)) is differentiable end to end: gradcheck in theta."""
    x = tl.tensor(np.random.default_rng(1).standard_normal((2, 2, 6, 6)))
    theta = tl.tensor(np.array([[[0.9, 0.1, 0.05], [-0.2, 1.1, 0.1]]] * 2), requires_grad=True)

    def transform(t):
        return F.grid_sample(x, F.affine_grid(t, (2, 2, 5, 4)), padding_mode="border")

    assert tl.autograd.gradcheck(transform, [theta], eps=1e-6, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("batch", [1, 8])  # 1: rows of one sample share threads (atomic adds); 8: per sample
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_threaded_backward_matches_one_thread(batch, dtype):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((batch, 3, 40, 40)).astype(dtype)
    grid = rng.uniform(-1.1, 1.1, (batch, 48, 48, 2)).astype(dtype)
    dy = rng.standard_normal((batch, 3, 48, 48)).astype(dtype)

    def grads():
        xt, gt = tl.tensor(x, requires_grad=True), tl.tensor(grid, requires_grad=True)
        F.grid_sample(xt, gt).backward(tl.tensor(dy))
        return xt.grad.numpy(), gt.grad.numpy()

    threads = tl.get_num_threads()
    try:
        tl.set_num_threads(1)
        serial = grads()
        tl.set_num_threads(4)
        threaded = grads()
    finally:
        tl.set_num_threads(threads)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    for a, b in zip(threaded, serial):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    assert np.abs(serial[0]).sum() > 0 and np.abs(serial[1]).sum() > 0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("padding_mode", "expected"),
    [
        ("zeros", [np.nan, 0.0, 0.0, 0.0]),  # +-inf and 1e300 lie outside the input
        ("border", [np.nan, 5.0, 3.0, 5.0]),  # clipped to the last / first column of the middle row
        ("reflection", [np.nan, np.nan, np.nan, None]),  # reflecting infinity is undefined
    ],
)
def test_non_finite_grid_points(mode, padding_mode, expected):
    """A NaN coordinate gives NaN (never a silent 0); infinite ones follow the padding mode."""
    x = tl.tensor(np.arange(9.0).reshape(1, 1, 3, 3), requires_grad=True)
    grid = np.zeros((1, 1, 4, 2))
    grid[0, 0, :, 0] = [np.nan, np.inf, -np.inf, 1e300]
    gt = tl.tensor(grid, requires_grad=True)
    y = F.grid_sample(x, gt, mode=mode, padding_mode=padding_mode)
    np.testing.assert_array_equal(y.numpy().ravel()[:3], expected[:3])
    assert np.isfinite(y.numpy().ravel()[3])
    y.sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))
    assert np.all(np.isnan(gt.grad.numpy()[0, 0, 0]))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("align_corners", [False, True])
def test_matches_torch_forward_and_backward(mode, padding_mode, align_corners):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x, grid = rng.standard_normal((2, 3, 9, 11)), rng.uniform(-1.4, 1.4, (2, 6, 7, 2))
    dy = rng.standard_normal((2, 3, 6, 7))
    xt, gt = tl.tensor(x, requires_grad=True), tl.tensor(grid, requires_grad=True)
    y = F.grid_sample(xt, gt, mode, padding_mode, align_corners)
    y.backward(tl.tensor(dy))
    xq, gq = torch.tensor(x, requires_grad=True), torch.tensor(grid, requires_grad=True)
    yq = torch.nn.functional.grid_sample(xq, gq, mode, padding_mode, align_corners)
    yq.backward(torch.tensor(dy))
    assert_close(y, yq.detach().numpy(), np.float64)
    assert_close(xt.grad, xq.grad.numpy(), np.float64)
    np.testing.assert_allclose(gt.grad.numpy(), gq.grad.numpy(), rtol=1e-9, atol=1e-11)
    theta = rng.standard_normal((2, 2, 3))
    expected = torch.nn.functional.affine_grid(torch.tensor(theta), (2, 3, 4, 5), align_corners).numpy()
    assert_close(F.affine_grid(tl.tensor(theta), (2, 3, 4, 5), align_corners), expected, np.float64)


@pytest.mark.parametrize(
    ("input_shape", "grid_shape", "kwargs", "match"),
    [
        ((1, 1, 3), (1, 2, 2, 2), {}, "4-D input"),
        ((1, 1, 3, 3), (1, 2, 2), {}, "grid must have shape"),
        ((1, 1, 3, 3), (1, 2, 2, 3), {}, "grid must have shape"),
        ((2, 1, 3, 3), (1, 2, 2, 2), {}, "N = 2"),
        ((1, 1, 0, 3), (1, 2, 2, 2), {}, "empty spatial"),
        ((1, 1, 3, 3), (1, 2, 2, 2), {"mode": "bicubic"}, "mode must be one of"),
        ((1, 1, 3, 3), (1, 2, 2, 2), {"padding_mode": "wrap"}, "padding_mode must be one of"),
    ],
)
def test_grid_sample_bad_arguments(input_shape, grid_shape, kwargs, match):
    with pytest.raises(ValueError, match=match):
        F.grid_sample(
            tl.zeros(*input_shape, dtype=tl.float64), tl.zeros(*grid_shape, dtype=tl.float64), **kwargs
        )


def test_grid_sample_bad_dtypes():
    with pytest.raises(TypeError, match="float32 or float64"):
        F.grid_sample(tl.zeros(1, 1, 2, 2, dtype=tl.int64), tl.zeros(1, 1, 1, 2, dtype=tl.float64))
    with pytest.raises(TypeError, match="dtype"):
        F.grid_sample(tl.zeros(1, 1, 2, 2, dtype=tl.float32), tl.zeros(1, 1, 1, 2, dtype=tl.float64))


@pytest.mark.parametrize(
    ("theta_shape", "size", "match"),
    [
        ((1, 2, 3), (1, 1, 4), "4-element"),
        ((1, 2, 3), (1, 1, 0, 4), "positive ints"),
        ((1, 3, 3), (1, 1, 4, 4), r"\(N, 2, 3\)"),
        ((2, 2, 3), (1, 1, 4, 4), r"\(N, 2, 3\)"),
    ],
)
def test_affine_grid_bad_arguments(theta_shape, size, match):
    with pytest.raises(ValueError, match=match):
        F.affine_grid(tl.zeros(*theta_shape, dtype=tl.float64), size)


def test_backend_rejects_mismatched_grad_output():
    from tensorlite import backend

    x, grid = np.zeros((1, 1, 3, 3)), np.zeros((1, 2, 2, 2))
    with pytest.raises(ValueError, match="grad_output shape"):
        backend.grid_sample_backward(x, grid, np.zeros((1, 1, 3, 3)), 0, 0, False, True, True)
    with pytest.raises(TypeError, match="grid has dtype"):
        backend.grid_sample(x, grid.astype(np.float32), 0, 0, False)
