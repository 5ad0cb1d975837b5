"""bias_variance: the guides' four cases, the numbers, the remedies in order, History input, the report
printed by fit, and bad input."""

import math

import numpy as np
import pytest

import tensorlite as tl
from tensorlite import nn
from tensorlite.data import DataLoader, TensorDataset
from tensorlite.diagnostics import bias_variance
from tensorlite.diagnostics.bias_variance import BIAS_REMEDIES, VARIANCE_REMEDIES
from tensorlite.train import History, fit


@pytest.mark.parametrize(
    "train, dev, human, diagnosis",
    [
        (0.01, 0.11, 0.0, "high variance"),
        (0.15, 0.16, 0.0, "high bias"),
        (0.15, 0.30, 0.0, "high bias and high variance"),
        (0.005, 0.01, 0.0, "fine"),
        (0.15, 0.16, 0.14, "fine"),  # 15% is close to a 14% human level: little avoidable bias
    ],
)
def test_the_guides_cases(train, dev, human, diagnosis):
    report = bias_variance(train, dev, human)
    assert report.diagnosis == diagnosis
    assert report.avoidable_bias == pytest.approx(train - human, abs=1e-15)
    assert report.variance == pytest.approx(dev - train, abs=1e-15)


def test_remedies_come_in_the_guides_order_bias_first():
    both = bias_variance(0.15, 0.30)
    assert both.remedies == list(BIAS_REMEDIES) + list(VARIANCE_REMEDIES)
    assert both.remedies[0].startswith("train a bigger network")
    assert bias_variance(0.01, 0.11).remedies[1].startswith("data augmentation")
    assert bias_variance(0.0, 0.0).remedies == []
    text = str(both)
    assert "fix the bias first" in text and "1. train a bigger network" in text
    assert "Bayes error unknown, taken as 0" in text and "+0.1500  HIGH" in text


def test_tolerance_is_the_threshold_and_can_be_changed():
    assert bias_variance(0.0, 0.02).diagnosis == "fine"  # exactly at the tolerance is not high
    assert bias_variance(0.0, 0.021).diagnosis == "high variance"
    assert bias_variance(0.0, 0.021, tolerance=0.05).diagnosis == "fine"
    report = bias_variance(0.03, 0.04, human_error=0.02)
    assert report.human_given and "Bayes" not in str(report) and report.diagnosis == "fine"


def history_of(**columns):
    history = History()
    for epoch in range(len(next(iter(columns.values())))):
        history.append(epoch + 1, {k: v[epoch] for k, v in columns.items()})
    return history


def test_from_a_history_uses_the_last_epoch_errors_or_losses():
    history = history_of(loss=[1.0, 0.5], accuracy=[0.6, 0.99], val_loss=[1.1, 0.9], val_accuracy=[0.5, 0.8])
    report = bias_variance(history)
    assert (report.unit, report.diagnosis) == ("error", "high variance")
    assert report.train_error == pytest.approx(0.01) and report.dev_error == pytest.approx(0.2)
    losses = bias_variance(history_of(loss=[0.9, 0.3], val_loss=[0.9, 0.31]))
    assert (losses.unit, losses.train_error, losses.dev_error) == ("loss", 0.3, 0.31)
    assert losses.diagnosis == "high bias"
    with pytest.raises(ValueError, match="no validation numbers .* Pass a val_loader"):
        bias_variance(history_of(loss=[0.3], accuracy=[0.9]))
    with pytest.raises(ValueError, match="the History has no epochs"):
        bias_variance(History())
    with pytest.raises(ValueError, match="either a History or train_error and dev_error"):
        bias_variance(history, 0.1)


@pytest.mark.parametrize(
    "args, error, message",
    [
        ((0.1,), TypeError, "dev_error is required"),
        (("0.1", 0.2), TypeError, "train_error must be a real number, got str"),
        ((0.1, math.nan), ValueError, "dev_error must be a finite number >= 0, got nan"),
        ((0.1, 0.2, -0.1), ValueError, "human_error must be a finite number >= 0, got -0.1"),
        ((0.1, True), TypeError, "dev_error must be a real number, got bool"),
    ],
)
def test_bad_input_names_the_argument(args, error, message):
    with pytest.raises(error, match=message):
        bias_variance(*args)


def test_fit_prints_the_report_with_a_val_loader_unless_report_false(capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    tl.manual_seed(0)
    model = nn.Linear(2, 2)
    history = fit(model, nn.CrossEntropyLoss(), tl.optim.SGD(model.parameters(), lr=0.5), loader, 2, loader,
                  progress=False)  # fmt: skip
    assert capsys.readouterr().out == str(bias_variance(history)) + "\n"
    fit(model, nn.CrossEntropyLoss(), tl.optim.SGD(model.parameters(), lr=0.5), loader, 1, loader,
        progress=False, report=False)  # fmt: skip
    fit(model, nn.CrossEntropyLoss(), tl.optim.SGD(model.parameters(), lr=0.5), loader, 1, progress=False)
    assert capsys.readouterr().out == ""
