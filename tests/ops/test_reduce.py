"""Reductions: sum, mean, var, std, max/min (values and indices), amax/amin, argmax/argmin."""

import numpy as np
import pytest

import tensorlite as tl

from harness import OpTestCase, assert_close, random_shape


def random_dims(rng, ndim):
    """None, a single (possibly negative) int or a tuple of distinct dims."""
    choice = rng.integers(0, 3) if ndim else 0
    if choice == 0:
        return None
    if choice == 1:
        return int(rng.integers(-ndim, ndim))
    count = int(rng.integers(1, ndim + 1))
    return tuple(int(d) for d in rng.permutation(ndim)[:count])


def numpy_axis(dim):
    return tuple(dim) if isinstance(dim, tuple) else dim


class ReductionCase(OpTestCase):
    """A reduction over random dims with random keepdim; every dimension has at least `min_size`."""

    min_size = 0
    min_ndim = 0

    def generate_inputs(self, rng):
        shape = random_shape(rng, max_ndim=4, max_size=4, min_ndim=self.min_ndim)
        x = rng.standard_normal(tuple(max(s, self.min_size) for s in shape))
        self.dim, self.keepdim = random_dims(rng, x.ndim), bool(rng.integers(0, 2))
        return (x,)


class TestSum(ReductionCase):
    def forward(self, x):
        return x.sum(dim=self.dim, keepdim=self.keepdim)

    def forward_expected(self, x):
        return np.sum(x, axis=numpy_axis(self.dim), keepdims=self.keepdim)


class TestMean(ReductionCase):
    def forward(self, x):
        return tl.mean(x, self.dim, self.keepdim)

    def forward_expected(self, x):
        return np.mean(x, axis=numpy_axis(self.dim), keepdims=self.keepdim)


class TestVar(ReductionCase):
    min_size = 2  # n - 1 > 0

    def forward(self, x):
        return x.var(dim=self.dim, keepdim=self.keepdim)

    def forward_expected(self, x):
        return np.var(x, axis=numpy_axis(self.dim), keepdims=self.keepdim, ddof=1)


class TestVarBiased(ReductionCase):
    min_size = 1

    def forward(self, x):
        return tl.var(x, self.dim, self.keepdim, correction=0)

    def forward_expected(self, x):
        return np.var(x, axis=numpy_axis(self.dim), keepdims=self.keepdim)


class TestStd(ReductionCase):
    min_size = min_ndim = 2  # std > 0 (sqrt has no derivative at 0)

    def generate_inputs(self, rng):
        (x,) = super().generate_inputs(rng)
        return (x + np.arange(x.size).reshape(x.shape),)  # spread values: std stays away from 0

    def forward(self, x):
        return x.std(dim=self.dim, keepdim=self.keepdim, unbiased=False)

    def forward_expected(self, x):
        return np.std(x, axis=numpy_axis(self.dim), keepdims=self.keepdim)


class TestAmaxAmin(ReductionCase):
    min_size = 1

    def forward(self, x):
        return tl.amax(x, self.dim, self.keepdim) - 2 * x.amin(dim=self.dim, keepdim=self.keepdim)

    def forward_expected(self, x):
        axis = numpy_axis(self.dim)
        return np.max(x, axis=axis, keepdims=self.keepdim) - 2 * np.min(x, axis=axis, keepdims=self.keepdim)


class TestMaxMinValues(ReductionCase):
    """max/min with an int dim return (values, indices); the values are differentiable."""

    min_size = 1

    def generate_inputs(self, rng):
        x = rng.standard_normal(random_shape(rng, min_ndim=1, max_ndim=3, max_size=4))
        x = rng.standard_normal(tuple(max(s, 1) for s in x.shape))
        self.dim, self.keepdim = int(rng.integers(-x.ndim, x.ndim)), bool(rng.integers(0, 2))
        return (x,)

    def forward(self, x):
        return x.max(dim=self.dim, keepdim=self.keepdim).values + tl.min(x, self.dim, self.keepdim)[0]

    def forward_expected(self, x):
        return np.max(x, axis=self.dim, keepdims=self.keepdim) + np.min(
            x, axis=self.dim, keepdims=self.keepdim
        )


