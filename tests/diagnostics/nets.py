"""Networks built for the diagnostics tests."""

import tensorlite as tl
from tensorlite import nn


def deep_mlp(activation, std, depth=5, width=100, bias=0.0, in_features=100, seed=0):
    """depth x (Linear(width) + activation) with N(0, std^2) weights and a constant bias."""
    tl.manual_seed(seed)
    layers, fan_in = [], in_features
    for _ in range(depth):
        linear = nn.Linear(fan_in, width)
        nn.init.normal_(linear.weight, 0.0, std)
        nn.init.constant_(linear.bias, bias)
        layers += [linear, activation()]
        fan_in = width
    return nn.Sequential(*layers)
