"""Clear errors for PyTorch names tensorlite does not have yet.

A script written for PyTorch that reaches a missing name through `import tensorlite as torch` should be
told which torch name is missing, not get an AttributeError from deep inside. Each torch-style module
sets `__getattr__ = compat.module_getattr("torch.nn", "tensorlite.nn")` (Python calls a module's `__getattr__` only when
normal lookup misses, so existing attributes cost nothing); `Tensor.__getattr__` does the same for
`torch.Tensor.*`. A name in `torch_names.txt` that tensorlite lacks raises `NotImplementedInTensorlite`;
any other missing name raises a plain AttributeError.
"""

from pathlib import Path

_NAMES_FILE = Path(__file__).with_name("torch_names.txt")
_known = None


def known_names():
    """The set of full torch names listed in torch_names.txt (read once, on the first miss)."""
    global _known
    if _known is None:
        lines = _NAMES_FILE.read_text(encoding="utf-8").splitlines()
        _known = frozenset(s.strip() for s in lines if s.strip() and not s.startswith("#"))
    return _known


class NotImplementedInTensorlite(NotImplementedError, AttributeError):
    """A known torch name tensorlite lacks.

    Also an AttributeError, because `hasattr(obj, name)` and `getattr(obj, name, default)` catch only
    AttributeError: feature checks such as `hasattr(torch, "compile")` must keep returning False.
    """


def missing(qualified, owner, name):
    """The exception for `owner.name` not found, where `qualified` is its torch name."""
    if qualified in known_names():
        return NotImplementedInTensorlite(
            f"{qualified} is not implemented in tensorlite yet (see docs/pytorch-compat.md)"
        )
    return AttributeError(f"{owner} has no attribute {name!r}")


def module_getattr(torch_name, module_name):
    """A module-level `__getattr__` for the module that stands in for `torch_name` (e.g. "torch.nn")."""

    def __getattr__(name):
        raise missing(f"{torch_name}.{name}", f"module {module_name!r}", name)

    return __getattr__
