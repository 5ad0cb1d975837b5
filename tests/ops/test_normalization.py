"""tl.batch_norm (ops/normalization.py, C++ batchnorm kernels) against the NumPy reference."""

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import tensorlite as tl

from harness import OpTestCase, assert_close
from reference.batchnorm import batch_norm_backward, batch_norm_forward


def batch_norm_shape(rng):
    """(N, C), (N, C, L) or (N, C, H, W) with at least 2 values per channel, odd sizes included."""
    ndim = int(rng.integers(2, 5))
    while True:
        shape = (int(rng.integers(1, 6)), int(rng.integers(1, 7))) + tuple(
            int(rng.integers(1, 5)) for _ in range(ndim - 2)
        )
        if np.prod(shape) // shape[1] >= 2:
            return shape


class TestBatchNormTraining(OpTestCase):
    def generate_inputs(self, rng):
        shape = batch_norm_shape(rng)
        c = shape[1]
        x = rng.standard_normal(shape) * rng.uniform(0.5, 3) + rng.uniform(-3, 3)
        return x, rng.standard_normal(c), rng.standard_normal(c)

    def forward(self, x, weight, bias):
        return tl.batch_norm(x, None, None, weight, bias, training=True)

    def forward_expected(self, x, weight, bias):
        return batch_norm_forward(x, weight, bias, 1e-5)[0]


class TestBatchNormNoAffine(OpTestCase):
    def generate_inputs(self, rng):
        return (rng.standard_normal(batch_norm_shape(rng)) * 2 + 1,)

    def forward(self, x):
        return tl.batch_norm(x, None, None, training=True, eps=1e-3)

    def forward_expected(self, x):
        c = x.shape[1]
        return batch_norm_forward(x, np.ones(c), np.zeros(c), 1e-3)[0]


class TestBatchNormEval(OpTestCase):
    def generate_inputs(self, rng):
        shape = batch_norm_shape(rng)
        c = shape[1]
        self.running = rng.standard_normal(c), rng.uniform(0.2, 3, c)
        return rng.standard_normal(shape), rng.standard_normal(c), rng.standard_normal(c)

    def forward(self, x, weight, bias):
        mean, var = (tl.tensor(a, dtype=x.dtype) for a in self.running)
        return tl.batch_norm(x, mean, var, weight, bias, training=False)

    def forward_expected(self, x, weight, bias):
        return batch_norm_forward(x, weight, bias, 1e-5, *self.running, training=False)[0]


@given(seed=st.integers(0, 2**32 - 1))
@example(seed=65664166)  # N = 2: dx is pure cancellation
def test_backward_matches_step_by_step_reference(seed):
    rng = np.random.default_rng(seed)
    shape = batch_norm_shape(rng)
    x, dy = rng.standard_normal(shape) * 3 + 5, rng.standard_normal(shape)
    weight, bias = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    for dtype in (np.float32, np.float64):
        xt = tl.tensor(x.astype(dtype), requires_grad=True)
        wt = tl.tensor(weight.astype(dtype), requires_grad=True)
        bt = tl.tensor(bias.astype(dtype), requires_grad=True)
        tl.batch_norm(xt, None, None, wt, bt, training=True).backward(tl.tensor(dy.astype(dtype)))
        dx, dw, db = batch_norm_backward(
            x.astype(dtype).astype(np.float64),
            dy.astype(dtype).astype(np.float64),
            weight.astype(dtype).astype(np.float64),
            1e-5,
        )
        # dx is a difference of terms of size |gamma| / sigma * |dy| that cancel (exactly, for N = 2, up
        # to eps), so float32 error is measured against the size of those terms.
        axes = (0,) + tuple(range(2, len(shape)))
        term = (np.abs(weight) / np.sqrt(x.var(axis=axes) + 1e-5)).max() * np.abs(dy).max()
        tol = (
            {"rtol": 1e-3, "atol": 1e-4 * max(term, 1.0)}
            if dtype == np.float32
            else {"rtol": 1e-9, "atol": 1e-10}
        )
        np.testing.assert_allclose(xt.grad.numpy(), dx, **tol)
        np.testing.assert_allclose(wt.grad.numpy(), dw, **tol)
        np.testing.assert_allclose(bt.grad.numpy(), db, **tol)


