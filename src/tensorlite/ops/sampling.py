"""Sampling indices from weights: multinomial."""

import numpy as np

from tensorlite.ops._util import as_tensor
from tensorlite.random import rng
from tensorlite.tensor import Tensor


def multinomial(x, num_samples, replacement=False, *, generator=None):
    """num_samples category indices per row of x (1-D, or 2-D with one distribution per row), category i
    drawn with probability x_i / sum(x); without replacement each category is drawn at most once. int64."""
    x = as_tensor(x)
    if x.ndim not in (1, 2):
        raise ValueError(f"multinomial: input must be 1-D or 2-D, got shape {x.shape}")
    if not isinstance(num_samples, (int, np.integer)) or isinstance(num_samples, bool) or num_samples < 1:
        raise ValueError(f"multinomial: num_samples must be a positive int, got {num_samples!r}")
    weights = np.atleast_2d(x._array).astype(np.float64)
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError("multinomial: weights must be finite and non-negative")
    totals = weights.sum(axis=1)
    if weights.shape[1] == 0 or (totals <= 0).any():
        raise ValueError("multinomial: every row of weights needs a positive sum")
    if not replacement and (num_samples > (weights > 0).sum(axis=1)).any():
        raise ValueError(
            f"multinomial: cannot draw {num_samples} samples without replacement from a row with fewer "
            "nonzero weights"
        )
    source = rng(generator)
    rows = [
        source.choice(weights.shape[1], size=num_samples, replace=bool(replacement), p=row / total)
        for row, total in zip(weights, totals)
    ]
    out = np.asarray(rows, dtype=np.int64).reshape(weights.shape[0], num_samples)
    return Tensor._wrap(out if x.ndim == 2 else out[0])
