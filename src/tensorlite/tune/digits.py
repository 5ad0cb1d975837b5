"""The objective of `tensorlite tune`: train the demo's CNN or MLP (with dropout before its last Linear)
with SGD on the bundled 8x8 digits or on MNIST, report the validation metric every epoch, and return
its best epoch's value (the weights one would keep with checkpointing)."""

import math

import numpy as np

import tensorlite as tl
from tensorlite import data, demo, nn, train
from tensorlite.tune.trial import TrialPruned

DEFAULTS = {
    "model": "cnn",
    "data": "digits",
    "epochs": 20,
    "batch_size": 64,
    "metric": "val_accuracy",
    "lr": 0.05,
    "momentum": 0.9,
    "weight_decay": 0.0,
    "dropout": 0.0,
    "nesterov": False,
    "data_seed": 0,
}
HYPERPARAMETERS = ("lr", "momentum", "weight_decay", "dropout", "batch_size", "nesterov")


def build_model(kind, side, dropout):
    """The demo's net (tensorlite.demo.build_model) for side x side images with Dropout(dropout) before
    its last Linear."""
    try:
        return demo.build_model(kind, side, dropout)
    except ValueError as error:
        raise ValueError(str(error).replace("demo:", "tune:")) from None


def load_split(source, data_seed):
    """(x_train, y_train, x_val, y_val) as standardized (N, 1, side, side) float32: the digits split
    80/20 stratified, or the MNIST training files in folder `source` split the same way. The split
    depends on data_seed only, so every trial is validated on the same images."""
    images, labels = data.load_digits() if source == "digits" else data.load_mnist(source, train=True)
    images = images.astype(np.float32)[:, None]
    x_train, x_val, y_train, y_val = data.train_val_test_split(
        images, labels, ratios=(0.8, 0.2), stratify=labels, seed=data_seed
    )
    scaler = data.StandardScaler().fit(x_train)
    return scaler.transform(x_train), y_train, scaler.transform(x_val), y_val


class _Report(train.Callback):
    """Reports the monitored metric to the trial after each epoch and stops when it should be pruned."""

    def __init__(self, trial, metric):
        self.trial, self.metric, self.values, self.pruned = trial, metric, [], False

    def on_epoch_end(self, state, logs):
        if self.metric not in logs:
            raise ValueError(f"tune: metric {self.metric!r} is not among the epoch logs {sorted(logs)}")
        self.values.append(logs[self.metric])
        self.trial.report(logs[self.metric], state.epoch)
        if self.trial.should_prune():
            self.pruned = state.stop_training = True


class TrainObjective:
    """objective(config, trial) for tune.run: settings (DEFAULTS overridden by the TOML [train] table)
    give the model, data and epochs; config gives the hyperparameters being searched."""

    def __init__(self, settings):
        unknown = sorted(set(settings) - set(DEFAULTS))
        if unknown:
            raise ValueError(f"tune: unknown [train] settings {unknown}; known: {sorted(DEFAULTS)}")
        self.settings = {**DEFAULTS, **settings}
        if self.settings["model"] not in ("cnn", "mlp"):
            raise ValueError(f"tune: [train] model must be 'cnn' or 'mlp', got {self.settings['model']!r}")

    def __call__(self, config, trial):
        s = {**self.settings, **config}
        tl.manual_seed(trial.seed)
        x_train, y_train, x_val, y_val = load_split(s["data"], s["data_seed"])
        sampler = data.StratifiedBatchSampler(
            y_train, int(s["batch_size"]), generator=tl.Generator(trial.seed)
        )
        train_loader = data.DataLoader(data.TensorDataset(x_train, y_train), batch_sampler=sampler)
        val_loader = data.DataLoader(data.TensorDataset(x_val, y_val), batch_size=512)
        model = build_model(s["model"], x_train.shape[-1], float(s["dropout"]))
        optimizer = tl.optim.SGD(
            model.parameters(),
            lr=float(s["lr"]),
            momentum=float(s["momentum"]),
            weight_decay=float(s["weight_decay"]),
            nesterov=bool(s["nesterov"]),
        )
        reporter = _Report(trial, s["metric"])
        train.fit(
            model,
            nn.CrossEntropyLoss(),
            optimizer,
            train_loader,
            int(s["epochs"]),
            val_loader=val_loader,
            callbacks=[reporter],
            progress=False,
            report=False,
        )
        if reporter.pruned:
            raise TrialPruned(f"pruned after epoch {len(reporter.values)}")
        best = max(reporter.values) if "acc" in s["metric"] else min(reporter.values)
        if not math.isfinite(best):
            raise FloatingPointError(f"tune: {s['metric']} is {best}")
        return best
