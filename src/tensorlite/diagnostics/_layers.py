"""What kind of activation a module computes, and how to pick the layers a monitor watches."""

from tensorlite.nn.module import Module

# Activations whose outputs lie in a bounded interval: (low, high).
SATURATING = {"Sigmoid": (0.0, 1.0), "Tanh": (-1.0, 1.0)}
# Activations that output exact zeros for negative inputs.
RECTIFIERS = {"ReLU", "ReLU6"}
ACTIVATIONS = set(SATURATING) | RECTIFIERS | {
    "LeakyReLU", "ELU", "GELU", "SELU", "Softplus", "Softmax", "LogSoftmax", "Hardtanh", "SiLU",
}  # fmt: skip
SATURATION_TOLERANCE = 1e-2


def kind_of(module):
    """The module's class name (Sigmoid, ReLU, Linear, ...)."""
    return type(module).__name__


def leaf_modules(model):
    """(dotted name, module) for every module without children, in registration order."""
    return [(name, m) for name, m in model.named_modules() if not any(True for _ in m.children())]


def select_layers(model, layers=None):
    """The (name, module) pairs to watch: `layers` given as names or modules, else every activation
    layer of the model, else every leaf module."""
    named = dict(model.named_modules())
    if layers is None:
        chosen = [(n, m) for n, m in leaf_modules(model) if kind_of(m) in ACTIVATIONS]
        return chosen or leaf_modules(model)
    by_id = {id(m): n for n, m in named.items()}
    chosen = []
    for layer in layers:
        if isinstance(layer, Module):
            if id(layer) not in by_id:
                raise ValueError(f"layer {kind_of(layer)} is not a sub-module of the model")
            chosen.append((by_id[id(layer)], layer))
        elif layer in named:
            chosen.append((layer, named[layer]))
        else:
            raise ValueError(f"no sub-module named {layer!r}; the model has {sorted(n for n in named if n)}")
    return chosen


def unit_axes(array):
    """Every axis but the unit axis (axis 1: features of (N, F), channels of (N, C, ...));
    all axes of a 1-d array."""
    return (0,) + tuple(range(2, array.ndim)) if array.ndim >= 2 else tuple(range(array.ndim))
