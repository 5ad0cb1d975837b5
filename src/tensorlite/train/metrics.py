"""Metrics computed per batch during fit/evaluate: functions (outputs, targets) -> batch mean."""

import numpy as np


def accuracy(outputs, targets):
    """Fraction of correct predictions: mean(argmax(outputs, 1) == targets) for (N, C) scores with
    C > 1 (targets as class indices or one-hot rows); mean((outputs > 0) == targets) for (N,) or
    (N, 1) binary logits."""
    outputs, targets = np.asarray(outputs), np.asarray(targets)
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        predicted = outputs.argmax(axis=1)
        if targets.ndim == 2:
            targets = targets.argmax(axis=1)
    else:
        predicted = outputs.reshape(len(outputs)) > 0
        targets = targets.reshape(len(targets)) > 0.5
    if predicted.shape != targets.shape:
        raise ValueError(
            f"accuracy: outputs of shape {outputs.shape} do not match targets of shape {targets.shape}"
        )
    return float(np.mean(predicted == targets)) if len(targets) else 0.0


METRICS = {"accuracy": accuracy}


def resolve_metrics(metrics):
    """Map metric names ("accuracy") and callables fn(outputs, targets) -> float to {name: function}."""
    resolved = {}
    for metric in metrics or ():
        if callable(metric):
            resolved[getattr(metric, "__name__", type(metric).__name__)] = metric
        elif metric in METRICS:
            resolved[metric] = METRICS[metric]
        else:
            raise ValueError(
                f"unknown metric {metric!r}; known: {sorted(METRICS)} or any fn(outputs, targets)"
            )
    return resolved
