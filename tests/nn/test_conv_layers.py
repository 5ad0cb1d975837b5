"""Conv2d, MaxPool2d, AvgPool2d and AdaptiveAvgPool2d layers: parameters, PyTorch's default init, agreement
with the functional ops, constructor validation, and a small CNN that trains."""

import math

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn.functional as F
from tensorlite import nn


def test_conv2d_parameters_and_shapes():
    conv = nn.Conv2d(6, 4, (3, 2), stride=2, padding=1, groups=2)
    assert conv.weight.shape == (4, 3, 3, 2) and conv.bias.shape == (4,)
    assert [name for name, _ in conv.named_parameters()] == ["weight", "bias"]
    assert nn.Conv2d(3, 5, 1, bias=False).bias is None
    assert len(list(nn.Conv2d(3, 5, 1, bias=False).parameters())) == 1
    assert conv(tl.randn(2, 6, 7, 5)).shape == (2, 4, 4, 3)
    assert "Conv2d(6, 4, kernel_size=(3, 2), stride=(2, 2), padding=(1, 1), groups=2)" == repr(conv)


def test_conv2d_default_init_is_pytorch_kaiming_uniform_with_a_sqrt5():
    tl.manual_seed(0)
    conv = nn.Conv2d(16, 32, 3, groups=2)
    fan_in = 16 // 2 * 3 * 3
    bound = 1 / math.sqrt(fan_in)  # gain sqrt(2 / (1 + 5)) * sqrt(3 / fan_in)
    w, b = conv.weight.detach().numpy(), conv.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.5 * bound


def test_conv2d_init_is_reproducible_with_manual_seed():
    tl.manual_seed(7)
    a = nn.Conv2d(3, 4, 3)
    tl.manual_seed(7)
    b = nn.Conv2d(3, 4, 3)
    np.testing.assert_array_equal(a.weight.detach().numpy(), b.weight.detach().numpy())
    np.testing.assert_array_equal(a.bias.detach().numpy(), b.bias.detach().numpy())


def test_conv2d_weight_init_and_bias_init():
    tl.manual_seed(1)
    conv = nn.Conv2d(16, 64, 3, groups=2, weight_init="he_normal", bias_init=0.01, dtype=tl.float64)
    fan_in = 16 // 2 * 3 * 3  # He normal: std sqrt(2 / fan_in) with the conv fan
    w = conv.weight.detach().numpy()
    standard_error = math.sqrt(2 / fan_in) / math.sqrt(2 * (w.size - 1))
    assert abs(w.std() - math.sqrt(2 / fan_in)) < 5 * standard_error
    np.testing.assert_array_equal(conv.bias.detach().numpy(), np.full(64, 0.01))
    zeros = nn.Conv2d(3, 4, 3, weight_init=tl.nn.init.zeros_)
    assert not zeros.weight.detach().numpy().any()
    with pytest.raises(ValueError, match="Conv2d: weight_init"):
        nn.Conv2d(3, 4, 3, weight_init="no_such_init")


def test_conv2d_layer_matches_functional_and_keeps_dtype():
    conv = nn.Conv2d(2, 3, 3, padding="same", dilation=2, dtype=tl.float64)
    x = tl.randn(1, 2, 6, 5, dtype=tl.float64)
    y = conv(x)
    assert y.dtype == tl.float64 and y.shape == (1, 3, 6, 5)
    expected = F.conv2d(x, conv.weight, conv.bias, padding="same", dilation=2)
    np.testing.assert_array_equal(y.detach().numpy(), expected.detach().numpy())


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((3, 4, 3), {"groups": 2}, r"groups=2 must divide in_channels=3 and out_channels=4"),
        ((4, 3, 3), {"groups": 2}, r"groups=2 must divide in_channels=4 and out_channels=3"),
        ((4, 4, 3), {"groups": 0}, r"groups must be a positive int, got 0"),
        ((4, 4, 3), {"padding": "same", "stride": 2}, r"padding='same' needs stride 1"),
        ((4, 4, 3), {"padding": "half"}, r"got 'half'"),
    ],
)  # fmt: skip
def test_conv2d_constructor_validation(args, kwargs, match):
    """What PyTorch's Conv2d checks at construction; the rest is the op's, on forward (below)."""
    with pytest.raises(ValueError, match=match):
        nn.Conv2d(*args, **kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"kernel_size": 0}, r"conv2d: weight has an empty kernel"),
        ({"kernel_size": 3, "stride": 0}, r"conv2d: stride must be >= 1, got \(0, 0\)"),
        ({"kernel_size": 3, "dilation": (1, 0)}, r"conv2d: dilation must be >= 1, got \(1, 0\)"),
        ({"kernel_size": 3, "padding": -1}, r"conv2d: padding must be >= 0, got \(-1, -1\)"),
    ],
)
def test_conv2d_layer_stores_window_arguments_and_the_op_checks_them(kwargs, match):
    conv = nn.Conv2d(2, 2, **kwargs)
    with pytest.raises(ValueError, match=match):
        conv(tl.randn(1, 2, 5, 5))


def test_pooling_layers_match_functional():
    x = tl.randn(2, 3, 7, 6)
    np.testing.assert_array_equal(nn.MaxPool2d(3, 2, 1)(x).numpy(), F.max_pool2d(x, 3, 2, 1).numpy())
    np.testing.assert_array_equal(
        nn.MaxPool2d(2, ceil_mode=True)(x).numpy(), F.max_pool2d(x, 2, 2, ceil_mode=True).numpy()
    )
    np.testing.assert_array_equal(
        nn.AvgPool2d(3, 2, 1, count_include_pad=False)(x).numpy(),
        F.avg_pool2d(x, 3, 2, 1, count_include_pad=False).numpy(),
    )
    np.testing.assert_array_equal(
        nn.AdaptiveAvgPool2d((2, 3))(x).numpy(), F.adaptive_avg_pool2d(x, (2, 3)).numpy()
    )
    assert nn.MaxPool2d(2).stride == 2 and nn.AvgPool2d(3).stride == 3
    assert repr(nn.AdaptiveAvgPool2d(1)) == "AdaptiveAvgPool2d(output_size=1)"
    assert list(nn.MaxPool2d(2).parameters()) == []


def test_small_cnn_trains():
    """Conv -> ReLU -> MaxPool -> Conv -> AdaptiveAvgPool -> Linear learns to tell bright-left from bright-right
    images; the loss must fall well below its starting value."""
    tl.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 1, 8, 8)).astype(np.float32)
    labels = rng.integers(0, 2, 32)
    x[labels == 0, :, :, :4] += 1.5
    x[labels == 1, :, :, 4:] += 1.5
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3, padding=1),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(8, 2),
    )
    opt = tl.optim.SGD(model.parameters(), lr=0.1)
    inputs, targets = tl.tensor(x), tl.tensor(labels)
    losses = []
    for _ in range(60):
        loss = F.cross_entropy(model(inputs), targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
    assert all(p.grad is not None for p in model.parameters())
    assert losses[-1] < 0.5 * losses[0], losses[::10]
