"""DataLoader: iterate over a dataset in mini-batches of tensors (PyTorch's semantics, single process)."""

import numbers

import numpy as np

from tensorlite.data.sampler import BatchSampler, RandomSampler, SequentialSampler
from tensorlite.tensor import Tensor


def default_collate(samples):
    """Stack a list of samples into a batch: tensors/arrays/numbers become one tensor with a new first
    dimension; tuples, lists and dicts are collated field by field."""
    first = samples[0]
    if isinstance(first, (tuple, list)):
        if any(len(s) != len(first) for s in samples):
            raise ValueError(
                f"default_collate: samples have different lengths {sorted({len(s) for s in samples})}"
            )
        return type(first)(default_collate([s[i] for s in samples]) for i in range(len(first)))
    if isinstance(first, dict):
        return {key: default_collate([s[key] for s in samples]) for key in first}
    if isinstance(first, (Tensor, np.ndarray, numbers.Number)):
        arrays = [s._array if isinstance(s, Tensor) else np.asarray(s) for s in samples]
        shapes = {a.shape for a in arrays}
        if len(shapes) != 1:
            raise ValueError(f"default_collate: cannot stack samples of different shapes {sorted(shapes)}")
        stacked = np.stack(arrays)
        if isinstance(first, float):
            stacked = stacked.astype(np.float32)
        return Tensor._wrap(stacked)
    raise TypeError(f"default_collate: cannot collate samples of type {type(first).__name__}")


class DataLoader:
    """Iterate over `dataset` in batches.

    The order comes from `sampler` (SequentialSampler, or RandomSampler(generator=generator) when
    shuffle=True), grouped by BatchSampler(batch_size, drop_last); or give `batch_sampler` directly
    (then batch_size, shuffle, sampler and drop_last must keep their defaults). Datasets with
    __getitems__ (TensorDataset) are gathered a whole batch at a time. With tl.manual_seed(s) or
    generator=tl.Generator(s) the order is reproducible; each epoch draws a new permutation.
    """

    def __init__(
        self,
        dataset,
        batch_size=1,
        shuffle=False,
        sampler=None,
        batch_sampler=None,
        drop_last=False,
        collate_fn=None,
        generator=None,
    ):
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "DataLoader: batch_sampler is mutually exclusive with batch_size, shuffle, sampler and drop_last"
                )
            batch_size = None
        elif sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler is mutually exclusive with shuffle")
        if batch_sampler is None:
            if sampler is None:
                sampler = (
                    RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
                )
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self.collate_fn = collate_fn or default_collate

    def __iter__(self):
        gather = getattr(self.dataset, "__getitems__", None)
        for indices in self.batch_sampler:
            if gather is not None and self.collate_fn is default_collate:
                yield gather(indices)
            else:
                yield self.collate_fn([self.dataset[i] for i in indices])

    def __len__(self):
        return len(self.batch_sampler)
