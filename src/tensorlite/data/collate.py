"""default_collate and default_convert: turn the samples a dataset returns into batched tensors."""

import collections.abc
import numbers

import numpy as np

from tensorlite import _dtype
from tensorlite.tensor import Tensor


def _as_tensor(array):
    """Wrap a NumPy array as a tensor of the dtype tensor() would infer (uint8 -> int64, float16 -> float32)."""
    return Tensor._wrap(array.astype(_dtype.default_dtype_for(array), copy=False))


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(x, "_fields")


def default_collate(samples):
    """Stack a list of samples into a batch (torch.utils.data.default_collate).

    Tensors, NumPy arrays and numbers become one tensor with a new first dimension (batch[i] = samples[i]);
    Python floats give float32 (PyTorch: float64), ints int64. Dicts are collated key by key, namedtuples
    field by field, lists and tuples position by position (a tuple sample gives a list, as in PyTorch);
    strings and bytes are returned as the list they came in.
    """
    if not isinstance(samples, collections.abc.Sequence) or len(samples) == 0:
        raise TypeError(f"default_collate: samples must be a non-empty list, got {samples!r:.80}")
    first = samples[0]
    if isinstance(first, (str, bytes)):
        return list(samples)
    if isinstance(first, collections.abc.Mapping):
        return {key: default_collate([s[key] for s in samples]) for key in first}
    if isinstance(first, (tuple, list)):
        if any(len(s) != len(first) for s in samples):
            raise ValueError(
                f"default_collate: samples have different lengths {sorted({len(s) for s in samples})}"
            )
        fields = [default_collate([s[i] for s in samples]) for i in range(len(first))]
        return type(first)(*fields) if _is_namedtuple(first) else fields
    if isinstance(first, (Tensor, np.ndarray, np.generic, numbers.Number)):
        arrays = [np.asarray(s) for s in samples]
        shapes = {a.shape for a in arrays}
        if len(shapes) != 1:
            raise ValueError(f"default_collate: cannot stack samples of different shapes {sorted(shapes)}")
        stacked = np.stack(arrays)
        if isinstance(first, float):
            stacked = stacked.astype(np.float32)  # the project's default float dtype, like tl.tensor(1.5)
        return _as_tensor(stacked)
    raise TypeError(
        f"default_collate: samples must hold tensors, arrays, numbers, strings, dicts or sequences; "
        f"cannot collate samples of type {type(first).__name__}"
    )


def default_convert(sample):
    """What DataLoader(batch_size=None) applies to each sample (torch.utils.data.default_convert): NumPy
    arrays and scalars become tensors, inside dicts, lists and tuples too; everything else is unchanged."""
    if isinstance(sample, (np.ndarray, np.generic)) and sample.dtype.kind in "biuf":
        return _as_tensor(np.asarray(sample))
    if isinstance(sample, collections.abc.Mapping):
        return {key: default_convert(value) for key, value in sample.items()}
    if _is_namedtuple(sample):
        return type(sample)(*(default_convert(v) for v in sample))
    if isinstance(sample, (tuple, list)):
        return [default_convert(v) for v in sample]  # a tuple gives a list, as in PyTorch
    return sample
