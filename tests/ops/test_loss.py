"""Losses (ops/loss.py) against the NumPy references in tests/reference/losses.py, plus gradchecks."""

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn.functional as F

from harness import OpTestCase, assert_close
from reference import losses as ref

REDUCTIONS = ("mean", "sum", "none")


def class_shape(rng):
    """(N, C) or (N, C, d1) or (N, C, d1, d2) with N, C >= 1."""
    extra = tuple(int(rng.integers(1, 4)) for _ in range(int(rng.integers(0, 3))))
    return (int(rng.integers(1, 6)), int(rng.integers(1, 6))) + extra


def labels_for(rng, shape, ignore_index=None):
    y = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    if ignore_index is not None:
        y = np.where(rng.random(y.shape) < 0.3, ignore_index, y)
        y.reshape(-1)[0] = rng.integers(0, shape[1])  # at least one label counts
    return y


class TestCrossEntropyLabels(OpTestCase):
    """Weights, ignore_index, label smoothing and every reduction, drawn at random per example."""

    def generate_inputs(self, rng):
        shape = class_shape(rng)
        self.labels = labels_for(rng, shape, ignore_index=-1 if rng.random() < 0.5 else None)
        self.weight = rng.uniform(0.2, 2, shape[1]) if rng.random() < 0.5 else None
        self.smoothing = float(rng.choice([0.0, 0.1, 0.3]))
        self.reduction = str(rng.choice(REDUCTIONS))
        return (rng.standard_normal(shape) * 3,)

    def forward(self, x):
        weight = None if self.weight is None else tl.tensor(self.weight, dtype=x.dtype)
        return F.cross_entropy(x, self.labels, weight, -1, self.reduction, self.smoothing)

    def forward_expected(self, x):
        return ref.cross_entropy_labels(x, self.labels, self.weight, -1, self.reduction, self.smoothing)


class TestCrossEntropyProbabilities(OpTestCase):
    def generate_inputs(self, rng):
        shape = class_shape(rng)
        q = rng.random(shape)
        self.target = q / q.sum(axis=1, keepdims=True)
        self.weight = rng.uniform(0.2, 2, shape[1]) if rng.random() < 0.5 else None
        self.smoothing = float(rng.choice([0.0, 0.2]))
        self.reduction = str(rng.choice(REDUCTIONS))
        return (rng.standard_normal(shape) * 3,)

    def forward(self, x):
        return F.cross_entropy(x, self.target.astype(x.dtype), self.weight, reduction=self.reduction,
                               label_smoothing=self.smoothing)  # fmt: skip

    def forward_expected(self, x):
        return ref.cross_entropy_probs(x, self.target, self.weight, self.reduction, self.smoothing)


class TestNLLLoss(OpTestCase):
    def generate_inputs(self, rng):
        shape = class_shape(rng)
        self.labels = labels_for(rng, shape, ignore_index=-100 if rng.random() < 0.5 else None)
        self.weight = rng.uniform(0.2, 2, shape[1]) if rng.random() < 0.5 else None
        self.reduction = str(rng.choice(REDUCTIONS))
        return (rng.standard_normal(shape),)

    def forward(self, x):
        return F.nll_loss(x, self.labels, self.weight, reduction=self.reduction)

    def forward_expected(self, x):
        return ref.nll(x, self.labels, self.weight, reduction=self.reduction)


class RegressionLossCase(OpTestCase):
    """input and target both differentiable; |input - target| kept away from the kinks."""

    def generate_inputs(self, rng):
        shape = tuple(int(rng.integers(1, 5)) for _ in range(int(rng.integers(1, 4))))
        self.reduction = str(rng.choice(REDUCTIONS))
        x = rng.standard_normal(shape) * 2
        d = rng.standard_normal(shape) * 2
        d = np.where(np.abs(np.abs(d) - 0.7) < 1e-3, 0.5, d)  # away from delta = beta = 0.7
        d = np.where(np.abs(d) < 1e-3, 0.5, d)  # away from 0 (the L1 kink)
        return x, x - d


