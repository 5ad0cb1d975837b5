"""Datasets: the indexable collections a DataLoader draws samples from (PyTorch's map-style datasets)."""

import numpy as np

from tensorlite.tensor import Tensor


class Dataset:
    """A map-style dataset: subclasses implement __getitem__(index) -> sample and __len__()."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} does not implement __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement __len__")


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
        return tuple(t._view(t._array[index]) for t in self.tensors)

    def __getitems__(self, indices):
        """A whole batch at once: one fancy-indexing gather per tensor (what DataLoader uses)."""
        indices = np.asarray(indices, dtype=np.int64)
        return tuple(t._view(t._array[indices]) for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]
