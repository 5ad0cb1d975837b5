"""Fetchers: turn one entry of the batch sampler into one batch, in the main process or in a worker."""

import itertools

from tensorlite.data.collate import default_collate
from tensorlite.data.dataset import collated_batch


class MapFetcher:
    """Batches of a map-style dataset: collate_fn([dataset[i] for i in indices]) (through __getitems__
    when the dataset has it); without automatic batching, collate_fn(dataset[index])."""

    def __init__(self, dataset, auto_collation, collate_fn):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn

    def fetch(self, indices):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[indices])
        if self.collate_fn is default_collate:
            batch = collated_batch(self.dataset, indices)  # TensorDataset: one gather per tensor
            if batch is not None:
                return batch
        gather = getattr(self.dataset, "__getitems__", None)
        samples = gather(indices) if gather is not None else [self.dataset[i] for i in indices]
        return self.collate_fn(samples)


class IterableFetcher:
    """Batches of an IterableDataset: the next batch_size items of one iterator over it (the last,
    shorter batch is dropped with drop_last). Raises StopIteration when the stream is exhausted."""

    def __init__(self, dataset, auto_collation, collate_fn, batch_size, drop_last):
        self.iterator = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.batch_size = batch_size
        self.drop_last = drop_last

    def fetch(self, _index=None):
        if not self.auto_collation:
            return self.collate_fn(next(self.iterator))
        items = list(itertools.islice(self.iterator, self.batch_size))
        if not items or (self.drop_last and len(items) < self.batch_size):
            raise StopIteration
        return self.collate_fn(items)


class FetchSpec:
    """Everything a worker needs to build its fetcher (picklable, for the spawn and forkserver start
    methods): the dataset, whether it is iterable, and the batching settings."""

    def __init__(
        self,
        dataset,
        iterable,
        auto_collation,
        collate_fn,
        batch_size,
        drop_last,
        num_workers,
        worker_init_fn=None,
    ):
        self.dataset = dataset
        self.iterable = iterable
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.num_workers = num_workers
        self.worker_init_fn = worker_init_fn

    def make_fetcher(self):
        if self.iterable:
            return IterableFetcher(
                self.dataset, self.auto_collation, self.collate_fn, self.batch_size, self.drop_last
            )
        return MapFetcher(self.dataset, self.auto_collation, self.collate_fn)
