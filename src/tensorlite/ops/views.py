"""View-style ops PyTorch scripts lean on: t() (2-D transpose), narrow() (a slice along one dimension) and
contiguous() (a C-ordered copy when the memory is not already in that order)."""

import numbers

from tensorlite.ops._util import as_tensor
from tensorlite.ops.elementwise import clone
from tensorlite.ops.shape import getitem, transpose


def t(input):
    """The transpose of a tensor of at most 2 dimensions: out[i, j] = input[j, i]; 0-d and 1-d tensors
    come back unchanged (torch.t). A view: it shares memory and the version counter."""
    x = as_tensor(input)
    if x.ndim > 2:
        raise ValueError(
            f"t: expects a tensor with <= 2 dimensions, got {x.ndim} (shape {x.shape}); use transpose"
        )
    return transpose(x, 0, 1) if x.ndim == 2 else x


def narrow(input, dim, start, length):
    """input sliced along `dim` to the indices start .. start + length - 1 (a view, differentiable), as
    torch.narrow: out = input[..., start:start + length, ...]. A negative start counts from the end;
    start may be a 0-d integer tensor."""
    x = as_tensor(input)
    if x.ndim == 0:
        raise IndexError("narrow: cannot narrow a 0-d tensor")
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or not -x.ndim <= dim < x.ndim:
        raise IndexError(f"narrow: dim {dim!r} is out of range for a tensor of shape {x.shape}")
    dim = int(dim) % x.ndim
    start = start.item() if hasattr(start, "item") and getattr(start, "ndim", 1) == 0 else start
    for name, value in (("start", start), ("length", length)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"narrow: {name} must be an int, got {value!r}")
    size = x.shape[dim]
    if not -size <= start <= size:
        raise IndexError(f"narrow: start {start} is out of range for dimension {dim} of size {size}")
    start = int(start) % size if start < 0 else int(start)
    if length < 0 or start + length > size:
        raise ValueError(
            f"narrow: start ({start}) + length ({length}) must lie within dimension {dim} of size {size}"
        )
    key = (slice(None),) * dim + (slice(start, start + int(length)),)
    return getitem(x, key)


def contiguous(input):
    """input itself when its memory is already in C (row-major) order, else a C-ordered copy that stays
    in the graph (the gradient passes through), as torch.Tensor.contiguous."""
    x = as_tensor(input)
    return x if x._array.flags.c_contiguous else clone(x)


def is_contiguous(input):
    """Whether the tensor's memory is in C (row-major) order (transposes and strided slices are not)."""
    return bool(as_tensor(input)._array.flags.c_contiguous)