class TestMSELoss(RegressionLossCase):
    def forward(self, x, y):
        return F.mse_loss(x, y, self.reduction)

    def forward_expected(self, x, y):
        return ref.reduce((x - y) ** 2, self.reduction)


class TestL1Loss(RegressionLossCase):
    def forward(self, x, y):
        return F.l1_loss(x, y, self.reduction)

    def forward_expected(self, x, y):
        return ref.reduce(np.abs(x - y), self.reduction)


class TestHuberLoss(RegressionLossCase):
    def forward(self, x, y):
        return F.huber_loss(x, y, self.reduction, delta=0.7)

    def forward_expected(self, x, y):
        return ref.huber(x, y, 0.7, self.reduction)


class TestSmoothL1Loss(RegressionLossCase):
    def forward(self, x, y):
        return F.smooth_l1_loss(x, y, self.reduction, beta=0.7)

    def forward_expected(self, x, y):
        return ref.smooth_l1(x, y, 0.7, self.reduction)


class TestBCELoss(OpTestCase):
    def generate_inputs(self, rng):
        shape = tuple(int(rng.integers(1, 5)) for _ in range(int(rng.integers(1, 3))))
        self.target = rng.random(shape)
        self.weight = rng.uniform(0.5, 2, shape[-1:]) if rng.random() < 0.5 else None
        self.reduction = str(rng.choice(REDUCTIONS))
        return (rng.uniform(0.05, 0.95, shape),)

    def forward(self, p):
        return F.binary_cross_entropy(p, self.target, self.weight, self.reduction)

    def forward_expected(self, p):
        w = None if self.weight is None else np.broadcast_to(self.weight, p.shape)
        return ref.bce(p, self.target, w, self.reduction)


class TestBCEWithLogitsLoss(OpTestCase):
    def generate_inputs(self, rng):
        shape = tuple(int(rng.integers(1, 5)) for _ in range(int(rng.integers(1, 3))))
        self.target = (rng.random(shape) < 0.5).astype(np.float64)
        self.weight = rng.uniform(0.5, 2, shape) if rng.random() < 0.5 else None
        self.pos_weight = rng.uniform(0.5, 3, shape[-1:]) if rng.random() < 0.5 else None
        self.reduction = str(rng.choice(REDUCTIONS))
        return (rng.standard_normal(shape) * 4,)

    def forward(self, x):
        return F.binary_cross_entropy_with_logits(
            x, self.target, self.weight, self.reduction, self.pos_weight
        )

    def forward_expected(self, x):
        return ref.bce_with_logits(x, self.target, self.weight, self.reduction, self.pos_weight)


# ------------------------------------------------------------------ PyTorch's formulas on fixed examples


def test_weighted_mean_divides_by_the_weights_of_the_counted_labels():
    x = tl.tensor([[1.0, 2.0, 3.0], [1.0, 0.0, -1.0], [0.5, 0.5, 0.5]], dtype=tl.float64)
    y = np.array([2, 0, 1])
    w = np.array([1.0, 2.0, 3.0])
    logp = ref.log_softmax(x.numpy())
    expected = -(3 * logp[0, 2] + 1 * logp[1, 0] + 2 * logp[2, 1]) / (3 + 1 + 2)
    assert F.cross_entropy(x, y, tl.tensor(w)).item() == pytest.approx(expected, rel=1e-12)


def test_ignored_labels_contribute_nothing_and_are_not_counted():
    x = tl.tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    y = np.array([0, -100, 2, -100])
    loss = F.cross_entropy(x, y)
    kept = F.cross_entropy(x[[0, 2]], y[[0, 2]])
    assert loss.item() == pytest.approx(kept.item(), rel=1e-12)
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy()[[1, 3]], 0)


def test_all_labels_ignored_gives_nan_mean_like_pytorch():
    assert np.isnan(F.cross_entropy(tl.zeros(2, 3), np.array([-100, -100])).item())


