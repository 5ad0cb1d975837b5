"""Samplers: the order in which a DataLoader visits a dataset's indices (PyTorch names and semantics),
plus StratifiedBatchSampler, which puts every class into every mini-batch."""

import math

import numpy as np

from tensorlite.random import rng


class Sampler:
    """Base class: iterating yields dataset indices (or lists of indices for batch samplers)."""

    def __iter__(self):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """Indices 0, 1, ..., len(data_source) - 1 in order."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A fresh random permutation of the indices every epoch; with num_samples > len(data_source),
    whole permutations one after another, cut at num_samples. With replacement=True, `num_samples`
    independent uniform draws. Draws come from `generator` (default: the global tl generator)."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement must be a bool, got {replacement!r}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if (
            not isinstance(self.num_samples, int)
            or isinstance(self.num_samples, bool)
            or self.num_samples <= 0
        ):
            raise ValueError(f"RandomSampler: num_samples must be a positive int, got {self.num_samples!r}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        draw = rng(self.generator)
        if self.replacement:
            return iter(draw.integers(0, n, size=self.num_samples).tolist())
        passes = [draw.permutation(n) for _ in range(math.ceil(self.num_samples / n))]
        return iter(np.concatenate(passes)[: self.num_samples].tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a fresh random order every epoch: indices[p[0]], indices[p[1]], ... for a
    random permutation p drawn from `generator`."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        return iter([self.indices[i] for i in rng(self.generator).permutation(len(self.indices)).tolist()])

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """`num_samples` indices drawn with P(i) = weights[i] / sum(weights) (torch.multinomial): with
    replacement, independent draws; without, each index at most once (needs that many nonzero weights)."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(
                f"WeightedRandomSampler: num_samples must be a positive int, got {num_samples!r}"
            )
        if not isinstance(replacement, bool):
            raise TypeError(f"WeightedRandomSampler: replacement must be a bool, got {replacement!r}")
        weights = np.asarray(weights, dtype=np.float64)
        if weights.ndim != 1 or weights.size == 0:
            raise ValueError(
                f"WeightedRandomSampler: weights must be a non-empty 1-D sequence, got shape {weights.shape}"
            )
        if not np.isfinite(weights).all() or (weights < 0).any() or weights.sum() <= 0:
            raise ValueError("WeightedRandomSampler: weights must be finite, >= 0 and not all zero")
        if not replacement and num_samples > np.count_nonzero(weights):
            raise ValueError(
                f"WeightedRandomSampler: cannot draw {num_samples} samples without replacement from "
                f"{np.count_nonzero(weights)} nonzero weights"
            )
        self.weights = weights
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        p = self.weights / self.weights.sum()
        draws = rng(self.generator).choice(len(p), size=self.num_samples, replace=self.replacement, p=p)
        return iter(draws.tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of `sampler` into lists of `batch_size`; the last shorter one is dropped when
    drop_last=True."""

    def __init__(self, sampler, batch_size, drop_last=False):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)


class StratifiedBatchSampler(Sampler):
    """Mini-batches of exactly `batch_size` indices in which every class appears at least once and
    classes appear in proportion to their frequency.

    An epoch has B = ceil(N / batch_size) batches (N // batch_size with drop_last=True; without it, a few
    more when the one-sample-per-class slots would otherwise leave part of a big class out). Class c gets
    T_c = B + share of the B * (batch_size - K) remaining slots, split in proportion to max(n_c - B, 0)
    (K classes, n_c samples of class c). Without drop_last every sample is visited at least once; a
    class with T_c > n_c (a rare class, or the slack that fills the last batch) is oversampled from a
    fresh permutation. Each batch takes one sample of every class plus its share of the rest
    (largest-remainder rounding), so the class mix is the same in every batch up to +-1.
    """

    def __init__(self, labels, batch_size, drop_last=False, generator=None):
        labels = np.asarray(labels)
        if labels.ndim != 1:
            raise ValueError(f"StratifiedBatchSampler: labels must be 1-D, got shape {labels.shape}")
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"StratifiedBatchSampler: batch_size must be a positive int, got {batch_size!r}")
        classes, inverse = np.unique(labels, return_inverse=True)
        if batch_size < len(classes):
            raise ValueError(
                f"StratifiedBatchSampler: batch_size {batch_size} is smaller than the number of classes "
                f"{len(classes)}, so a batch cannot hold every class"
            )
        self.classes = classes
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.generator = generator
        self._members = [np.flatnonzero(inverse == k) for k in range(len(classes))]

    def __len__(self):
        counts = np.array([len(m) for m in self._members])
        if self.drop_last:
            return int(counts.sum()) // self.batch_size
        num_batches = math.ceil(counts.sum() / self.batch_size)
        while num_batches * (self.batch_size - len(counts)) < np.maximum(counts - num_batches, 0).sum():
            num_batches += 1  # the one-per-class slots crowd out part of a big class: add a batch
        return int(num_batches)

    def _class_totals(self, num_batches):
        counts = np.array([len(m) for m in self._members])
        spare = num_batches * (self.batch_size - len(counts))
        wanted = np.maximum(counts - num_batches, 0)
        weights = wanted if wanted.sum() > 0 else counts
        return num_batches + largest_remainder(weights, spare)

    def __iter__(self):
        num_batches = len(self)
        if num_batches == 0:
            return
        draw = rng(self.generator)
        totals = self._class_totals(num_batches)
        streams = [_class_stream(members, total, draw) for members, total in zip(self._members, totals)]
        remaining = totals.copy()
        used = np.zeros_like(totals)
        for left in range(num_batches, 0, -1):
            extra = largest_remainder(remaining - left, self.batch_size - len(totals))
            take = 1 + extra
            batch = np.concatenate([s[u : u + t] for s, u, t in zip(streams, used, take)])
            used += take
            remaining -= take
            yield draw.permutation(batch).tolist()


def _class_stream(members, total, draw):
    """`total` indices from `members`: whole shuffled passes, then part of one more."""
    passes = [draw.permutation(members) for _ in range(math.ceil(total / len(members)))]
    return np.concatenate(passes)[:total]


def largest_remainder(weights, total):
    """Split the integer `total` in proportion to `weights` (>= 0): floors of the exact shares, then one
    more for the largest fractional parts (Hamilton's method). Each part is floor or ceil of its share."""
    weights = np.asarray(weights, dtype=np.float64)
    if total == 0 or weights.sum() == 0:
        return np.zeros(len(weights), dtype=np.int64)
    exact = weights * (total / weights.sum())
    parts = np.floor(exact).astype(np.int64)
    short = int(total - parts.sum())
    order = np.argsort(-(exact - parts), kind="stable")
    parts[order[:short]] += 1
    return parts
