"""Optimizers (each update one fused C++ kernel per parameter) and learning-rate schedules."""

from tensorlite import compat as _compat
from tensorlite.optim import lr_scheduler
from tensorlite.optim.adadelta import Adadelta
from tensorlite.optim.adagrad import Adagrad
from tensorlite.optim.adam import Adam, AdamW
from tensorlite.optim.hyperparameters import set_lr, update_param_groups
from tensorlite.optim.lbfgs import LBFGS
from tensorlite.optim.momentum import Momentum
from tensorlite.optim.nadam import NAdam
from tensorlite.optim.optimizer import Optimizer
from tensorlite.optim.rmsprop import RMSprop
from tensorlite.optim.sgd import SGD

__all__ = [
    "LBFGS",
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Momentum",
    "NAdam",
    "Optimizer",
    "RMSprop",
    "lr_scheduler",
    "set_lr",
    "update_param_groups",
]

# A known torch name missing here raises NotImplementedError naming it (tensorlite.compat).
__getattr__ = _compat.module_getattr("torch.optim", "tensorlite.optim")
