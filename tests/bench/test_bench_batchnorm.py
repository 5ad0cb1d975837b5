"""The batch-norm benchmark (bench/batchnorm.py): its NumPy baseline computes what tl.batch_norm computes,
and every library's child times every case."""

import numpy as np
import pytest

import tensorlite as tl
from tensorlite.bench import batchnorm, common


def test_numpy_baseline_matches_tensorlite():
    rng = np.random.default_rng(0)
    x, dy = rng.standard_normal((6, 3, 4, 5)), rng.standard_normal((6, 3, 4, 5))
    weight, bias = rng.standard_normal(3), rng.standard_normal(3)
    y, mean, var = batchnorm.numpy_forward(x, weight, bias)
    dx, dweight, dbias = batchnorm.numpy_backward(x, dy, mean, var, weight)
    tx, tw, tb = (tl.tensor(a, requires_grad=True) for a in (x, weight, bias))
    ty = tl.batch_norm(tx, None, None, tw, tb, training=True)
    ty.backward(tl.tensor(dy))
    for got, expected in ((ty, y), (tx.grad, dx), (tw.grad, dweight), (tb.grad, dbias)):
        np.testing.assert_allclose(got.detach().numpy(), expected, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize(
    "contender", ["tensorlite", "numpy"] + (["pytorch"] if common.torch_or_none() else [])
)
def test_each_contender_times_every_case(contender):
    times = batchnorm.time_contender(contender, quick=True, threads=1)
    expected = {f"{batchnorm._case(s)} {p}" for s in batchnorm.QUICK_SHAPES for p in ("forward", "fwd+bwd")}
    assert set(times) == expected and all(t > 0 for t in times.values())
