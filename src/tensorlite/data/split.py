"""train_val_test_split: random (optionally stratified) partition of arrays into train/val/test parts."""

import math

import numpy as np

from tensorlite.data.sampler import largest_remainder
from tensorlite.random import Generator, rng
from tensorlite.tensor import Tensor


def train_val_test_split(*arrays, ratios=(0.6, 0.2, 0.2), stratify=None, seed=None):
    """Split arrays (NumPy arrays or Tensors with the same first dimension N) into parts of sizes
    round(N * ratios) (largest-remainder rounding, so they add up to N).

    `ratios` are any k >= 2 positive numbers summing to 1, e.g. (0.98, 0.01, 0.01) for large data.
    With `stratify` (labels of length N), each class is split in the same proportions: the samples of
    class c are shuffled and placed at evenly spaced positions (j + u_c) / n_c in [0, 1), all samples
    are ordered by position and cut at the part sizes, so every part holds round(n_c * ratio) +-1 of
    each class. `seed` (an int) makes the split reproducible; None draws from the global tl generator.

    Returns, like scikit-learn's train_test_split, the parts of each array in turn:
    x_train, x_val, x_test, y_train, y_val, y_test, ...
    """
    if not arrays:
        raise ValueError("train_val_test_split: give at least one array")
    n = len(arrays[0])
    lengths = [len(a) for a in arrays]
    if any(length != n for length in lengths):
        raise ValueError(f"train_val_test_split: arrays have different lengths {lengths}")
    sizes = _part_sizes(n, ratios)
    draw = rng(None if seed is None else Generator(seed))
    if stratify is None:
        order = draw.permutation(n)
    else:
        order = _stratified_order(stratify, n, draw)
    bounds = np.cumsum(sizes)[:-1]
    parts = np.split(order, bounds)
    return [_take(a, np.sort(p) if stratify is not None else p) for a in arrays for p in parts]


def _part_sizes(n, ratios):
    ratios = tuple(ratios)
    if len(ratios) < 2:
        raise ValueError(f"train_val_test_split: ratios needs at least 2 parts, got {ratios}")
    if any(not isinstance(r, (int, float)) or isinstance(r, bool) or not r > 0 for r in ratios):
        raise ValueError(f"train_val_test_split: every ratio must be a number > 0, got {ratios}")
    if not math.isclose(sum(ratios), 1.0, abs_tol=1e-6):
        raise ValueError(f"train_val_test_split: ratios must sum to 1, got {ratios} (sum {sum(ratios):g})")
    sizes = largest_remainder(ratios, n)
    if (sizes == 0).any():
        raise ValueError(
            f"train_val_test_split: ratios {ratios} of {n} samples leave an empty part (sizes {sizes.tolist()})"
        )
    return sizes


def _stratified_order(labels, n, draw):
    labels = labels._array if isinstance(labels, Tensor) else np.asarray(labels)
    if labels.shape != (n,):
        raise ValueError(f"train_val_test_split: stratify must have shape ({n},), got {labels.shape}")
    position = np.empty(n)
    for cls in np.unique(labels):
        members = draw.permutation(np.flatnonzero(labels == cls))
        position[members] = (np.arange(len(members)) + draw.random()) / len(members)
    return np.argsort(position, kind="stable")


def _take(array, indices):
    if isinstance(array, Tensor):
        return array._view(array._array[indices])
    return np.asarray(array)[indices]
