"""log1p, expm1, log2, log10 against NumPy with gradchecks; isnan/isinf/isfinite and allclose."""

import numpy as np

import tensorlite as tl

from harness import OpTestCase, random_shape


class TestLog1p(OpTestCase):
    def generate_inputs(self, rng):
        return (rng.uniform(-0.9, 3.0, random_shape(rng)),)

    def forward(self, x):
        return tl.log1p(x) + x.log1p()

    def forward_expected(self, x):
        return 2 * np.log1p(x)


class TestExpm1(OpTestCase):
    def generate_inputs(self, rng):
        return (rng.standard_normal(random_shape(rng)),)

    def forward(self, x):
        return x.expm1()

    def forward_expected(self, x):
        return np.expm1(x)


class TestLog2Log10(OpTestCase):
    def generate_inputs(self, rng):
        return (rng.uniform(0.1, 5.0, random_shape(rng)),)

    def forward(self, x):
        return tl.log2(x) + 3 * x.log10()

    def forward_expected(self, x):
        return np.log2(x) + 3 * np.log10(x)


def test_log1p_and_expm1_are_accurate_near_zero():
    x = tl.tensor([1e-10], dtype=tl.float64)
    assert tl.log1p(x).item() == np.log1p(1e-10) and tl.expm1(x).item() == np.expm1(1e-10)
    assert tl.log1p(x).item() != 0.0


def test_value_tests_give_bool_tensors_without_grad():
    x = tl.tensor([1.0, np.nan, np.inf, -np.inf, 0.0], requires_grad=True)
    assert tl.isnan(x).tolist() == [False, True, False, False, False]
    assert x.isinf().tolist() == [False, False, True, True, False]
    assert x.isfinite().tolist() == [True, False, False, False, True]
    assert tl.isnan(x).dtype == tl.bool and not tl.isnan(x).requires_grad
    assert tl.isfinite(tl.tensor([1, 2])).tolist() == [True, True]


def test_allclose_follows_the_rtol_atol_rule():
    a = tl.tensor([1.0, 2.0])
    assert tl.allclose(a, a + 1e-9) and a.allclose(tl.tensor([1.0, 2.00001]))
    assert not tl.allclose(a, tl.tensor([1.0, 2.001]))
    assert tl.allclose(a, tl.tensor([1.0, 2.001]), rtol=1e-3)
    nan = tl.tensor([np.nan])
    assert not tl.allclose(nan, nan) and tl.allclose(nan, nan, equal_nan=True)
    assert type(tl.allclose(a, a)) is bool
