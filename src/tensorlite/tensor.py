"""Tensor: a NumPy array plus what autograd needs (requires_grad, grad, the op that made it, and a version
counter shared with every tensor that views the same memory)."""

import sys

import numpy as np

from tensorlite import _C, _dtype, compat
from tensorlite._conversion import ConversionMethods
from tensorlite._inplace import InplaceMethods, _refuse_grad_operand, _VersionCounter
from tensorlite._new_methods import NewTensorMethods


def _to_array(data, dtype=None):
    """Convert user data (nested lists, scalars, arrays, tensors) to a NumPy array of a supported dtype
    (the conversion rules are listed in _dtype)."""
    if isinstance(data, Tensor):
        data = data._array
    return _dtype.convert(data, _dtype.as_dtype(dtype))


# From Python 3.14 the interpreter may borrow references instead of counting them, so a reference count
# no longer proves that nothing else holds an array (nor does a free-threaded build): there every first
# gradient is copied.
_COUNTS_EVERY_REFERENCE = sys.version_info < (3, 14) and getattr(sys, "_is_gil_enabled", lambda: True)()


def _sole_reference(array):
    """True when `array` (passed on by the autograd engine, which holds one reference, plus this call's
    argument) is writeable and no other Python object refers to it or to the array whose memory it views."""
    if not _COUNTS_EVERY_REFERENCE:
        return False
    if sys.getrefcount(array) > 4 or not array.flags.writeable:  # engine local, two arguments, getrefcount
        return False
    base = array.base
    # The array owns its memory: NumPy's, or a kernel output's block whose capsule only this array holds.
    if base is None or _C.is_block_owner(base):
        return True
    # A view's base is the array owning the memory (NumPy collapses chains of views, up to a kernel output
    # whose base is its block's capsule); only the view may hold it (references: the view, `base`,
    # getrefcount's argument).
    owner = type(base) is np.ndarray and (base.base is None or _C.is_block_owner(base.base))
    return owner and sys.getrefcount(base) <= 3


