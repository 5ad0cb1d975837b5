"""check_model advice, overfit_one_batch and lr_range_test on constructed cases."""

import math

import numpy as np
import pytest
from diagnostics.nets import deep_mlp

import tensorlite as tl
from tensorlite import nn
from tensorlite.diagnostics import check_model, lr_range_test, overfit_one_batch


def classifier(activation, std, bias=0.0, head=()):
    model = deep_mlp(activation, std, depth=3, width=50, in_features=20, bias=bias)
    model.append(nn.Linear(50, 10))
    for layer in head:
        model.append(layer)
    return model


def batch(n=128, scale=1.0, shift=0.0, seed=1):
    tl.manual_seed(seed)
    return tl.randn(n, 20) * scale + shift, tl.randint(0, 10, (n,))


def test_healthy_model_gets_no_advice():
    report = check_model(classifier(nn.ReLU, math.sqrt(2 / 50)), batch(), nn.CrossEntropyLoss())
    assert report.ok, str(report)
    assert len(report.lines) == 7 and report.lines[0].startswith("layer 0 (Linear): out mean")
    assert "no problems found" in str(report)


def test_activation_on_output_layer_is_flagged():
    model = classifier(nn.ReLU, math.sqrt(2 / 50), head=[nn.Softmax(dim=1)])
    report = check_model(model, batch(), nn.CrossEntropyLoss())
    assert any(
        a.startswith("output layer has an activation (Softmax) before CrossEntropyLoss")
        for a in report.advice
    )


def test_saturated_sigmoid_is_flagged_with_weight_std():
    report = check_model(classifier(nn.Sigmoid, 1.0), batch(), nn.CrossEntropyLoss())
    saturated = [a for a in report.advice if "saturated" in a]
    assert saturated and saturated[0].startswith("layer 1 (Sigmoid): ")
    assert "weights std 1 — use xavier_normal_ or switch to ReLU with kaiming_normal_" in saturated[0]


def test_negative_relu_bias_is_flagged_as_dead_units():
    report = check_model(classifier(nn.ReLU, 0.01, bias=-1.0), batch(), nn.CrossEntropyLoss())
    assert (
        "layer 1 (ReLU): bias of ReLU layer is negative: 100% dead units — try bias_init=0.01"
        in report.advice
    )


def test_unstandardized_inputs_and_large_initial_loss_are_flagged():
    model = classifier(nn.ReLU, math.sqrt(2 / 50))
    nn.init.normal_(model[6].weight, 0.0, 3.0)
    report = check_model(model, batch(scale=60, shift=120), nn.CrossEntropyLoss())
    assert any(
        a.startswith("inputs not standardized (mean 12") and "use StandardScaler" in a for a in report.advice
    )
    assert any(a.startswith("initial loss") and "log(10) = 2.3" in a for a in report.advice)


def test_vanishing_gradients_are_flagged():
    model = deep_mlp(nn.Sigmoid, 0.01, depth=5, width=50, in_features=20).append(nn.Linear(50, 10))
    report = check_model(model, batch(), nn.CrossEntropyLoss())
    assert report.details["first_last_ratio"] < 1e-3
    assert any(
        a.startswith("vanishing gradients: the first layer's weight gradient norm is") for a in report.advice
    )
    assert any("outputs nearly constant" in a and "weights std 0.01 is too small" in a for a in report.advice)


def test_overfit_one_batch_succeeds_on_a_tiny_mlp():
    tl.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 10))
    result = overfit_one_batch(
        model, batch(n=16), nn.CrossEntropyLoss(), tl.optim.SGD(model.parameters(), lr=0.5)
    )
    assert result.passed and len(result.losses) == 200
    assert result.losses[-1] < 0.1 * result.losses[0]
    assert "the model can fit one batch" in result.message


def test_overfit_one_batch_fails_with_zero_learning_rate():
    tl.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 10))
    result = overfit_one_batch(
        model, batch(n=16), nn.CrossEntropyLoss(), tl.optim.SGD(model.parameters(), lr=0.0), steps=5
    )
    assert not result.passed and result.losses[0] == pytest.approx(result.losses[-1])
    assert "cannot overfit one batch" in str(result)


class Quadratic(nn.Module):
    """L(w) = sum w^2 from w = 3: SGD converges for lr < 1 and diverges above."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(tl.full((10,), 3.0))

    def forward(self, x):
        return (self.w * self.w).sum()


def test_lr_range_test_on_a_quadratic():
    model = Quadratic()
    lrs, losses, suggested = lr_range_test(
        model, [(tl.zeros(1), tl.zeros(1))], lambda out, y: out, tl.optim.SGD
    )
    assert 1e-3 <= suggested <= 1.0
    assert lrs[0] == pytest.approx(1e-7) and np.all(np.diff(lrs) > 0)
    assert 1.0 < lrs[-1] < 10, "the sweep stops once the loss diverges (lr > 1)"
    assert min(losses) < 0.5 * losses[0]
    np.testing.assert_array_equal(model.w.detach().numpy(), 3.0)


def test_lr_range_test_validates_its_range():
    with pytest.raises(ValueError, match="start=1.0, end=0.1"):
        lr_range_test(Quadratic(), [None], lambda out, y: out, tl.optim.SGD, start=1.0, end=0.1)
