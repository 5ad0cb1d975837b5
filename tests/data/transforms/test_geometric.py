"""RandomRotation, RandomAffine and ElasticTransform: exact results for rotations by multiples of 90
degrees, integer translations and alpha = 0, an independent float64 reference for affine maps, fill,
uint8 input, per-sample draws and seeding."""

import math

import numpy as np
import pytest

import tensorlite as tl
from tensorlite.data import transforms as T
from tensorlite.data.transforms._geometric import affine_matrices, gaussian_kernel

from reference.sample import grid_sample_reference


def square(n=3, c=2, size=6, seed=0):
    return np.random.default_rng(seed).random((n, c, size, size))


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize(("angle", "k"), [(90, 1), (-90, -1), (180, 2)])
def test_rotation_by_right_angles_is_exact_and_counter_clockwise(interpolation, angle, k):
    x = square()
    out = T.RandomRotation((angle, angle), interpolation=interpolation)(x)
    np.testing.assert_allclose(out, np.rot90(x, k, axes=(-2, -1)), atol=1e-12)


def test_rotation_expand_holds_the_whole_image():
    x = np.random.default_rng(1).random((1, 4, 6)).astype(np.float32)
    out = T.RandomRotation((90, 90), expand=True)(x)
    np.testing.assert_array_equal(out, np.rot90(x, 1, axes=(-2, -1)))
    assert T.RandomRotation((45, 45), expand=True)(x).shape == (1, 8, 8)  # ceil((4 + 6) / sqrt 2)
    with pytest.raises(ValueError, match="expand=True"):
        T.RandomRotation(10, expand=True)(x[None])


def test_rotation_fill_covers_the_outside_and_blends_at_the_edge():
    x = np.ones((1, 2, 9, 9))
    out = T.RandomRotation((45, 45), interpolation="bilinear", fill=(3.0, -1.0))(x)
    np.testing.assert_allclose(out[0, :, 0, 0], [3.0, -1.0])  # a corner comes from outside
    np.testing.assert_allclose(out[0, :, 4, 4], [1.0, 1.0])  # the centre stays
    assert np.all((out[0, 0] >= 1.0) & (out[0, 0] <= 3.0))  # blends of 1 and fill 3


def test_affine_matches_a_float64_reference_of_the_torchvision_map():
    """Fixed angle, scale and shear: output p = input at M^-1 (p - c) + c, sampled by the naive reference."""
    x = np.random.default_rng(2).random((2, 1, 7, 9))
    angle, scale, shear_x, shear_y = 20.0, 1.2, 10.0, -5.0
    t = T.RandomAffine((angle, angle), scale=(scale, scale), shear=(shear_x, shear_x, shear_y, shear_y),
                       interpolation="bilinear")  # fmt: skip
    out = t(x)
    m_inv = np.linalg.inv(affine_matrices(angle, scale, shear_x, shear_y))
    h, w = x.shape[2:]
    c = np.array([(w - 1) / 2, (h - 1) / 2])
    grid = np.zeros((2, h, w, 2))
    for i in range(h):
        for j in range(w):
            src = m_inv @ (np.array([j, i]) - c) + c
            grid[:, i, j] = (2 * src + 1) / np.array([w, h]) - 1
    np.testing.assert_allclose(out, grid_sample_reference(x, grid), atol=1e-5)


def test_affine_matrix_is_torchvisions_rss_formula():
    a, s, sx, sy = np.radians(30.0), 0.8, np.radians(12.0), np.radians(-7.0)
    expected = s * np.array([
        [math.cos(a - sy) / math.cos(sy), -math.cos(a - sy) * math.tan(sx) / math.cos(sy) - math.sin(a)],
        [math.sin(a - sy) / math.cos(sy), -math.sin(a - sy) * math.tan(sx) / math.cos(sy) + math.cos(a)],
    ])  # fmt: skip
    np.testing.assert_allclose(affine_matrices(30.0, 0.8, 12.0, -7.0), expected, atol=1e-12)


def test_affine_translation_shifts_by_whole_pixels_within_the_bound():
    x = square(n=20, c=1, size=8) + 1.0
    out = T.RandomAffine(0, translate=(0.25, 0.25), generator=tl.Generator(4))(x)
    shifts = set()
    for o, img in zip(out, x):
        found = [
            (dx, dy)
            for dx in range(-2, 3)
            for dy in range(-2, 3)
            if np.array_equal(o[0, max(dy, 0) : 8 + min(dy, 0), max(dx, 0) : 8 + min(dx, 0)],
                              img[0, max(-dy, 0) : 8 - max(dy, 0), max(-dx, 0) : 8 - max(dx, 0)])
        ]  # fmt: skip
        assert found, "not an integer shift of at most 2 pixels"
        shifts.add(found[0])
    assert len(shifts) > 5


def test_elastic_alpha_zero_is_the_identity_and_displacements_are_bounded_and_smooth():
    x = square(c=1, size=16)
    np.testing.assert_allclose(T.ElasticTransform(alpha=0.0)(x), x, atol=1e-6)
    ramp = np.tile(np.arange(32.0), (4, 1, 32, 1))  # value = column: bilinear sampling returns the source x
    out = T.ElasticTransform(alpha=8.0, sigma=3.0, generator=tl.Generator(5))(ramp)
    inner = out[:, 0, 8:-8, 8:-8] - ramp[:, 0, 8:-8, 8:-8]  # the horizontal displacement in pixels
    assert 0 < np.abs(inner).max() <= 8.0 / 2
    assert np.abs(np.diff(inner, axis=-1)).max() < 0.5 * np.abs(inner).max()  # smooth, not per-pixel noise
    assert not np.allclose(inner[0], inner[1])  # a field per image


def test_gaussian_kernel_is_torchvisions():
    k = gaussian_kernel(2.0)
    assert len(k) == 17 and abs(k.sum() - 1) < 1e-12
    np.testing.assert_allclose(k / k[8], np.exp(-0.5 * ((np.arange(17) - 8) / 2.0) ** 2))
    assert len(gaussian_kernel(1.0)) == 9 and len(gaussian_kernel(0.5)) == 5


def test_uint8_images_are_resampled_and_rounded_back():
    x = np.random.default_rng(6).integers(0, 256, (2, 3, 8, 8), dtype=np.uint8)
    out = T.RandomRotation((90, 90))(x)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, np.rot90(x, 1, axes=(-2, -1)))
    assert T.ElasticTransform()(x).dtype == np.uint8


@pytest.mark.parametrize(
    "transform",
    [T.RandomRotation(30, "bilinear"), T.RandomAffine(10, (0.1, 0.1), (0.8, 1.2), 5), T.ElasticTransform()],
    ids=lambda t: type(t).__name__,
)
def test_batch_draws_per_image_and_the_global_seed_reproduces(transform):
    x = np.repeat(square(n=1, c=1, size=12), 4, axis=0)
    tl.manual_seed(7)
    out = transform(tl.tensor(x))
    assert isinstance(out, tl.Tensor)
    assert not np.allclose(out.numpy()[0], out.numpy()[1])
    tl.manual_seed(7)
    np.testing.assert_array_equal(transform(tl.tensor(x)).numpy(), out.numpy())
