"""train_val_test_split: sizes, disjoint coverage, stratification, reproducibility, bad ratios."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tensorlite as tl
from tensorlite.data import train_val_test_split


@given(n=st.integers(5, 200), seed=st.integers(0, 2**31))
def test_sizes_add_up_and_parts_are_disjoint(n, seed):
    x = np.arange(n) * 2
    y = np.arange(n)
    x_tr, x_va, x_te, y_tr, y_va, y_te = train_val_test_split(x, y, seed=seed)
    sizes = [len(x_tr), len(x_va), len(x_te)]
    assert sum(sizes) == n
    assert all(abs(s - r * n) < 1 for s, r in zip(sizes, (0.6, 0.2, 0.2)))
    assert sorted(np.concatenate([y_tr, y_va, y_te]).tolist()) == list(range(n))
    np.testing.assert_array_equal(x_tr, y_tr * 2)  # rows stay aligned across arrays


@given(counts=st.lists(st.integers(5, 60), min_size=2, max_size=5), seed=st.integers(0, 2**31))
def test_stratified_parts_keep_class_proportions(counts, seed):
    labels = np.repeat(np.arange(len(counts)), counts)
    parts = train_val_test_split(labels, stratify=labels, seed=seed)
    for part, ratio in zip(parts, (0.6, 0.2, 0.2)):
        per_class = np.bincount(part, minlength=len(counts))
        assert (np.abs(per_class - ratio * np.array(counts)) < 2).all()


def test_large_data_ratios_and_tensors():
    x = tl.arange(1000)
    train, val, test = train_val_test_split(x, ratios=(0.98, 0.01, 0.01), seed=0)
    assert isinstance(train, tl.Tensor) and (len(train), len(val), len(test)) == (980, 10, 10)
    two = train_val_test_split(np.arange(10), ratios=(0.7, 0.3), seed=0)
    assert [len(p) for p in two] == [7, 3]


def test_reproducible_with_seed_and_with_manual_seed():
    a = train_val_test_split(np.arange(50), seed=4)
    b = train_val_test_split(np.arange(50), seed=4)
    assert all((p == q).all() for p, q in zip(a, b))
    tl.manual_seed(1)
    c = train_val_test_split(np.arange(50))
    tl.manual_seed(1)
    d = train_val_test_split(np.arange(50))
    assert all((p == q).all() for p, q in zip(c, d))


@pytest.mark.parametrize(
    "ratios, message",
    [
        ((0.5, 0.2, 0.2), r"must sum to 1, got \(0.5, 0.2, 0.2\) \(sum 0.9\)"),
        ((1.0,), "at least 2 parts"),
        ((1.2, -0.2), "every ratio must be a number > 0"),
        ((0.98, 0.01, 0.01), r"leave an empty part \(sizes \[20, 0, 0\]\)"),
    ],
)
def test_bad_ratios_raise(ratios, message):
    with pytest.raises(ValueError, match=message):
        train_val_test_split(np.arange(20), ratios=ratios)


def test_mismatched_inputs_raise():
    with pytest.raises(ValueError, match=r"different lengths \[4, 3\]"):
        train_val_test_split(np.arange(4), np.arange(3))
    with pytest.raises(ValueError, match=r"stratify must have shape \(4,\)"):
        train_val_test_split(np.arange(4), stratify=np.arange(5))
