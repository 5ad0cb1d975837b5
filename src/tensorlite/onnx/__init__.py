"""tl.onnx: tensorlite cannot export ONNX. The module exists so that `import torch.onnx` in a script
works and the export itself fails with a clear NotImplementedError instead of an ImportError."""

from tensorlite import compat as _compat


def export(model, args=(), f=None, *more, **options):
    """Raises NotImplementedError: ONNX export (torch.onnx.export) is not implemented in tensorlite; save
    the weights with tl.save(model.state_dict(), path) instead (a safetensors file)."""
    raise _compat.NotImplementedInTensorlite(
        "torch.onnx.export is not implemented in tensorlite: it cannot write ONNX graphs; save the weights "
        "with tl.save(model.state_dict(), path) (safetensors) instead (see docs/pytorch-compat.md)"
    )


__getattr__ = _compat.module_getattr("torch.onnx", "tensorlite.onnx")