class TestMaxMinAll(ReductionCase):
    """max/min with dim None or a tuple return a tensor (like torch.amax)."""

    min_size = 1

    def forward(self, x):
        dim = None if isinstance(self.dim, int) else self.dim
        return tl.max(x, dim, self.keepdim) * tl.min(x, dim, self.keepdim)

    def forward_expected(self, x):
        axis = None if isinstance(self.dim, int) else self.dim
        return np.max(x, axis=axis, keepdims=self.keepdim) * np.min(x, axis=axis, keepdims=self.keepdim)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_arg_extremes_match_numpy(name):
    rng = np.random.default_rng(2)
    for _ in range(20):
        x = rng.integers(0, 3, tuple(max(s, 1) for s in random_shape(rng, min_ndim=1))).astype(np.float64)
        dim = int(rng.integers(-x.ndim, x.ndim))
        result = getattr(tl, name)(tl.tensor(x), dim=dim)
        np.testing.assert_array_equal(result.numpy(), getattr(np, name)(x, axis=dim))
        assert result.dtype == tl.int64
        np.testing.assert_array_equal(
            getattr(tl.tensor(x), name)(dim, keepdim=True).numpy(),
            getattr(np, name)(x, axis=dim, keepdims=True),
        )
        assert getattr(tl, name)(tl.tensor(x)).item() == getattr(np, name)(x)


def test_max_with_dim_returns_values_and_indices():
    x = tl.tensor([[1.0, 5.0, 5.0], [7.0, 0.0, 2.0]], requires_grad=True)
    values, indices = tl.max(x, dim=1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])  # the selected index only


def test_max_without_dim_splits_gradient_between_ties():
    x = tl.tensor([1.0, 5.0, 5.0], requires_grad=True)
    tl.max(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.5, 0.5])


def test_axis_and_keepdims_aliases():
    x = tl.tensor(np.arange(24.0).reshape(2, 3, 4))
    for name in ["sum", "mean", "var", "std", "argmax", "argmin"]:
        fn = getattr(tl, name)
        np.testing.assert_array_equal(
            fn(x, axis=1, keepdims=True).numpy(), fn(x, dim=1, keepdim=True).numpy()
        )
    assert tl.max(x, axis=(0, 2), keepdims=True).shape == (1, 3, 1)
    with pytest.raises(TypeError, match="dim or axis"):
        tl.sum(x, dim=0, axis=1)


def test_sum_of_bool_counts_and_sum_dtype():
    mask = tl.tensor([True, False, True])
    assert mask.sum().item() == 2 and mask.sum().dtype == tl.int64
    assert tl.tensor([1, 2]).sum(dtype=tl.float64).dtype == tl.float64


def test_mean_and_var_of_too_few_elements_are_nan_without_warning():
    assert np.isnan(tl.zeros(0).mean().item())
    assert np.isnan(tl.zeros(0).var().item())
    assert np.isnan(tl.ones(1).var().item()) and tl.ones(1).var(correction=0).item() == 0.0
    assert tl.zeros(0, 3).mean(dim=0).shape == (3,)


def test_reductions_reject_bad_dims_and_empty_extremes():
    x = tl.ones(2, 3)
    with pytest.raises(ValueError, match="dim 2 is out of range for a tensor with 2 dimensions"):
        x.sum(dim=2)
    with pytest.raises(ValueError, match="repeats"):
        x.sum(dim=(0, -2))
    with pytest.raises(ValueError, match=r"empty tensor of shape \(0, 3\)"):
        tl.zeros(0, 3).max()
    with pytest.raises(TypeError, match="int64"):
        tl.tensor([1, 2]).mean()


def test_reduced_gradient_broadcasts_back():
    x = tl.tensor(np.ones((2, 3)), requires_grad=True)
    x.mean(dim=0).sum().backward()
    assert_close(x.grad, np.full((2, 3), 0.5), np.float64)


def test_zero_dimensional_tensors_accept_dim_0_and_minus_1():
    x = tl.tensor(3.0, requires_grad=True)
    assert x.sum(dim=0).item() == 3.0 and x.mean(dim=-1, keepdim=True).shape == ()
    values, indices = x.max(dim=0)
    assert values.item() == 3.0 and indices.item() == 0
    assert tl.argmin(x, dim=0).item() == 0
    x.sum(dim=0).backward()
    assert x.grad.item() == 1.0
    with pytest.raises(ValueError, match="dim 1 is out of range for a tensor with 0 dimensions"):
        x.sum(dim=1)


# ------------------------------------------------------------------ degenerate points: PyTorch 2.13's values


