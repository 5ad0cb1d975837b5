"""repeat, flip, roll and chunk: forward against NumPy and gradchecks."""

import numpy as np
import pytest

import tensorlite as tl

from harness import OpTestCase, random_shape


class TestRepeat(OpTestCase):
    def generate_inputs(self, rng):
        x = rng.standard_normal(random_shape(rng, max_size=3))
        self.reps = tuple(int(r) for r in rng.integers(0, 3, x.ndim + int(rng.integers(0, 2))))
        return (x,)

    def forward(self, x):
        return x.repeat(*self.reps) * 2

    def forward_expected(self, x):
        return np.tile(x, self.reps) * 2 if self.reps else x * 2


class TestFlip(OpTestCase):
    def generate_inputs(self, rng):
        x = rng.standard_normal(random_shape(rng, min_ndim=1))
        self.dims = tuple(int(d) for d in rng.choice(x.ndim, int(rng.integers(1, x.ndim + 1)), replace=False))
        return (x,)

    def forward(self, x):
        return tl.flip(x, self.dims) * tl.arange(x.numel(), dtype=x.dtype).reshape(x.shape)

    def forward_expected(self, x):
        return np.flip(x, self.dims) * np.arange(x.size).reshape(x.shape)


class TestRoll(OpTestCase):
    def generate_inputs(self, rng):
        x = rng.standard_normal(random_shape(rng, min_ndim=1))
        self.dim = int(rng.integers(0, x.ndim))
        self.shift = int(rng.integers(-7, 7))
        return (x,)

    def forward(self, x):
        weights = tl.arange(x.numel(), dtype=x.dtype).reshape(x.shape)
        return x.roll(self.shift, self.dim) * weights + tl.roll(x, self.shift) * weights

    def forward_expected(self, x):
        weights = np.arange(x.size).reshape(x.shape)
        return np.roll(x, self.shift, self.dim) * weights + np.roll(x, self.shift) * weights


class TestChunk(OpTestCase):
    def generate_inputs(self, rng):
        x = rng.standard_normal(random_shape(rng, min_ndim=1, max_size=7))
        self.chunks = int(rng.integers(1, 5))
        return (x,)

    def forward(self, x):
        pieces = x.chunk(self.chunks, 0)
        return tl.cat([p * (i + 1) for i, p in enumerate(pieces)])

    def forward_expected(self, x):
        size = -(-x.shape[0] // self.chunks) or 1
        factors = np.arange(x.shape[0]) // size + 1
        return x * factors.reshape((-1,) + (1,) * (x.ndim - 1))


def test_chunk_sizes_follow_torch():
    assert [len(p) for p in tl.arange(5).chunk(3)] == [2, 2, 1]
    assert [len(p) for p in tl.arange(6).chunk(4)] == [2, 2, 2]  # torch: fewer chunks than asked
    assert [tuple(p.shape) for p in tl.zeros(0, 2).chunk(3)] == [(0, 2)] * 3
    with pytest.raises(ValueError, match="chunks must be a positive int"):
        tl.chunk(tl.ones(2), 0)


def test_flip_copies_and_roll_checks_arguments():
    x = tl.tensor([[1, 2], [3, 4]])
    flipped = x.flip(0)
    flipped[0, 0] = 9
    assert x.tolist() == [[1, 2], [3, 4]]
    assert x.roll(1).tolist() == [[4, 1], [2, 3]] and x.roll((1, 1), (0, 1)).tolist() == [[4, 3], [2, 1]]
    with pytest.raises(ValueError, match="same length"):
        x.roll((1, 2), 0)
    with pytest.raises(ValueError, match="need >= ndim"):
        x.repeat(2)
