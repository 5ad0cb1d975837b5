"""Bias/variance diagnosis: from training, dev and human-level error, what is wrong and what to try first.

avoidable bias = train error - human error (the human level stands in for the Bayes error);
variance = dev error - train error. Each counts as high when it exceeds `tolerance`; the remedies are
the guides' recipe, in the order to try them, and with both problems the bias is fixed first (more data
or regularization cannot help a net that does not fit its own training set).
"""

import math
import numbers
from dataclasses import dataclass, field

DEFAULT_TOLERANCE = 0.02  # two percentage points of error: above this gap the guides call a problem "high"

BIAS_REMEDIES = (
    "train a bigger network (more units or layers)",
    "train longer (more epochs) and do not stop early",
    "try a better optimizer (Adam, momentum) or a better architecture",
)
VARIANCE_REMEDIES = (
    "get more training data",
    "data augmentation (flips, crops, rotations, distortions of the training images)",
    "regularization: L2 weight decay or dropout",
    "early stopping on the dev error",
)


@dataclass
class BiasVarianceReport:
    """The numbers and the verdict; str(report) is a short text report."""

    train_error: float
    dev_error: float
    human_error: float
    human_given: bool
    avoidable_bias: float
    variance: float
    high_bias: bool
    high_variance: bool
    tolerance: float
    unit: str = "error"
    remedies: list = field(default_factory=list)

    @property
    def diagnosis(self):
        """'high bias', 'high variance', 'high bias and high variance' or 'fine'."""
        problems = [
            name
            for name, high in (("high bias", self.high_bias), ("high variance", self.high_variance))
            if high
        ]
        return " and ".join(problems) or "fine"

    def __str__(self):
        human = (
            f"{self.human_error:.4f}"
            if self.human_given
            else f"{self.human_error:.4f} (Bayes error unknown, taken as 0)"
        )
        bias_flag = "  HIGH" if self.high_bias else ""
        variance_flag = "  HIGH" if self.high_variance else ""
        lines = [
            f"bias/variance ({self.unit}): {self.diagnosis}",
            f"  human-level {self.unit}: {human}",
            f"  train {self.unit}: {self.train_error:.4f}   train - human = avoidable bias "
            + f"{self.avoidable_bias:+.4f}{bias_flag}",
            f"  dev {self.unit}:   {self.dev_error:.4f}   dev - train = variance "
            + f"{self.variance:+.4f}{variance_flag}",
            f"  (high means above the tolerance {self.tolerance:g})",
        ]
        if self.high_bias and self.high_variance:
            lines.append(
                "  fix the bias first: a net that cannot fit its training set gains nothing from more data"
            )
        if self.remedies:
            lines.append("  try, in order:")
            lines += [f"    {i}. {remedy}" for i, remedy in enumerate(self.remedies, start=1)]
        return "\n".join(lines)


def _error(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"bias_variance: {name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"bias_variance: {name} must be a finite number >= 0, got {value!r}")
    return value


def _from_history(history):
    """(train, dev, unit) from the last epoch of a History: 1 - accuracy when accuracy is logged, else loss."""
    if len(history) == 0:
        raise ValueError("bias_variance: the History has no epochs")
    if "accuracy" in history and "val_accuracy" in history:
        return 1.0 - history["accuracy"][-1], 1.0 - history["val_accuracy"][-1], "error"
    if "val_loss" not in history:
        raise ValueError(
            f"bias_variance: the History has no validation numbers (val_accuracy or val_loss); recorded: "
            f"{sorted(history.keys())}. Pass a val_loader to fit."
        )
    return history["loss"][-1], history["val_loss"][-1], "loss"


def bias_variance(train_error, dev_error=None, human_error=None, tolerance=DEFAULT_TOLERANCE):
    """Classify high bias / high variance / both / fine and list the remedies, in order.

    avoidable_bias = train_error - human_error; variance = dev_error - train_error; each is high when
    it exceeds `tolerance` (default 0.02, i.e. 2 percentage points). human_error=None takes the Bayes
    error as 0 (and says so). `train_error` may instead be a tl.train.History (dev_error then None): its
    last epoch gives error = 1 - accuracy when accuracy and val_accuracy are logged, else the losses
    (and `tolerance` is then in loss units). A History's training numbers are running means over the
    epoch (weights moving, dropout on); evaluate(model, train_loader) gives the exact training error.
    Returns a BiasVarianceReport.
    """
    from tensorlite.train.history import History

    unit = "error"
    if isinstance(train_error, History):
        if dev_error is not None:
            raise ValueError("bias_variance: give either a History or train_error and dev_error, not both")
        train_error, dev_error, unit = _from_history(train_error)
    elif dev_error is None:
        raise TypeError("bias_variance: dev_error is required when train_error is a number")
    train = _error("train_error", train_error)
    dev = _error("dev_error", dev_error)
    human = 0.0 if human_error is None else _error("human_error", human_error)
    tolerance = _error("tolerance", tolerance)
    avoidable_bias, variance = train - human, dev - train
    high_bias, high_variance = avoidable_bias > tolerance, variance > tolerance
    remedies = (list(BIAS_REMEDIES) if high_bias else []) + (list(VARIANCE_REMEDIES) if high_variance else [])
    return BiasVarianceReport(
        train_error=train,
        dev_error=dev,
        human_error=human,
        human_given=human_error is not None,
        avoidable_bias=avoidable_bias,
        variance=variance,
        high_bias=high_bias,
        high_variance=high_variance,
        tolerance=tolerance,
        unit=unit,
        remedies=remedies,
    )
