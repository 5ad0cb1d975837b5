"""Optimizers."""

from tensorlite.optim.optimizer import Optimizer
from tensorlite.optim.sgd import SGD

__all__ = ["SGD", "Optimizer"]
