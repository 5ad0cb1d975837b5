"""Batch norm on inputs large enough to be split into value groups (cpp/kernels/batchnorm.cpp: more than
32768 values; shared out over threads from 262144), on every build of the loops (batchnorm_isa.h),
against the float64 reference: groups cut mid-row, one channel, (N, C) input with few channels,
non-contiguous input, eval mode, no affine, no running statistics; and results that do not depend on
the thread count."""

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensorlite as tl

from harness import assert_close, using_batchnorm_isa
from reference.batchnorm import batch_norm_backward, batch_norm_forward

ISAS = tl._C.batchnorm_available_isas()
# (N, C, *): C = 1; few channels with many positions; (N, C) with few or many channels; positions that
# do not divide into the groups (rows cut mid-way); one sample.
SHAPES = [(3, 1, 20011), (64, 2, 28, 28), (40000, 2), (300, 700), (5, 3, 4001), (1, 4, 9, 1000)]


def check_training(x, dy, weight, bias, dtype):
    """Forward and backward of training-mode batch norm at `dtype` against the float64 reference."""
    cast = [a.astype(dtype) for a in (x, dy, weight, bias)]
    xt, wt, bt = (tl.tensor(a, requires_grad=True) for a in (cast[0], cast[2], cast[3]))
    y = tl.batch_norm(xt, None, None, wt, bt, training=True)
    y.backward(tl.tensor(cast[1]))
    x64, dy64, w64, b64 = (a.astype(np.float64) for a in cast)
    assert_close(y, batch_norm_forward(x64, w64, b64, 1e-5)[0], dtype)
    dx, dw, db = batch_norm_backward(x64, dy64, w64, 1e-5)
    tol = {"rtol": 1e-3, "atol": 1e-4} if dtype == np.float32 else {"rtol": 1e-9, "atol": 1e-10}
    np.testing.assert_allclose(xt.grad.numpy(), dx, **tol)
    # The sums over ~10^5 values may cancel to near 0: their error is measured against sum |dy|.
    scale = np.abs(dy64).sum(axis=tuple(i for i in range(x.ndim) if i != 1)).max()
    sum_tol = {"rtol": tol["rtol"], "atol": (2e-5 if dtype == np.float32 else 1e-12) * scale}
    np.testing.assert_allclose(wt.grad.numpy(), dw, **sum_tol)
    np.testing.assert_allclose(bt.grad.numpy(), db, **sum_tol)


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("shape", SHAPES)
def test_training_forward_and_backward_match_reference(isa, shape):
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape) * 2 + 3
    dy = rng.standard_normal(shape)
    weight, bias = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    with using_batchnorm_isa(isa):
        for dtype in (np.float32, np.float64):
            check_training(x, dy, weight, bias, dtype)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_random_large_shapes_match_reference(seed):
    rng = np.random.default_rng(seed)
    c = int(rng.choice([1, 2, 3, 17, 64]))
    s = int(rng.choice([1, 7, 196, 1001]))
    n = int(rng.integers(2, 40000 // (c * s) + 3)) + 33000 // (c * s)  # above the 32768-value threshold
    shape = (n, c) if s == 1 else (n, c, s)
    x, dy = rng.standard_normal(shape) - 4, rng.standard_normal(shape)
    weight, bias = rng.standard_normal(c), rng.standard_normal(c)
    with using_batchnorm_isa(ISAS[int(rng.integers(len(ISAS)))]):
        check_training(x, dy, weight, bias, np.float64)


@pytest.mark.parametrize("isa", ISAS)
def test_non_contiguous_input_matches_its_contiguous_copy(isa):
    rng = np.random.default_rng(5)
    base = rng.standard_normal((48, 40, 6, 50))
    x = tl.tensor(base, requires_grad=True)
    view = x.permute(0, 2, 1, 3)[:, :, ::2]  # (48, 6, 20, 50), channel stride not contiguous
    copy = tl.tensor(view.detach().numpy().copy(), requires_grad=True)
    dy = tl.tensor(rng.standard_normal(view.shape))
    with using_batchnorm_isa(isa):
        y_view = tl.batch_norm(view, None, None, training=True)
        y_view.backward(dy)
        y_copy = tl.batch_norm(copy, None, None, training=True)
        y_copy.backward(dy)
    np.testing.assert_array_equal(y_view.detach().numpy(), y_copy.detach().numpy())
    np.testing.assert_array_equal(x.grad.numpy().transpose(0, 2, 1, 3)[:, :, ::2], copy.grad.numpy())
    assert np.all(x.grad.numpy()[:, 1::2] == 0)


@pytest.mark.parametrize("isa", ISAS)
def test_layer_modes_on_large_input(isa):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((16, 3, 40, 40)) * 3 + 1
    ones, zeros = np.ones(3), np.zeros(3)
    with using_batchnorm_isa(isa):
        layer = tl.nn.BatchNorm2d(3, dtype=tl.float64)
        with tl.no_grad():
            layer.weight.copy_(tl.tensor([0.5, -2.0, 1.5], dtype=tl.float64))
        train_y = layer(tl.tensor(x))
        expected, mean, var = batch_norm_forward(x, layer.weight.detach().numpy(), zeros, 1e-5, zeros, ones)
        np.testing.assert_allclose(train_y.detach().numpy(), expected, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(layer.running_var.numpy(), var, rtol=1e-12)
        layer.eval()
        eval_y = layer(tl.tensor(x)).detach().numpy()
        expected = batch_norm_forward(
            x, layer.weight.detach().numpy(), zeros, 1e-5, mean, var, training=False
        )[0]
        np.testing.assert_allclose(eval_y, expected, rtol=1e-10, atol=1e-12)
        plain = tl.nn.BatchNorm2d(3, affine=False, track_running_stats=False, dtype=tl.float64).eval()
        plain_y = plain(tl.tensor(x)).detach().numpy()  # batch statistics even in eval mode
        np.testing.assert_allclose(
            plain_y, batch_norm_forward(x, ones, zeros, 1e-5)[0], rtol=1e-10, atol=1e-12
        )


def test_large_input_results_are_identical_at_one_and_two_threads(threads_restored):
    rng = np.random.default_rng(7)
    x = tl.tensor(rng.standard_normal((8, 3, 11000)).astype(np.float32) + 5, requires_grad=True)
    dy = tl.tensor(rng.standard_normal(x.shape).astype(np.float32))
    results = []
    for threads in (1, 2):
        tl.set_num_threads(threads)
        x.grad = None
        y = tl.batch_norm(x, None, None, training=True)
        y.backward(dy)
        results.append((y.detach().numpy(), x.grad.numpy()))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_unknown_build_is_refused():
    with pytest.raises(ValueError, match="sse9"):
        tl._C.set_batchnorm_isa("sse9")


@pytest.mark.parametrize("name", ISAS)
def test_env_var_caps_the_build(name):
    script = (
        "from tensorlite import _C\n"
        "print(_C.batchnorm_isa(), ','.join(_C.batchnorm_available_isas()))\n"
        "try:\n    _C.set_batchnorm_isa('avx512')\n    print('set')\nexcept ValueError:\n    print('refused')\n"
    )
    env = dict(os.environ, TENSORLITE_ISA=name)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    active, switch = done.stdout.split("\n")[:2]
    allowed = ISAS[ISAS.index(name) :]
    assert active == f"{name} {','.join(allowed)}"
    assert switch == ("set" if "avx512" in allowed else "refused")
