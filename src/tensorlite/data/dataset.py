"""Datasets (torch.utils.data names): map-style and iterable datasets, TensorDataset, Subset,
ConcatDataset and random_split."""

import bisect
import math
import warnings

import numpy as np

from tensorlite.random import rng
from tensorlite.tensor import Tensor


class Dataset:
    """A map-style dataset: subclasses implement __getitem__(index) -> sample and usually __len__()
    (without it len() raises TypeError, as in PyTorch). `a + b` concatenates two datasets (ConcatDataset)."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} does not implement __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is a stream: subclasses implement __iter__(). With DataLoader(num_workers=N) every
    worker iterates its own copy; split the work with get_worker_info() (id, num_workers) to avoid
    duplicates, as in PyTorch. `a + b` chains two streams (ChainDataset)."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement __iter__")

    def __add__(self, other):
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the i-th rows of the given tensors (or arrays): dataset[i] = (t[i] for t in tensors).

    All tensors must have the same first dimension. NumPy arrays are wrapped without copying.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        tensors = tuple(t if isinstance(t, Tensor) else Tensor._wrap(np.asarray(t)) for t in tensors)
        lengths = [t.shape[0] if t.ndim else None for t in tensors]
        if None in lengths or len(set(lengths)) != 1:
            shapes = [tuple(t.shape) for t in tensors]
            raise ValueError(f"TensorDataset: all tensors need the same first dimension, got shapes {shapes}")
        self.tensors = tensors

    def __getitem__(self, index):
        # np.asarray: a row of a 1-D tensor is a NumPy scalar, and a tensor needs an array (0-d here).
        return tuple(t._view(np.asarray(t._array[index])) for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of `dataset` at `indices`: subset[i] = dataset[indices[i]]."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices):
        """The samples at `indices` as a list (through the inner dataset's __getitems__ when it has one)."""
        inner = [self.indices[i] for i in indices]
        gather = getattr(self.dataset, "__getitems__", None)
        return gather(inner) if gather is not None else [self.dataset[i] for i in inner]

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    """Datasets one after another: index i falls in dataset k where cumulative_sizes[k-1] <= i <
    cumulative_sizes[k], at position i - cumulative_sizes[k-1]. Negative indices count from the end."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets must not be empty")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset (use ChainDataset)")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"ConcatDataset: index {index} is out of range for length {len(self)}")
        index = index % len(self)
        k = bisect.bisect_right(self.cumulative_sizes, index)
        return self.datasets[k][index - (self.cumulative_sizes[k - 1] if k else 0)]


class ChainDataset(IterableDataset):
    """Iterable datasets one after another (what `+` gives for IterableDatasets)."""

    def __init__(self, datasets):
        self.datasets = list(datasets)

    def __iter__(self):
        for d in self.datasets:
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


def random_split(dataset, lengths, generator=None):
    """Split `dataset` into non-overlapping Subsets of the given lengths, by one random permutation of
    range(len(dataset)) cut at the cumulative lengths (torch.utils.data.random_split).

    `lengths` are ints summing to len(dataset), or fractions summing to 1: part k gets floor(n * f_k), and
    the n - sum of those left over go one each to parts 0, 1, 2, ... (a part of length 0 warns). As in
    PyTorch, lengths summing to 1 are fractions even when they are ints: [1] is the whole dataset.
    `generator` (a tl.Generator) makes the split reproducible; None draws from the global generator.
    """
    n = len(dataset)
    lengths = list(lengths)
    if not lengths or any(
        isinstance(x, bool) or not isinstance(x, (int, float, np.integer)) for x in lengths
    ):
        raise TypeError(f"random_split: lengths must be a non-empty list of ints or fractions, got {lengths}")
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:  # as PyTorch: [1] or [0, 1] are fractions too
        for i, frac in enumerate(lengths):
            if not 0 <= frac <= 1:
                raise ValueError(f"random_split: fraction at index {i} is {frac}, not between 0 and 1")
        lengths = [math.floor(n * frac) for frac in lengths]
        for i in range(n - sum(lengths)):
            lengths[i % len(lengths)] += 1
        for i, length in enumerate(lengths):
            if length == 0:
                warnings.warn(f"random_split: the split at index {i} has length 0", stacklevel=2)
    if any(x < 0 or x != int(x) for x in lengths):
        raise ValueError(f"random_split: lengths must be non-negative ints or fractions, got {lengths}")
    if sum(lengths) != n:
        raise ValueError(f"random_split: lengths {lengths} sum to {sum(lengths)}, not len(dataset) = {n}")
    order = rng(generator).permutation(n).tolist()
    bounds = np.cumsum([0] + [int(x) for x in lengths]).tolist()
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def collated_batch(dataset, indices):
    """The default-collated batch of a TensorDataset (possibly inside Subsets) at `indices` by one fancy
    index per tensor, instead of stacking samples one by one; None for any other dataset."""
    while isinstance(dataset, Subset):
        indices = [dataset.indices[i] for i in indices]
        dataset = dataset.dataset
    if type(dataset) is not TensorDataset:
        return None
    indices = np.asarray(indices, dtype=np.int64)
    return [t._view(t._array[indices]) for t in dataset.tensors]
