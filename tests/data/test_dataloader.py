"""DataLoader and the plain samplers: order, coverage, batch sizes, determinism under a seed."""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tensorlite as tl
from tensorlite.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    TensorDataset,
    default_collate,
)


def make_dataset(n):
    return TensorDataset(np.arange(n, dtype=np.float32).reshape(n, 1) * 10, np.arange(n, dtype=np.int64))


def batch_ids(loader):
    return [batch[1].numpy().tolist() for batch in loader]


@given(n=st.integers(1, 40), batch_size=st.integers(1, 12), drop_last=st.booleans())
def test_sequential_order_and_batch_sizes(n, batch_size, drop_last):
    loader = DataLoader(make_dataset(n), batch_size=batch_size, drop_last=drop_last)
    batches = batch_ids(loader)
    kept = n - n % batch_size if drop_last else n
    assert list(itertools.chain(*batches)) == list(range(kept))
    assert all(len(b) == batch_size for b in batches[:-1])
    assert len(batches) == len(loader)


@given(n=st.integers(1, 40), batch_size=st.integers(1, 12), seed=st.integers(0, 2**31))
def test_shuffle_covers_every_index_once_and_pairs_stay_together(n, batch_size, seed):
    loader = DataLoader(make_dataset(n), batch_size=batch_size, shuffle=True, generator=tl.Generator(seed))
    seen = []
    for x, y in loader:
        np.testing.assert_array_equal(x.numpy()[:, 0], y.numpy() * 10)
        assert x.dtype == tl.float32 and y.dtype == tl.int64
        seen += y.numpy().tolist()
    assert sorted(seen) == list(range(n))


def test_shuffle_is_deterministic_under_a_seed_and_differs_between_epochs():
    dataset = make_dataset(50)
    first = DataLoader(dataset, batch_size=7, shuffle=True, generator=tl.Generator(3))
    second = DataLoader(dataset, batch_size=7, shuffle=True, generator=tl.Generator(3))
    epoch1, epoch2 = batch_ids(first), batch_ids(first)
    assert epoch1 == batch_ids(second) and epoch2 == batch_ids(second)
    assert epoch1 != epoch2
    tl.manual_seed(11)
    global_a = batch_ids(DataLoader(dataset, batch_size=7, shuffle=True))
    tl.manual_seed(11)
    assert batch_ids(DataLoader(dataset, batch_size=7, shuffle=True)) == global_a


def test_explicit_sampler_and_batch_sampler():
    dataset = make_dataset(10)
    reverse = list(range(9, -1, -1))
    assert list(itertools.chain(*batch_ids(DataLoader(dataset, batch_size=4, sampler=reverse)))) == reverse
    assert batch_ids(DataLoader(dataset, batch_sampler=[[1, 3], [0], [9, 8, 7]])) == [[1, 3], [0], [9, 8, 7]]
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(dataset, batch_size=2, batch_sampler=[[0]])
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(dataset, shuffle=True, sampler=reverse)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        DataLoader(dataset, batch_size=0)


def test_random_sampler_with_replacement_draws_num_samples():
    draws = list(RandomSampler(range(5), replacement=True, num_samples=200, generator=tl.Generator(0)))
    assert len(draws) == 200 and set(draws) == set(range(5))
    more = list(RandomSampler(range(5), num_samples=12, generator=tl.Generator(0)))  # PyTorch 2.x: allowed
    assert len(more) == 12 and sorted(more[:5]) == sorted(more[5:10]) == list(range(5))
    assert len(set(more[10:])) == 2
    with pytest.raises(ValueError, match="num_samples must be a positive int, got 0"):
        RandomSampler(range(5), num_samples=0)


def test_batch_sampler_len_matches_iteration():
    for drop_last in (False, True):
        sampler = BatchSampler(SequentialSampler(range(10)), 3, drop_last)
        assert len(list(sampler)) == len(sampler) == (3 if drop_last else 4)


class PairDataset(Dataset):
    """A dataset without __getitems__: samples go through default_collate."""

    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {"x": np.full((2, 2), i, dtype=np.float32), "y": i, "w": float(i) / 2}


def test_default_collate_stacks_fields_of_plain_datasets():
    batch = next(iter(DataLoader(PairDataset(), batch_size=3)))
    assert batch["x"].shape == (3, 2, 2) and batch["x"].numpy()[2, 0, 0] == 2
    assert batch["y"].dtype == tl.int64 and batch["y"].tolist() == [0, 1, 2]
    assert batch["w"].dtype == tl.float32 and batch["w"].tolist() == [0.0, 0.5, 1.0]
    with pytest.raises(ValueError, match=r"different shapes \[\(1,\), \(2,\)\]"):
        default_collate([np.zeros(1), np.zeros(2)])
    assert default_collate(["a", "b"]) == ["a", "b"]  # strings stay a list, as in PyTorch
    with pytest.raises(TypeError, match="cannot collate samples of type object"):
        default_collate([object(), object()])


def test_tensor_dataset_checks_lengths():
    with pytest.raises(ValueError, match=r"same first dimension, got shapes \[\(3, 2\), \(4,\)\]"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))
    x, y = make_dataset(4)[2]
    assert x.tolist() == [20.0] and y.item() == 2
