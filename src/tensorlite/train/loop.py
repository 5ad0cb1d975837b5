"""fit / evaluate / predict: the training loop with progress bars, validation and callbacks."""

import math
import os
import sys
import time
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from tensorlite.autograd.grad_mode import no_grad
from tensorlite.data.dataloader import DataLoader
from tensorlite.data.dataset import TensorDataset
from tensorlite.ops.shape import cat
from tensorlite.tensor import Tensor
from tensorlite.train.callbacks import LRSchedulerCallback
from tensorlite.train.checkpoint import resume
from tensorlite.train.history import History
from tensorlite.train.metrics import resolve_metrics


class NonFiniteLossError(FloatingPointError):
    """fit() met a NaN or infinite loss; `epoch`, `step` and `last_finite_loss` say where."""

    def __init__(self, message, epoch, step, last_finite_loss):
        super().__init__(message)
        self.epoch, self.step, self.last_finite_loss = epoch, step, last_finite_loss


@dataclass
class TrainingState:
    """What callbacks see: the objects being trained and where training is (epoch from 1, global step)."""

    model: object
    optimizer: object
    loss_fn: object
    epochs: int
    history: History = field(default_factory=History)
    epoch: int = 0
    step: int = 0
    stop_training: bool = False
    callbacks: list = field(default_factory=list)
    train_loader: object = None
    val_loader: object = None


def progress_enabled(progress):
    """Whether fit() shows progress bars: progress=True and stderr is a terminal."""
    return bool(progress) and sys.stderr.isatty()


def _split_batch(batch, caller):
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        got = (
            f"a {type(batch).__name__} of {len(batch)}"
            if isinstance(batch, (tuple, list))
            else type(batch).__name__
        )
        raise ValueError(f"{caller}: each batch must be (inputs, targets), got {got}")
    return batch


class _Running:
    """Sample-weighted running means of the loss and metrics over an epoch."""

    def __init__(self):
        self.sums, self.count = {}, 0

    def add(self, values, n):
        for key, value in values.items():
            self.sums[key] = self.sums.get(key, 0.0) + value * n
        self.count += n

    def means(self):
        return {key: total / self.count for key, total in self.sums.items()}


def _batch_values(loss, outputs, targets, metric_fns):
    values = {"loss": loss}
    values.update({name: float(fn(outputs._array, targets._array)) for name, fn in metric_fns.items()})
    return values


def _train_epoch(state, loader, metric_fns, bar):
    model, optimizer = state.model, state.optimizer
    model.train()
    running = _Running()
    last_finite = None
    for step_in_epoch, batch in enumerate(loader, start=1):
        inputs, targets = _split_batch(batch, "fit")
        buffers = {name: b._array.copy() for name, b in model.named_buffers()}
        outputs = model(inputs)
        loss = state.loss_fn(outputs, targets)
        value = loss.item()
        if not math.isfinite(value):
            for name, b in model.named_buffers():
                b._array[...] = buffers[name]
                b._bump_version()
            where = f"epoch {state.epoch}, step {step_in_epoch} (step {state.step + 1} overall)"
            before = (
                "no finite loss was seen before it"
                if last_finite is None
                else f"the last finite loss was {last_finite:.6g}"
            )
            raise NonFiniteLossError(
                f"fit: the loss is {value} at {where}; {before}. Training stopped and the model is left as it "
                "was before this step. Try a smaller learning rate or check the inputs for NaN/inf.",
                state.epoch,
                step_in_epoch,
                last_finite,
            )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        state.step += 1
        last_finite = value
        values = _batch_values(value, outputs, targets, metric_fns)
        running.add(values, len(targets))
        if bar is not None:
            bar.update(1)
            bar.set_postfix({k: f"{v:.4f}" for k, v in running.means().items()}, refresh=False)
        for callback in state.callbacks:
            callback.on_batch_end(state, values)
    if running.count == 0:
        raise ValueError("fit: train_loader produced no batches")
    return running.means()


