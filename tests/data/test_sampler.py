"""StratifiedBatchSampler: exact batch sizes, every class in every batch, proportions, coverage."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tensorlite as tl
from tensorlite.data import DataLoader, StratifiedBatchSampler, TensorDataset
from tensorlite.data.sampler import largest_remainder


@given(
    counts=st.lists(st.integers(1, 40), min_size=1, max_size=6),
    extra=st.integers(0, 20),
    drop_last=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_every_batch_holds_every_class_in_proportion(counts, extra, drop_last, seed):
    labels = np.repeat(np.arange(len(counts)) * 3, counts)  # class ids need not be 0..K-1
    n, k = len(labels), len(counts)
    batch_size = k + extra
    sampler = StratifiedBatchSampler(labels, batch_size, drop_last=drop_last, generator=tl.Generator(seed))
    batches = list(sampler)
    assert len(batches) == len(sampler)
    if drop_last:
        assert len(sampler) == n // batch_size
    elif len(sampler) > math.ceil(n / batch_size):  # only when one batch fewer could not cover every sample
        fewer = len(sampler) - 1
        assert fewer * extra < sum(max(c - fewer, 0) for c in counts)
    else:
        assert len(sampler) == math.ceil(n / batch_size)
    for batch in batches:
        assert len(batch) == batch_size
        per_class = np.bincount(labels[batch] // 3, minlength=k)
        assert (per_class >= 1).all()
    if not drop_last:
        assert set(itertools.chain(*batches)) == set(range(n))  # every sample at least once
    if batches:
        per_batch = np.array([np.bincount(labels[b] // 3, minlength=k) for b in batches])
        assert (per_batch.max(axis=0) - per_batch.min(axis=0) <= 1).all()  # the same mix in every batch, +-1


def test_crowded_big_class_gets_extra_batches_to_be_covered():
    labels = np.array([0, 1, 1, 1])
    batches = list(StratifiedBatchSampler(labels, 2, generator=tl.Generator(0)))
    assert len(batches) == 3 and sorted(set(itertools.chain(*batches))) == [0, 1, 2, 3]


def test_rare_class_is_oversampled_and_common_ones_keep_their_share():
    labels = np.array([0] * 90 + [1] * 2)
    batches = list(StratifiedBatchSampler(labels, 10, generator=tl.Generator(0)))
    assert len(batches) == 10
    counts = np.array([np.bincount(labels[b], minlength=2) for b in batches])
    np.testing.assert_array_equal(counts[:, 1], 1)
    assert counts[:, 0].sum() == 90  # all of class 0 seen exactly once


def test_batches_are_deterministic_under_a_generator_seed():
    labels = np.arange(100) % 4
    a = list(StratifiedBatchSampler(labels, 16, generator=tl.Generator(5)))
    b = list(StratifiedBatchSampler(labels, 16, generator=tl.Generator(5)))
    c = list(StratifiedBatchSampler(labels, 16, generator=tl.Generator(6)))
    assert a == b and a != c


def test_works_as_a_dataloader_batch_sampler():
    labels = np.arange(30) % 3
    loader = DataLoader(
        TensorDataset(np.arange(30.0), labels),
        batch_sampler=StratifiedBatchSampler(tl.tensor(labels), 6, generator=tl.Generator(0)),
    )
    for x, y in loader:
        assert sorted(y.tolist()) == [0, 0, 1, 1, 2, 2]
        np.testing.assert_array_equal(x.numpy().astype(np.int64) % 3, y.numpy())


def test_rejects_batches_too_small_for_every_class():
    with pytest.raises(ValueError, match="batch_size 2 is smaller than the number of classes 3"):
        StratifiedBatchSampler([0, 1, 2, 0], 2)
    with pytest.raises(ValueError, match=r"labels must be 1-D, got shape \(2, 2\)"):
        StratifiedBatchSampler(np.zeros((2, 2)), 4)


@given(weights=st.lists(st.integers(0, 50), min_size=1, max_size=8), total=st.integers(0, 100))
def test_largest_remainder_splits_exactly_within_one_of_the_share(weights, total):
    parts = largest_remainder(weights, total)
    if sum(weights) == 0:
        assert parts.sum() == 0
        return
    assert parts.sum() == total
    share = np.array(weights) * total / sum(weights)
    assert (np.abs(parts - share) < 1).all()
