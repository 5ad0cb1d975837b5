"""The training-step suite (bench/train.py, bench/train_models.py): the same model definitions run under
tensorlite and PyTorch from the same initial weights and give the same step, and a --quick run yields one
row per case with each library timed in processes of its own (no timing thresholds)."""

import math
import os

import numpy as np
import pytest

import tensorlite as tl
from tensorlite.bench import common, train, train_models

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("name", list(train_models.MODELS))
def test_models_take_the_same_training_step_in_both_libraries(name):
    losses, grads, params = [], [], []
    for lib in (tl, torch):
        model, x, y = train_models.build(lib, name)
        step = train_models.training_step(lib, model, x, y, lr=1e-3)
        losses.append(float(step().item()))
        grads.append([p.grad.numpy().copy() for p in model.parameters()])
        params.append([p.detach().numpy().copy() for p in model.parameters()])
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-5)
    assert len(params[0]) == len(params[1]) > 0
    for ours, theirs in zip(grads[0], grads[1]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-6)
    # Adam's first step moves each weight by lr * g / (|g| + 1e-8): about lr * sign(g), where float32
    # rounding of a near-zero g can still decide the sign. Where the exact gradient is 0 (dead ReLU channels
    # meeting sparse max-pool gradients), PyTorch's direct sum gives exactly 0 but a Winograd dW leaves a
    # rounding residue of ~1e-10, which that formula turns into a step of a few percent of lr. So: each
    # library's step is that formula of its own gradient, and where the gradient is not near zero the
    # updated weights agree across libraries to a small fraction of lr.
    lr = 1e-3
    initial = [p.detach().numpy() for p in train_models.build(tl, name)[0].parameters()]
    for ours, theirs, our_grad, their_grad, start in zip(params[0], params[1], grads[0], grads[1], initial):
        for updated, grad in ((ours, our_grad), (theirs, their_grad)):
            expected = start - lr * grad.astype(np.float64) / (np.abs(grad) + 1e-8)
            np.testing.assert_allclose(updated, expected, rtol=0, atol=1e-6)
        settled = np.abs(their_grad) > 1e-6
        np.testing.assert_allclose(ours[settled], theirs[settled], rtol=0, atol=2e-5)


def test_mnist1d_cnn_flattens_to_125_features():
    model, x, _ = train_models.build(tl, "mnist1d cnn")
    features = model[:-1](x)  # everything before Linear(125, 10)
    assert tuple(x.shape) == (100, 1, 1, 40) and tuple(features.shape) == (100, 125)
    assert tuple(model(x).shape) == (100, 10)


def test_initial_weights_follow_pytorchs_default_bounds():
    weight, bias = train_models.initial_weights([(6, 1, 5, 5), (6,)], seed=3)
    assert weight.dtype == np.float32 and weight.shape == (6, 1, 5, 5) and bias.shape == (6,)
    assert np.abs(weight).max() <= 1 / 5 and np.abs(bias).max() <= 1 / 5  # fan_in 25
    assert np.abs(weight).max() > 0.15  # drawn over the whole range, not a constant
    again = train_models.initial_weights([(6, 1, 5, 5), (6,)], seed=3)
    np.testing.assert_array_equal(weight, again[0])


@pytest.fixture(scope="module")
def quick_rows():
    return train.run(quick=True, threads=1)


def test_quick_run_has_one_row_per_case_with_sane_fields(quick_rows):
    assert [r.case for r in quick_rows] == train.cases()
    rounds = train.rounds_for(quick=True)
    for row in quick_rows:
        assert row.baseline == "pytorch" and row.extra == {"threads": 1}
        assert len(row.tensorlite_rounds_ms) == len(row.baseline_rounds_ms) == rounds
        assert row.tensorlite_ms == min(row.tensorlite_rounds_ms) > 0
        assert row.baseline_ms == min(row.baseline_rounds_ms) > 0
        low, high = row.ratio_range
        assert math.isfinite(row.ratio) and low <= row.ratio <= high
    shapes = {r.case.rsplit(" ", 1)[0]: r.shape for r in quick_rows}
    assert shapes["lenet5"] == "(64, 1, 28, 28)" and shapes["mlp 10x32"] == "(16, 32)"


def test_each_library_is_timed_in_processes_of_its_own(quick_rows):
    ours, theirs = quick_rows[0].tensorlite_pids, quick_rows[0].baseline_pids
    rounds = train.rounds_for(quick=True)
    assert len(set(ours)) == len(set(theirs)) == rounds  # a fresh process per round
    assert not set(ours) & set(theirs) and os.getpid() not in ours + theirs
    assert all(r.tensorlite_pids == ours and r.baseline_pids == theirs for r in quick_rows)


def test_without_pytorch_tensorlite_is_timed_alone(monkeypatch):
    monkeypatch.setattr(train, "torch_or_none", lambda: None)
    monkeypatch.setattr(train, "rounds_for", lambda quick: 1)
    rows = train.run(quick=True, threads=1)
    assert [r.case for r in rows] == train.cases()
    assert all(r.baseline == "-" and math.isnan(r.baseline_ms) and r.tensorlite_ms > 0 for r in rows)
    assert all(r.ratio_range is None for r in rows)


def test_time_contender_times_every_case_and_reports_tiny_adds_per_add(monkeypatch):
    calls = []

    def fake_median(fn, **kwargs):  # stands in for the clock: every timed call "takes" 0.5 s
        calls.append(fn)
        return 0.5

    monkeypatch.setattr(train, "median_seconds", fake_median)
    times = train.time_contender("tensorlite", quick=True, threads=1)
    assert list(times) == train.cases() and len(calls) == len(times)
    assert times["lenet5 step"] == 0.5 and times["a + b (10) grad"] == 0.5 / train.ADDS_PER_CALL
    calls[-1]()  # the grad adds run on tensors that record a graph


def test_train_table_prints_microseconds_and_ranges(quick_rows, capsys):
    common.print_table(quick_rows, title=train.title(quick=True, threads=1))
    out = capsys.readouterr().out
    assert "PyTorch / tensorlite" in out and "best of 2 alternating rounds" in out
    add_line = next(line for line in out.splitlines() if line.startswith("a + b (10) grad"))
    assert "µs" in add_line and "-" in add_line.split("x")[-1]
