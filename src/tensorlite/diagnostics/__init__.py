"""Training diagnostics: watch a network train and say, with numbers, why it does or does not learn."""

from tensorlite.diagnostics.activations import ActivationMonitor, LayerStats, activation_stats
from tensorlite.diagnostics.bias_variance import BiasVarianceReport, bias_variance
from tensorlite.diagnostics.checks import ModelReport, check_model, dead_units
from tensorlite.diagnostics.gradients import GradientMonitor, GradientStep
from tensorlite.diagnostics.sanity import LRRangeResult, OverfitResult, lr_range_test, overfit_one_batch

__all__ = [
    "ActivationMonitor",
    "BiasVarianceReport",
    "GradientMonitor",
    "GradientStep",
    "LRRangeResult",
    "LayerStats",
    "ModelReport",
    "OverfitResult",
    "activation_stats",
    "bias_variance",
    "check_model",
    "dead_units",
    "lr_range_test",
    "overfit_one_batch",
]
