"""sort, argsort and topk: values and indices against NumPy, gradchecks, ties and NaN as PyTorch."""

import numpy as np
import pytest

import tensorlite as tl

from harness import OpTestCase, random_shape


def distinct(rng, shape):
    """Values with no ties (a tie would make the gradient's destination a choice)."""
    return rng.permutation(int(np.prod(shape))).reshape(shape) * 0.37 + rng.uniform(-0.1, 0.1, shape)


class TestSort(OpTestCase):
    def generate_inputs(self, rng):
        x = distinct(rng, random_shape(rng, min_ndim=1))
        self.dim, self.descending = int(rng.integers(-x.ndim, x.ndim)), bool(rng.random() < 0.5)
        return (x,)

    def forward(self, x):
        values, _ = x.sort(self.dim, descending=self.descending)
        weights = tl.arange(x.numel(), dtype=x.dtype).reshape(x.shape)
        return values * weights + tl.gather(x, self.dim, tl.argsort(x, self.dim, self.descending))

    def forward_expected(self, x):
        order = np.argsort(-x if self.descending else x, axis=self.dim)
        values = np.take_along_axis(x, order, self.dim)
        return values * np.arange(x.size).reshape(x.shape) + values


class TestTopk(OpTestCase):
    def generate_inputs(self, rng):
        x = distinct(rng, random_shape(rng, min_ndim=1))
        self.dim, self.largest = int(rng.integers(0, x.ndim)), bool(rng.random() < 0.5)
        self.k = int(rng.integers(0, x.shape[self.dim] + 1))
        return (x,)

    def forward(self, x):
        values, _ = tl.topk(x, self.k, dim=self.dim, largest=self.largest)
        return values * 2

    def forward_expected(self, x):
        order = np.argsort(-x if self.largest else x, axis=self.dim)
        return np.take(np.take_along_axis(x, order, self.dim), np.arange(self.k), axis=self.dim) * 2


def test_stable_sort_keeps_ties_in_order_both_ways_and_nan_is_largest():
    x = tl.tensor([1.0, np.nan, 0.0, 1.0, 0.0])
    assert x.sort(stable=True).indices.tolist() == [2, 4, 0, 3, 1]
    assert x.sort(descending=True, stable=True).indices.tolist() == [1, 0, 3, 2, 4]
    assert x.argsort(descending=True, stable=True).tolist() == [1, 0, 3, 2, 4]
    assert x.topk(2).indices.tolist() == [1, 0]
    values, indices = tl.tensor([[3, 1, 2]]).topk(2, largest=False)
    assert values.tolist() == [[1, 2]] and indices.tolist() == [[1, 2]] and indices.dtype == tl.int64


def test_sort_matches_pytorch_on_ties():
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(0).integers(0, 3, (4, 9)).astype(np.float32)
    for descending in (False, True):
        ours = tl.tensor(data).sort(1, descending=descending, stable=True)
        theirs = torch.tensor(data).sort(dim=1, descending=descending, stable=True)
        assert ours.indices.tolist() == theirs.indices.tolist()


def test_topk_checks_k():
    with pytest.raises(ValueError, match=r"k must be an int in \[0, 3\]"):
        tl.ones(3).topk(4)
    assert tl.tensor(5.0).topk(1).values.item() == 5.0