def fit(
    model,
    loss_fn,
    optimizer,
    train_loader,
    epochs,
    val_loader=None,
    scheduler=None,
    callbacks=(),
    metrics=("accuracy",),
    progress=True,
    report=True,
    resume_from=None,
    override=None,
):
    """Train `model` for `epochs` epochs; returns a History.

    Each step: outputs = model(inputs); loss = loss_fn(outputs, targets); zero_grad, backward, step.
    The epoch's training loss/metrics are sample-weighted means over its batches; with val_loader,
    evaluate() adds val_loss and val_<metric>. `scheduler` (a tl.optim.lr_scheduler) is stepped once
    per epoch (ReduceLROnPlateau with val_loss, or loss without a val_loader). A tqdm bar per epoch
    shows the running loss and metrics (progress=False, or stderr not a terminal, turns it off).
    A NaN/inf loss raises NonFiniteLossError before the bad step is applied. LRSchedulerCallbacks
    (and the one `scheduler` gets) run before the other callbacks at the end of an epoch, so that
    checkpoints and loggers see the state the next epoch starts from.

    report=True prints tl.diagnostics.bias_variance(history) at the end when val_loader is given.
    resume_from=path continues the run saved by a ModelCheckpoint (full checkpoint) after its epoch:
    model, optimizer, schedulers, counters, History and random generators are restored, and training
    goes on up to epoch `epochs` (counted from the start of the run), bit-identical to a run that was
    never stopped. override={"lr": 1e-4, ...} then replaces param_groups values (a list: one per group;
    "lr" through tl.optim.set_lr, which keeps a schedule continuous). A checkpoint of another model,
    optimizer or scheduler raises ValueError naming the mismatch, before anything changes.
    """
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"fit: epochs must be an int >= 1, got {epochs!r}")
    if override is not None and resume_from is None:
        raise ValueError(
            "fit: override applies when resuming (resume_from=path); use tl.optim.set_lr otherwise"
        )
    metric_fns = resolve_metrics(metrics)
    callbacks = list(callbacks)
    if scheduler is not None:
        callbacks.append(
            LRSchedulerCallback(scheduler, monitor="val_loss" if val_loader is not None else "loss")
        )
    callbacks.sort(key=lambda c: not isinstance(c, LRSchedulerCallback))  # stable: keeps the order otherwise
    state = TrainingState(
        model,
        optimizer,
        loss_fn,
        epochs,
        callbacks=callbacks,
        train_loader=train_loader,
        val_loader=val_loader,
    )
    if resume_from is not None:
        resume(os.fspath(resume_from), state, epochs, override)
    show_bar = progress_enabled(progress)
    for callback in callbacks:
        callback.on_train_begin(state)
    for epoch in range(state.epoch + 1, epochs + 1):
        state.epoch = epoch
        for callback in callbacks:
            callback.on_epoch_begin(state)
        start = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        bar = (
            tqdm(total=len(train_loader), desc=f"epoch {epoch}/{epochs}", unit="batch", leave=True)
            if show_bar
            else None
        )
        try:
            logs = _train_epoch(state, train_loader, metric_fns, bar)
            if val_loader is not None:
                logs.update({f"val_{k}": v for k, v in evaluate(model, val_loader, loss_fn, metrics).items()})
            if bar is not None:
                bar.set_postfix({k: f"{v:.4f}" for k, v in logs.items()})
        finally:
            if bar is not None:
                bar.close()
        logs["lr"] = lr
        logs["time"] = time.perf_counter() - start
        state.history.append(epoch, logs)
        for callback in callbacks:
            callback.on_epoch_end(state, logs)
        if state.stop_training:
            state.history.stopped_epoch = epoch
            break
    for callback in callbacks:
        callback.on_train_end(state)
    if report and val_loader is not None:
        from tensorlite.diagnostics.bias_variance import bias_variance

        print(bias_variance(state.history), flush=True)
    return state.history


def evaluate(model, loader, loss_fn=None, metrics=("accuracy",)):
    """Mean loss (when loss_fn is given) and metrics over `loader`, in eval mode under no_grad
    (the model's previous train/eval mode is restored). Returns {"loss": ..., "accuracy": ...}."""
    metric_fns = resolve_metrics(metrics)
    was_training = model.training
    model.eval()
    running = _Running()
    try:
        with no_grad():
            for batch in loader:
                inputs, targets = _split_batch(batch, "evaluate")
                outputs = model(inputs)
                loss = {"loss": loss_fn(outputs, targets).item()} if loss_fn is not None else {}
                values = {
                    **loss,
                    **{name: float(fn(outputs._array, targets._array)) for name, fn in metric_fns.items()},
                }
                running.add(values, len(targets))
    finally:
        model.train(was_training)
    if running.count == 0:
        raise ValueError("evaluate: the loader produced no batches")
    return running.means()


def predict(model, data, batch_size=256):
    """model(inputs) for all inputs, batched, in eval mode under no_grad; returns one Tensor.
    `data` is a Tensor or NumPy array of inputs, or a DataLoader (the first element of each batch)."""
    if not isinstance(data, DataLoader):
        array = data._array if isinstance(data, Tensor) else np.asarray(data)
        data = DataLoader(TensorDataset(array), batch_size=batch_size)
    was_training = model.training
    model.eval()
    outputs = []
    try:
        with no_grad():
            for batch in data:
                inputs = batch[0] if isinstance(batch, (tuple, list)) else batch
                outputs.append(model(inputs))
    finally:
        model.train(was_training)
    if not outputs:
        raise ValueError("predict: no inputs")
    return cat(outputs, dim=0)
