"""The parts of torch.save / torch.load's interface that concern pickling and devices, for scripts that
use them: safe_globals / add_safe_globals, map_location and weights_only.

tensorlite files hold only tensors and plain values (safetensors plus a JSON record) and nothing is ever
unpickled, so there are no classes or functions to allow: safe_globals and add_safe_globals accept the
same arguments as PyTorch's and do nothing, and weights_only changes nothing (every load is already
weights-only). Tensors always load on the CPU, the one device here.
"""

from tensorlite._device import check_device

_added = []  # what add_safe_globals was given, so get_safe_globals answers as PyTorch's does


def add_safe_globals(safe_globals):
    """Record `safe_globals` (a list of classes/functions, or (obj, name) pairs) as PyTorch does for its
    weights-only unpickler. No effect on loading here: tensorlite never unpickles."""
    if not isinstance(safe_globals, (list, tuple)):
        raise TypeError(f"add_safe_globals: expected a list, got {type(safe_globals).__name__}")
    _added.extend(safe_globals)


def get_safe_globals():
    """The objects passed to add_safe_globals so far."""
    return list(_added)


def clear_safe_globals():
    """Forget the objects passed to add_safe_globals."""
    _added.clear()


class safe_globals:  # lower case: torch.serialization.safe_globals' spelling
    """Context manager that allows `safe_globals` for the weights-only unpickler while it is active, in
    PyTorch. No effect here (tensorlite never unpickles); accepted so that scripts using it run."""

    def __init__(self, safe_globals):
        if not isinstance(safe_globals, (list, tuple)):
            raise TypeError(f"safe_globals: expected a list, got {type(safe_globals).__name__}")
        self.safe_globals = list(safe_globals)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False


def check_load_options(map_location, weights_only):
    """Validate tl.load's torch-style keywords: map_location None, "cpu", tl.device("cpu") or a dict whose
    targets are the CPU (all load on the CPU; "cuda" raises the built-without-CUDA RuntimeError);
    weights_only None, True or False (the same load either way)."""
    if isinstance(map_location, dict):
        for target in map_location.values():
            check_device(target, "tl.load(map_location=...)")
    elif callable(map_location) and not isinstance(map_location, str):
        raise TypeError(
            "tl.load: map_location as a function is not supported (there are no storages to remap: every "
            "tensor loads on the CPU); pass None, 'cpu' or tl.device('cpu')"
        )
    else:
        check_device(map_location, "tl.load(map_location=...)")
    if weights_only not in (None, True, False):
        raise TypeError(f"tl.load: weights_only must be a bool or None, got {weights_only!r}")
