"""Elementwise ops: forward vs NumPy float64 over random (broadcast) shapes, float64 gradcheck."""

import numpy as np
import pytest

import tensorlite as tl

from harness import OpTestCase, assert_close, broadcast_partner, random_shape


def binary_shapes(rng):
    """Two shapes that broadcast together, in random order."""
    shape = random_shape(rng)
    partner = broadcast_partner(rng, shape)
    return (shape, partner) if rng.random() < 0.5 else (partner, shape)


def away_from_zero(rng, shape, margin=0.2):
    """Random values with |x| >= margin (keeps gradchecks off kinks and poles)."""
    x = rng.standard_normal(shape)
    return np.sign(x + (x == 0)) * (margin + np.abs(x))


class TestAdd(OpTestCase):
    def generate_inputs(self, rng):
        return tuple(rng.standard_normal(s) for s in binary_shapes(rng))

    def forward(self, a, b):
        return a + b

    def forward_expected(self, a, b):
        return a + b


class TestSub(OpTestCase):
    def generate_inputs(self, rng):
        return tuple(rng.standard_normal(s) for s in binary_shapes(rng))

    def forward(self, a, b):
        return tl.sub(a, b)

    def forward_expected(self, a, b):
        return a - b


class TestMul(OpTestCase):
    def generate_inputs(self, rng):
        return tuple(rng.standard_normal(s) for s in binary_shapes(rng))

    def forward(self, a, b):
        return a * b

    def forward_expected(self, a, b):
        return a * b


class TestDiv(OpTestCase):
    def generate_inputs(self, rng):
        sa, sb = binary_shapes(rng)
        return rng.standard_normal(sa), away_from_zero(rng, sb, margin=0.5)

    def forward(self, a, b):
        return a / b

    def forward_expected(self, a, b):
        return a / b


class TestPow(OpTestCase):
    def generate_inputs(self, rng):
        sa, sb = binary_shapes(rng)
        return rng.uniform(0.5, 2.0, sa), rng.uniform(-2.0, 2.0, sb)

    def forward(self, a, b):
        return a**b

    def forward_expected(self, a, b):
        return a**b


class TestPowScalarExponent(OpTestCase):
    def generate_inputs(self, rng):
        return (rng.standard_normal(random_shape(rng)),)

    def forward(self, x):
        return x**3 + tl.pow(x, 2)

    def forward_expected(self, x):
        return x**3 + x**2


class TestScalarBase(OpTestCase):
    def generate_inputs(self, rng):
        return (rng.standard_normal(random_shape(rng)),)

    def forward(self, x):
        return 2.0**x - 1.5 / (x * x + 1) + (3 - x)

    def forward_expected(self, x):
        return 2.0**x - 1.5 / (x * x + 1) + (3 - x)


class TestNeg(OpTestCase):
    def generate_inputs(self, rng):
        return (rng.standard_normal(random_shape(rng)),)

    def forward(self, x):
        return -x + tl.neg(x)

    def forward_expected(self, x):
        return -2 * x


class TestExp(OpTestCase):
    def generate_inputs(self, rng):
        return (rng.standard_normal(random_shape(rng)),)

    def forward(self, x):
        return tl.exp(x)

    def forward_expected(self, x):
        return np.exp(x)


class TestLog(OpTestCase):
    def generate_inputs(self, rng):
        return (rng.uniform(0.1, 5.0, random_shape(rng)),)

    def forward(self, x):
        return x.log()

    def forward_expected(self, x):
        return np.log(x)


class TestSqrt(OpTestCase):
    def generate_inputs(self, rng):
        return (rng.uniform(0.1, 5.0, random_shape(rng)),)

    def forward(self, x):
        return tl.sqrt(x)

    def forward_expected(self, x):
        return np.sqrt(x)


class TestAbs(OpTestCase):
    def generate_inputs(self, rng):
        return (away_from_zero(rng, random_shape(rng)),)

    def forward(self, x):
        return abs(x) + tl.abs(x)

    def forward_expected(self, x):
        return 2 * np.abs(x)


