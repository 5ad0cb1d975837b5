"""matmul (1-D, 2-D, batched, broadcast batches) and linear, against NumPy float64, with gradchecks."""

import numpy as np
import pytest

import tensorlite as tl

from harness import OpTestCase, assert_close


def matmul_shapes(rng):
    """Shapes (a, b) for a @ b: 1-D or 2-D or batched operands, batches that broadcast, sizes 0..5."""
    m, k, n = (int(s) for s in rng.integers(0, 6, 3))
    batch = tuple(int(s) for s in rng.integers(1, 4, int(rng.integers(0, 3))))
    batch_a = tuple(1 if rng.random() < 0.3 else s for s in batch)[int(rng.integers(0, len(batch) + 1)) :]
    batch_b = tuple(1 if rng.random() < 0.3 else s for s in batch)[int(rng.integers(0, len(batch) + 1)) :]
    a = (k,) if rng.random() < 0.15 else batch_a + (m, k)
    b = (k,) if rng.random() < 0.15 else batch_b + (k, n)
    return a, b


class TestMatmul(OpTestCase):
    def generate_inputs(self, rng):
        return tuple(rng.standard_normal(s) for s in matmul_shapes(rng))

    def forward(self, a, b):
        return a @ b

    def forward_expected(self, a, b):
        return np.matmul(a, b)


class TestMatmulTransposedViews(OpTestCase):
    """Operands that are transposed (non-contiguous) views of other tensors."""

    def generate_inputs(self, rng):
        m, k, n = (int(s) for s in rng.integers(1, 7, 3))
        return rng.standard_normal((k, m)), rng.standard_normal((3, n, k))

    def forward(self, a_t, b_t):
        return tl.matmul(a_t.T, b_t.transpose(1, 2))

    def forward_expected(self, a_t, b_t):
        return np.matmul(a_t.T, np.swapaxes(b_t, 1, 2))


class TestLinear(OpTestCase):
    def generate_inputs(self, rng):
        lead = tuple(int(s) for s in rng.integers(0, 4, int(rng.integers(1, 3))))
        fan_in, fan_out = (int(s) for s in rng.integers(0, 6, 2))
        return (
            rng.standard_normal(lead + (fan_in,)),
            rng.standard_normal((fan_out, fan_in)),
            rng.standard_normal(fan_out),
        )

    def forward(self, x, weight, bias):
        return tl.linear(x, weight, bias) + tl.nn.functional.linear(x, weight)

    def forward_expected(self, x, weight, bias):
        return 2 * x @ weight.T + bias


def test_matmul_float32_matches_float64_reference_at_mlp_size():
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((128, 300)), rng.standard_normal((300, 100))
    result = tl.tensor(a.astype(np.float32)) @ tl.tensor(b.astype(np.float32))
    expected = a.astype(np.float32).astype(np.float64) @ b.astype(np.float32).astype(np.float64)
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-4, atol=1e-4)


def test_matmul_mixed_and_integer_dtypes():
    a = tl.tensor([[1, 2], [3, 4]])
    assert (a @ a).tolist() == [[7, 10], [15, 22]] and (a @ a).dtype == tl.int64
    f = tl.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=tl.float64)
    assert (a @ f).dtype == tl.float64 and (a @ f).tolist() == [[1.0, 2.0], [3.0, 4.0]]


@pytest.mark.parametrize(
    "shapes, message",
    [
        (((2, 3), (4, 5)), r"shapes \(2, 3\) and \(4, 5\) are not aligned \(3 != 4\)"),
        (((3,), (4,)), r"shapes \(3,\) and \(4,\) are not aligned"),
        (((2, 2, 3), (3, 3, 1)), r"batch dimensions of \(2, 2, 3\) and \(3, 3, 1\) cannot be broadcast"),
        (((), (3,)), r"at least 1 dimension, got shapes \(\) and \(3,\)"),
    ],
)
def test_matmul_shape_errors(shapes, message):
    with pytest.raises(ValueError, match=message):
        tl.matmul(tl.ones(*shapes[0]), tl.ones(*shapes[1]))


def test_linear_shape_errors():
    with pytest.raises(ValueError, match=r"input of shape \(2, 3\) does not match weight of shape \(4, 5\)"):
        tl.linear(tl.ones(2, 3), tl.ones(4, 5))
    with pytest.raises(ValueError, match=r"bias has shape \(3,\) but weight \(4, 5\) needs \(4,\)"):
        tl.linear(tl.ones(2, 5), tl.ones(4, 5), tl.ones(3))


def test_matmul_gradient_of_broadcast_batch_sums():
    a = tl.tensor(np.ones((4, 2, 3)), requires_grad=True)
    b = tl.tensor(np.ones((3, 5)), requires_grad=True)
    (a @ b).sum().backward()
    assert_close(b.grad, np.full((3, 5), 8.0), np.float64)
    assert_close(a.grad, np.full((4, 2, 3), 5.0), np.float64)
