"""Compose, ToTensor, Normalize, flips, RandomCrop and RandomErasing: exact values on known inputs,
per-sample draws in a batch, seeding through tl's generators, and bad input."""

import numpy as np
import pytest

import tensorlite as tl
from tensorlite.data import transforms as T


def images(n=6, c=2, h=5, w=7, seed=0):
    return np.random.default_rng(seed).random((n, c, h, w)).astype(np.float32)


def test_to_tensor_scales_uint8_and_moves_channels_first():
    pic = np.random.default_rng(0).integers(0, 256, (4, 5, 3), dtype=np.uint8)
    out = T.ToTensor()(pic)
    assert isinstance(out, tl.Tensor) and out.shape == (3, 4, 5) and out.dtype == tl.float32
    np.testing.assert_allclose(out.numpy(), pic.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    assert T.ToTensor()(pic[:, :, 0]).shape == (1, 4, 5)
    assert T.ToTensor()(np.stack([pic, pic])).shape == (2, 3, 4, 5)
    floats = np.full((2, 2, 1), 3.5)
    np.testing.assert_array_equal(T.ToTensor()(floats).numpy(), np.full((1, 2, 2), 3.5))  # not rescaled


def test_normalize_per_channel_and_inplace():
    x = images()
    out = T.Normalize([0.5, 0.25], [2.0, 0.5])(x)
    expected = (x - np.array([0.5, 0.25]).reshape(1, 2, 1, 1)) / np.array([2.0, 0.5]).reshape(1, 2, 1, 1)
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    t = tl.tensor(x[0])
    version = t._version
    assert T.Normalize(0.5, 2.0, inplace=True)(t) is t
    np.testing.assert_allclose(t.numpy(), (x[0] - 0.5) / 2.0, rtol=1e-6)
    assert t._version > version  # an in-place write, counted for autograd's check
    with pytest.raises(RuntimeError, match="in-place operation on a leaf tensor that requires grad"):
        T.Normalize(0.5, 2.0, inplace=True)(tl.tensor(x[0], requires_grad=True))


def test_random_erasing_inplace_counts_as_an_in_place_write():
    t = tl.tensor(images()[0])
    version = t._version
    assert T.RandomErasing(p=1.0, inplace=True, generator=tl.Generator(0))(t) is t
    assert t._version > version


@pytest.mark.parametrize(("cls", "axis"), [(T.RandomHorizontalFlip, -1), (T.RandomVerticalFlip, -2)])
def test_flips_each_image_independently(cls, axis):
    x = images(n=400)
    np.testing.assert_array_equal(cls(p=1.0)(x), np.flip(x, axis))
    np.testing.assert_array_equal(cls(p=0.0)(x), x)
    out = cls(p=0.5, generator=tl.Generator(0))(x)
    flipped = np.all(out == np.flip(x, axis), axis=(1, 2, 3))
    assert np.all(flipped | np.all(out == x, axis=(1, 2, 3)))
    assert 150 < flipped.sum() < 250  # 400 fair coins: mean 200, sd 10


def crop_offsets(out, padded):
    """The (top, left) windows of `padded` equal to `out`."""
    h, w = out.shape[-2:]
    return [
        (i, j)
        for i in range(padded.shape[-2] - h + 1)
        for j in range(padded.shape[-1] - w + 1)
        if np.array_equal(padded[..., i : i + h, j : j + w], out)
    ]


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_random_crop_is_a_window_of_the_padded_image(mode):
    x = images(n=30)
    out = T.RandomCrop((5, 6), padding=(1, 2), padding_mode=mode, generator=tl.Generator(1))(x)
    padded = np.pad(x, ((0, 0), (0, 0), (2, 2), (1, 1)), mode=mode)  # padding (left/right 1, top/bottom 2)
    offsets = [crop_offsets(o, p) for o, p in zip(out, padded)]
    assert all(offsets)
    assert len({o[0] for o in offsets}) > 5  # positions drawn per image


def test_random_crop_fill_per_channel_and_pad_if_needed():
    x = np.zeros((2, 3, 3), dtype=np.float32)
    out = T.RandomCrop(5, pad_if_needed=True, fill=(7.0, 9.0))(x)
    assert out.shape == (2, 5, 5)  # padded by 5 - 3 on each side (torchvision), then a random 5x5 window
    padded = np.stack([np.pad(x[0], 2, constant_values=7.0), np.pad(x[1], 2, constant_values=9.0)])
    assert crop_offsets(out, padded)


def test_random_erasing_erases_one_rectangle_within_the_scale_bounds():
    x = images(n=50, h=20, w=20) + 1.0  # no zeros before erasing
    out = T.RandomErasing(p=1.0, scale=(0.05, 0.2), value=0, generator=tl.Generator(2))(x)
    for o in out:
        ys, xs = np.nonzero(np.all(o == 0, axis=0))
        assert len(ys) > 0
        box = (ys.max() - ys.min() + 1) * (xs.max() - xs.min() + 1)
        assert box == len(ys)  # a filled rectangle
        assert 0.05 * 400 * 0.5 <= box <= 0.2 * 400 * 1.5  # rounding h and w moves the area a little
    np.testing.assert_array_equal(T.RandomErasing(p=0.0)(x), x)
    noisy = T.RandomErasing(p=1.0, value="random")(x)
    assert np.any(noisy != x) and np.all(np.isfinite(noisy))


def test_global_seed_reproduces_a_pipeline_and_a_generator_is_independent():
    pipeline = T.Compose([T.RandomCrop(4, padding=1), T.RandomHorizontalFlip(), T.RandomErasing(p=0.7)])
    x = images(n=20)
    tl.manual_seed(5)
    first = pipeline(x)
    tl.manual_seed(5)
    np.testing.assert_array_equal(pipeline(x), first)
    own = T.RandomCrop(4, padding=1, generator=tl.Generator(3))
    tl.manual_seed(5)
    a = own(x)
    own.generator.manual_seed(3)
    tl.manual_seed(6)  # the global state does not matter for a transform with its own generator
    np.testing.assert_array_equal(own(x), a)


def test_tensor_in_tensor_out_single_image_in_single_image_out():
    x = images(n=1)[0]
    out = T.RandomHorizontalFlip(p=1.0)(tl.tensor(x))
    assert isinstance(out, tl.Tensor) and out.shape == x.shape
    assert isinstance(T.RandomCrop(3)(x), np.ndarray)


BAD_IMAGES = [
    (np.zeros(5, np.float32), ValueError, "expected an image"),
    (np.zeros((4, 4), np.float32), ValueError, "expected an image"),
    (np.zeros((1, 1, 1, 4, 4), np.float32), ValueError, "expected an image"),
    (np.zeros((1, 4, 4), bool), ValueError, "float or uint8"),
    (np.zeros((1, 0, 4), np.float32), ValueError, "empty spatial"),
    ([[[0.0]]], TypeError, "tl.Tensor or numpy array"),
]
ALL_TRANSFORMS = [
    T.Normalize(0.0, 1.0), T.RandomHorizontalFlip(), T.RandomVerticalFlip(), T.RandomCrop(1),
    T.RandomErasing(), T.RandomRotation(10), T.RandomAffine(10), T.ElasticTransform(),
]  # fmt: skip


@pytest.mark.parametrize("transform", ALL_TRANSFORMS, ids=lambda t: type(t).__name__)
@pytest.mark.parametrize(("img", "error", "match"), BAD_IMAGES)
def test_non_images_are_rejected_naming_the_expected_shape(transform, img, error, match):
    with pytest.raises(error, match=match):
        transform(img)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: T.RandomHorizontalFlip(p=1.5), "p must be a probability"),
        (lambda: T.RandomCrop(0), "size must be a positive int"),
        (lambda: T.RandomCrop(3, padding=-1), "padding must be"),
        (lambda: T.RandomCrop(3, padding_mode="wrap"), "padding_mode"),
        (lambda: T.Normalize([0.0], [0.0]), "std must be finite and non-zero"),
        (lambda: T.RandomErasing(scale=(0.5, 0.1)), "min <= max"),
        (lambda: T.RandomErasing(ratio=(0.0, 1.0)), "ratio"),
        (lambda: T.RandomRotation(-5), "non-negative"),
        (lambda: T.RandomRotation(5, interpolation="bicubic"), "interpolation"),
        (lambda: T.RandomAffine(5, translate=(2.0, 0.0)), "translate"),
        (lambda: T.RandomAffine(5, scale=(0.0, 1.0)), "scale"),
        (lambda: T.ElasticTransform(sigma=0.0), "sigma must be a positive"),
        (lambda: T.RandomRotation(5, fill="red"), "fill"),
    ],
)
def test_bad_parameters_raise_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_call_arguments():
    with pytest.raises(ValueError, match="larger than the"):
        T.RandomCrop(9)(images())
    with pytest.raises(ValueError, match="2 channels"):
        T.Normalize([0.0, 0.0, 0.0], [1.0, 1.0, 1.0])(images())
    with pytest.raises(ValueError, match="float image"):
        T.Normalize(0.0, 1.0)(np.zeros((1, 2, 2), np.uint8))
    with pytest.raises(ValueError, match="3 values but the image has 2"):
        T.RandomRotation(5, fill=(1.0, 2.0, 3.0))(images())
    with pytest.raises(TypeError, match="callable"):
        T.Compose([T.ToTensor(), 3])
