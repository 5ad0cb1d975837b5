"""The batch-norm benchmark (bench/batchnorm.py): its NumPy baseline computes what tl.batch_norm computes,
and a quick run yields one numpy row per case."""

import numpy as np

import tensorlite as tl
from tensorlite.bench import batchnorm


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


def test_quick_run_reports_every_case():
    rows = [r for r in batchnorm.run(quick=True, threads=tl.get_num_threads()) if r.baseline == "numpy"]
    assert len(rows) == 2 * len(batchnorm.QUICK_SHAPES)
    assert all(r.tensorlite_ms > 0 and r.baseline_ms > 0 and r.rate > 0 for r in rows)
