"""Loss modules (nn/loss.py) forward their options to the functional losses."""

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn.functional as F

rng = np.random.default_rng(0)
LOGITS = tl.tensor(rng.standard_normal((6, 4)), dtype=tl.float64)
LABELS = np.array([0, 3, -1, 2, 1, 1])
WEIGHT = tl.tensor([1.0, 2.0, 0.5, 1.5], dtype=tl.float64)
A = tl.tensor(rng.standard_normal((3, 4)), dtype=tl.float64)
B = tl.tensor(rng.standard_normal((3, 4)), dtype=tl.float64)
P = tl.tensor(rng.uniform(0.1, 0.9, (3, 4)), dtype=tl.float64)
T = (rng.random((3, 4)) < 0.5).astype(np.float64)


@pytest.mark.parametrize(
    "module, call",
    [
        (tl.nn.CrossEntropyLoss(WEIGHT, ignore_index=-1, label_smoothing=0.1, reduction="sum"),
         lambda: F.cross_entropy(LOGITS, LABELS, WEIGHT, -1, "sum", 0.1)),
        (tl.nn.NLLLoss(WEIGHT, ignore_index=-1), lambda: F.nll_loss(F.log_softmax(LOGITS, 1), LABELS, WEIGHT, -1)),
        (tl.nn.MSELoss(reduction="none"), lambda: F.mse_loss(A, B, "none")),
        (tl.nn.L1Loss(), lambda: F.l1_loss(A, B)),
        (tl.nn.HuberLoss(delta=0.3), lambda: F.huber_loss(A, B, delta=0.3)),
        (tl.nn.SmoothL1Loss(beta=0.3), lambda: F.smooth_l1_loss(A, B, beta=0.3)),
        (tl.nn.BCELoss(reduction="sum"), lambda: F.binary_cross_entropy(P, T, reduction="sum")),
        (tl.nn.BCEWithLogitsLoss(pos_weight=np.full(4, 2.0)),
         lambda: F.binary_cross_entropy_with_logits(A, T, pos_weight=np.full(4, 2.0))),
    ],
)  # fmt: skip
def test_module_equals_functional(module, call):
    name = type(module).__name__
    if name in ("CrossEntropyLoss", "NLLLoss"):
        x = LOGITS if name == "CrossEntropyLoss" else F.log_softmax(LOGITS, 1)
        got = module(x, LABELS)
    elif name == "BCELoss":
        got = module(P, T)
    elif name == "BCEWithLogitsLoss":
        got = module(A, T)
    else:
        got = module(A, B)
    np.testing.assert_array_equal(got.numpy(), call().numpy())


def test_bad_options_raise_at_construction():
    with pytest.raises(ValueError, match="reduction"):
        tl.nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        tl.nn.CrossEntropyLoss(label_smoothing=-0.1)
    with pytest.raises(ValueError, match="delta"):
        tl.nn.HuberLoss(delta=0)
