"""Learning-rate schedules against their closed forms (and against torch.optim.lr_scheduler when torch
is installed); ReduceLROnPlateau on scripted metric sequences; state dict round trips."""

import math

import numpy as np
import pytest

import tensorlite as tl
from tensorlite.optim import lr_scheduler as sched


def _optimizer(lrs=(0.1,)):
    groups = [{"params": [tl.nn.Parameter(np.zeros(1))], "lr": lr} for lr in lrs]
    return tl.optim.SGD(groups, lr=lrs[0])


def _lrs(scheduler, epochs):
    """get_last_lr() right after construction (epoch 0) and after each of `epochs` steps."""
    out = [scheduler.get_last_lr()]
    for _ in range(epochs):
        scheduler.optimizer.step()
        scheduler.step()
        out.append(scheduler.get_last_lr())
    return out


def _assert_lrs(actual, expected):
    np.testing.assert_allclose(np.array(actual, dtype=float), np.array(expected, dtype=float), rtol=1e-12, atol=0)


# name -> (scheduler factory, closed form lr(base, epoch))
CLOSED_FORMS = {
    "StepLR": (lambda o: sched.StepLR(o, step_size=3, gamma=0.5), lambda b, e: b * 0.5 ** (e // 3)),
    "MultiStepLR": (lambda o: sched.MultiStepLR(o, milestones=[5, 2, 5], gamma=0.1),
                    lambda b, e: b * 0.1 ** ((e >= 2) + 2 * (e >= 5))),
    "ExponentialLR-per-iteration": (lambda o: sched.ExponentialLR(o, gamma=0.9995), lambda b, e: b * 0.9995**e),
    "CosineAnnealingLR": (lambda o: sched.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
                          lambda b, e: 0.001 + (b - 0.001) * (1 + math.cos(math.pi * e / 10)) / 2),
    "LinearLR": (lambda o: sched.LinearLR(o, start_factor=0.25, total_iters=4),
                 lambda b, e: b * (0.25 + 0.75 * min(e, 4) / 4)),
    "LambdaLR": (lambda o: sched.LambdaLR(o, lambda e: 1 / (1 + e)), lambda b, e: b / (1 + e)),
}


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
def test_schedule_matches_closed_form(name):
    make, closed_form = CLOSED_FORMS[name]
    epochs = 1000 if name.startswith("Exponential") else 25
    optimizer = _optimizer((0.1, 0.03))
    scheduler = make(optimizer)
    expected = [[closed_form(base, e) for base in (0.1, 0.03)] for e in range(epochs + 1)]
    _assert_lrs(_lrs(scheduler, epochs), expected)
    assert [g["lr"] for g in optimizer.param_groups] == scheduler.get_last_lr()
    assert [g["initial_lr"] for g in optimizer.param_groups] == [0.1, 0.03]


def test_lambda_lr_one_function_per_group():
    scheduler = sched.LambdaLR(_optimizer((1.0, 2.0)), [lambda e: 0.5**e, lambda e: e + 1])
    _assert_lrs(_lrs(scheduler, 3), [[1.0 * 0.5**e, 2.0 * (e + 1)] for e in range(4)])


def test_sequential_warmup_then_cosine():
    optimizer = _optimizer((0.1,))
    warmup = sched.LinearLR(optimizer, start_factor=0.1, total_iters=5)
    cosine = sched.CosineAnnealingLR(optimizer, T_max=10)
    scheduler = sched.SequentialLR(optimizer, [warmup, cosine], milestones=[5])
    expected = [0.1 * (0.1 + 0.9 * e / 5) for e in range(5)]
    expected += [0.1 * (1 + math.cos(math.pi * e / 10)) / 2 for e in range(11)]
    _assert_lrs(_lrs(scheduler, 15), [[v] for v in expected])


def test_sequential_rejects_bad_milestones():
    optimizer = _optimizer()
    with pytest.raises(ValueError, match="expected len\\(milestones\\) == len\\(schedulers\\) - 1, got 2"):
        sched.SequentialLR(optimizer, [sched.StepLR(optimizer, 2), sched.StepLR(optimizer, 3)], milestones=[1, 2])


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS) + ["SequentialLR"])
def test_state_dict_round_trip_continues_the_schedule(name, tmp_path):
    def make(optimizer):
        if name == "SequentialLR":
            parts = [sched.LinearLR(optimizer, total_iters=3), sched.ExponentialLR(optimizer, gamma=0.9)]
            return sched.SequentialLR(optimizer, parts, milestones=[3])
        return CLOSED_FORMS[name][0](optimizer)

    scheduler = make(_optimizer((0.1, 0.2)))
    _lrs(scheduler, 4)
    tl.save({"scheduler": scheduler.state_dict(), "optimizer": scheduler.optimizer.state_dict()}, tmp_path / "s")
    expected = _lrs(scheduler, 6)

    optimizer = _optimizer((0.5, 0.5))
    restored = make(optimizer)
    checkpoint = tl.load(tmp_path / "s")
    optimizer.load_state_dict(checkpoint["optimizer"])
    restored.load_state_dict(checkpoint["scheduler"])
    assert _lrs(restored, 6) == expected


# ---------------------------------------------------------------- ReduceLROnPlateau


def _plateau_lrs(metrics, lr=1.0, **kwargs):
    optimizer = _optimizer((lr,))
    scheduler = sched.ReduceLROnPlateau(optimizer, **kwargs)
    out = []
    for value in metrics:
        scheduler.step(value)
        out.append(scheduler.get_last_lr()[0])
    return out


def test_plateau_reduces_after_patience_bad_epochs():
    # best 1.0 at epoch 1; epochs 2, 3, 4 are bad; the third bad epoch exceeds patience=2
    lrs = _plateau_lrs([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], patience=2, factor=0.5)
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]