class TestSin(OpTestCase):
    def generate_inputs(self, rng):
        return (rng.standard_normal(random_shape(rng)),)

    def forward(self, x):
        return tl.sin(x)

    def forward_expected(self, x):
        return np.sin(x)


class TestCos(OpTestCase):
    def generate_inputs(self, rng):
        return (rng.standard_normal(random_shape(rng)),)

    def forward(self, x):
        return x.cos()

    def forward_expected(self, x):
        return np.cos(x)


def off_grid(rng, shape):
    """Values k/4 + 1/8: at least 1/8 away from every multiple of 1/4 (the kinks tested below)."""
    return rng.integers(-12, 12, shape) * 0.25 + 0.125


class TestClip(OpTestCase):
    def generate_inputs(self, rng):
        return (off_grid(rng, random_shape(rng)),)

    def forward(self, x):
        return tl.clip(x, -1.0, 1.0) + x.clamp(min=0.0) + tl.clamp(x, max=0.5)

    def forward_expected(self, x):
        return np.clip(x, -1, 1) + np.maximum(x, 0) + np.minimum(x, 0.5)


class TestMaximumMinimum(OpTestCase):
    def generate_inputs(self, rng):
        sa, sb = binary_shapes(rng)
        return off_grid(rng, sa), rng.integers(-3, 3, sb) * 0.25  # never tied

    def forward(self, a, b):
        return tl.maximum(a, b) + tl.minimum(a, b) * 2

    def forward_expected(self, a, b):
        return np.maximum(a, b) + 2 * np.minimum(a, b)


class TestWhere(OpTestCase):
    def generate_inputs(self, rng):
        sa, sb = binary_shapes(rng)
        shape = np.broadcast_shapes(sa, sb)
        condition = np.where(rng.random(broadcast_partner(rng, shape)) < 0.5, -1.0, 1.0)
        return condition, rng.standard_normal(sa), rng.standard_normal(sb)

    def forward(self, condition, a, b):
        return tl.where(condition > 0, a, b) + a.where(condition > 0, b) * 2

    def forward_expected(self, condition, a, b):
        return 3 * np.where(condition > 0, a, b)


def test_maximum_ties_split_the_gradient():
    a = tl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = tl.tensor([1.0, 5.0, 0.0], requires_grad=True)
    tl.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.5, 1.0, 0.0])


def test_clip_requires_a_bound_and_an_ordered_range():
    with pytest.raises(ValueError, match="at least one"):
        tl.clip(tl.ones(2))
    with pytest.raises(ValueError, match=r"min \(2\.0\) is greater than max \(1\.0\)"):
        tl.clip(tl.ones(2), 2.0, 1.0)


@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparisons_match_numpy_and_carry_no_grad(name):
    rng = np.random.default_rng(1)
    a = rng.integers(-2, 3, (4, 3)).astype(np.float32)
    b = rng.integers(-2, 3, (3,)).astype(np.float32)
    ta = tl.tensor(a, requires_grad=True)
    result = getattr(tl, name)(ta, tl.tensor(b))
    np.testing.assert_array_equal(
        result.numpy(),
        getattr(
            np,
            {
                "eq": "equal",
                "ne": "not_equal",
                "lt": "less",
                "le": "less_equal",
                "gt": "greater",
                "ge": "greater_equal",
            }[name],
        )(a, b),
    )
    assert result.dtype == tl.bool and not result.requires_grad


def test_comparison_operators_and_scalars():
    t = tl.tensor([1.0, 2.0, 3.0])
    assert (t == 2).tolist() == [False, True, False]
    assert (t != 2).tolist() == [True, False, True]
    assert (t < 2).tolist() == [True, False, False]
    assert (t <= 2).tolist() == [True, True, False]
    assert (t > 2).tolist() == [False, False, True]
    assert (t >= 2).tolist() == [False, True, True]
    assert (~(t > 2)).tolist() == [True, True, False]


