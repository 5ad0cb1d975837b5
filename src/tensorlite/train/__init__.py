"""Training loop: fit / evaluate / predict, History, callbacks and metrics."""

from tensorlite.train.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    LRSchedulerCallback,
    ModelCheckpoint,
)
from tensorlite.train.history import History
from tensorlite.train.loop import NonFiniteLossError, TrainingState, evaluate, fit, predict, progress_enabled
from tensorlite.train.metrics import accuracy
from tensorlite.train.tensorboard import TensorBoardLogger

__all__ = [
    "CSVLogger",
    "Callback",
    "EarlyStopping",
    "History",
    "LRSchedulerCallback",
    "ModelCheckpoint",
    "NonFiniteLossError",
    "TensorBoardLogger",
    "TrainingState",
    "accuracy",
    "evaluate",
    "fit",
    "predict",
    "progress_enabled",
]