def grad_of(fn, values):
    """(value, gradient) of fn at float64 `values`, backpropagating ones."""
    x = tl.tensor(values, dtype=tl.float64, requires_grad=True)
    y = fn(x)
    y.sum().backward()
    return y.detach().numpy(), x.grad.detach().numpy()


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    ("fn", "values", "expected_value", "expected_grad"),
    [  # every expected pair is what torch 2.13 returns for the same call
        (lambda x: x.std(), [2.0, 2.0, 2.0], 0.0, [0.0, 0.0, 0.0]),
        (lambda x: x.std(unbiased=False), [2.0, 2.0, 2.0], 0.0, [0.0, 0.0, 0.0]),
        (
            lambda x: x.std(dim=1),
            [[1.0, 1.0], [1.0, 2.0]],
            [0.0, 0.7071067811865476],
            [[0.0, 0.0], [-0.7071067811865475, 0.7071067811865475]],
        ),
        (lambda x: x.std(dim=1, keepdim=True), [[2.0, 2.0]], [[0.0]], [[0.0, 0.0]]),
        (lambda x: x.std(correction=0), [3.0], 0.0, [0.0]),
        (lambda x: x.std(correction=0), 3.0, 0.0, 0.0),
        (lambda x: x.std(), [3.0], NAN, [NAN]),  # n = 1 unbiased: 0 / 0
        (lambda x: x.var(), [2.0, 2.0], 0.0, [0.0, 0.0]),
        (lambda x: x.var(correction=3), [3.0, 4.0], INF, [INF, INF]),  # n < correction, all dims
        (lambda x: x.var(correction=2), [3.0, 3.0], NAN, [NAN, NAN]),
        (lambda x: x.var(dim=0, correction=2), [3.0, 4.0], INF, [-INF, INF]),  # explicit dim: 2 / 0
        (lambda x: x.var(dim=0, correction=3), [3.0, 4.0], INF, [1.0, -1.0]),  # explicit dim: 2 / -1
        (lambda x: x.std(correction=3), [3.0, 4.0], INF, [NAN, NAN]),
        (lambda x: x.std(dim=0, correction=3), [3.0, 4.0], INF, [0.0, 0.0]),
        (lambda x: x.std(), [1e-200, 0.0], 0.0, [0.0, 0.0]),  # squares underflow: std is 0
        (lambda x: tl.max(x), [NAN, 1.0], NAN, [1.0, 0.0]),  # max() sends the gradient to the nan
        (lambda x: tl.min(x), [NAN, 1.0, NAN], NAN, [0.5, 0.0, 0.5]),
        (lambda x: tl.amax(x), [NAN, 1.0], NAN, [NAN, NAN]),  # amax matches no input: 0 / 0
        (lambda x: x.max(dim=0)[0], [1.0, NAN, 1.0], NAN, [0.0, 1.0, 0.0]),
    ],
)
def test_gradient_at_degenerate_points_matches_pytorch(fn, values, expected_value, expected_grad):
    value, grad = grad_of(fn, values)
    np.testing.assert_array_equal(value, expected_value)
    np.testing.assert_array_equal(grad, expected_grad)


def test_std_of_a_constant_passes_gradcheck():
    """std is symmetric about a constant input, so the central difference there is 0, PyTorch's value."""
    for dim in (None, 1):
        x = tl.tensor(np.full((2, 3), 1.5), requires_grad=True)
        assert tl.autograd.gradcheck(lambda t, d=dim: t.std(dim=d) * 2.0, [x])


def test_empty_dim_tuple_reduces_every_dimension_like_pytorch():
    x = tl.tensor([[2.0, 3.0]], dtype=tl.float64, requires_grad=True)
    assert x.sum(dim=()).item() == 5.0 and x.mean(dim=[]).item() == 2.5
    assert x.amax(dim=()).item() == 3.0 and x.amin(dim=()).item() == 2.0
    assert x.var(dim=()).item() == 0.5 and x.std(axis=[]).shape == ()
    x.std(dim=()).backward()
    np.testing.assert_allclose(x.grad.numpy(), [[-(0.5**0.5), 0.5**0.5]], rtol=1e-15)


def test_any_and_all_over_dims_give_bool_tensors():
    x = tl.tensor([[1.0, 0.0], [2.0, 3.0]])
    assert tl.any(x).item() is True and x.all().item() is False
    assert x.all(dim=1).tolist() == [False, True] and x.any(0, keepdim=True).tolist() == [[True, True]]
    assert tl.all(x, dim=(0, 1)).item() is False and x.all().dtype == tl.bool
    assert tl.zeros(0).all().item() is True and tl.zeros(0).any().item() is False
