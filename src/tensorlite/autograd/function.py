"""The Function base class: one differentiable op, its forward and backward side by side."""

import numpy as np

from tensorlite.autograd.grad_mode import is_grad_enabled


class Function:
    """Base class of every differentiable op.

    Subclasses implement ``forward(*arrays) -> array`` on NumPy arrays and
    ``backward(grad) -> tuple`` returning one gradient (array or None) per input, and may save
    whatever backward needs on ``self``. Non-tensor parameters are passed to ``apply`` as keywords
    and become attributes. Use ``MyOp.apply(*tensors, **params)``. An op whose forward may return a
    view of its first input sets ``returns_view``, so the output shares that input's version counter.
    """

    returns_view = False

    def __init__(self, **params):
        for name, value in params.items():
            setattr(self, name, value)
        self.inputs = None
        self.freed = False

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
        from tensorlite.tensor import Tensor

        fn = cls(**params)
        with np.errstate(all="ignore"):  # IEEE results (inf, nan) without warnings, like PyTorch
            out = np.asarray(fn.forward(*(t._array for t in inputs)))
        needs_grad = is_grad_enabled() and any(t.requires_grad for t in inputs)
        # a view of input 0 (reshape, permute, basic indexing...) shares its storage's version counter
        version = inputs[0]._ver if cls.returns_view and np.may_share_memory(out, inputs[0]._array) else None
        result = Tensor._wrap(out, requires_grad=needs_grad, node=fn if needs_grad else None, version=version)
        if needs_grad:
            fn.inputs = inputs
            # the counters themselves are kept: after `x.data = y` the op's storage is still the old one
            fn.input_versions = tuple((t._ver, t._ver.value) for t in inputs)
        for hook in _apply_hooks:
            hook(fn, inputs, result)
        return result


# Callables (fn, inputs, output) run after each op; anomaly detection registers here.
_apply_hooks = []
