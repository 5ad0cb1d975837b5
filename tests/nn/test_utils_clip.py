"""clip_grad_norm_ (fused C++ norm over all gradients) and clip_grad_value_ against NumPy, including
inf and NaN gradients."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tensorlite as tl
from tensorlite.nn.utils import clip_grad_norm_, clip_grad_value_

from harness import random_shape


def _params_with_grads(grads):
    params = []
    for g in grads:
        p = tl.nn.Parameter(np.zeros(g.shape, g.dtype))
        p.grad = tl.Tensor._wrap(g.copy())
        params.append(p)
    return params


def _reference_norm(grads, norm_type):
    flat = np.concatenate([g.astype(np.float64).ravel() for g in grads])
    if math.isinf(norm_type):
        return float(np.max(np.abs(flat))) if flat.size else 0.0
    return float(np.sum(np.abs(flat) ** norm_type) ** (1 / norm_type))


@given(seed=st.integers(0, 2**32 - 1), norm_type=st.sampled_from([1.0, 2.0, 3.5, math.inf]))
def test_clip_grad_norm_matches_numpy(seed, norm_type):
    rng = np.random.default_rng(seed)
    grads = [
        np.asarray(rng.standard_normal(random_shape(rng, max_size=7)) * 10 ** rng.uniform(-2, 2)).astype(
            rng.choice([np.float32, np.float64])
        )
        for _ in range(int(rng.integers(1, 5)))
    ]
    max_norm = float(10 ** rng.uniform(-2, 2))
    params = _params_with_grads(grads)
    total = clip_grad_norm_(params, max_norm, norm_type=norm_type)
    expected = _reference_norm(grads, norm_type)
    assert isinstance(total, float)
    np.testing.assert_allclose(total, expected, rtol=1e-12)
    coef = min(1.0, max_norm / (expected + 1e-6))
    for p, g in zip(params, grads):
        tol = {"rtol": 1e-6} if g.dtype == np.float32 else {"rtol": 1e-12}
        np.testing.assert_allclose(p.grad.numpy(), g * coef, **tol)
        assert p.grad.dtype == g.dtype


def test_clip_grad_norm_large_tensors_use_the_parallel_path():
    rng = np.random.default_rng(1)
    grads = [rng.standard_normal(100_001).astype(np.float32), rng.standard_normal((300, 257))]
    for norm_type in (2.0, 1.0, math.inf):
        total = clip_grad_norm_(_params_with_grads(grads), 1.0, norm_type)
        np.testing.assert_allclose(total, _reference_norm(grads, norm_type), rtol=1e-10)


def test_clip_grad_norm_skips_params_without_grad_and_accepts_one_tensor():
    p = tl.nn.Parameter(np.ones(4))
    assert clip_grad_norm_([p], 1.0) == 0.0
    p.grad = tl.tensor(np.full(4, 3.0))
    assert clip_grad_norm_(p, 1.0) == pytest.approx(6.0)
    np.testing.assert_allclose(p.grad.numpy(), np.full(4, 3.0 / (6.0 + 1e-6)))


def test_no_change_when_the_norm_is_below_max_norm():
    grads = [np.array([0.3, -0.4])]
    params = _params_with_grads(grads)
    assert clip_grad_norm_(params, 1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(params[0].grad.numpy(), grads[0])


@pytest.mark.parametrize("norm_type", [2.0, math.inf])
def test_infinite_gradient(norm_type):
    params = _params_with_grads([np.array([1.0, np.inf, -2.0]), np.array([3.0], np.float32)])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(params, 1.0, norm_type, error_if_nonfinite=True)
    np.testing.assert_array_equal(params[0].grad.numpy(), [1.0, np.inf, -2.0])  # untouched on error
    total = clip_grad_norm_(params, 1.0, norm_type)
    assert total == math.inf
    # as in PyTorch: the coefficient max_norm / inf = 0 zeroes finite entries, inf * 0 is NaN
    np.testing.assert_array_equal(params[0].grad.numpy(), [0.0, np.nan, -0.0])
    np.testing.assert_array_equal(params[1].grad.numpy(), [0.0])


@pytest.mark.parametrize("norm_type", [1.0, 2.0, math.inf])
def test_nan_gradient(norm_type):
    params = _params_with_grads([np.array([1.0, 5.0]), np.array([np.nan, 0.5], np.float32)])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(params, 1.0, norm_type, error_if_nonfinite=True)
    total = clip_grad_norm_(params, 1.0, norm_type)
    assert math.isnan(total)
    assert np.all(np.isnan(params[0].grad.numpy())) and np.all(np.isnan(params[1].grad.numpy()))


def test_invalid_norm_type():
    with pytest.raises(ValueError, match="norm_type must be > 0 or inf, got -1.0"):
        clip_grad_norm_(_params_with_grads([np.ones(2)]), 1.0, norm_type=-1)


def test_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    grads = [rng.standard_normal((4, 5)), rng.standard_normal(7) * 5]
    for norm_type in (2.0, 1.0, 3.0, math.inf):
        params = _params_with_grads(grads)
        torch_params = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
        for tp, g in zip(torch_params, grads):
            tp.grad = torch.from_numpy(g.copy())
        expected = float(torch.nn.utils.clip_grad_norm_(torch_params, 2.0, norm_type))
        assert clip_grad_norm_(params, 2.0, norm_type) == pytest.approx(expected, rel=1e-12)
        for p, tp in zip(params, torch_params):
            np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-12)


def test_clip_grad_value():
    params = _params_with_grads([np.array([-3.0, -0.5, 0.0, 0.7, 9.0, np.nan]), np.array([2.0], np.float32)])
    clip_grad_value_(params, 1.0)
    np.testing.assert_array_equal(params[0].grad.numpy(), [-1.0, -0.5, 0.0, 0.7, 1.0, np.nan])
    np.testing.assert_array_equal(params[1].grad.numpy(), np.array([1.0], np.float32))
    assert params[1].grad.dtype == np.float32
    with pytest.raises(ValueError, match="clip_value must be >= 0, got -1.0"):
        clip_grad_value_(params, -1.0)
