"""tensorlite: a small, fast, honest deep-learning engine with C++/OpenMP kernels and a PyTorch-shaped API."""

__version__ = "0.1.0"

import os

# libgomp reads this once, when tensorlite._C loads it. Waiting OpenMP threads sleep instead of spinning:
# on a loaded machine (more runnable threads than cores) spinning made every parallel kernel 10-40x slower.
# Set OMP_WAIT_POLICY=ACTIVE yourself on a dedicated machine to trade that for lower wake-up latency.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from tensorlite import autograd, data, diagnostics, experiments, nn, optim, train
from tensorlite._dtype import bool_ as bool  # tl.bool, like torch.bool
from tensorlite._dtype import float32, float64, int64
from tensorlite.autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from tensorlite.config import get_num_threads, set_num_threads, show_config
from tensorlite.creation import (
    arange,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from tensorlite.ops import *  # every op as tl.<name>
from tensorlite.random import Generator, manual_seed
from tensorlite.serialization import load, save
from tensorlite.tensor import Tensor

float = float32  # torch.float
double = float64
long = int64
