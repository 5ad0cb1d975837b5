"""Tensor: a NumPy array plus what autograd needs (requires_grad, grad, the op that made it)."""

import numpy as np

from tensorlite import _dtype
from tensorlite.autograd.grad_mode import is_grad_enabled


def _to_array(data, dtype=None):
    """Convert user data (nested lists, scalars, arrays, tensors) to a NumPy array of a supported dtype
    (the conversion rules are listed in _dtype)."""
    if isinstance(data, Tensor):
        data = data.data
    return _dtype.convert(data, _dtype.as_dtype(dtype))


class Tensor:
    """An n-dimensional array that can record the ops applied to it for reverse-mode autodiff."""

    __array_priority__ = 1000  # make ndarray (op) Tensor defer to Tensor's reflected operators

    def __init__(self, data, dtype=None, requires_grad=False):
        self.data = np.array(_to_array(data, dtype), copy=True)
        self._node = None
        self._hooks = []
        self._version = 0
        self.grad = None
        self.requires_grad = requires_grad

    @classmethod
    def _wrap(cls, array, requires_grad=False, node=None):
        """Wrap an array without copying (internal constructor used by ops)."""
        t = cls.__new__(cls)
        t.data = array
        t._node = node
        t._hooks = []
        t._version = 0
        t._grad = None
        t._requires_grad = bool(requires_grad)
        return t

    # ------------------------------------------------------------------ attributes
    @property
    def shape(self):
        """The shape as a tuple of ints."""
        return self.data.shape

    @property
    def dtype(self):
        """The element type (a NumPy dtype: tl.float32, tl.float64, tl.int64 or tl.bool)."""
        return self.data.dtype

    @property
    def ndim(self):
        """Number of dimensions."""
        return self.data.ndim

    @property
    def size(self):
        """Number of elements (same as numel())."""
        return self.data.size

    def numel(self):
        """Number of elements."""
        return self.data.size

    def dim(self):
        """Number of dimensions (PyTorch spelling)."""
        return self.data.ndim

    @property
    def requires_grad(self):
        """Whether ops on this tensor are recorded so that gradients flow back to it."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        flag = bool(flag)
        if flag and not _dtype.is_floating(self.data.dtype):
            raise TypeError(f"only floating-point tensors can require gradients, got dtype {self.data.dtype}")
        if not flag and self._node is not None:
            raise RuntimeError("requires_grad can only be turned off on leaf tensors; use detach()")
        self._requires_grad = flag

    def requires_grad_(self, requires_grad=True):
        """Set requires_grad in place and return self."""
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self):
        """The accumulated gradient (a Tensor) of a leaf after backward(), else None."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad must be a Tensor or None, got {type(value).__name__}")
            if value.shape != self.shape:
                raise ValueError(f"grad has shape {value.shape} but the tensor has shape {self.shape}")
        self._grad = value

    @property
    def is_leaf(self):
        """True for tensors created by the user rather than by an op that recorded a graph."""
        return self._node is None

    @property
    def grad_fn(self):
        """The op (Function) that created this tensor, or None for a leaf."""
        return self._node

    @property
    def T(self):
        """The tensor with its dimensions reversed."""
        return self.permute(*reversed(range(self.ndim)))

    # ------------------------------------------------------------------ conversion
    def numpy(self):
        """The underlying NumPy array (shares memory)."""
        return self.data

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item(): only one-element tensors can be converted, got shape {self.shape}")
        return self.data.reshape(-1)[0].item()

    def tolist(self):
        """The data as (nested) Python lists."""
        return self.data.tolist()

    def detach(self):
        """A tensor sharing this data but cut from the graph."""
        return Tensor._wrap(self.data)

    def clone(self):
        """A copy of the data that stays in the graph (gradient flows back unchanged)."""
        return _ops.clone(self)

    def astype(self, dtype):
        """This tensor converted to `dtype` (differentiable between float dtypes)."""
        return _ops.cast(self, _dtype.as_dtype(dtype))

    to = astype

    def float(self):
        """Converted to float32."""
        return self.astype(_dtype.float32)

    def double(self):
        """Converted to float64."""
        return self.astype(_dtype.float64)

    def long(self):
        """Converted to int64."""
        return self.astype(_dtype.int64)

    def where(self, condition, other):
        """self where condition is true, else other (torch.Tensor.where)."""
        return _ops.where(condition, self, other)

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self.data.size} elements is ambiguous")
        return bool(self.data.reshape(-1)[0])

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4)
        extras = []
        if self.data.size == 0 and self.ndim != 1:
            extras.append(f"size={self.shape}")
        inferred = (_dtype.float32,) if self.data.size == 0 else (_dtype.float32, _dtype.int64, _dtype.bool_)
        if self.dtype not in inferred:
            extras.append(f"dtype=tensorlite.{self.dtype}")
        if self._node is not None:
            extras.append(f"grad_fn=<{self._node.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    __hash__ = object.__hash__

    # ------------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph=False):
        """Compute gradients of this tensor w.r.t. graph leaves; they accumulate into leaf.grad."""
        from tensorlite.autograd.engine import backward

        backward(self, gradient, retain_graph)

    def register_hook(self, hook):
        """Call hook(grad) when this tensor's gradient is computed; a returned tensor replaces it.

        Returns a handle whose remove() unregisters the hook.
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that does not require grad")
        self._hooks.append(hook)
        return _HookHandle(self._hooks, hook)

    def _accumulate_grad(self, grad):
        if self._grad is None:
            self._grad = Tensor._wrap(np.array(grad, dtype=self.dtype, copy=True))
        else:
            self._grad.data = self._grad.data + grad

    # ------------------------------------------------------------------ in-place updates
    def _check_inplace(self):
        """Refuse in-place writes that autograd cannot follow; count the others in _version, which
        backward compares with the version an op saw (so a changed op input raises, never misleads)."""
        if self.requires_grad and is_grad_enabled():
            kind = "a leaf tensor that requires grad" if self.is_leaf else "a tensor that is part of a graph"
            raise RuntimeError(f"in-place operation on {kind}; wrap it in tl.no_grad() or use detach()")
        self._version += 1

    def _inplace(self, op, other):
        self._check_inplace()
        other = other.data if isinstance(other, Tensor) else other
        result = np.asarray(op(self.data, other))
        if result.shape != self.shape:
            raise ValueError(f"in-place operation: result shape {result.shape} does not match {self.shape}")
        if not np.can_cast(result.dtype, self.dtype, casting="same_kind"):
            raise TypeError(
                f"in-place operation: the result (dtype {result.dtype}) cannot be stored in a tensor of dtype {self.dtype}"
            )
        self.data[...] = result
        return self

    def __iadd__(self, other):
        return self._inplace(np.add, other)

    def __isub__(self, other):
        return self._inplace(np.subtract, other)

    def __imul__(self, other):
        return self._inplace(np.multiply, other)

    def __itruediv__(self, other):
        return self._inplace(np.true_divide, other)

    def __setitem__(self, index, value):
        self._check_inplace()
        self.data[_ops.index_key(index)] = value.data if isinstance(value, Tensor) else value

    def zero_(self):
        """Fill with zeros in place."""
        self._check_inplace()
        self.data[...] = 0
        return self

    def fill_(self, value):
        """Fill with `value` in place."""
        self._check_inplace()
        self.data[...] = value
        return self

    def copy_(self, src):
        """Copy `src`'s values into this tensor in place (broadcasting)."""
        self._check_inplace()
        self.data[...] = src.data if isinstance(src, Tensor) else src
        return self

    # ------------------------------------------------------------------ operators
    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.sub(other, self)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(other, self)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(other, self)

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(other, self)

    def __neg__(self):
        return _ops.neg(self)

    def __abs__(self):
        return _ops.abs(self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    def __eq__(self, other):
        return _ops.eq(self, other)

    def __ne__(self, other):
        return _ops.ne(self, other)

    def __lt__(self, other):
        return _ops.lt(self, other)

    def __le__(self, other):
        return _ops.le(self, other)

    def __gt__(self, other):
        return _ops.gt(self, other)

    def __ge__(self, other):
        return _ops.ge(self, other)

    def __invert__(self):
        return _ops.logical_not(self)


class _HookHandle:
    """Handle returned by register_hook; remove() unregisters the hook."""

    def __init__(self, hooks, hook):
        self._hooks = hooks
        self._hook = hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _install_methods():
    """Expose every op that reads naturally as a method (t.exp(), t.sum(dim=1), ...) on Tensor."""
    for name in _ops.TENSOR_METHODS:
        setattr(Tensor, name, getattr(_ops, name))


from tensorlite import ops as _ops

_install_methods()
