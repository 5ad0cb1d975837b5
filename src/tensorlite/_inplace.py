"""In-place writes and the version counter that lets backward notice them.

Every storage has one counter, shared by all tensors that view its memory (views made by ops, detach(),
.data); each in-place write through any of them bumps it. An op records its inputs' counters and values,
and backward raises if one changed, because the values the op saved for its gradient are then stale."""

import numpy as np

from tensorlite.autograd.grad_mode import is_grad_enabled


class _VersionCounter:
    """The number of in-place writes to one storage (a mutable int shared by reference)."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


class InplaceMethods:
    """The in-place methods of Tensor (`_array` is its ndarray, `_ver` its storage's _VersionCounter)."""

    @property
    def _version(self):
        """How many in-place writes this tensor's memory has had (through any tensor viewing it)."""
        return self._ver.value

    def _bump_version(self):
        """Count an in-place write made outside these methods (optimizer kernels, state loading, init)."""
        self._ver.value += 1

    def _check_inplace(self):
        """Refuse in-place writes that autograd cannot follow; count the others in the shared counter."""
        if self.requires_grad and is_grad_enabled():
            kind = "a leaf tensor that requires grad" if self.is_leaf else "a tensor that is part of a graph"
            raise RuntimeError(f"in-place operation on {kind}; wrap it in tl.no_grad() or use detach()")
        if not self._array.flags.writeable:
            raise RuntimeError(
                "in-place operation on a read-only tensor (an expand() result, whose elements share memory, "
                "or a read-only array); clone() it first"
            )
        self._ver.value += 1

    def _inplace(self, op, other):
        other = other._array if isinstance(other, InplaceMethods) else other
        result = np.asarray(op(self._array, other))
        if result.shape != self.shape:
            raise ValueError(f"in-place operation: result shape {result.shape} does not match {self.shape}")
        if not np.can_cast(result.dtype, self.dtype, casting="same_kind"):
            raise TypeError(
                f"in-place operation: the result (dtype {result.dtype}) cannot be stored in a tensor "
                f"of dtype {self.dtype}"
            )
        self._check_inplace()
        self._array[...] = result
        return self

    def __iadd__(self, other):
        return self._inplace(np.add, other)

    def __isub__(self, other):
        return self._inplace(np.subtract, other)

    def __imul__(self, other):
        return self._inplace(np.multiply, other)

    def __itruediv__(self, other):
        return self._inplace(np.true_divide, other)

    def add_(self, other, *, alpha=1):
        """self += alpha * other, in place."""
        return self._inplace(np.add, other if alpha == 1 else _scaled(other, alpha))

    def sub_(self, other, *, alpha=1):
        """self -= alpha * other, in place."""
        return self._inplace(np.subtract, other if alpha == 1 else _scaled(other, alpha))

    def mul_(self, other):
        """self *= other, in place."""
        return self._inplace(np.multiply, other)

    def div_(self, other):
        """self /= other, in place."""
        return self._inplace(np.true_divide, other)

    def zero_(self):
        """Fill with zeros in place."""
        self._check_inplace()
        self._array[...] = 0
        return self

    def fill_(self, value):
        """Fill with `value` in place."""
        self._check_inplace()
        self._array[...] = value
        return self

    def copy_(self, src):
        """Copy `src`'s values into this tensor in place (broadcasting)."""
        self._check_inplace()
        self._array[...] = src._array if isinstance(src, InplaceMethods) else src
        return self


def _scaled(other, alpha):
    """alpha * other as an array (other a tensor, array or number)."""
    return np.multiply(other._array if isinstance(other, InplaceMethods) else other, alpha)
