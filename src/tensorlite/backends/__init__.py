"""tl.backends: the switches torch.backends offers, for scripts that set them. tensorlite has no cuDNN
and no MPS, so those are plain module attributes that change nothing (see cudnn and mps); cpu.benchmark
chooses the CPU kernels by measurement (see cpu)."""

from tensorlite import compat as _compat
from tensorlite.backends import cpu, cudnn, mps

__all__ = ["cpu", "cudnn", "mps"]

__getattr__ = _compat.module_getattr("torch.backends", "tensorlite.backends")
