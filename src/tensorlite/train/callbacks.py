"""Callbacks for fit(): early stopping, checkpoints, learning-rate scheduling, CSV logging.

Each hook receives the TrainingState (model, optimizer, history, epoch, step, stop_training) and, at
the end of a batch or an epoch, that batch's or epoch's logs ({"loss": ..., "val_loss": ..., ...}).
Epochs are numbered from 1.
"""

import math
import os

import numpy as np


class Callback:
    """Base class: override any of the hooks."""

    def on_train_begin(self, state):
        pass

    def on_epoch_begin(self, state):
        pass

    def on_batch_end(self, state, logs):
        pass

    def on_epoch_end(self, state, logs):
        pass

    def on_train_end(self, state):
        pass


def _monitored(logs, monitor, owner):
    if monitor not in logs:
        hint = " (val_* needs a val_loader)" if monitor.startswith("val_") else ""
        raise ValueError(f"{owner}: monitor {monitor!r} is not in the logs {sorted(logs)}{hint}")
    return logs[monitor]


class _Monitor:
    """Tracks the best value of a monitored quantity; mode 'auto' maximizes names containing 'acc'."""

    def __init__(self, monitor, mode, min_delta=0.0):
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":
            mode = "max" if "acc" in monitor else "min"
        self.monitor, self.mode, self.min_delta = monitor, mode, abs(min_delta)
        self.best = None

    def improves(self, value):
        """Whether `value` beats the best by more than min_delta (NaN never does); updates the best."""
        if not math.isfinite(value):
            return False
        if self.best is None:
            better = True
        elif self.mode == "min":
            better = value < self.best - self.min_delta
        else:
            better = value > self.best + self.min_delta
        if better:
            self.best = value
        return better


class EarlyStopping(Callback):
    """Stop when `monitor` has not improved by more than min_delta for `patience` epochs in a row.

    With restore_best_weights=True the model gets back the weights of its best epoch at the end of
    training (whether or not it stopped early). Records best_epoch, best and stopped_epoch.
    """

    def __init__(self, monitor="val_loss", patience=5, min_delta=0.0, mode="auto", restore_best_weights=True):
        if not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an int >= 0, got {patience!r}")
        self.monitor, self.patience, self.min_delta, self.mode = monitor, patience, min_delta, mode
        self.restore_best_weights = restore_best_weights

    def on_train_begin(self, state):
        self._tracker = _Monitor(self.monitor, self.mode, self.min_delta)
        self.wait, self.best_epoch, self.stopped_epoch, self._best_state = 0, None, None, None

    @property
    def best(self):
        return self._tracker.best

    def on_epoch_end(self, state, logs):
        if self._tracker.improves(_monitored(logs, self.monitor, "EarlyStopping")):
            self.wait, self.best_epoch = 0, state.epoch
            if self.restore_best_weights:
                self._best_state = {k: v._array.copy() for k, v in state.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = state.epoch
            state.stop_training = True

    def on_train_end(self, state):
        if self._best_state is not None and self.best_epoch != state.epoch:
            state.model.load_state_dict(self._best_state)


class ModelCheckpoint(Callback):
    """Save a checkpoint with tl.save (atomically) at the end of an epoch: every epoch, or with
    save_best_only=True only when `monitor` improved. `path` may hold format fields filled from the
    epoch and its logs, e.g. "ckpt-{epoch:02d}-{val_loss:.3f}.safetensors".

    By default (save_weights_only=False, as in Keras) the file is a full training checkpoint that
    fit(..., resume_from=path) continues from: model, optimizer, schedulers, epoch and step counters,
    History and random generator states (see tensorlite.train.checkpoint); its weights are
    tl.load(path)["model"]. save_weights_only=True saves model.state_dict() alone.
    """

    def __init__(self, path, monitor="val_loss", save_best_only=False, mode="auto", save_weights_only=False):
        self.path, self.monitor, self.save_best_only, self.mode = (
            os.fspath(path),
            monitor,
            save_best_only,
            mode,
        )
        self.save_weights_only = save_weights_only
        self.saved = []

    def on_train_begin(self, state):
        self._tracker = _Monitor(self.monitor, self.mode)

    def on_epoch_end(self, state, logs):
        from tensorlite import save
        from tensorlite.train.checkpoint import training_checkpoint

        if self.save_best_only and not self._tracker.improves(
            _monitored(logs, self.monitor, "ModelCheckpoint")
        ):
            return
        path = self.path.format(epoch=state.epoch, **logs)
        save(state.model.state_dict() if self.save_weights_only else training_checkpoint(state), path)
        self.saved.append(path)


class LRSchedulerCallback(Callback):
    """Step a tl.optim.lr_scheduler scheduler once per epoch (interval="epoch") or once per optimizer
    step (interval="step"). ReduceLROnPlateau is stepped per epoch with the value of `monitor`."""

    def __init__(self, scheduler, interval="epoch", monitor="val_loss"):
        if interval not in ("epoch", "step"):
            raise ValueError(f"LRSchedulerCallback: interval must be 'epoch' or 'step', got {interval!r}")
        from tensorlite.optim.lr_scheduler import ReduceLROnPlateau

        self.plateau = isinstance(scheduler, ReduceLROnPlateau)
        if self.plateau and interval == "step":
            raise ValueError("LRSchedulerCallback: ReduceLROnPlateau is stepped per epoch, not per step")
        self.scheduler, self.interval, self.monitor = scheduler, interval, monitor

    def on_batch_end(self, state, logs):
        if self.interval == "step":
            self.scheduler.step()

    def on_epoch_end(self, state, logs):
        if self.plateau:
            self.scheduler.step(_monitored(logs, self.monitor, "LRSchedulerCallback"))
        elif self.interval == "epoch":
            self.scheduler.step()


class CSVLogger(Callback):
    """Append one row per epoch (epoch and every log value) to a CSV file; the header is written when
    the file is new or empty. append=False starts a fresh file at the beginning of training."""

    def __init__(self, path, separator=",", append=False):
        self.path, self.separator, self.append = os.fspath(path), separator, append

    def on_train_begin(self, state):
        if not self.append and os.path.exists(self.path):
            os.remove(self.path)

    def on_epoch_end(self, state, logs):
        keys = ["epoch", *logs]
        values = [state.epoch, *(np.format_float_positional(v, trim="-") for v in logs.values())]
        new_file = not os.path.exists(self.path) or os.path.getsize(self.path) == 0
        with open(self.path, "a") as f:
            if new_file:
                f.write(self.separator.join(keys) + "\n")
            f.write(self.separator.join(str(v) for v in values) + "\n")
