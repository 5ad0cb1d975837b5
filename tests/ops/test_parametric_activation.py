"""leaky_relu, elu, selu, gelu, softplus (ops/activation.py, C++ parametric_activation kernels)."""

import math

import numpy as np
import pytest

import tensorlite as tl

from harness import OpTestCase, random_shape

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
erf = np.vectorize(math.erf)


def inputs_away_from_kinks(rng):
    """Random values with |x| >= 1e-3, so finite differences never straddle a kink at 0."""
    x = rng.standard_normal(random_shape(rng)) * 3
    return (np.where(np.abs(x) < 1e-3, 0.5, x),)


class TestLeakyReLU(OpTestCase):
    generate_inputs = staticmethod(inputs_away_from_kinks)

    def forward(self, x):
        return tl.leaky_relu(x, 0.2)

    def forward_expected(self, x):
        return np.where(x > 0, x, 0.2 * x)


class TestELU(OpTestCase):
    generate_inputs = staticmethod(inputs_away_from_kinks)

    def forward(self, x):
        return tl.elu(x, 1.5)

    def forward_expected(self, x):
        return np.where(x > 0, x, 1.5 * np.expm1(np.minimum(x, 0)))


class TestSELU(OpTestCase):
    generate_inputs = staticmethod(inputs_away_from_kinks)

    def forward(self, x):
        return tl.selu(x)

    def forward_expected(self, x):
        return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))


class TestGELU(OpTestCase):
    def generate_inputs(self, rng):
        return (rng.standard_normal(random_shape(rng)) * 3,)

    def forward(self, x):
        return tl.gelu(x)

    def forward_expected(self, x):
        return 0.5 * x * (1 + erf(x / math.sqrt(2))) if x.size else x


class TestGELUTanh(TestGELU):
    def forward(self, x):
        return tl.gelu(x, approximate="tanh")

    def forward_expected(self, x):
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


class TestSoftplus(OpTestCase):
    def generate_inputs(self, rng):
        x = rng.standard_normal(random_shape(rng)) * 10
        return (np.where(np.abs(2 * x - 20) < 1e-3, 0.0, x),)  # keep clear of the threshold switch

    def forward(self, x):
        return tl.softplus(x, beta=2.0, threshold=20.0)

    def forward_expected(self, x):
        return np.where(2 * x > 20, x, np.logaddexp(0, 2 * x) / 2)


def test_gelu_exact_and_tanh_forms_are_close_but_different():
    x = tl.linspace(-4, 4, 101, dtype=tl.float64)
    exact, approx = tl.gelu(x).numpy(), tl.gelu(x, approximate="tanh").numpy()
    assert np.abs(exact - approx).max() < 1e-3
    assert np.abs(exact - approx).max() > 1e-6


def test_softplus_and_elu_do_not_overflow_at_extreme_inputs():
    x = tl.tensor([-1e4, -80.0, 0.0, 80.0, 1e4])
    assert np.all(np.isfinite(tl.softplus(x).numpy()))
    assert np.all(np.isfinite(tl.elu(x).numpy()))
    assert tl.softplus(x).numpy()[-1] == 1e4


def test_selu_keeps_standard_normal_input_near_zero_mean_unit_variance():
    x = np.random.default_rng(0).standard_normal(200_000)
    y = tl.selu(tl.tensor(x)).numpy()
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1) < 0.01


@pytest.mark.parametrize("call", [lambda x: tl.gelu(x, approximate="fast"), lambda x: tl.softplus(x, beta=0)])
def test_bad_parameters_raise(call):
    with pytest.raises(ValueError):
        call(tl.zeros(3))