def test_plateau_improvement_resets_the_count():
    lrs = _plateau_lrs([5, 4, 4, 3, 3, 3, 2], patience=1, factor=0.1)
    assert lrs == [1.0, 1.0, 1.0, 1.0, 1.0, 0.1, 0.1]


def test_plateau_relative_threshold_ignores_tiny_improvements():
    # 0.99995 < 1 * (1 - 1e-4) is false: not an improvement
    lrs = _plateau_lrs([1.0, 0.99995, 0.9998, 0.5], patience=0, factor=0.5, threshold=1e-4)
    assert lrs == [1.0, 0.5, 0.5, 0.5]


def test_plateau_absolute_threshold_and_max_mode():
    lrs = _plateau_lrs([0.5, 0.55, 0.65, 0.66], mode="max", threshold_mode="abs", threshold=0.1, patience=0,
                       factor=0.5)
    assert lrs == [1.0, 0.5, 0.5, 0.25]


def test_plateau_cooldown_and_min_lr():
    lrs = _plateau_lrs([1.0] * 8, patience=0, factor=0.5, cooldown=2, min_lr=0.2)
    # epoch 2 reduces, epochs 3-4 cool down, epoch 5 reduces (0.25), epoch 8 is clamped at min_lr
    assert lrs == [1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2]


def test_plateau_skips_reductions_smaller_than_eps():
    lrs = _plateau_lrs([1.0, 1.0, 1.0], lr=1e-9, patience=0, factor=0.5, eps=1e-8)
    assert lrs == [1e-9, 1e-9, 1e-9]


def test_plateau_accepts_a_tensor_metric_and_validates():
    optimizer = _optimizer()
    scheduler = sched.ReduceLROnPlateau(optimizer)
    scheduler.step(tl.tensor(0.5))
    assert scheduler.best == 0.5
    with pytest.raises(ValueError, match="factor should be < 1.0, got 1.5"):
        sched.ReduceLROnPlateau(optimizer, factor=1.5)
    with pytest.raises(ValueError, match="mode must be 'min' or 'max', got 'up'"):
        sched.ReduceLROnPlateau(optimizer, mode="up")


def test_plateau_state_dict_round_trip():
    metrics = [3, 2, 2, 2, 2, 1, 1, 1, 1, 1]
    full = _plateau_lrs(metrics, patience=1, factor=0.5, cooldown=1)
    optimizer = _optimizer((1.0,))
    first = sched.ReduceLROnPlateau(optimizer, patience=1, factor=0.5, cooldown=1)
    for value in metrics[:4]:
        first.step(value)
    resumed_optimizer = _optimizer((1.0,))
    resumed_optimizer.load_state_dict(optimizer.state_dict())
    resumed = sched.ReduceLROnPlateau(resumed_optimizer)
    resumed.load_state_dict(first.state_dict())
    rest = []
    for value in metrics[4:]:
        resumed.step(value)
        rest.append(resumed.get_last_lr()[0])
    assert rest == full[4:]


# ---------------------------------------------------------------- against PyTorch, when installed


def test_schedules_match_pytorch():
    torch = pytest.importorskip("torch")
    ts = torch.optim.lr_scheduler
    cases = [
        (lambda o: sched.StepLR(o, 3, 0.5), lambda o: ts.StepLR(o, 3, 0.5)),
        (lambda o: sched.MultiStepLR(o, [2, 5, 5], 0.1), lambda o: ts.MultiStepLR(o, [2, 5, 5], 0.1)),
        (lambda o: sched.ExponentialLR(o, 0.97), lambda o: ts.ExponentialLR(o, 0.97)),
        (lambda o: sched.CosineAnnealingLR(o, 7, 0.01), lambda o: ts.CosineAnnealingLR(o, 7, 0.01)),
        (lambda o: sched.LinearLR(o, 0.2, 0.9, 6), lambda o: ts.LinearLR(o, 0.2, 0.9, 6)),
        (lambda o: sched.SequentialLR(o, [sched.LinearLR(o, 0.1, total_iters=4), sched.CosineAnnealingLR(o, 8)], [4]),
         lambda o: ts.SequentialLR(o, [ts.LinearLR(o, 0.1, total_iters=4), ts.CosineAnnealingLR(o, 8)], [4])),
    ]
    for ours_factory, theirs_factory in cases:
        ours = ours_factory(_optimizer((0.1, 0.05)))
        torch_params = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in (0.1, 0.05)]
        torch_optimizer = torch.optim.SGD(torch_params, lr=0.1)
        theirs = theirs_factory(torch_optimizer)
        expected = [theirs.get_last_lr()]
        for _ in range(20):
            torch_optimizer.step()
            theirs.step()
            expected.append(theirs.get_last_lr())
        np.testing.assert_allclose(_lrs(ours, 20), expected, rtol=1e-10, err_msg=type(ours).__name__)


def test_plateau_matches_pytorch_on_a_random_sequence():
    torch = pytest.importorskip("torch")
    metrics = np.cumsum(np.random.default_rng(0).standard_normal(60) * 0.3) + 10
    kwargs = dict(mode="min", factor=0.5, patience=2, threshold=0.01, threshold_mode="rel", cooldown=1, min_lr=0.01)
    torch_optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(torch_optimizer, **kwargs)
    expected = []
    for value in metrics:
        torch_optimizer.step()
        theirs.step(float(value))
        expected.append(theirs.get_last_lr()[0])
    assert _plateau_lrs(metrics, **kwargs) == expected
    assert len(set(expected)) > 2  # the sequence did trigger several reductions