@pytest.mark.parametrize(
    "loss_fn",
    [
        lambda x, y, **kw: F.cross_entropy(x, y, **kw),
        lambda x, y, **kw: F.cross_entropy(x, y, label_smoothing=0.1, **kw),
        lambda x, y, **kw: F.nll_loss(x, y, **kw),
    ],
)
def test_all_labels_ignored_mean_is_nan_but_its_gradient_is_zero_like_pytorch(loss_fn):
    """torch 2.13: loss nan (0 / 0) and gradient exactly 0, since no row has a counted label."""
    x = tl.tensor([[0.0, 1.0], [2.0, 3.0]], dtype=tl.float64, requires_grad=True)
    y = np.array([-100, -100])
    loss = loss_fn(x, y)
    assert np.isnan(loss.item())
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0.0)
    assert tl.autograd.gradcheck(lambda t: loss_fn(t, y, reduction="sum"), [x])  # loss 0 everywhere


def test_ignored_rows_get_zero_gradient_whatever_flows_in():
    """Rows with an ignored label are never written in PyTorch, even when the upstream gradient is nan."""
    x = tl.tensor([[0.0, 1.0], [2.0, 3.0]], dtype=tl.float64, requires_grad=True)
    for loss_fn in (F.cross_entropy, F.nll_loss):
        x.grad = None
        loss = loss_fn(x, np.array([1, -100]), reduction="none")
        (loss * tl.tensor([1.0, float("nan")], dtype=tl.float64)).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy()[1], 0.0)
        assert np.isfinite(x.grad.numpy()[0]).all()


def test_zero_total_class_weight_gives_nan_like_pytorch():
    """Counted labels whose weights sum to 0: torch 2.13 gives nan for the loss and the counted entries."""
    x = tl.tensor([[0.0, 1.0], [2.0, 3.0]], dtype=tl.float64, requires_grad=True)
    w = tl.tensor([0.0, 0.0], dtype=tl.float64)
    loss = F.nll_loss(x, np.array([0, 1]), weight=w)
    loss.backward()
    assert np.isnan(loss.item())
    np.testing.assert_array_equal(x.grad.numpy(), [[np.nan, 0.0], [0.0, np.nan]])


def test_label_smoothing_matches_its_mixture_formula():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    logp = ref.log_softmax(x)
    nll = -logp[np.arange(5), y].mean()
    uniform = -logp.mean(axis=1).mean()
    smoothed = F.cross_entropy(tl.tensor(x), y, label_smoothing=0.2).item()
    assert smoothed == pytest.approx(0.8 * nll + 0.2 * uniform, rel=1e-12)


def test_one_hot_probability_target_equals_label_target():
    rng = np.random.default_rng(2)
    x, y = tl.tensor(rng.standard_normal((6, 5))), rng.integers(0, 5, 6)
    one_hot = np.eye(5)[y]
    assert F.cross_entropy(x, one_hot).item() == pytest.approx(F.cross_entropy(x, y).item(), rel=1e-6)


@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_extreme_logits_stay_finite(dtype):
    x = tl.tensor([[1e4, 0.0, -1e4], [-1e4, 1e4, 0.0]], dtype=dtype, requires_grad=True)
    y = np.array([0, 0])
    loss = F.cross_entropy(x, y, label_smoothing=0.1)
    loss.backward()
    expected = ref.cross_entropy_labels(x.detach().numpy().astype(np.float64), y, label_smoothing=0.1)
    assert np.isfinite(loss.item()) and loss.item() == pytest.approx(expected, rel=1e-5)
    assert np.all(np.isfinite(x.grad.numpy()))
    for fn in (F.binary_cross_entropy_with_logits,):
        z = tl.tensor([1e4, -1e4, 1e4, -1e4], dtype=dtype, requires_grad=True)
        t = np.array([1.0, 0.0, 0.0, 1.0])
        value = fn(z, t, reduction="none")
        np.testing.assert_allclose(value.detach().numpy(), [0, 0, 1e4, 1e4], rtol=1e-6)
        value.sum().backward()
        np.testing.assert_allclose(z.grad.numpy(), [0, 0, 1, -1])


