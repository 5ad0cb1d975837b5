"""Fused cross_entropy (log-softmax + NLL) and mse_loss, with every reduction."""

import numpy as np
import pytest

import tensorlite as tl

from harness import OpTestCase, assert_close, random_shape
from reference import activation as ref

REDUCE = {"mean": np.mean, "sum": np.sum, "none": lambda x: x}


class TestCrossEntropy(OpTestCase):
    def generate_inputs(self, rng):
        n, c = int(rng.integers(1, 8)), int(rng.integers(1, 6))
        self.labels = rng.integers(0, c, n)
        self.reduction = str(rng.choice(list(REDUCE)))
        return (3 * rng.standard_normal((n, c)),)

    def forward(self, logits):
        return tl.nn.functional.cross_entropy(logits, tl.tensor(self.labels), reduction=self.reduction)

    def forward_expected(self, logits):
        return REDUCE[self.reduction](ref.cross_entropy(logits, self.labels))


class TestCrossEntropySpatial(OpTestCase):
    """(N, C, d1, d2) logits with (N, d1, d2) labels: the class axis is dim 1."""

    def generate_inputs(self, rng):
        n, c, h, w = (int(s) for s in rng.integers(1, 4, 4))
        self.labels = rng.integers(0, c, (n, h, w))
        self.reduction = str(rng.choice(list(REDUCE)))
        return (rng.standard_normal((n, c, h, w)),)

    def forward(self, logits):
        return tl.nn.functional.cross_entropy(logits, self.labels, reduction=self.reduction)

    def forward_expected(self, logits):
        rows = np.moveaxis(logits, 1, -1).reshape(-1, logits.shape[1])
        losses = ref.cross_entropy(rows, self.labels.reshape(-1))
        return REDUCE[self.reduction](
            losses if self.reduction != "none" else losses.reshape(self.labels.shape)
        )


class TestMSELoss(OpTestCase):
    def generate_inputs(self, rng):
        shape = random_shape(rng, max_ndim=3)
        self.reduction = str(rng.choice(list(REDUCE)))
        return rng.standard_normal(shape), rng.standard_normal(shape)

    def forward(self, prediction, target):
        return tl.nn.functional.mse_loss(prediction, target, reduction=self.reduction)

    def forward_expected(self, prediction, target):
        return REDUCE[self.reduction]((prediction - target) ** 2)


def test_cross_entropy_extreme_logits_stay_finite():
    logits = tl.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]], requires_grad=True)
    loss = tl.nn.functional.cross_entropy(logits, tl.tensor([1, 2]), reduction="none")
    assert_close(loss, [2e4, 0.0], np.float32)
    loss.sum().backward()
    assert_close(logits.grad, [[1, -1, 0], [0, 0, 0]], np.float32)


def test_loss_modules_match_functional():
    rng = np.random.default_rng(7)
    logits, labels = tl.tensor(rng.standard_normal((5, 4))), tl.tensor(rng.integers(0, 4, 5))
    assert (
        tl.nn.CrossEntropyLoss()(logits, labels).item()
        == tl.nn.functional.cross_entropy(logits, labels).item()
    )
    a, b = tl.tensor(rng.standard_normal(3)), tl.tensor(rng.standard_normal(3))
    assert tl.nn.MSELoss(reduction="sum")(a, b).item() == pytest.approx(float(((a - b) ** 2).sum().item()))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: tl.nn.functional.cross_entropy(tl.ones(4, 3), tl.tensor([0, 1])),
            ValueError,
            r"logits of shape \(4, 3\) need labels of shape \(4,\), got \(2,\)",
        ),
        (
            lambda: tl.nn.functional.cross_entropy(tl.ones(2, 3), tl.tensor([0, 3])),
            ValueError,
            "label 3 is out of range for 3 classes",
        ),
        (
            lambda: tl.nn.functional.cross_entropy(tl.ones(2, 3), tl.tensor([0.0, 1.0])),
            TypeError,
            "integer class labels, got dtype float32",
        ),
        (
            lambda: tl.nn.functional.cross_entropy(tl.ones(2, 3), tl.tensor([0, 1]), reduction="avg"),
            ValueError,
            "reduction must be 'mean', 'sum' or 'none', got 'avg'",
        ),
        (
            lambda: tl.nn.functional.mse_loss(tl.ones(2, 3), tl.ones(3, 2)),
            ValueError,
            r"input shape \(2, 3\) and target shape \(3, 2\) differ",
        ),
    ],
)
def test_loss_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
