"""mlp, lenet5, alexnet_small, vgg_small: parameter counts (the papers' where they exist, else layer by
layer), output shapes, He initialization, bias_init and bad arguments."""

import numpy as np
import pytest

import tensorlite as tl
from tensorlite import models, nn


def count(model):
    return sum(p.numpy().size for p in model.parameters())


def test_lenet5_has_the_modern_variants_61706_parameters():
    # conv1 6*(25+1), conv2 16*(6*25+1), fc 120*(400+1), 84*(120+1), 10*(84+1)
    assert count(models.lenet5()) == 156 + 2416 + 48120 + 10164 + 850 == 61706
    assert models.lenet5()(tl.randn(3, 1, 28, 28)).shape == (3, 10)


def test_alexnet_small_and_vgg_small_counts_and_shapes():
    alex = (
        64 * (3 * 25 + 1)
        + 128 * (64 * 25 + 1)
        + 192 * (128 * 9 + 1)
        + 192 * (192 * 9 + 1)
        + 128 * (192 * 9 + 1)
    )
    alex += 1024 * (128 * 9 + 1) + 512 * (1024 + 1) + 10 * (512 + 1)
    assert count(models.alexnet_small()) == alex
    vgg = sum(
        w * (c * 9 + 1) + 2 * w for c, w in [(3, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256)]
    )
    assert count(models.vgg_small()) == vgg + 10 * 257
    assert count(models.vgg_small(batch_norm=False)) == vgg - 2 * (64 + 64 + 128 + 128 + 256 + 256) + 10 * 257
    x = tl.randn(2, 3, 32, 32)
    assert models.alexnet_small()(x).shape == (2, 10) and models.vgg_small(num_classes=7)(x).shape == (2, 7)


def test_mlp_structure_and_count():
    m = models.mlp([20, 30, 5], activation="tanh", dropout=0.2)
    assert [type(layer).__name__ for layer in m] == ["Linear", "Tanh", "Dropout", "Linear"]
    assert count(m) == 21 * 30 + 31 * 5
    assert m(tl.randn(4, 20)).shape == (4, 5)


def test_he_initialization_and_positive_bias_option():
    tl.manual_seed(0)
    m = models.mlp([1000, 500, 10], bias_init=0.01)
    w = m[0].weight.numpy()
    assert abs(w.std() - np.sqrt(2 / 1000)) < 0.02 * np.sqrt(2 / 1000)  # 500k draws: relative error ~0.1%
    np.testing.assert_array_equal(m[0].bias.numpy(), np.float32(0.01))
    conv = models.lenet5()[3].weight.numpy()  # fan_in 6 * 25
    assert abs(conv.std() - np.sqrt(2 / 150)) < 0.1 * np.sqrt(2 / 150)
    tanh = models.mlp([1000, 500], activation="tanh")[0].weight.numpy()  # Xavier: sqrt(2 / (in + out))
    assert abs(tanh.std() - np.sqrt(2 / 1500)) < 0.02 * np.sqrt(2 / 1500)


def test_gradients_reach_every_parameter():
    m = models.vgg_small(widths=(8, 16))
    nn.CrossEntropyLoss()(m(tl.randn(4, 3, 32, 32)), tl.tensor([0, 1, 2, 3])).backward()
    assert all(p.grad is not None and np.any(p.grad.numpy() != 0) for p in m.parameters())


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: models.mlp([10]), "at least the input and output"),
        (lambda: models.mlp([10, 0]), "positive int"),
        (lambda: models.mlp([10, 5], activation="swish"), "activation must be one of"),
        (lambda: models.mlp([10, 5], dropout=1.0), "dropout"),
        (lambda: models.lenet5(num_classes=0), "num_classes"),
        (lambda: models.vgg_small(widths=(8, -1)), "width"),
        (lambda: models.resnet20(in_channels=0), "in_channels"),
    ],
)
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()