class Tensor(ConversionMethods, InplaceMethods, NewTensorMethods):
    """An n-dimensional array that can record the ops applied to it for reverse-mode autodiff."""

    __array_priority__ = 1000  # make ndarray (op) Tensor defer to Tensor's reflected operators
    _hooks = ()  # gradient hooks; register_hook gives a tensor its own list (most tensors never have one)

    def __init__(self, data, dtype=None, requires_grad=False):
        self._array = np.array(_to_array(data, dtype), copy=True)
        self._ver = _VersionCounter()
        self._node = None
        self.grad = None
        self.requires_grad = requires_grad

    def __getattr__(self, name):
        """Called only when normal lookup misses: a torch.Tensor name tensorlite lacks raises
        NotImplementedError (also an AttributeError), anything else a plain AttributeError."""
        raise compat.missing(f"torch.Tensor.{name}", "'Tensor' object", name)

    @classmethod
    def _wrap(cls, array, requires_grad=False, node=None, version=None):
        """Wrap an array without copying (internal constructor used by ops); `version` is the counter
        of the storage it views, None for fresh memory."""
        t = _new(cls)
        t._array = array
        t._ver = _VersionCounter() if version is None else version
        t._node = node
        t._grad = None
        t._requires_grad = bool(requires_grad)
        return t

    def _view(self, array):
        """A graph-free tensor for `array`, sharing this tensor's version counter when `array` may share
        its memory (a view), so that writes through either are counted once for both."""
        shared = np.may_share_memory(array, self._array)
        return Tensor._wrap(array, version=self._ver if shared else None)

    # ------------------------------------------------------------------ attributes
    @property
    def data(self):
        """This tensor's memory as a tensor outside the graph (requires_grad False); it shares the memory
        and the version counter, so in-place writes through it make backward raise like any other."""
        return Tensor._wrap(self._array, version=self._ver)

    @data.setter
    def data(self, value):
        """Make this tensor use `value`'s memory: a Tensor's (with its version counter) or an array's."""
        if isinstance(value, Tensor):
            array, version = value._array, value._ver
        else:
            array, version = _to_array(value), _VersionCounter()
        if self._requires_grad and not _dtype.is_floating(array.dtype):
            raise TypeError(f"data: a tensor that requires grad needs floating-point data, got {array.dtype}")
        self._array, self._ver = array, version

    @property
    def dtype(self):
        """The element type (a NumPy dtype: tl.float32, tl.float64, tl.int64 or tl.bool)."""
        return self._array.dtype

    @property
    def ndim(self):
        """Number of dimensions."""
        return self._array.ndim

    def dim(self):
        """Number of dimensions (PyTorch spelling)."""
        return self._array.ndim

    @property
    def requires_grad(self):
        """Whether ops on this tensor are recorded so that gradients flow back to it."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        flag = bool(flag)
        if flag and not _dtype.is_floating(self._array.dtype):
            raise TypeError(f"only floating-point tensors can require gradients, got dtype {self.dtype}")
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
        """The underlying NumPy array (shares memory; as in PyTorch, writes through it bypass the version
        counter, so use tensor methods or .data to change values a graph may have used). Unlike PyTorch it
        also serves a tensor that requires grad, as detach().numpy() would (docs/pytorch-compat.md)."""
        return self._array

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._array.size != 1:
            raise ValueError(f"item(): only one-element tensors can be converted, got shape {self.shape}")
        return self._array.reshape(-1)[0].item()

    def tolist(self):
        """The data as (nested) Python lists."""
        return self._array.tolist()

    def detach(self):
        """A tensor sharing this memory and its version counter but cut from the graph."""
        return Tensor._wrap(self._array, version=self._ver)

    def clone(self):
        """A copy of the data that stays in the graph (gradient flows back unchanged)."""
        return _ops.clone(self)

    def where(self, condition, other):
        """self where condition is true, else other (torch.Tensor.where)."""
        return _ops.where(condition, self, other)

    def __array__(self, dtype=None, copy=None):
        # NumPy 2 protocol: copy=True must return new memory, copy=False must refuse to copy.
        if copy is False and dtype is not None and np.dtype(dtype) != self._array.dtype:
            raise ValueError(
                f"cannot convert a {self._array.dtype} tensor to {np.dtype(dtype)} without a copy"
            )
        array = self._array if dtype is None else self._array.astype(dtype, copy=False)
        return array.copy() if copy and array is self._array else array

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._array.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._array.shape[0]))

    def __bool__(self):
        if self._array.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self._array.size} elements is ambiguous")
        return bool(self._array.reshape(-1)[0])

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.dtype.kind not in "iu" or self._array.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __repr__(self):
        body = np.array2string(self._array, separator=", ", prefix="tensor(", precision=4)
        extras = []
        if self._array.size == 0 and self.ndim != 1:
            extras.append(f"size={tuple(self._array.shape)}")
        inferred = (
            (_dtype.float32,) if self._array.size == 0 else (_dtype.float32, _dtype.int64, _dtype.bool_)
        )
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
        if type(self._hooks) is tuple:
            self._hooks = []
        self._hooks.append(hook)
        return _HookHandle(self._hooks, hook)

    def _accumulate_grad(self, grad):
        if self._grad is None:
            # The first gradient is kept without a copy when nothing else can reach its memory (as
            # PyTorch's AccumulateGrad steals a gradient nobody else holds): a copy of a large gradient
            # costs as much as a whole batch-norm backward pass.
            if not _sole_reference(grad) or grad.dtype != self._array.dtype:
                grad = np.array(grad, dtype=self.dtype, copy=True)
            self._grad = Tensor._wrap(grad)
        else:
            self._grad._array = self._grad._array + grad

    # ------------------------------------------------------------------ in-place updates (see _inplace.py)
    def __setitem__(self, index, value):
        _refuse_grad_operand(value)  # as copy_(): the write is not recorded, so its gradient would be lost
        self._check_inplace()
        self._array[_ops.index_key(index)] = value._array if isinstance(value, Tensor) else value

    # ------------------------------------------------------------------ operators
    def __radd__(self, other):
        return _ops.add(other, self)

    def __rsub__(self, other):
        return _ops.sub(other, self)

    def __rmul__(self, other):
        return _ops.mul(other, self)

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


_new = object.__new__


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
    # The most frequent operators are the ops themselves, (self, other) in that order: one Python call
    # fewer per op than a method that forwards to them (the reflected forms below swap the operands).
    Tensor.__add__, Tensor.__sub__, Tensor.__mul__ = _ops.add, _ops.sub, _ops.mul
    Tensor.__truediv__, Tensor.__matmul__ = _ops.div, _ops.matmul


from tensorlite import ops as _ops

_install_methods()
