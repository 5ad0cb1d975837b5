"""tensorlite: a small, fast, honest deep-learning engine with C++/OpenMP kernels and a PyTorch-shaped API."""

from tensorlite import compat as _compat

__version__ = "0.1.0"

import os

# libgomp reads these once, when tensorlite._C loads it. Waiting OpenMP threads spin about 2 us (100 spins),
# then sleep: on a loaded machine (more runnable threads than cores) spinning longer made every parallel kernel
# slower (10-40x with OMP_WAIT_POLICY=ACTIVE; two demos sharing 2 cores took 20% longer at 3000 spins), and
# the short spin still finds a worker awake for back-to-back kernels (it saves the 6-9 us wake-up of a
# sleeping one). Setting OMP_WAIT_POLICY or GOMP_SPINCOUNT yourself leaves both to you.
if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    os.environ["GOMP_SPINCOUNT"] = "100"

from tensorlite import (
    accelerator,
    autograd,
    backends,
    cuda,
    data,
    diagnostics,
    experiments,
    models,
    nn,
    onnx,
    optim,
    train,
    utils,
)
from tensorlite._device import device
from tensorlite._dtype import bool_ as bool  # tl.bool, like torch.bool
from tensorlite._dtype import float32, float64, int64
from tensorlite._size import Size
from tensorlite.autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from tensorlite.config import get_num_threads, set_num_threads, show_config
from tensorlite.creation import (
    arange,
    as_tensor,
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
from tensorlite.ops.out import add, bmm, cat, div, matmul, mm, mul, pow, stack, sub  # with out=
from tensorlite.random import Generator, manual_seed
from tensorlite.serialization import load, save
from tensorlite.tensor import Tensor

float = float32  # torch.float
double = float64
long = int64

# A known torch name missing here raises NotImplementedError naming it (tensorlite.compat).
__getattr__ = _compat.module_getattr("torch", "tensorlite")
