"""tl.nn.parallel: what torch.nn.parallel does on a machine without GPUs, where tensorlite always is.

PyTorch's DataParallel and data_parallel split a batch over GPUs; with no GPU available they simply run
the module on the inputs they were given, and so do these (device_ids and output_device are accepted and,
as in PyTorch without GPUs, not used). DataParallel keeps the wrapped module as `.module`, so its
state_dict keys start with "module." exactly as PyTorch's do.
"""

from tensorlite import compat as _compat
from tensorlite.nn.module import Module


class DataParallel(Module):
    """Runs `module` on the whole input: out = module(*inputs, **kwargs) (PyTorch's behaviour without
    GPUs). `dim` must be an int, as in PyTorch, though there is nothing to scatter along it."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel: module must be an nn.Module, got {type(module).__name__}")
        if isinstance(dim, bool) or not isinstance(dim, int):
            raise TypeError(f"DataParallel: dim must be an int, got {dim!r}")
        self.module = module
        self.device_ids = []  # PyTorch's value when no GPU is available
        self.output_device = None
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    """module(*inputs, **module_kwargs) — PyTorch's data_parallel without GPUs. `inputs` is one input or
    a tuple of them (None for none)."""
    if not isinstance(inputs, tuple):
        inputs = () if inputs is None else (inputs,)
    return module(*inputs, **(module_kwargs or {}))


__all__ = ["DataParallel", "data_parallel"]

# DistributedDataParallel and other known torch.nn.parallel names raise NotImplementedError naming them.
__getattr__ = _compat.module_getattr("torch.nn.parallel", "tensorlite.nn.parallel")