def test_large_offset_is_normalized_accurately_in_float32():
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((256, 3, 8, 8)) + 1e4).astype(np.float32)
    y = tl.batch_norm(tl.tensor(x), None, None, training=True).numpy()
    expected = batch_norm_forward(x.astype(np.float64), np.ones(3), np.zeros(3), 1e-5)[0]
    np.testing.assert_allclose(y, expected, atol=2e-3)
    assert abs(y.std() - 1) < 1e-3


def test_running_statistics_follow_momentum_with_unbiased_variance():
    rng = np.random.default_rng(1)
    mean, var = tl.zeros(4, dtype=tl.float64), tl.ones(4, dtype=tl.float64)
    ref_mean, ref_var = np.zeros(4), np.ones(4)
    for _ in range(5):
        x = rng.standard_normal((6, 4, 3)) * 2 + 3
        tl.batch_norm(tl.tensor(x), mean, var, training=True, momentum=0.3)
        _, ref_mean, ref_var = batch_norm_forward(
            x, np.ones(4), np.zeros(4), 1e-5, ref_mean, ref_var, momentum=0.3
        )
    np.testing.assert_allclose(mean.numpy(), ref_mean, rtol=1e-12)
    np.testing.assert_allclose(var.numpy(), ref_var, rtol=1e-12)
    assert np.all(ref_mean > 1.5)  # the statistics moved from 0 towards the data mean 3


def test_result_does_not_depend_on_thread_count():
    rng = np.random.default_rng(2)
    x = tl.tensor(rng.standard_normal((32, 37, 9, 11)), requires_grad=True)
    before = tl.get_num_threads()
    results = []
    try:
        for threads in (1, 2):
            tl.set_num_threads(threads)
            x.grad = None
            y = tl.batch_norm(x, None, None, training=True)
            (y * y * y).sum().backward()
            results.append((y.detach().numpy().copy(), x.grad.detach().numpy().copy()))
    finally:
        tl.set_num_threads(before)
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-10, atol=1e-10)


def test_eval_on_empty_batch_gives_empty_output():
    y = tl.batch_norm(tl.zeros(0, 3), tl.zeros(3), tl.ones(3), training=False)
    assert y.shape == (0, 3)


@pytest.mark.parametrize(
    "args, message",
    [
        ({"input": tl.zeros(1, 3), "training": True}, "more than 1 value per channel"),
        ({"input": tl.zeros(4), "training": True}, "expected input of shape"),
        ({"input": tl.zeros(4, 3), "weight": tl.ones(2), "training": True}, r"weight has shape \(2,\)"),
        ({"input": tl.zeros(4, 3), "training": False}, "required when training=False"),
    ],
)
def test_bad_arguments_raise_value_error(args, message):
    args.setdefault("running_mean", None)
    args.setdefault("running_var", None)
    with pytest.raises(ValueError, match=message):
        tl.batch_norm(**args)


@pytest.mark.parametrize(
    "running_mean, message",
    [
        (np.zeros(3, np.float32), "running_mean must be a floating-point Tensor, got ndarray"),
        (tl.zeros(3, dtype=tl.int64), "running_mean must be a floating-point Tensor, got dtype int64"),
    ],
)
def test_running_stats_that_cannot_be_updated_in_place_raise_type_error(running_mean, message):
    with pytest.raises(TypeError, match=message):
        tl.batch_norm(tl.zeros(4, 3), running_mean, tl.ones(3), training=True)


def test_kernel_rejects_mismatched_channel_vectors():
    from tensorlite import _C

    with pytest.raises(ValueError, match=r"weight must have shape \(3,\)"):
        _C.batchnorm_forward_train(np.zeros((2, 3, 4)), np.ones(2), None, 1e-5)
    with pytest.raises(TypeError, match="dtype"):
        _C.batchnorm_forward_train(np.zeros((2, 3, 4)), np.ones(3, np.float32), None, 1e-5)


def test_float32_results_match_float64_closely():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((16, 5, 7))
    y32 = tl.batch_norm(tl.tensor(x.astype(np.float32)), None, None, training=True)
    y64 = tl.batch_norm(tl.tensor(x), None, None, training=True)
    assert_close(y32, y64.numpy(), np.float32)
