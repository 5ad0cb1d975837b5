"""Optimizer base class: param groups, defaults, lazily created per-parameter state, state dicts."""

import math
import numbers

import numpy as np

from tensorlite.autograd.grad_mode import enable_grad
from tensorlite.tensor import Tensor

# State entries that are scalars (not buffers shaped like the parameter).
SCALAR_STATE_KEYS = ("step", "mu_product")


def require_number(owner, name, value, low=None, high=None, low_inclusive=True, high_inclusive=True):
    """Raise unless `value` is a real number in the interval given by low/high (None: unbounded).

    TypeError names a non-number, ValueError names the value and the interval, e.g.
    ``Adam: invalid eps 0.0 (must be > 0)``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a real number, got {type(value).__name__}")
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    too_high = high is not None and (value > high if high_inclusive else value >= high)
    if too_low or too_high or math.isnan(value):
        parts = []
        if low is not None:
            parts.append(f"{'>=' if low_inclusive else '>'} {low}")
        if high is not None:
            parts.append(f"{'<=' if high_inclusive else '<'} {high}")
        raise ValueError(f"{owner}: invalid {name} {value!r} (must be {' and '.join(parts)})")


def require_betas(owner, betas):
    """Raise unless betas is a pair of numbers in [0, 1)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"{owner}: betas must be a pair (beta1, beta2), got {betas!r}")
    for i, beta in enumerate(betas):
        require_number(owner, f"beta at index {i}", beta, 0.0, 1.0, high_inclusive=False)


class Optimizer:
    """Base class. Hyperparameters live in param_groups (dicts seeded from `defaults`), per-parameter
    state in `state[param]` (created at the parameter's first update). Subclasses implement
    `_validate(group)`, `_init_state(param, group)` and `_update(param, grad, state, group)`, the latter
    on NumPy arrays through one fused kernel call; step() skips parameters whose grad is None."""

    def __init__(self, params, defaults):
        self._validate(dict(defaults))
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError("params must be an iterable of Tensors or of dicts, got a single Tensor")
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group):
        """Add a dict {'params': [...], <hyperparameter overrides>} to optimize."""
        group = dict(group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("optimizer can only optimize leaf tensors")
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._validate(group)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of every optimized parameter (to None, or to zeros)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.zero_()

    def step(self, closure=None):
        """Update every parameter that has a gradient; `closure` (re-evaluating and returning the loss)
        is called first, with gradients enabled, and its loss is returned."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = self._init_state(p, group)
                self._update(p._array, p.grad._array, state, group)
                _bump_written(p, state)
        return loss

    def _validate(self, group):
        """Raise ValueError/TypeError for invalid hyperparameters in `group` (a dict)."""

    def _init_state(self, param, group):
        """The state dict of a parameter before its first update."""
        return {}

    def _update(self, param, grad, state, group):
        raise NotImplementedError

    # ------------------------------------------------------------------ state dicts
    def state_dict(self):
        """{'state': {index: {name: Tensor or number}}, 'param_groups': [{hyperparameters, 'params':
        [indices]}]}, PyTorch's layout: parameters are numbered in group order. Buffers are shared with
        the optimizer (not copied), as in PyTorch."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = dict(self.state[p])
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore hyperparameters and state (copied) from `state_dict()` output, e.g. after tl.load.

        Group count, group sizes and every buffer's shape must match (ValueError naming the parameter);
        nothing changes unless all checks pass. Floating buffers are cast to their parameter's dtype.
        """
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError("load_state_dict: expected a dict with keys 'state' and 'param_groups'")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"load_state_dict: the state dict has {len(saved_groups)} parameter groups "
                f"but the optimizer has {len(self.param_groups)}"
            )
        params_by_index = {}
        for g, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"load_state_dict: parameter group {g} has {len(saved['params'])} parameters in the "
                    f"state dict but {len(group['params'])} in the optimizer"
                )
            for position, (i, p) in enumerate(zip(saved["params"], group["params"])):
                params_by_index[int(i)] = (p, f"parameter {int(i)} (group {g}, position {position})")
        new_state = {}
        for i, entries in state_dict["state"].items():
            if int(i) not in params_by_index:
                raise ValueError(f"load_state_dict: state for parameter {i}, which no parameter group lists")
            param, name = params_by_index[int(i)]
            new_state[param] = {
                key: _restore_state_value(key, value, param, name) for key, value in entries.items()
            }
        new_groups = []
        for saved, group in zip(saved_groups, self.param_groups):
            restored = {
                k: (tuple(v) if isinstance(v, list) else v) for k, v in saved.items() if k != "params"
            }
            restored["params"] = group["params"]
            self._validate(restored)
            new_groups.append(restored)
        self.state = new_state
        self.param_groups = new_groups

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines) + "\n)"


def _restore_state_value(key, value, param, name):
    """A private copy of one saved state entry, checked against its parameter."""
    if isinstance(value, (Tensor, np.ndarray)):
        array = np.asarray(value._array if isinstance(value, Tensor) else value)
        if key in SCALAR_STATE_KEYS:
            if array.size != 1:
                raise ValueError(
                    f"load_state_dict: state '{key}' of {name} must be a scalar, got shape {array.shape}"
                )
            return array.item()
        if array.shape != param.shape:
            raise ValueError(
                f"load_state_dict: state '{key}' of {name} has shape {array.shape} "
                f"but the parameter has shape {param.shape}"
            )
        dtype = param.dtype if array.dtype.kind == "f" else array.dtype
        return Tensor._wrap(np.array(array, dtype=dtype, order="C", copy=True))
    return value


def _bump_written(param, state):
    """Count the in-place write of an update in the version of the parameter and its state buffers
    (the fused kernels write their arrays directly), so graphs that used the old values raise."""
    param._bump_version()
    for value in state.values():
        if isinstance(value, Tensor):
            value._bump_version()


def zeros_state(param, fill=0.0):
    """A contiguous state buffer shaped like param (a Tensor), filled with `fill`."""
    return Tensor._wrap(np.full(param.shape, fill, dtype=param.dtype))


def state_buffer(state, key, param):
    """The array of state[key], created as zeros shaped like param when missing (e.g. an option turned
    on after the first step)."""
    if state.get(key) is None:
        state[key] = zeros_state(param)
    return state[key]._array
