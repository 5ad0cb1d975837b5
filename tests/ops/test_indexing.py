"""gather, scatter, scatter_add, index_select, masked_fill, tril and triu: forward against NumPy loops,
gradchecks, in-place forms and PyTorch's index checks."""

import numpy as np
import pytest

import tensorlite as tl

from harness import OpTestCase, random_shape


def loop_positions(index, dim):
    """Every (position in index, position in the indexed tensor) pair, written out naively."""
    for p in np.ndindex(index.shape):
        q = list(p)
        q[dim] = index[p]
        yield p, tuple(q)


class TestGather(OpTestCase):
    def generate_inputs(self, rng):
        x = rng.standard_normal(random_shape(rng, min_ndim=1, max_size=4))
        self.dim = int(rng.integers(0, x.ndim))
        shape = [int(rng.integers(0, n + 1)) for n in x.shape]  # index may be smaller outside dim
        shape[self.dim] = int(rng.integers(0, 5))
        high = x.shape[self.dim]
        self.index = rng.integers(0, max(high, 1), shape) if high else np.zeros([0] * x.ndim, np.int64)
        return (x,)

    def forward(self, x):
        return x.gather(self.dim, tl.tensor(self.index)) * 2

    def forward_expected(self, x):
        out = np.zeros(self.index.shape)
        for p, q in loop_positions(self.index, self.dim):
            out[p] = x[q]
        return out * 2


class ScatterCase(OpTestCase):
    add = False

    def generate_inputs(self, rng):
        x = rng.standard_normal(random_shape(rng, min_ndim=1, max_size=4))
        self.dim = int(rng.integers(0, x.ndim))
        shape = [int(rng.integers(0, n + 1)) for n in x.shape]
        shape[self.dim] = int(rng.integers(0, x.shape[self.dim] + 1))
        lines = np.moveaxis(np.zeros(shape, np.int64), self.dim, -1)
        for p in np.ndindex(lines.shape[:-1]):  # distinct targets per line: scatter's result is defined
            lines[p] = rng.permutation(x.shape[self.dim])[: lines.shape[-1]]
        self.index = np.moveaxis(lines, -1, self.dim)
        src_shape = [n + int(rng.integers(0, 2)) for n in shape]  # src may be larger than index
        return x, rng.standard_normal(src_shape)

    def forward(self, x, src):
        fn = tl.scatter_add if self.add else tl.scatter
        return fn(x, self.dim, tl.tensor(self.index), src) * 3

    def forward_expected(self, x, src):
        out = x.copy()
        for p, q in loop_positions(self.index, self.dim):
            out[q] = out[q] + src[p] if self.add else src[p]
        return out * 3


class TestScatter(ScatterCase):
    add = False


class TestScatterAdd(ScatterCase):
    add = True


class TestIndexSelect(OpTestCase):
    def generate_inputs(self, rng):
        x = rng.standard_normal(random_shape(rng, min_ndim=1, max_size=4))
        self.dim = int(rng.integers(0, x.ndim))
        n = x.shape[self.dim]
        self.index = rng.integers(0, n, int(rng.integers(0, 6))) if n else np.zeros(0, np.int64)
        return (x,)

    def forward(self, x):
        return tl.index_select(x, self.dim, tl.tensor(self.index, dtype=tl.int64)) * 2

    def forward_expected(self, x):
        return np.take(x, self.index, axis=self.dim) * 2


class TestMaskedFill(OpTestCase):
    def generate_inputs(self, rng):
        x = rng.standard_normal(random_shape(rng))
        self.mask = rng.random(x.shape[int(rng.integers(0, x.ndim + 1)) :]) < 0.5  # broadcasts from the right
        return x, rng.standard_normal(())

    def forward(self, x, value):
        return x.masked_fill(tl.tensor(self.mask), value) + tl.masked_fill(x, tl.tensor(self.mask), -1.5)

    def forward_expected(self, x, value):
        return np.where(self.mask, value, x) + np.where(self.mask, -1.5, x)


class TestTrilTriu(OpTestCase):
    def generate_inputs(self, rng):
        self.diagonal = int(rng.integers(-3, 4))
        return (rng.standard_normal(random_shape(rng, min_ndim=2, max_ndim=4)),)

    def forward(self, x):
        return x.tril(self.diagonal) + 2 * tl.triu(x, diagonal=self.diagonal)

    def forward_expected(self, x):
        return np.tril(x, self.diagonal) + 2 * np.triu(x, self.diagonal)


def test_gather_and_index_select_check_indices_like_pytorch():
    x = tl.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.gather(1, tl.tensor([[1, 1], [0, 1]])).tolist() == [[2.0, 2.0], [3.0, 4.0]]
    with pytest.raises(IndexError, match="index -1 is out of range for size 2 of dimension 1"):
        x.gather(1, tl.tensor([[-1, 0], [0, 0]]))
    with pytest.raises(ValueError, match="index must have 2 dimensions"):
        x.gather(1, tl.tensor([0, 1]))
    with pytest.raises(TypeError, match="index must be an integer tensor"):
        x.gather(1, tl.tensor([[0.0]]))
    with pytest.raises(IndexError, match="index 2 is out of range"):
        x.index_select(0, tl.tensor([2]))
    with pytest.raises(ValueError, match="larger than the input"):
        x.gather(0, tl.tensor([[0, 0, 0]]))


def test_repeated_indices_accumulate_gradients():
    x = tl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x.index_select(0, tl.tensor([0, 0, 2])) * tl.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 3.0]
    x.grad = None
    x.unsqueeze(0).gather(1, tl.tensor([[1, 1, 1]])).sum().backward()
    assert x.grad.tolist() == [0.0, 3.0, 0.0]


def test_scatter_takes_a_value_and_inplace_forms_bump_the_version():
    x = tl.zeros(2, 3)
    out = x.scatter(1, tl.tensor([[2], [0]]), 5.0)
    assert out.tolist() == [[0.0, 0.0, 5.0], [5.0, 0.0, 0.0]] and x.tolist() == [[0.0] * 3] * 2
    assert x.scatter_(1, tl.tensor([[1], [1]]), value=2.0) is x and x._version == 1
    assert x.tolist() == [[0.0, 2.0, 0.0], [0.0, 2.0, 0.0]]
    x.scatter_add_(0, tl.tensor([[1, 1, 1]]), tl.ones(1, 3))
    assert x.tolist() == [[0.0, 2.0, 0.0], [1.0, 3.0, 1.0]] and x._version == 2
    assert x.masked_fill_(x > 1.5, -1.0) is x and x.tolist() == [[0.0, -1.0, 0.0], [1.0, -1.0, 1.0]]
    with pytest.raises(TypeError, match="exactly one of src and value"):
        x.scatter(1, tl.tensor([[0]]))


def test_masked_fill_refuses_non_bool_masks_and_tensor_values_with_shape():
    x = tl.ones(2, 2)
    with pytest.raises(TypeError, match="mask must be a bool tensor"):
        x.masked_fill(tl.tensor([1, 0]), 0.0)
    with pytest.raises(ValueError, match="does not broadcast"):
        x.masked_fill(tl.tensor([True, False, True]), 0.0)
    with pytest.raises(ValueError, match="0-d tensor"):
        x.masked_fill(tl.tensor([True, False]), tl.ones(2))
    assert tl.tensor([1, 2]).masked_fill(tl.tensor([True, False]), 7).tolist() == [7, 2]
