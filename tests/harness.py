"""The op test harness: an op test states its inputs, the tensorlite call and a NumPy float64
reference, and inherits forward checks (float32 and float64) and a float64 gradcheck.

    class TestExp(OpTestCase):
        def generate_inputs(self, rng):
            return (rng.standard_normal(random_shape(rng)),)
        def forward(self, x):
            return tl.exp(x)
        def forward_expected(self, x):
            return np.exp(x)
"""

import contextlib
import warnings
from typing import ClassVar

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tensorlite as tl
from tensorlite import _C

TOLERANCES = {np.float32: {"rtol": 2e-4, "atol": 2e-5}, np.float64: {"rtol": 1e-10, "atol": 1e-12}}


def random_shape(rng, max_ndim=3, max_size=5, min_ndim=0):
    """A random shape with dimensions in 0..max_size (size-0 and size-1 dimensions included)."""
    ndim = int(rng.integers(min_ndim, max_ndim + 1))
    return tuple(int(rng.integers(0, max_size + 1)) for _ in range(ndim))


def broadcast_partner(rng, shape):
    """A shape that broadcasts against `shape`: some dimensions set to 1, some leading ones dropped."""
    partner = [1 if rng.random() < 0.3 else s for s in shape]
    drop = int(rng.integers(0, len(partner) + 1))
    return tuple(partner[drop:])


def assert_close(actual, expected, dtype):
    """Compare a tensorlite result to a float64 NumPy reference with dtype-appropriate tolerances."""
    actual = actual.detach().numpy() if isinstance(actual, tl.Tensor) else np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, f"shape {actual.shape} != expected {expected.shape}"
    np.testing.assert_allclose(actual.astype(np.float64), expected, equal_nan=True, **TOLERANCES[dtype])


@contextlib.contextmanager
def quiet_numpy():
    """Silence NumPy's floating-point and empty-slice warnings inside a reference computation."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


@contextlib.contextmanager
def _using_build(get, set_build, name):
    """Select kernel build `name` (generic, avx2, avx512) with set_build inside the block, then the previous."""
    previous = get()
    set_build(name)
    try:
        yield
    finally:
        set_build(previous)


def using_optim_isa(name):
    """Run the fused optimizer kernels on build `name` (generic, avx2, avx512) inside the block."""
    return _using_build(tl._C.optim_isa, tl._C.set_optim_isa, name)


def using_batchnorm_isa(name):
    """Run the batch-norm loops on build `name` (generic, avx2, avx512) inside the block."""
    return _using_build(tl._C.batchnorm_isa, tl._C.set_batchnorm_isa, name)


class OpTestCase:
    """Subclass with generate_inputs(rng) -> tuple of float64 arrays, forward(*tensors) -> Tensor and
    forward_expected(*arrays) -> float64 array. Set `differentiable = False` to skip the gradcheck,
    `dtypes` to restrict, `gradcheck_tolerances` to loosen for ops with kinks. The default tolerances
    are 100x tighter than gradcheck's own (float64 central differences are good to ~1e-8), so a
    gradient that is off by 0.1% fails."""

    dtypes = (np.float32, np.float64)
    differentiable = True
    gradcheck_tolerances: ClassVar[dict] = {"eps": 1e-6, "atol": 1e-6, "rtol": 1e-5}

    def generate_inputs(self, rng):
        raise NotImplementedError

    def forward(self, *tensors):
        raise NotImplementedError

    def forward_expected(self, *arrays):
        raise NotImplementedError

    @given(seed=st.integers(0, 2**32 - 1))
    def test_forward(self, seed):
        arrays = self.generate_inputs(np.random.default_rng(seed))
        for dtype in self.dtypes:
            cast = [np.asarray(a).astype(dtype) for a in arrays]
            result = self.forward(*[tl.tensor(a) for a in cast])
            assert result.dtype == dtype, f"result dtype {result.dtype} for {dtype.__name__} inputs"
            with quiet_numpy():
                expected_at_dtype = self.forward_expected(*[a.astype(np.float64) for a in cast])
            assert_close(result, expected_at_dtype, dtype)

    @given(seed=st.integers(0, 2**32 - 1))
    def test_gradcheck(self, seed):
        if not self.differentiable:
            pytest.skip("op is not differentiable")
        arrays = self.generate_inputs(np.random.default_rng(seed))
        inputs = [tl.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
        assert tl.autograd.gradcheck(self.forward, inputs, **self.gradcheck_tolerances)


@contextlib.contextmanager
def conv_algorithm(name):
    """Runs the block with conv2d's algorithm choice set to 'auto', 'im2col', 'direct', 'winograd' or
    'batched'."""
    previous = _C.conv2d_algorithm_override()
    _C.set_conv2d_algorithm(name)
    try:
        yield
    finally:
        _C.set_conv2d_algorithm(previous)
