"""DataLoader: iterate over a dataset in mini-batches of tensors, in this process or in worker processes
(torch.utils.data.DataLoader's signature and semantics)."""

import multiprocessing

from tensorlite.data._fetch import FetchSpec
from tensorlite.data._multiprocessing import MultiProcessingIter
from tensorlite.data.collate import default_collate, default_convert
from tensorlite.data.dataset import IterableDataset
from tensorlite.data.sampler import BatchSampler, RandomSampler, SequentialSampler
from tensorlite.random import rng


class DataLoader:
    """Iterate over `dataset` in batches.

    Map-style datasets: the order comes from `sampler` (SequentialSampler, or
    RandomSampler(generator=generator) when shuffle=True), grouped by BatchSampler(batch_size, drop_last);
    or give `batch_sampler` directly (then batch_size, shuffle, sampler and drop_last keep their
    defaults). batch_size=None turns batching off: each sample goes through collate_fn (default:
    default_convert) alone. An IterableDataset is read in order, batch_size items at a time.

    num_workers=N > 0 loads batches in N worker processes, returned in sampler order; each holds up to
    prefetch_factor (default 2) requests. Every epoch a base_seed is drawn from `generator` (or the global
    generator) and worker i seeds Python's random and tensorlite's global generator with base_seed + i (and
    NumPy's global RNG from both), then runs worker_init_fn(i); get_worker_info() tells a worker who it is.
    persistent_workers=True keeps the workers (and their seeds) across epochs. timeout > 0: RuntimeError
    when a batch takes longer than that many seconds. Workers run one kernel thread each. They are started
    with `multiprocessing_context` (a start method name or context; default: multiprocessing's, which is
    fork on Linux: the dataset, collate_fn and worker_init_fn need not be picklable). pin_memory and
    pin_memory_device are accepted and do nothing (tensors live in ordinary CPU memory).
    """

    def __init__(
        self,
        dataset,
        batch_size=1,
        shuffle=None,
        sampler=None,
        batch_sampler=None,
        num_workers=0,
        collate_fn=None,
        pin_memory=False,
        drop_last=False,
        timeout=0,
        worker_init_fn=None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor=None,
        persistent_workers=False,
        pin_memory_device="",
    ):
        _check_workers(num_workers, timeout, prefetch_factor, persistent_workers)
        if batch_size is not None and (
            not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0
        ):
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        iterable = isinstance(dataset, IterableDataset)
        if iterable and (shuffle or sampler is not None or batch_sampler is not None):
            raise ValueError("DataLoader: an IterableDataset takes no shuffle, sampler or batch_sampler")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "DataLoader: batch_sampler is mutually exclusive with batch_size, shuffle, sampler and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None:
            if drop_last:
                raise ValueError(
                    "DataLoader: batch_size=None (no batching) is mutually exclusive with drop_last"
                )
        elif sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler is mutually exclusive with shuffle")
        if not iterable and sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if not iterable and batch_sampler is None and batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.collate_fn = collate_fn or (default_collate if self._auto_collation else default_convert)
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = _context(multiprocessing_context)
        self.generator = generator
        self.prefetch_factor = 2 if prefetch_factor is None and num_workers > 0 else prefetch_factor
        self.persistent_workers = persistent_workers
        self._iterator = None

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None or (
            isinstance(self.dataset, IterableDataset) and self.batch_size is not None
        )

    def _spec(self):
        return FetchSpec(
            self.dataset,
            isinstance(self.dataset, IterableDataset),
            self._auto_collation,
            self.collate_fn,
            self.batch_size,
            self.drop_last,
            self.num_workers,
            self.worker_init_fn,
        )

    @property
    def _index_source(self):
        return self.batch_sampler if self.batch_sampler is not None else self.sampler

    def __iter__(self):
        if self.persistent_workers and self._iterator is not None and self._iterator.alive:
            return self._iterator.reset()
        # Drawn even without workers (as PyTorch does), so the shuffle order is the same for any num_workers.
        base_seed = int(rng(self.generator).integers(0, 2**62))
        if self.num_workers == 0:
            return _single_process(self._spec(), self._index_source)
        iterator = MultiProcessingIter(
            self._spec(),
            self._index_source,
            self.multiprocessing_context,
            self.prefetch_factor,
            self.timeout,
            self.persistent_workers,
            base_seed,
        )
        if self.persistent_workers:
            self._iterator = iterator
        return iterator

    def __len__(self):
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)  # TypeError when the stream has no length, as in PyTorch
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self._index_source)


def _single_process(spec, sampler):
    fetcher = spec.make_fetcher()
    if spec.iterable:
        while True:
            try:
                batch = fetcher.fetch()
            except StopIteration:
                return
            yield batch
    for index in sampler:
        yield fetcher.fetch(index)


def _check_workers(num_workers, timeout, prefetch_factor, persistent_workers):
    if not isinstance(num_workers, int) or isinstance(num_workers, bool) or num_workers < 0:
        raise ValueError(f"DataLoader: num_workers must be an int >= 0, got {num_workers!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout >= 0:
        raise ValueError(f"DataLoader: timeout must be a number >= 0, got {timeout!r}")
    if prefetch_factor is not None:
        if num_workers == 0:
            raise ValueError("DataLoader: prefetch_factor needs num_workers > 0 (it counts per worker)")
        if not isinstance(prefetch_factor, int) or isinstance(prefetch_factor, bool) or prefetch_factor < 1:
            raise ValueError(f"DataLoader: prefetch_factor must be a positive int, got {prefetch_factor!r}")
    if persistent_workers and num_workers == 0:
        raise ValueError("DataLoader: persistent_workers=True needs num_workers > 0")


def _context(context):
    if context is None:
        return multiprocessing.get_context()
    if isinstance(context, str):
        if context not in multiprocessing.get_all_start_methods():
            raise ValueError(
                f"DataLoader: multiprocessing_context {context!r} is not one of "
                f"{multiprocessing.get_all_start_methods()}"
            )
        return multiprocessing.get_context(context)
    if isinstance(context, multiprocessing.context.BaseContext):
        return context
    raise TypeError(
        f"DataLoader: multiprocessing_context must be a start method name or a context, "
        f"got {type(context).__name__}"
    )
