"""Callbacks on scripted validation losses: EarlyStopping, ReduceLROnPlateau through the scheduler
callback, ModelCheckpoint, CSVLogger."""

import csv

import numpy as np
import pytest

import tensorlite as tl
from tensorlite import nn
from tensorlite.data import DataLoader, TensorDataset
from tensorlite.train import Callback, CSVLogger, EarlyStopping, LRSchedulerCallback, ModelCheckpoint, fit


class ScriptedValLoss:
    """Cross-entropy while training; under no_grad (validation) the next value of `script`."""

    def __init__(self, script):
        self.script = iter(script)

    def __call__(self, outputs, targets):
        if tl.is_grad_enabled():
            return nn.functional.cross_entropy(outputs, targets)
        return tl.tensor(next(self.script))


class WeightsPerEpoch(Callback):
    def on_train_begin(self, state):
        self.weights = {}

    def on_epoch_end(self, state, logs):
        self.weights[state.epoch] = state.model.weight.detach().numpy().copy()


def read_rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def run(script, callbacks, epochs=None, lr=0.1, scheduler=None):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 2)).astype(np.float32), np.arange(8) % 2
    tl.manual_seed(0)
    model = nn.Linear(2, 2)
    optimizer = tl.optim.SGD(model.parameters(), lr=lr)
    train = DataLoader(TensorDataset(x, y), batch_size=4)
    val = DataLoader(TensorDataset(x, y), batch_size=8)  # one batch: val_loss is the scripted value
    history = fit(
        model, ScriptedValLoss(script), optimizer, train, epochs or len(script), val,
        scheduler=scheduler, callbacks=callbacks, progress=False,
    )  # fmt: skip
    return model, optimizer, history


def test_early_stopping_waits_patience_epochs_then_restores_the_best_weights():
    weights = WeightsPerEpoch()
    stopper = EarlyStopping(patience=2)
    model, _, history = run([1.0, 0.8, 0.9, 0.85, 0.7, 0.6], [weights, stopper])
    assert history.epoch == [1, 2, 3, 4] and history.stopped_epoch == 4
    assert (stopper.best_epoch, stopper.best, stopper.stopped_epoch) == (2, pytest.approx(0.8), 4)
    np.testing.assert_array_equal(model.weight.detach().numpy(), weights.weights[2])
    assert not np.array_equal(weights.weights[2], weights.weights[4])


def test_early_stopping_min_delta_mode_and_no_restore():
    weights = WeightsPerEpoch()
    stopper = EarlyStopping(monitor="val_loss", patience=2, min_delta=0.1, restore_best_weights=False)
    model, _, history = run([1.0, 0.95, 0.5, 0.45, 0.44, 0.1], [weights, stopper])
    assert (
        history.epoch == [1, 2, 3, 4, 5] and stopper.best_epoch == 3
    )  # 0.95, 0.45, 0.44 are within min_delta
    np.testing.assert_array_equal(model.weight.detach().numpy(), weights.weights[5])
    maximize = EarlyStopping(monitor="val_accuracy", patience=0)
    _, _, history = run([1.0] * 4, [maximize])
    assert maximize._tracker.mode == "max" and maximize.best == max(history["val_accuracy"])
    assert history.stopped_epoch == maximize.best_epoch + 1  # patience 0: the first epoch without a new best


def test_early_stopping_ignores_nan_and_runs_to_the_end_when_improving():
    stopper = EarlyStopping(patience=2)
    _, _, history = run([1.0, float("nan"), 0.5, 0.4], [stopper])
    assert history.epoch == [1, 2, 3, 4] and history.stopped_epoch is None and stopper.best_epoch == 4


def test_monitoring_a_missing_key_names_the_available_ones():
    with pytest.raises(ValueError, match=r"monitor 'val_f1' is not in the logs \['accuracy', 'loss', 'lr'"):
        run([1.0], [EarlyStopping(monitor="val_f1")])


def test_reduce_lr_on_plateau_callback_on_scripted_losses():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 2)).astype(np.float32), np.arange(8) % 2
    model = nn.Linear(2, 2)
    optimizer = tl.optim.SGD(model.parameters(), lr=0.1)
    scheduler = tl.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=1)
    loader = DataLoader(TensorDataset(x, y), batch_size=8)
    script = [1.0, 0.9, 0.95, 0.97, 0.96, 0.8, 0.85, 0.9]
    history = fit(
        model, ScriptedValLoss(script), optimizer, loader, 8, loader, scheduler=scheduler, progress=False
    )
    # bad epochs after the best (0.9 at epoch 2): 3 and 4 -> halve after epoch 4; 5 and 6? 0.8 improves.
    assert history["lr"] == [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05]
    assert optimizer.param_groups[0]["lr"] == 0.025  # epochs 7 and 8 are bad after the best 0.8


def test_step_interval_scheduler_callback():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 2)).astype(np.float32), np.arange(8) % 2
    model = nn.Linear(2, 2)
    optimizer = tl.optim.SGD(model.parameters(), lr=1.0)
    scheduler = tl.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    loader = DataLoader(TensorDataset(x, y), batch_size=2)  # 4 steps per epoch
    history = fit(
        model, nn.CrossEntropyLoss(), optimizer, loader, 2,
        callbacks=[LRSchedulerCallback(scheduler, interval="step")], progress=False,
    )  # fmt: skip
    assert history["lr"] == [1.0, 0.0625] and optimizer.param_groups[0]["lr"] == 0.5**8
    with pytest.raises(ValueError, match="interval must be 'epoch' or 'step'"):
        LRSchedulerCallback(scheduler, interval="batch")


def test_model_checkpoint_saves_the_best_epochs_atomically(tmp_path):
    weights = WeightsPerEpoch()
    checkpoint = ModelCheckpoint(
        tmp_path / "best-{epoch:02d}-{val_loss:.2f}.safetensors", save_best_only=True, save_weights_only=True
    )
    run([1.0, 0.5, 0.7, 0.4, 0.9], [weights, checkpoint])
    names = ["best-01-1.00.safetensors", "best-02-0.50.safetensors", "best-04-0.40.safetensors"]
    assert [p.rsplit("/", 1)[-1] for p in checkpoint.saved] == names
    assert sorted(p.name for p in tmp_path.iterdir()) == names  # no temporary files left behind
    loaded = tl.load(str(tmp_path / names[-1]))
    np.testing.assert_array_equal(np.asarray(loaded["weight"].numpy()), weights.weights[4])
    every = ModelCheckpoint(tmp_path / "last.safetensors")
    model, _, _ = run([1.0, 2.0], [every])
    np.testing.assert_array_equal(
        tl.load(str(tmp_path / "last.safetensors"))["model"]["weight"].detach().numpy(),
        model.weight.detach().numpy(),
    )


def test_csv_logger_writes_one_row_per_epoch(tmp_path):
    path = tmp_path / "log.csv"
    run([1.0, 0.5], [CSVLogger(path)])
    rows = read_rows(path)
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert [float(r["val_loss"]) for r in rows] == [1.0, 0.5]
    assert list(rows[0]) == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"]
    run([0.25], [CSVLogger(path, append=True)])
    assert [r["val_loss"] for r in read_rows(path)] == ["1", "0.5", "0.25"]
    run([0.75], [CSVLogger(path)])
    assert [r["val_loss"] for r in read_rows(path)] == ["0.75"]
