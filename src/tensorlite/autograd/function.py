"""The Function base class: one differentiable op, its forward and backward side by side.

`apply` runs once per op, so it is written as a short straight line: every op pays for it (the per-op
overhead in docs/performance.md)."""

import numpy as np

from tensorlite._inplace import _VersionCounter
from tensorlite.autograd.grad_mode import _state as _grad_state


def _enter_errstate(_unused):
    """np.errstate(all="ignore") entered; returns what _leave_errstate needs to restore the state."""
    state = np.errstate(all="ignore")
    state.__enter__()
    return state


def _leave_errstate(state):
    state.__exit__(None, None, None)


try:
    # NumPy 2 keeps the floating-point error state in a context variable; setting it directly is what
    # np.errstate(all="ignore") does, without building and entering a context-manager object per op
    # (~0.1 µs instead of ~0.9 µs). It is reset after every forward, so the user's settings stand outside
    # ops. (Inside them NumPy's buffer size is the one at import; it affects speed only, never results.)
    from numpy._core._ufunc_config import _extobj_contextvar, _make_extobj

    _QUIET = _make_extobj(all="ignore")
    _enter_quiet, _leave_quiet = _extobj_contextvar.set, _extobj_contextvar.reset
except (ImportError, AttributeError, TypeError):  # NumPy 1.x (or a changed private API): np.errstate
    _QUIET = None
    _enter_quiet, _leave_quiet = _enter_errstate, _leave_errstate


class Function:
    """Base class of every differentiable op.

    Subclasses implement ``forward(*arrays) -> array`` on NumPy arrays and
    ``backward(grad) -> tuple`` returning one gradient (array or None) per input, and may save
    whatever backward needs on ``self``. Non-tensor parameters are passed to ``apply`` as keywords
    and become attributes. Use ``MyOp.apply(*tensors, **params)``. An op whose forward may return a
    view of its first input sets ``returns_view``, so the output shares that input's version counter.
    """

    returns_view = False
    inputs = None  # the input tensors, set when the op is recorded in a graph
    freed = False  # set by backward (without retain_graph) once the saved values are released

    def __init__(self, **params):
        for name, value in params.items():
            setattr(self, name, value)

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    @property
    def name(self):
        """The op's name as shown in error messages."""
        return type(self).__name__

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on tensors, recording it in the graph when any input requires grad."""
        # Most ops have no parameters: skip __init__ (and its **params dict) unless a subclass defines one.
        fn = cls(**params) if params or cls.__init__ is not _base_init else _new(cls)
        # plain loops: cheaper than comprehensions or map() for the one to three inputs of almost every op
        arrays = []
        needs_grad = False
        for t in inputs:
            arrays.append(t._array)
            if t._requires_grad:
                needs_grad = True
        needs_grad = needs_grad and _grad_state.enabled
        token = _enter_quiet(_QUIET)  # IEEE results (inf, nan) without warnings, like PyTorch
        try:
            out = fn.forward(*arrays)
        finally:
            _leave_quiet(token)
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        # a view of input 0 (reshape, permute, basic indexing...) shares its storage's version counter
        if cls.returns_view and np.may_share_memory(out, inputs[0]._array):
            version = inputs[0]._ver
        else:
            version = _VersionCounter()
        result = _new(Tensor)  # Tensor._wrap, inlined: this runs for every op
        result._array, result._ver, result._grad, result._requires_grad = out, version, None, needs_grad
        if needs_grad:
            result._node = fn
            fn.inputs = inputs
            # the counters themselves are kept: after `x.data = y` the op's storage is still the old one
            versions = []
            for t in inputs:
                counter = t._ver
                versions.append((counter, counter.value))
            fn.input_versions = versions
        else:
            result._node = None
        if _apply_hooks:
            for hook in _apply_hooks:
                hook(fn, inputs, result)
        return result


_base_init = Function.__init__
_new = object.__new__

# Callables (fn, inputs, output) run after each op; anomaly detection registers here.
_apply_hooks = []

# last: importing tensorlite.tensor imports the ops, which import this module
from tensorlite.tensor import Tensor
