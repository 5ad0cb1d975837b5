"""tl.backends: the switches torch.backends offers, for scripts that set them. tensorlite has no cuDNN
and no MPS, so these are plain module attributes that change nothing (see cudnn and mps)."""

from tensorlite import compat as _compat
from tensorlite.backends import cudnn, mps

__all__ = ["cudnn", "mps"]

__getattr__ = _compat.module_getattr("torch.backends", "tensorlite.backends")
