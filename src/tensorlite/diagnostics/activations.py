"""ActivationMonitor: per-layer activation statistics collected by forward hooks, cheap enough to leave on."""

from dataclasses import dataclass

import numpy as np

from tensorlite.diagnostics._layers import (
    RECTIFIERS,
    SATURATING,
    SATURATION_TOLERANCE,
    kind_of,
    select_layers,
)

DEFAULT_RANGE = (-5.0, 5.0)


@dataclass
class LayerStats:
    """Statistics of one layer's outputs over every batch seen since the last reset.

    saturated: fraction of Sigmoid/Tanh outputs within 1e-2 of a bound (None for other layers);
    zero_fraction: fraction of exactly-zero outputs of a ReLU (None for other layers);
    hist / bin_edges: counts over fixed bins (values outside the range are counted in the end bins).
    """

    name: str
    kind: str
    count: int
    mean: float
    std: float
    hist: np.ndarray
    bin_edges: np.ndarray
    saturated: float = None
    zero_fraction: float = None


class _Accumulator:
    """Running sums for one layer: n, sum x, sum x^2, bin counts, saturated and zero counts."""

    def __init__(self, name, kind, bins, value_range):
        self.name, self.kind, self.bins = name, kind, bins
        self.low, self.high = (
            value_range or SATURATING.get(kind) or ((0.0, 5.0) if kind in RECTIFIERS else DEFAULT_RANGE)
        )
        self.reset()

    def reset(self):
        self.count, self.total, self.total_sq = 0, 0.0, 0.0
        self.hist = np.zeros(self.bins, dtype=np.int64)
        self.saturated = self.zeros = 0

    def add(self, x):
        x = x.reshape(-1)
        self.count += x.size
        self.total += float(np.sum(x, dtype=np.float64))
        self.total_sq += float(np.dot(x, x))
        scale = self.bins / (self.high - self.low)
        index = np.clip(((x - self.low) * scale).astype(np.int64), 0, self.bins - 1)
        self.hist += np.bincount(index, minlength=self.bins)
        if self.kind in SATURATING:
            low, high = SATURATING[self.kind]
            self.saturated += int(
                np.count_nonzero((x < low + SATURATION_TOLERANCE) | (x > high - SATURATION_TOLERANCE))
            )
        if self.kind in RECTIFIERS:
            self.zeros += x.size - int(np.count_nonzero(x))

    def result(self):
        n = max(self.count, 1)
        mean = self.total / n
        return LayerStats(
            name=self.name,
            kind=self.kind,
            count=self.count,
            mean=mean,
            std=float(np.sqrt(max(self.total_sq / n - mean * mean, 0.0))),
            hist=self.hist.copy(),
            bin_edges=np.linspace(self.low, self.high, self.bins + 1),
            saturated=self.saturated / n if self.kind in SATURATING else None,
            zero_fraction=self.zeros / n if self.kind in RECTIFIERS else None,
        )


def activation_stats(values, kind, name="", bins=50, value_range=None):
    """LayerStats of one array of activations produced by a layer of class `kind` ('Sigmoid', 'ReLU', ...),
    with the same bins and saturation rules as ActivationMonitor."""
    acc = _Accumulator(name, kind, bins, value_range)
    acc.add(np.asarray(values))
    return acc.result()


class ActivationMonitor:
    """Watch the outputs of a model's layers during forward passes.

    layers: names or modules to watch (default: every activation layer, else every leaf module).
    Per layer it accumulates the mean, std = sqrt(E[x^2] - E[x]^2), a `bins`-bin histogram over
    `value_range` (default (0, 1) for Sigmoid, (-1, 1) for Tanh, (0, 5) for ReLU, (-5, 5) otherwise),
    the fraction of Sigmoid/Tanh outputs within 1e-2 of their bounds and the fraction of exactly-zero
    ReLU outputs. Use as a context manager or call remove() to detach its hooks.
    """

    def __init__(self, model, layers=None, bins=50, value_range=None):
        self._accumulators = {}
        self._handles = []
        for name, module in select_layers(model, layers):
            acc = _Accumulator(name, kind_of(module), bins, value_range)
            self._accumulators[name] = acc
            self._handles.append(module.register_forward_hook(_recorder(acc)))

    def stats(self):
        """{layer name: LayerStats} over every batch since construction or the last reset()."""
        return {name: acc.result() for name, acc in self._accumulators.items()}

    def reset(self):
        """Forget everything seen so far."""
        for acc in self._accumulators.values():
            acc.reset()

    def remove(self):
        """Detach the forward hooks."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()


def _recorder(acc):
    def hook(module, inputs, output):
        acc.add(np.asarray(output._array))

    return hook
