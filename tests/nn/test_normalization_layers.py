"""BatchNorm1d / BatchNorm2d modules (nn/normalization.py): running statistics, train vs eval, options."""

import numpy as np
import pytest

import tensorlite as tl

from reference.batchnorm import batch_norm_forward


@pytest.mark.parametrize("cls, shape", [(tl.nn.BatchNorm1d, (8, 3)), (tl.nn.BatchNorm1d, (8, 3, 5)),
                                        (tl.nn.BatchNorm2d, (4, 3, 5, 6))])  # fmt: skip
def test_running_stats_over_several_steps_then_eval(cls, shape):
    rng = np.random.default_rng(0)
    bn = cls(3, dtype=tl.float64)
    bn.weight.data[...] = [0.5, 1.0, 2.0]
    bn.bias.data[...] = [0.1, -0.2, 0.3]
    mean, var = np.zeros(3), np.ones(3)
    for _ in range(4):
        x = rng.standard_normal(shape) * 2 + 1
        y = bn(tl.tensor(x))
        expected, mean, var = batch_norm_forward(
            x, bn.weight.detach().numpy(), bn.bias.detach().numpy(), 1e-5, mean, var
        )
        np.testing.assert_allclose(y.detach().numpy(), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bn.running_mean.numpy(), mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), var, rtol=1e-12)
    assert int(bn.num_batches_tracked.item()) == 4
    bn.eval()
    x = rng.standard_normal(shape)
    expected = batch_norm_forward(
        x, bn.weight.detach().numpy(), bn.bias.detach().numpy(), 1e-5, mean, var, training=False
    )[0]
    np.testing.assert_allclose(bn(tl.tensor(x)).detach().numpy(), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bn.running_mean.numpy(), mean)  # eval leaves the statistics alone


def test_training_output_is_normalized_per_channel():
    x = tl.tensor(np.random.default_rng(1).standard_normal((16, 4, 3, 3)) * 5 + 2)
    y = tl.nn.BatchNorm2d(4)(x).detach().numpy()
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, atol=1e-3)


def test_momentum_none_is_a_cumulative_average():
    rng = np.random.default_rng(2)
    bn = tl.nn.BatchNorm1d(2, momentum=None, dtype=tl.float64)
    batches = [rng.standard_normal((5, 2)) + i for i in range(3)]
    for x in batches:
        bn(tl.tensor(x))
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([b.mean(axis=0) for b in batches], axis=0))
    np.testing.assert_allclose(
        bn.running_var.numpy(), np.mean([b.var(axis=0, ddof=1) for b in batches], axis=0)
    )


def test_without_running_stats_eval_uses_batch_stats_and_no_affine_has_no_parameters():
    bn = tl.nn.BatchNorm1d(3, affine=False, track_running_stats=False).eval()
    assert bn.num_parameters() == 0 and bn.running_mean is None
    assert list(bn.state_dict()) == []
    y = bn(tl.tensor(np.random.default_rng(3).standard_normal((10, 3)) * 4)).numpy()
    np.testing.assert_allclose(y.std(axis=0), 1, atol=1e-3)


def test_gradients_reach_weight_and_bias_and_state_dict_has_pytorch_keys():
    bn = tl.nn.BatchNorm2d(3)
    x = tl.tensor(
        np.random.default_rng(4).standard_normal((2, 3, 2, 2)), dtype=tl.float32, requires_grad=True
    )
    (bn(x) * tl.tensor(np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2))).sum().backward()
    assert bn.weight.grad is not None and bn.bias.grad is not None and x.grad is not None
    np.testing.assert_allclose(bn.bias.grad.numpy(), np.arange(24).reshape(2, 3, 4).sum(axis=(0, 2)))
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]


@pytest.mark.parametrize(
    "make, x, message",
    [
        (lambda: tl.nn.BatchNorm1d(3), tl.zeros(2, 3, 4, 5), "expected 2-D or 3-D"),
        (lambda: tl.nn.BatchNorm2d(3), tl.zeros(2, 3, 4), "expected 4-D"),
        (lambda: tl.nn.BatchNorm2d(3), tl.zeros(2, 4, 2, 2), "has 4 channels, expected 3"),
        (lambda: tl.nn.BatchNorm1d(3), tl.zeros(1, 3), "more than 1 value per channel"),
    ],
)
def test_bad_input_raises(make, x, message):
    with pytest.raises(ValueError, match=message):
        make()(x)


def test_bad_construction_raises():
    with pytest.raises(ValueError, match="num_features"):
        tl.nn.BatchNorm1d(0)
    with pytest.raises(ValueError, match="momentum"):
        tl.nn.BatchNorm1d(3, momentum=1.5)