def test_bce_clamps_log_at_minus_100():
    p = tl.tensor([0.0, 1.0, 0.0, 1.0], dtype=tl.float64, requires_grad=True)
    y = np.array([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy(p, y, reduction="none")
    np.testing.assert_array_equal(loss.detach().numpy(), [100, 100, 0, 0])
    loss.sum().backward()
    assert np.all(np.isfinite(p.grad.numpy()))


def test_pos_weight_scales_the_positive_term_only():
    x = tl.tensor([0.3, -1.2], dtype=tl.float64)
    y = np.array([1.0, 0.0])
    plain = F.binary_cross_entropy_with_logits(x, y, reduction="none").numpy()
    weighted = F.binary_cross_entropy_with_logits(x, y, reduction="none", pos_weight=np.array(3.0)).numpy()
    np.testing.assert_allclose(weighted, [3 * plain[0], plain[1]], rtol=1e-12)


def test_smooth_l1_with_beta_zero_is_l1_and_huber_relation_holds():
    rng = np.random.default_rng(3)
    x, y = tl.tensor(rng.standard_normal(10)), tl.tensor(rng.standard_normal(10))
    assert F.smooth_l1_loss(x, y, beta=0.0).item() == pytest.approx(F.l1_loss(x, y).item())
    assert F.smooth_l1_loss(x, y, beta=0.5).item() == pytest.approx(
        F.huber_loss(x, y, delta=0.5).item() / 0.5
    )


def test_cross_entropy_float32_matches_float64_reference_on_images():
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((3, 5, 4, 4)), rng.integers(0, 5, (3, 4, 4))
    assert_close(
        F.cross_entropy(tl.tensor(x.astype(np.float32)), y), ref.cross_entropy_labels(x, y), np.float32
    )


def test_unbatched_input():
    x = np.array([0.2, -1.0, 3.0])
    assert F.cross_entropy(tl.tensor(x), np.array(2)).item() == pytest.approx(-ref.log_softmax(x[None])[0, 2])
    assert F.nll_loss(tl.tensor(x), np.array(1), reduction="none").shape == ()


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
def test_out_of_range_label_is_named(fn):
    with pytest.raises(ValueError, match="label 7 is out of range for 3 classes"):
        fn(tl.zeros(2, 3), np.array([0, 7]))
    with pytest.raises(ValueError, match="label -2 is out of range"):
        fn(tl.zeros(2, 3), np.array([-2, 0]))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: F.cross_entropy(tl.zeros(2, 3), np.array([0, 1, 2])), ValueError, r"target of shape \(2,\)"),
        (lambda: F.cross_entropy(tl.zeros(2, 3), np.zeros((2, 4))), ValueError, "probability target shape"),
        (lambda: F.cross_entropy(tl.zeros(2, 3), np.array([0, 1]), weight=np.ones(2)), ValueError, "weight"),
        (lambda: F.cross_entropy(tl.zeros(2, 3), np.array([0, 1]), reduction="avg"), ValueError, "reduction"),
        (
            lambda: F.cross_entropy(tl.zeros(2, 3), np.array([0, 1]), label_smoothing=1.5),
            ValueError,
            "smoothing",
        ),
        (lambda: F.binary_cross_entropy(tl.tensor([1.5]), np.array([1.0])), ValueError, r"\[0, 1\]"),
        (lambda: F.binary_cross_entropy(tl.tensor([0.5]), np.ones(2)), ValueError, "target shape"),
        (lambda: F.mse_loss(tl.zeros(3), tl.zeros(4)), ValueError, "shape"),
        (lambda: F.huber_loss(tl.zeros(3), tl.zeros(3), delta=0), ValueError, "delta"),
        (lambda: F.smooth_l1_loss(tl.zeros(3), tl.zeros(3), beta=-1), ValueError, "beta"),
    ],
)
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()
