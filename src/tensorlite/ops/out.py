"""`out=` for the torch-level functions (tl.add(a, b, out=c), tl.matmul(a, b, out=c), ...), as PyTorch.

The result is computed as usual and then written into `out`, which is returned. As in PyTorch: functions
with out= do not support autograd, so RuntimeError when an input or `out` requires grad while grad mode
is on (under tl.no_grad() it works); the write counts as an in-place write of `out` (its version goes up);
the result must be castable to out's dtype without changing kind (float into an int `out` raises,
int into a float one is fine); an `out` of another shape is resized to the result's shape, silently when
it is empty and with a UserWarning otherwise (PyTorch deprecates resizing a non-empty out). Only these
module-level functions take out=; Tensor methods and operators do not, so their cost is unchanged.
"""

import functools
import warnings

import numpy as np

from tensorlite import ops as _ops
from tensorlite.autograd.grad_mode import is_grad_enabled
from tensorlite.tensor import Tensor

_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}  # bool < integer < floating, PyTorch's casting categories


def write_out(name, result, out):
    """Store `result` (a Tensor) into `out` as PyTorch's out= does and return `out`."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): out must be a Tensor, got {type(out).__name__}")
    if is_grad_enabled() and (result.requires_grad or out.requires_grad):
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic differentiation, but one "
            "of the arguments requires grad (compute without out=, or under tl.no_grad())"
        )
    if _KIND_RANK[result.dtype.kind] > _KIND_RANK[out.dtype.kind]:
        raise TypeError(
            f"{name}(): result type {result.dtype} can't be cast to the desired output type {out.dtype}"
        )
    out._check_inplace()
    if out.shape == result.shape:
        out._array[...] = result._array
        return out
    if out._array.size:
        warnings.warn(
            f"{name}(): an output with one or more elements was resized since it had shape {tuple(out.shape)}, "
            f"which does not match the required output shape {tuple(result.shape)} (as in PyTorch, where "
            "this is deprecated)",
            UserWarning,
            stacklevel=3,
        )
    out._array = np.array(result._array, dtype=out.dtype)  # new memory: views of the old one keep it
    return out


def _with_out(fn, name):
    """fn (PyTorch's function `name`) with a keyword-only `out=` argument."""

    @functools.wraps(fn)
    def with_out(*args, out=None, **kwargs):
        result = fn(*args, **kwargs)
        return result if out is None else write_out(name, result, out)

    with_out.__doc__ = (
        f"{fn.__doc__}\n\nWith out=, the result is written into that tensor (tensorlite.ops.out)."
    )
    return with_out


add = _with_out(_ops.add, "add")
sub = _with_out(_ops.sub, "sub")
mul = _with_out(_ops.mul, "mul")
div = _with_out(_ops.div, "div")
pow = _with_out(_ops.pow, "pow")
matmul = _with_out(_ops.matmul, "matmul")
mm = _with_out(_ops.mm, "mm")
bmm = _with_out(_ops.bmm, "bmm")
cat = _with_out(_ops.cat, "cat")
stack = _with_out(_ops.stack, "stack")
