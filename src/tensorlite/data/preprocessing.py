"""Feature scaling (StandardScaler, MinMaxScaler) fitted on training data only, and one_hot."""

import numpy as np

from tensorlite.tensor import Tensor


def _unwrap(x, name):
    """(float array, was it a Tensor): integers become float32, floats keep their precision."""
    is_tensor = isinstance(x, Tensor)
    array = x._array if is_tensor else np.asarray(x)
    if array.ndim == 0:
        raise ValueError(
            f"{name}: expected at least 1-D data (samples along the first dimension), got a scalar"
        )
    if array.dtype.kind != "f":
        array = array.astype(np.float32)
    return array, is_tensor


def _wrap_like(array, is_tensor):
    return Tensor._wrap(array) if is_tensor else array


class _Scaler:
    """Shared fit/transform plumbing: statistics are taken over the first (sample) dimension."""

    def __init__(self):
        self.feature_shape_ = None

    def fit(self, x):
        """Compute the statistics from `x` (the training data only). Returns self."""
        array, _ = _unwrap(x, f"{type(self).__name__}.fit")
        if array.shape[0] == 0:
            raise ValueError(f"{type(self).__name__}.fit: got 0 samples (shape {array.shape})")
        self.feature_shape_ = array.shape[1:]
        self._fit(array.astype(np.float64))
        return self

    def _checked(self, x, method):
        name = f"{type(self).__name__}.{method}"
        if self.feature_shape_ is None:
            raise RuntimeError(f"{name}: call fit() first")
        array, is_tensor = _unwrap(x, name)
        if array.shape[1:] != self.feature_shape_:
            raise ValueError(
                f"{name}: fitted on samples of shape {self.feature_shape_}, got shape {array.shape[1:]}"
            )
        return array, is_tensor

    def transform(self, x):
        """Scale `x` with the fitted statistics (same type and float dtype as x)."""
        array, is_tensor = self._checked(x, "transform")
        return _wrap_like(((array - self._shift) / self._scale).astype(array.dtype), is_tensor)

    def inverse_transform(self, x):
        """Undo transform: x * scale + shift."""
        array, is_tensor = self._checked(x, "inverse_transform")
        return _wrap_like((array * self._scale + self._shift).astype(array.dtype), is_tensor)

    def fit_transform(self, x):
        """fit(x) then transform(x)."""
        return self.fit(x).transform(x)


class StandardScaler(_Scaler):
    """z = (x - mean) / std per feature, mean and (population) std taken over the training samples.
    A feature with zero variance gets std = 1, so it becomes 0 rather than dividing by zero."""

    def _fit(self, array):
        self.mean_ = array.mean(axis=0)
        var = array.var(axis=0)
        self.scale_ = np.where(var > 0, np.sqrt(var), 1.0)
        self._shift, self._scale = self.mean_, self.scale_


class MinMaxScaler(_Scaler):
    """x' = lo + (x - min) * (hi - lo) / (max - min) per feature, feature_range=(lo, hi) (default (0, 1)).
    A constant feature (max == min) maps to lo."""

    def __init__(self, feature_range=(0.0, 1.0)):
        super().__init__()
        lo, hi = feature_range
        if not lo < hi:
            raise ValueError(
                f"MinMaxScaler: feature_range must be (lo, hi) with lo < hi, got {feature_range}"
            )
        self.feature_range = (float(lo), float(hi))

    def _fit(self, array):
        lo, hi = self.feature_range
        self.data_min_, self.data_max_ = array.min(axis=0), array.max(axis=0)
        span = self.data_max_ - self.data_min_
        # A span so small that (hi - lo) / span overflows (a subnormal one) counts as constant, like zero.
        usable = span > (hi - lo) / np.finfo(np.float64).max
        self.scale_ = (hi - lo) / np.where(usable, span, 1.0)
        self._scale = 1.0 / self.scale_
        self._shift = self.data_min_ - lo * self._scale


def one_hot(labels, num_classes=-1):
    """One-hot encode integer class labels: out[..., c] = 1 where labels == c (like
    torch.nn.functional.one_hot). num_classes=-1 uses max(labels) + 1. Returns an int64 Tensor for a
    Tensor input, an int64 NumPy array otherwise."""
    is_tensor = isinstance(labels, Tensor)
    array = labels._array if is_tensor else np.asarray(labels)
    if array.dtype.kind not in "iu":
        raise TypeError(f"one_hot: labels must be integers, got dtype {array.dtype}")
    if array.size and array.min() < 0:
        raise ValueError(f"one_hot: labels must be >= 0, got {array.min()}")
    top = int(array.max()) + 1 if array.size else 0
    if num_classes == -1:
        num_classes = top
    elif num_classes < top:
        raise ValueError(f"one_hot: label {top - 1} does not fit num_classes={num_classes}")
    out = (array[..., None] == np.arange(num_classes)).astype(np.int64)
    return _wrap_like(out, is_tensor)
