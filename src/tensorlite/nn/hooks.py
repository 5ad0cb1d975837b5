"""Module backward hooks: identity ops around a module call that report dL/d(output) and dL/d(inputs)."""

from tensorlite.autograd.function import Function
from tensorlite.tensor import Tensor

_OUTPUT = "output"


class _HookIdentity(Function):
    """z = x;  dx = g, shown to the module's backward hooks on the way through."""

    def forward(self, x):
        return x

    def backward(self, grad):
        return (self.call.receive(self.slot, grad),)


class BackwardHookCall:
    """Bookkeeping for one call of a module that has full backward hooks.

    The module's tensor inputs and its output pass through identity ops. In backward the output's
    identity runs first (it is downstream of everything the module computed) and records grad_output;
    the hooks fire when the last input that requires grad has received its gradient, or right away
    when no input requires grad (grad_input is then all None, as in PyTorch).
    """

    def __init__(self, module, hooks):
        self.module = module
        self.hooks = hooks
        self.num_inputs = 0
        self.input_slots = []
        self.grad_input = []
        self.grad_output = None
        self.pending = set()

    def wrap_inputs(self, args):
        """The positional arguments with every tensor that requires grad routed through an identity."""
        self.num_inputs = len(args)
        wrapped = []
        for i, arg in enumerate(args):
            if isinstance(arg, Tensor) and arg.requires_grad:
                self.input_slots.append(i)
                arg = _HookIdentity.apply(arg, call=self, slot=i)
            wrapped.append(arg)
        return tuple(wrapped)

    def wrap_output(self, output):
        """The module's output routed through an identity (a single Tensor output is supported)."""
        if not isinstance(output, Tensor):
            raise TypeError(
                f"register_full_backward_hook: {type(self.module).__name__} returned a "
                f"{type(output).__name__}; backward hooks need a module that returns one Tensor"
            )
        if not output.requires_grad:
            return output
        return _HookIdentity.apply(output, call=self, slot=_OUTPUT)

    def receive(self, slot, grad):
        """Record a gradient arriving at `slot`; fire the hooks when all are in. Returns the gradient
        to pass on (replaced when a hook returned a new grad_input)."""
        if slot == _OUTPUT:
            self.grad_output = (Tensor._wrap(grad),)
            self.grad_input = [None] * self.num_inputs
            self.pending = set(self.input_slots)
            if not self.pending:
                self._fire()
            return grad
        self.grad_input[slot] = Tensor._wrap(grad)
        self.pending.discard(slot)
        if self.pending:
            return grad
        replaced = self._fire()
        if replaced is None:
            return grad
        if len(self.input_slots) != 1:
            raise RuntimeError(
                f"backward hook of {type(self.module).__name__}: replacing grad_input is supported only "
                f"when one input requires grad ({len(self.input_slots)} do)"
            )
        new = replaced[slot]
        return new._array if isinstance(new, Tensor) else new

    def _fire(self):
        replaced = None
        grad_input = tuple(self.grad_input)
        for hook in self.hooks:
            result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                replaced = grad_input = tuple(result)
        return replaced
