"""GradientMonitor: per-parameter gradient norms and update/weight ratios, vanishing/exploding flags."""

from dataclasses import dataclass

import numpy as np

VANISHING_RATIO = 1e-3
EXPLODING_RATIO = 1e3


@dataclass
class GradientStep:
    """One step's numbers: grad L2 norms, ||w_t - w_{t-1}|| / ||w_{t-1}|| per parameter, and the first
    weight's grad norm over the last weight's with its flag ('vanishing', 'exploding' or None)."""

    grad_norms: dict
    update_ratios: dict
    first_last_ratio: float
    flag: str = None


def flag_ratio(ratio):
    """'vanishing' below 1e-3, 'exploding' above 1e3, else None."""
    if ratio < VANISHING_RATIO:
        return "vanishing"
    if ratio > EXPLODING_RATIO:
        return "exploding"
    return None


class GradientMonitor:
    """Watch a model's gradients and updates. Call step() once per iteration after optimizer.step():
    it reads every parameter's grad, compares the weights with those at the previous call (or at
    construction) and appends a GradientStep to `history`.

    The first/last ratio uses the first and last parameters with two or more dimensions (the weights
    of the first and last layer): ||dL/dW_first|| / ||dL/dW_last||.
    """

    def __init__(self, model):
        self.named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        weights = [n for n, p in self.named if p.ndim >= 2] or [n for n, _ in self.named]
        if not weights:
            raise ValueError("GradientMonitor: the model has no trainable parameters")
        self.first, self.last = weights[0], weights[-1]
        self._previous = self._snapshot()
        self.history = []

    def _snapshot(self):
        return {n: p._array.copy() for n, p in self.named}

    def grad_norms(self):
        """{name: ||grad||_2} for every parameter that has a gradient now."""
        return {
            n: float(np.sqrt(np.dot(p.grad._array.reshape(-1), p.grad._array.reshape(-1)).astype(np.float64)))
            for n, p in self.named
            if p.grad is not None
        }

    def first_last_ratio(self, norms=None):
        """||grad of the first layer's weight|| / ||grad of the last layer's weight|| (nan without grads)."""
        norms = self.grad_norms() if norms is None else norms
        if self.first not in norms or self.last not in norms:
            return float("nan")
        first, last = norms[self.first], norms[self.last]
        if last == 0:
            return float("nan") if first == 0 else float("inf")
        return first / last

    def step(self):
        """Record this iteration's grad norms, update/weight ratios and first/last ratio; returns them."""
        norms = self.grad_norms()
        current = self._snapshot()
        updates = {}
        for name, now in current.items():
            before = self._previous[name]
            weight_norm = float(np.linalg.norm(before))
            updates[name] = (
                float(np.linalg.norm(now - before)) / weight_norm if weight_norm > 0 else float("nan")
            )
        self._previous = current
        ratio = self.first_last_ratio(norms)
        record = GradientStep(norms, updates, ratio, flag_ratio(ratio))
        self.history.append(record)
        return record
