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
        _refuse_grad_operand(other)
        other = other._array if isinstance(other, InplaceMethods) else other
        return self._assign(op(self._array, other))

    def _assign(self, result):
        """Write `result` (same shape, a dtype castable to ours) into this tensor after _check_inplace."""
        result = np.asarray(result)
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
        _refuse_grad_operand(value)
        self._check_inplace()
        self._array[...] = value
        return self

    def copy_(self, src, non_blocking=False):
        """Copy `src`'s values into this tensor in place (broadcasting)."""
        _refuse_grad_operand(src)
        self._check_inplace()
        self._array[...] = src._array if isinstance(src, InplaceMethods) else src
        return self

    def clamp_(self, min=None, max=None):
        """Clamp every element into [min, max] in place (either bound may be None)."""
        return self._assign(_ops().clamp(self.detach(), min, max)._array)

    clip_ = clamp_

    def masked_fill_(self, mask, value):
        """Set the elements where the bool mask (broadcast to this shape) is True to `value`, in place."""
        _refuse_grad_operand(value)
        return self._assign(_ops().masked_fill(self.detach(), mask, value)._array)

    def scatter_(self, dim, index, src=None, *, value=None):
        """In-place scatter: self[index[i][j]][j] = src[i][j] for dim 0 (see tl.scatter)."""
        _refuse_grad_operand(src)
        return self._assign(_ops().scatter(self.detach(), dim, index, src, value=value)._array)

    def scatter_add_(self, dim, index, src):
        """In-place scatter_add: self[index[i][j]][j] += src[i][j] for dim 0 (see tl.scatter_add)."""
        _refuse_grad_operand(src)
        return self._assign(_ops().scatter_add(self.detach(), dim, index, src)._array)

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        """Fill with samples from N(mean, std^2) in place."""
        self._require_float("normal_")
        return self._assign(_rng(generator).normal(mean, std, self._array.shape))

    def uniform_(self, a=0.0, b=1.0, *, generator=None, **from_to):
        """Fill with samples from U[a, b) in place (PyTorch's from=/to= keywords are accepted)."""
        self._require_float("uniform_")
        low, high = from_to.pop("from", a), from_to.pop("to", b)
        if from_to:
            raise TypeError(f"uniform_: unexpected keyword argument(s) {', '.join(sorted(from_to))}")
        if low > high:
            raise ValueError(f"uniform_: expected a <= b, got a={low}, b={high}")
        return self._assign(_rng(generator).uniform(low, high, self._array.shape))

    def _require_float(self, name):
        if self._array.dtype.kind != "f":
            raise TypeError(f"{name}: expected a float32 or float64 tensor, got dtype {self._array.dtype}")


def _refuse_grad_operand(other):
    """An in-place write from a tensor that requires grad would need recording in the graph, which
    tensorlite does not do for in-place ops; refuse rather than drop the gradient silently."""
    if isinstance(other, InplaceMethods) and other.requires_grad and is_grad_enabled():
        raise RuntimeError(
            "in-place operation with an operand that requires grad is not recorded for autograd; use the "
            "out-of-place op (e.g. x = x + y) or detach() the operand"
        )


def _ops():
    from tensorlite import ops  # ops import Tensor, which imports this module

    return ops


def _rng(generator):
    from tensorlite.random import rng

    return rng(generator)


def _scaled(other, alpha):
    """alpha * other as an array (other a tensor, array or number)."""
    return np.multiply(other._array if isinstance(other, InplaceMethods) else other, alpha)
