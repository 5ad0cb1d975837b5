"""relu, sigmoid, tanh (fused C++ kernels) and softmax / log_softmax along any dim."""

import numpy as np
import pytest

import tensorlite as tl

from harness import OpTestCase, assert_close, random_shape
from reference import activation as ref


def off_zero(rng, shape):
    """Normal values with |x| >= 0.1, so relu's kink at 0 stays out of the gradcheck."""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < 0.1, 0.5, x)


class TestRelu(OpTestCase):
    def generate_inputs(self, rng):
        return (off_zero(rng, random_shape(rng, max_ndim=4)),)

    def forward(self, x):
        return tl.relu(x)

    def forward_expected(self, x):
        return np.maximum(x, 0)


class TestSigmoid(OpTestCase):
    def generate_inputs(self, rng):
        return (3 * rng.standard_normal(random_shape(rng, max_ndim=4)),)

    def forward(self, x):
        return x.sigmoid()

    def forward_expected(self, x):
        return ref.sigmoid(x)


class TestTanh(OpTestCase):
    def generate_inputs(self, rng):
        return (2 * rng.standard_normal(random_shape(rng, max_ndim=4)),)

    def forward(self, x):
        return tl.tanh(x)

    def forward_expected(self, x):
        return np.tanh(x)


class SoftmaxCase(OpTestCase):
    def generate_inputs(self, rng):
        x = 3 * rng.standard_normal(random_shape(rng, min_ndim=1, max_ndim=3))
        self.dim = int(rng.integers(-x.ndim, x.ndim))
        return (x,)


class TestSoftmax(SoftmaxCase):
    def forward(self, x):
        return tl.softmax(x, dim=self.dim)

    def forward_expected(self, x):
        return ref.softmax(x, self.dim)


class TestLogSoftmax(SoftmaxCase):
    def forward(self, x):
        return x.log_softmax(self.dim)

    def forward_expected(self, x):
        return ref.log_softmax(x, self.dim)


@pytest.mark.parametrize("dtype", [tl.float32, tl.float64])
def test_extreme_inputs_stay_finite(dtype):
    x = tl.tensor([[-1e4, 0.0, 1e4], [1e4, 1e4, -1e4], [-1e4, -1e4, -1e4]], dtype=dtype, requires_grad=True)
    probs = tl.softmax(x, dim=1)
    log_probs = tl.log_softmax(x, dim=1)
    assert_close(probs, [[0, 0, 1], [0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3]], np.dtype(dtype).type)
    assert_close(
        log_probs,
        [[-2e4, -1e4, 0], [-np.log(2), -np.log(2), -2e4 - np.log(2)], [-np.log(3)] * 3],
        np.dtype(dtype).type,
    )
    sig = tl.sigmoid(x)
    assert_close(sig, [[0, 0.5, 1], [1, 1, 0], [0, 0, 0]], np.dtype(dtype).type)
    (probs.sum() + log_probs.sum() + sig.sum() + tl.tanh(x).sum()).backward()
    assert np.all(np.isfinite(x.grad.numpy()))


def test_softmax_of_scalar_and_rows_sum_to_one():
    assert tl.softmax(tl.tensor(3.0)).item() == 1.0
    rng = np.random.default_rng(6)
    probs = tl.softmax(tl.tensor(rng.standard_normal((7, 300)) * 5), dim=0)
    np.testing.assert_allclose(probs.sum(dim=0).numpy(), np.ones(300), rtol=1e-6)


def test_activations_reject_integer_tensors():
    for fn in (tl.relu, tl.sigmoid, tl.tanh, tl.softmax, tl.log_softmax):
        with pytest.raises(TypeError, match="int64"):
            fn(tl.tensor([1, 2]))
