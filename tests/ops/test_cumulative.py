"""cumsum and cumprod: forward against NumPy, gradchecks (cumprod also with zeros on the line)."""

import numpy as np
import pytest

import tensorlite as tl

from harness import OpTestCase, random_shape


class TestCumsum(OpTestCase):
    def generate_inputs(self, rng):
        x = rng.standard_normal(random_shape(rng, min_ndim=1))
        self.dim = int(rng.integers(-x.ndim, x.ndim))
        return (x,)

    def forward(self, x):
        return tl.cumsum(x, self.dim) + x.cumsum(dim=self.dim)

    def forward_expected(self, x):
        return 2 * np.cumsum(x, axis=self.dim)


class TestCumprod(OpTestCase):
    def generate_inputs(self, rng):
        x = rng.uniform(0.5, 1.5, random_shape(rng, min_ndim=1)) * rng.choice([-1, 1])
        self.dim = int(rng.integers(-x.ndim, x.ndim))
        return (x,)

    def forward(self, x):
        return x.cumprod(self.dim)

    def forward_expected(self, x):
        return np.cumprod(x, axis=self.dim)


class TestCumprodWithZeros(OpTestCase):
    """Exact zeros (one or several per line) take the branch that cannot divide by x."""

    def generate_inputs(self, rng):
        x = rng.uniform(0.5, 1.5, random_shape(rng, min_ndim=1, max_size=6))
        x[rng.random(x.shape) < 0.3] = 0.0
        self.dim = int(rng.integers(0, x.ndim))
        return (x,)

    def forward(self, x):
        return tl.cumprod(x, self.dim)

    def forward_expected(self, x):
        return np.cumprod(x, axis=self.dim)


def test_cumprod_gradient_at_zeros_matches_the_hand_derivation():
    x = tl.tensor([2.0, 0.0, 3.0, 0.0, 5.0], dtype=tl.float64, requires_grad=True)
    x.cumprod(0).sum().backward()
    # dz/dx1 = sum_{j>=1} prod_{i<=j, i!=1} x_i = 2 + 2*3 + 0 + 0; positions after the first zero get 0
    assert x.grad.tolist() == [1.0, 8.0, 0.0, 0.0, 0.0]


def test_cumsum_of_bools_counts_and_dim_is_checked():
    assert tl.cumsum(tl.tensor([True, False, True]), 0).tolist() == [1, 1, 2]
    assert tl.cumsum(tl.tensor(2.0), 0).item() == 2.0
    with pytest.raises(ValueError, match="dim 2 is out of range"):
        tl.cumsum(tl.ones(2, 2), 2)