def test_integer_inputs_to_float_functions_give_float32():
    x = tl.tensor([1, 4, 9])
    assert tl.sqrt(x).dtype == tl.float32
    assert_close(tl.sqrt(x), [1.0, 2.0, 3.0], np.float32)
    assert (x / 2).dtype == tl.float32
    assert_close(x / 2, [0.5, 2.0, 4.5], np.float32)


def test_integer_arithmetic_stays_integer():
    x = tl.tensor([1, 2, 3])
    assert (x + 1).dtype == tl.int64 and (x * x).tolist() == [1, 4, 9]
    assert (x * 2.5).dtype == tl.float32


def test_reflected_operators_with_numpy_arrays():
    t = tl.tensor([1.0, 2.0])
    result = np.array([10.0, 20.0]) - t
    assert isinstance(result, tl.Tensor)
    assert result.tolist() == [9.0, 18.0]


def test_ieee_special_values_without_warnings():
    x = tl.tensor([1.0, -1.0, 0.0], requires_grad=True)
    assert (x / 0).tolist()[:2] == [np.inf, -np.inf] and np.isnan((x / 0).tolist()[2])
    assert tl.exp(tl.tensor([100.0])).tolist() == [np.inf]  # float32 overflow
    assert np.isnan(tl.log(tl.tensor([-1.0])).item()) and tl.log(tl.tensor([0.0])).item() == -np.inf
    tl.sqrt(x).sum().backward()
    assert x.grad.tolist()[2] == np.inf


def test_clip_integer_tensor_to_float_bounds_gives_float32():
    clipped = tl.clip(tl.tensor([0, 1, 3]), 0.5, 2.5)
    assert clipped.dtype == tl.float32 and clipped.tolist() == [0.5, 1.0, 2.5]
    assert tl.clip(tl.tensor([0, 5]), 1, 3).tolist() == [1, 3]


# ------------------------------------------------------------------ pow at 0: PyTorch 2.13's gradients


def pow_grads(base, exponent):
    a = tl.tensor(base, dtype=tl.float64, requires_grad=True)
    b = tl.tensor(exponent, dtype=tl.float64, requires_grad=True)
    (a**b).sum().backward()
    return a.grad.numpy(), b.grad.numpy()


def test_zero_exponent_has_zero_gradient_everywhere():
    nan, inf = float("nan"), float("inf")
    for exponent in (0, 0.0):
        x = tl.tensor([0.0, -0.0, 1.0, -1.0, inf, nan], dtype=tl.float64, requires_grad=True)
        y = x**exponent
        y.sum().backward()
        np.testing.assert_array_equal(y.detach().numpy(), 1.0)
        np.testing.assert_array_equal(x.grad.numpy(), 0.0)  # torch: 0, not 0 * 0^-1 = nan


def test_pow_gradients_at_zero_base_match_pytorch():
    nan, inf = float("nan"), float("inf")
    da, db = pow_grads([0.0, 0.0, 0.0, 0.0, 2.0, -2.0, -2.0], [0.0, 1.0, 2.0, -1.0, 0.0, 2.0, 0.5])
    np.testing.assert_array_equal(da, [0.0, 1.0, 0.0, -inf, 0.0, -4.0, nan])
    np.testing.assert_array_equal(db, [0.0, 0.0, 0.0, -inf, np.log(2.0), nan, nan])  # log of a negative: nan
    y = tl.tensor([-1.0, 0.0, 2.0, nan], dtype=tl.float64, requires_grad=True)
    (0.0**y).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [-inf, 0.0, 0.0, nan])


def test_pow_gradcheck_at_zero_base():
    """At a = 0 with b > 1 (or b = 0 for da alone) both partial derivatives exist and are 0 or finite."""
    a = tl.tensor([0.0, 0.0, 0.0], dtype=tl.float64, requires_grad=True)
    b = tl.tensor([2.0, 3.0, 1.0], dtype=tl.float64, requires_grad=True)
    assert tl.autograd.gradcheck(lambda x, y: x**y, [a, b])
    x = tl.tensor([0.0, 1.0, -2.0], dtype=tl.float64, requires_grad=True)
    assert tl.autograd.gradcheck(lambda t: t**0.0 + t**0, [x])
