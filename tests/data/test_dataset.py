"""Subset, ConcatDataset (and `+`), ChainDataset, random_split, SubsetRandomSampler and
WeightedRandomSampler: PyTorch's semantics (sizes, coverage, disjointness, determinism under a seed)."""

import contextlib
import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tensorlite as tl
from tensorlite.utils.data import (
    ConcatDataset,
    DataLoader,
    IterableDataset,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    random_split,
)


def ids(n, start=0):
    return TensorDataset(np.arange(start, start + n))


def items(dataset):
    return [dataset[i][0].item() for i in range(len(dataset))]


@given(
    n=st.integers(1, 60), cuts=st.lists(st.integers(0, 60), min_size=1, max_size=4), seed=st.integers(0, 99)
)
def test_random_split_by_lengths_is_a_disjoint_cover_of_the_given_sizes(n, cuts, seed):
    points = sorted(min(c, n) for c in cuts)
    lengths = np.diff([0, *points, n]).tolist()
    # n = 1: lengths summing to 1 are read as fractions (PyTorch), which warns for an empty part
    empty_fraction = n == 1 and 0 in lengths
    with pytest.warns(UserWarning, match="has length 0") if empty_fraction else contextlib.nullcontext():
        parts = random_split(ids(n), lengths, generator=tl.Generator(seed))
        again = random_split(ids(n), lengths, generator=tl.Generator(seed))
    assert [len(p) for p in parts] == lengths
    seen = [i for p in parts for i in items(p)]
    assert sorted(seen) == list(range(n))
    assert [items(p) for p in again] == [items(p) for p in parts]


def test_random_split_by_fractions_spreads_the_remainder_round_robin():
    parts = random_split(ids(10), [0.3, 0.3, 0.4], generator=tl.Generator(0))
    assert [len(p) for p in parts] == [3, 3, 4]
    parts = random_split(ids(11), [0.25, 0.25, 0.5], generator=tl.Generator(0))
    assert [len(p) for p in parts] == [3, 3, 5]  # floors 2, 2, 5; the 2 left over go to parts 0 and 1
    assert sorted(i for p in parts for i in items(p)) == list(range(11))
    a = random_split(range(30), [0.5, 0.5], generator=tl.Generator(4))
    b = random_split(range(30), [0.5, 0.5], generator=tl.Generator(5))
    assert list(a[0]) != list(b[0])
    with pytest.warns(UserWarning, match="split at index 0 has length 0"):
        assert [len(p) for p in random_split(range(2), [0.0, 1.0])] == [0, 2]
    assert [len(p) for p in random_split(range(5), [1])] == [5]  # ints summing to 1: fractions (PyTorch)
    with pytest.warns(UserWarning, match="split at index 0 has length 0"):
        assert [len(p) for p in random_split(range(5), [0, 1])] == [0, 5]


def test_random_split_rejects_lengths_that_do_not_add_up():
    with pytest.raises(ValueError, match=r"lengths \[3, 3\] sum to 6, not len\(dataset\) = 7"):
        random_split(range(7), [3, 3])
    with pytest.raises(ValueError, match="fraction at index 0 is -0.5, not between 0 and 1"):
        random_split(range(7), [-0.5, 1.5])
    with pytest.raises(TypeError, match="lengths must be a non-empty list"):
        random_split(range(7), ["a"])


def test_subset_and_concat_index_like_pytorch():
    sub = Subset(ids(10), [7, 2, 5])
    assert items(sub) == [7, 2, 5] and len(sub) == 3
    assert [s[0].item() for s in sub.__getitems__([2, 0])] == [5, 7]
    both = ids(3) + ids(2, start=10)
    assert isinstance(both, ConcatDataset) and both.cumulative_sizes == [3, 5]
    assert items(both) == [0, 1, 2, 10, 11] and both[-1][0].item() == 11
    with pytest.raises(IndexError, match="index 5 is out of range for length 5"):
        both[5]
    three = both + ids(1, start=20)
    assert items(three) == [0, 1, 2, 10, 11, 20]
    with pytest.raises(ValueError, match="datasets must not be empty"):
        ConcatDataset([])


def test_dataloader_over_subsets_and_concatenations_collates_as_for_plain_samples():
    x = np.arange(20.0).reshape(10, 2)
    dataset = TensorDataset(x, np.arange(10))
    train, _ = random_split(dataset, [0.7, 0.3], generator=tl.Generator(1))
    for xb, yb in DataLoader(train, batch_size=3):  # through the one-gather path for TensorDataset
        np.testing.assert_array_equal(xb.numpy(), x[yb.numpy()])
    (batch,) = list(DataLoader(Subset(ids(10), [4, 1]) + ids(2, start=50), batch_size=4))
    assert isinstance(batch, list) and batch[0].tolist() == [4, 1, 50, 51]  # a list, as PyTorch's


def test_iterable_datasets_chain_with_plus():
    class Count(IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))

    assert list(Count(2) + Count(3)) == [0, 1, 0, 1, 2]
    with pytest.raises(TypeError, match="does not support IterableDataset"):
        ConcatDataset([Count(2)])


def test_subset_random_sampler_permutes_the_given_indices_every_epoch():
    sampler = SubsetRandomSampler([3, 8, 9, 11], generator=tl.Generator(0))
    epochs = [list(sampler) for _ in range(4)]
    assert all(sorted(e) == [3, 8, 9, 11] for e in epochs) and len(sampler) == 4
    assert len({tuple(e) for e in epochs}) > 1


def test_weighted_random_sampler_follows_the_weights():
    weights = [0.0, 1.0, 3.0]
    draws = list(WeightedRandomSampler(weights, 4000, generator=tl.Generator(0)))
    counts = np.bincount(draws, minlength=3)
    assert counts[0] == 0 and len(draws) == 4000
    assert abs(counts[2] / 4000 - 0.75) < 0.03  # binomial sd 0.007
    unique = list(
        WeightedRandomSampler(
            tl.tensor([1.0, 5.0, 0.0, 2.0]), 3, replacement=False, generator=tl.Generator(1)
        )
    )
    assert sorted(unique) == [0, 1, 3]
    with pytest.raises(ValueError, match="cannot draw 4 samples without replacement from 3 nonzero weights"):
        WeightedRandomSampler([1.0, 5.0, 0.0, 2.0], 4, replacement=False)
    with pytest.raises(ValueError, match="finite, >= 0 and not all zero"):
        WeightedRandomSampler([1.0, -1.0], 2)
    with pytest.raises(ValueError, match="num_samples must be a positive int, got 0"):
        WeightedRandomSampler([1.0], 0)


def test_samplers_plug_into_the_dataloader():
    loader = DataLoader(
        ids(12), batch_size=4, sampler=SubsetRandomSampler(range(0, 12, 2), generator=tl.Generator(2))
    )
    seen = list(itertools.chain(*[b.tolist() for (b,) in loader]))
    assert sorted(seen) == [0, 2, 4, 6, 8, 10]
