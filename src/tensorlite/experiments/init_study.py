"""The classic initialization study: how the weight scale shapes a deep net's activations.

A stack of `num_layers` bias-free Linear layers of `width` units, each followed by the activation, is
fed `num_samples` standard-normal inputs; we record every layer's activations. With std = 1 sigmoid
units saturate (outputs pile up at 0 and 1, where the gradient vanishes); with std = 0.01 they collapse
towards 0.5 (every unit computes nearly the same thing); Xavier/Glorot (std sqrt(2 / (fan_in + fan_out)))
keeps sigmoid and tanh activations spread, He (std sqrt(2 / fan_in)) does the same for ReLU.
"""

from dataclasses import dataclass

import numpy as np

from tensorlite import ops
from tensorlite.autograd.grad_mode import no_grad
from tensorlite.nn import init
from tensorlite.nn.linear import Linear
from tensorlite.random import Generator
from tensorlite.tensor import Tensor

_ACTIVATIONS = {"sigmoid": ops.sigmoid, "tanh": ops.tanh, "relu": ops.relu}

# (label, weight initializer taking (tensor, generator), activation) for the classic table.
CLASSIC_CASES = (
    ("std=1, sigmoid", lambda w, g: init.normal_(w, 0.0, 1.0, generator=g), "sigmoid"),
    ("std=0.01, sigmoid", lambda w, g: init.normal_(w, 0.0, 0.01, generator=g), "sigmoid"),
    ("Xavier, sigmoid", lambda w, g: init.xavier_normal_(w, generator=g), "sigmoid"),
    ("Xavier, tanh", lambda w, g: init.xavier_normal_(w, generator=g), "tanh"),
    ("He, ReLU", lambda w, g: init.kaiming_normal_(w, nonlinearity="relu", generator=g), "relu"),
)


@dataclass
class StudyResult:
    """One configuration's activations: `activations[i]` is layer i's (num_samples, width) output."""

    label: str
    activations: list

    @property
    def means(self):
        """Per-layer activation mean."""
        return [float(a.mean()) for a in self.activations]

    @property
    def stds(self):
        """Per-layer activation standard deviation (over samples and units)."""
        return [float(a.std()) for a in self.activations]


def layer_activations(weight_init, activation, num_layers=5, width=100, num_samples=1000, generator=None):
    """Activations of each layer of a `num_layers`-deep, `width`-wide bias-free net on standard-normal input.

    weight_init(tensor, generator) fills each (width, width) weight; activation is 'sigmoid', 'tanh' or
    'relu'. Returns a list of (num_samples, width) float64 arrays, one per layer.
    """
    if activation not in _ACTIVATIONS:
        raise ValueError(
            f"layer_activations: activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}"
        )
    generator = generator if generator is not None else Generator(0)
    x = Tensor._wrap(generator.numpy.standard_normal((num_samples, width)))
    outputs = []
    with no_grad():
        for _ in range(num_layers):
            layer = Linear(
                width, width, bias=False, dtype="float64", weight_init=lambda w: weight_init(w, generator)
            )
            x = _ACTIVATIONS[activation](layer(x))
            outputs.append(x.detach().numpy())
    return outputs


def activation_study(seed=0, num_layers=5, width=100, num_samples=1000):
    """Run every case of CLASSIC_CASES from the same seed; returns a list of StudyResult."""
    results = []
    for label, weight_init, activation in CLASSIC_CASES:
        acts = layer_activations(weight_init, activation, num_layers, width, num_samples, Generator(seed))
        results.append(StudyResult(label, acts))
    return results


def format_study_table(results):
    """A markdown table: one row per configuration, 'mean / std' of each layer's activations."""
    layers = len(results[0].activations)
    lines = [
        "| init, activation | " + " | ".join(f"layer {i + 1}" for i in range(layers)) + " |",
        "|---|" + "---|" * layers,
    ]
    for r in results:
        cells = " | ".join(f"{m:.3f} / {s:.3f}" for m, s in zip(r.means, r.stds))
        lines.append(f"| {r.label} | {cells} |")
    return "\n".join(lines)


def saturated_fraction(values, margin=0.05):
    """Fraction of sigmoid outputs within `margin` of 0 or 1."""
    values = np.asarray(values)
    return float(np.mean((values < margin) | (values > 1 - margin)))
