"""The parts of torch.save / torch.load's interface that concern allowed globals and devices:
safe_globals / add_safe_globals, map_location and weights_only.

A whole-object file names the classes of its objects and the functions/classes it references (see
_objects). As in PyTorch 2.6+, tl.load with weights_only True (or None, the default) rebuilds such a file
only when every name is allowed: by add_safe_globals([...]) or inside `with safe_globals([...])`, each
entry a class/function (allowed by identity, under its own module and qualified name) or an
(obj, "module.qualname") pair (the name in the file stands for obj). Nothing is ever unpickled, so this
decides only which classes may be instantiated and which globals referenced, never which code runs.
Tensors always load on the CPU, the one device here.
"""

import pickle

from tensorlite._device import check_device

_added = []  # what add_safe_globals was given, so get_safe_globals answers as PyTorch's does
_scoped = []  # what the active safe_globals contexts allow, innermost last


class UnpicklingError(pickle.UnpicklingError, ValueError):
    """A file names a class or global that this load does not allow. PyTorch raises
    pickle.UnpicklingError here; this is one (and a ValueError, this project's error for bad input)."""


def _checked(safe_globals, who):
    """The entries as a list, each a named object or an (obj, str) pair (TypeError otherwise)."""
    if not isinstance(safe_globals, (list, tuple)):
        raise TypeError(f"{who}: expected a list, got {type(safe_globals).__name__}")
    for entry in safe_globals:
        if isinstance(entry, tuple):
            if len(entry) != 2 or not isinstance(entry[1], str):
                raise TypeError(f"{who}: a tuple entry must be (obj, 'module.qualname'), got {entry!r}")
        elif not isinstance(getattr(entry, "__module__", None), str) or not hasattr(entry, "__qualname__"):
            raise TypeError(f"{who}: {entry!r} has no __module__ and __qualname__; pass (obj, 'name')")
    return list(safe_globals)


def add_safe_globals(safe_globals):
    """Allow the classes/functions in `safe_globals` (a list; (obj, "module.qualname") pairs too) in
    every later weights-only tl.load, as torch.serialization.add_safe_globals."""
    _added.extend(_checked(safe_globals, "add_safe_globals"))


def get_safe_globals():
    """What weights-only loads allow now, as torch.serialization.get_safe_globals: the entries passed to
    add_safe_globals and those of the active safe_globals contexts, each once."""
    unique = []
    for entry in _added + [e for scope in _scoped for e in scope]:
        if entry not in unique:  # by equality: a (obj, name) pair's obj need not be hashable
            unique.append(entry)
    return unique


def clear_safe_globals():
    """Forget the objects passed to add_safe_globals."""
    _added.clear()


class safe_globals:  # lower case: torch.serialization.safe_globals' spelling
    """Context manager: allow `safe_globals` (as add_safe_globals) in weights-only loads inside the
    `with` block only."""

    def __init__(self, safe_globals):
        self.safe_globals = _checked(safe_globals, "safe_globals")

    def __enter__(self):
        _scoped.append(self.safe_globals)
        return self

    def __exit__(self, *exc_info):
        _scoped.remove(self.safe_globals)
        return False


def allowed_globals():
    """{"module.qualname": obj} for everything add_safe_globals and the active contexts allow."""
    allowed = {}
    for entry in get_safe_globals():
        obj, name = entry if isinstance(entry, tuple) else (entry, f"{entry.__module__}.{entry.__qualname__}")
        allowed[name] = obj
    return allowed


def refusal(kind, name):
    """PyTorch's weights-only refusal, for a class or global `name` that the file names."""
    return UnpicklingError(
        "Weights only load failed. This file can still be loaded, to do so you have two options, do those "
        "steps only if you trust the source of the checkpoint.\n"
        "\t(1) Re-running tl.load with weights_only=False will likely succeed; it imports the modules the "
        "file names and creates objects of the classes it names (without calling __init__). Do it only if "
        "you got the file from a trusted source.\n"
        "\t(2) Alternatively, to load with weights_only=True allow the class/function:\n"
        f"\tUnsupported {kind}: {name} was not an allowed global by default. Please use "
        f"`tl.serialization.add_safe_globals([{name}])` or the `tl.serialization.safe_globals([{name}])` "
        "context manager to allowlist this global if you trust this class/function."
    )


def check_load_options(map_location, weights_only):
    """Validate tl.load's torch-style keywords: map_location None, "cpu", tl.device("cpu") or a dict whose
    targets are the CPU (all load on the CPU; "cuda" raises the built-without-CUDA RuntimeError);
    weights_only None, True or False."""
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
