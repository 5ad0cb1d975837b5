"""Module: the base class of layers and models (parameters, buffers, sub-modules, state dicts, hooks)."""

from collections import OrderedDict

import numpy as np

from tensorlite import _dtype
from tensorlite._conversion import parse_to_args
from tensorlite._device import refuse_cuda
from tensorlite.autograd.grad_mode import is_grad_enabled
from tensorlite.nn.hooks import BackwardHookCall
from tensorlite.nn.parameter import Parameter
from tensorlite.tensor import Tensor


class RemovableHandle:
    """Returned by register_*_hook; remove() unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks):
        self._hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()


class Module:
    """Base class for layers and models. Assigning a Parameter, Module or registered buffer as an
    attribute registers it, so parameters(), state_dict(), train()/eval() and to() reach it."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_backward_hooks", OrderedDict())
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError("call Module.__init__() before assigning attributes")
        for store in (self._parameters, self._buffers, self._modules):
            if name in store and not _fits(store, value, self):
                del store[name]
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        elif name in self._buffers:
            self._buffers[name] = value
        elif name in self._parameters and value is None:
            self._parameters[name] = None
        else:
            object.__setattr__(self, name, value)
            return
        self.__dict__.pop(name, None)

    def __getattr__(self, name):
        for store in ("_parameters", "_buffers", "_modules"):
            values = self.__dict__.get(store)
            if values is not None and name in values:
                return values[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        """Register a Parameter (or None) under `name`."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"register_parameter: {name} must be a Parameter or None, got {type(param).__name__}"
            )
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Register a non-trainable tensor (e.g. running statistics) saved in state_dict when persistent."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: {name} must be a Tensor or None, got {type(tensor).__name__}")
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name, module):
        """Register a sub-module under `name`."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name} must be a Module, got {type(module).__name__}")
        self._modules[name] = module

    # ------------------------------------------------------------------ calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not implement forward()")

    def __call__(self, *args, **kwargs):
        call = None
        if self._backward_hooks and is_grad_enabled():
            call = BackwardHookCall(self, list(self._backward_hooks.values()))
            args = call.wrap_inputs(args)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            replaced = hook(self, args, output)
            if replaced is not None:
                output = replaced
        if call is not None:
            output = call.wrap_output(output)
        return output

    def register_forward_hook(self, hook):
        """Call hook(module, inputs, output) after every forward; a returned value replaces the output."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    def register_full_backward_hook(self, hook):
        """Call hook(module, grad_input, grad_output) when the gradients w.r.t. the module's inputs are
        computed: grad_output is a 1-tuple with dL/d(output), grad_input a tuple with dL/d(input) for each
        positional argument (None for arguments that are not tensors requiring grad). Returning a tuple
        replaces grad_input (allowed when a single input requires grad). Returns a RemovableHandle."""
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        return handle

    # ------------------------------------------------------------------ traversal
    def named_modules(self, prefix="", memo=None):
        """(dotted name, module) for this module and every descendant, each once."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self):
        """This module and every descendant."""
        return (m for _, m in self.named_modules())

    def named_children(self):
        """(name, module) for the direct sub-modules, each module once."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        """The direct sub-modules."""
        return (m for _, m in self.named_children())

    def _named_members(self, store, recurse, prefix=""):
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, value in getattr(module, store).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(self, prefix="", recurse=True):
        """(dotted name, Parameter) pairs; shared parameters appear once."""
        return self._named_members("_parameters", recurse, prefix)

    def parameters(self, recurse=True):
        """The parameters of this module and (recurse=True) its descendants."""
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix="", recurse=True):
        """(dotted name, buffer tensor) pairs."""
        return self._named_members("_buffers", recurse, prefix)

    def buffers(self, recurse=True):
        """The buffers of this module and its descendants."""
        return (b for _, b in self.named_buffers(recurse=recurse))

    def num_parameters(self, trainable_only=False):
        """Total number of scalar parameters (only those with requires_grad when trainable_only)."""
        return int(sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only))

    def apply(self, fn):
        """Call fn(module) on every descendant and then on self (e.g. to re-initialize). Returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes and dtypes
    def train(self, mode=True):
        """Set training mode (dropout active, batch-norm uses batch statistics). Returns self."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        """Set evaluation mode. Returns self."""
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters (to None, or to zeros)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.zero_()

    def requires_grad_(self, requires_grad=True):
        """Set requires_grad on every parameter (freeze with False, unfreeze with True). Returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def to(self, *args, **kwargs):
        """Move and/or convert floating-point parameters and buffers in place, as torch's Module.to:
        to(device), to(dtype), to(device, dtype), to(tensor), or by keyword (device=, dtype=,
        non_blocking=). Only the CPU exists here: "cpu" changes nothing, an accelerator raises
        RuntimeError. Returns self."""
        _, dtype, _ = parse_to_args("Module.to", args, kwargs)
        if dtype is None:
            return self
        if not _dtype.is_floating(dtype):
            raise TypeError(f"Module.to: only float32/float64 are supported, got {dtype}")
        for t in list(self.parameters()) + list(self.buffers()):
            if _dtype.is_floating(t.dtype) and t.dtype != dtype:
                t.data = t._array.astype(dtype)  # new memory, so a new version counter
                if t.grad is not None:
                    t.grad = Tensor._wrap(t.grad._array.astype(dtype))
        return self

    def cpu(self):
        """Returns self: parameters and buffers are on the CPU already."""
        return self

    def cuda(self, device=None):
        """Raises RuntimeError: tensorlite is built without CUDA."""
        refuse_cuda("Module.cuda()")

    def float(self):
        """Convert to float32."""
        return self.to(_dtype.float32)

    def double(self):
        """Convert to float64."""
        return self.to(_dtype.float64)

    # ------------------------------------------------------------------ state
    def state_dict(self):
        """An ordered dict from dotted names to parameter and persistent-buffer tensors (sharing memory)."""
        out = OrderedDict()
        for module_name, module in self.named_modules():
            prefix = f"{module_name}." if module_name else ""
            for name, p in module._parameters.items():
                if p is not None:
                    out[prefix + name] = p.detach()
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent:
                    out[prefix + name] = b.detach()
        return out

    def load_state_dict(self, state_dict, strict=True):
        """Copy values from `state_dict` into this module's parameters and buffers (in place).

        Shapes must match exactly (ValueError naming the entry). With strict=True missing or unexpected
        keys also raise. Nothing is modified unless every check passes. Returns (missing, unexpected).
        """
        own = self.state_dict()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        problems = []
        if strict and missing:
            problems.append(f"missing keys: {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {unexpected}")
        values = {}
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            array = np.asarray(value._array if isinstance(value, Tensor) else value)
            if array.shape != target.shape:
                problems.append(f"{key}: checkpoint shape {array.shape} != model shape {target.shape}")
            values[key] = array
        if problems:
            raise ValueError("load_state_dict: " + "; ".join(problems))
        for key, array in values.items():
            own[key]._array[...] = array.astype(own[key].dtype, copy=False)
            own[key]._bump_version()  # graphs recorded with the old values must not backward silently
        return missing, unexpected

    # ------------------------------------------------------------------ printing
    def extra_repr(self):
        """Extra text shown inside this module's repr, e.g. 'in_features=2, out_features=3'."""
        return ""

    def __repr__(self):
        lines = [f"({name}): " + repr(child).replace("\n", "\n  ") for name, child in self.named_children()]
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        head = f"{type(self).__name__}(" + (f"{extra}" if extra else "")
        return head + "\n  " + "\n  ".join(lines) + "\n)"


def _fits(store, value, module):
    """Whether assigning `value` keeps the attribute in the same registry."""
    if store is module._parameters:
        return isinstance(value, Parameter) or value is None
    if store is module._modules:
        return isinstance(value, Module)
    return isinstance(value, Tensor) or value is None
