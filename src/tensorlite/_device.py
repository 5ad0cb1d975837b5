"""tl.device and the checks behind every device= argument. This build computes on the CPU only: "cpu"
(or "cpu:0") is accepted everywhere, and an accelerator ("cuda", "cuda:1", "mps", ...) raises RuntimeError
saying that tensorlite was built without it, as PyTorch does for a build without CUDA."""

import re

# the device types PyTorch names; only "cpu" can hold tensors here
KNOWN_TYPES = ("cpu", "cuda", "mps", "xpu", "xla", "meta", "hip", "mtia", "hpu", "ipu", "privateuseone")
_DEVICE_STRING = re.compile(r"^([a-z]+)(?::(\d+))?$")


class device:  # lower case: torch.device's spelling
    """A device: a type ("cpu", "cuda", ...) and an optional index. device("cuda:1"), device("cuda", 1),
    device(other_device). Constructing one never fails for a known type; using an accelerator does."""

    __slots__ = ("_index", "_type")

    def __init__(self, type, index=None):  # `type` shadows the builtin: PyTorch's argument name
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device: an index cannot be given together with a device")
            type, index = type.type, type.index
        elif isinstance(type, str):
            match = _DEVICE_STRING.match(type)
            if match is None or match.group(1) not in KNOWN_TYPES:
                raise RuntimeError(
                    f"device: invalid device string {type!r}; expected one of {', '.join(KNOWN_TYPES)}, "
                    "optionally followed by :index (e.g. 'cpu', 'cuda:0')"
                )
            if match.group(2) is not None:
                if index is not None:
                    raise RuntimeError(f"device: type {type!r} already holds an index; got index={index}")
                index = int(match.group(2))
            type = match.group(1)
        else:
            raise TypeError(f"device: expected a string or a device, got {type!r}")
        if index is not None and (not isinstance(index, int) or isinstance(index, bool) or index < 0):
            raise RuntimeError(f"device: index must be a non-negative int, got {index!r}")
        self._type, self._index = type, index

    @property
    def type(self):
        """The device type as a string ("cpu", "cuda", ...)."""
        return self._type

    @property
    def index(self):
        """The device index, or None when not given."""
        return self._index

    def __eq__(self, other):
        return isinstance(other, device) and (self._type, self._index) == (other._type, other._index)

    def __hash__(self):
        return hash((self._type, self._index))

    def __str__(self):
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __repr__(self):
        index = "" if self._index is None else f", index={self._index}"
        return f"device(type='{self._type}'{index})"

    def __reduce__(self):
        return device, (self._type, self._index)


CPU = device("cpu")


def is_device_like(value):
    """Whether `value` names a device (a device, or a string such as "cpu" or "cuda:0") rather than a dtype."""
    if isinstance(value, device):
        return True
    if isinstance(value, str):
        match = _DEVICE_STRING.match(value)
        return match is not None and match.group(1) in KNOWN_TYPES
    return False


def check_device(value, where):
    """The CPU device for value None, "cpu", "cpu:0" or device("cpu"); RuntimeError for an accelerator."""
    if value is None:
        return CPU
    if isinstance(value, int) and not isinstance(value, bool):
        refuse_cuda(where, f"cuda:{value}")  # PyTorch reads a bare int as an accelerator index
    dev = device(value)
    if dev.type == "cpu":
        if dev.index not in (None, 0):
            raise RuntimeError(f"{where}: there is one CPU device (cpu or cpu:0), got {dev}")
        return CPU
    if dev.type == "cuda":
        refuse_cuda(where, dev)
    raise RuntimeError(
        f"tensorlite was built without {dev.type} support: {where} cannot use device {str(dev)!r}; use 'cpu'"
    )


def refuse_cuda(where, dev="cuda"):
    """Raise the RuntimeError for a CUDA request (torch's "Torch not compiled with CUDA enabled")."""
    raise RuntimeError(
        f"tensorlite was built without CUDA: {where} cannot use device {str(dev)!r}; use 'cpu' (e.g. "
        "device = 'cuda' if tl.cuda.is_available() else 'cpu')"
    )
