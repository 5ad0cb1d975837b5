"""Batch-norm benchmark: the fused C++ kernels (tl.batch_norm forward and backward) against a direct
NumPy implementation of the same formulas, and PyTorch when installed, in the same run."""

import argparse

import numpy as np

import tensorlite as tl
from tensorlite.bench.common import Row, median_seconds, print_table, torch_or_none, write_json

EPS = 1e-5
SHAPES = [(64, 64, 32, 32), (32, 256, 14, 14), (256, 1024), (128, 64, 512)]
QUICK_SHAPES = [(16, 32, 16, 16), (128, 256)]


def numpy_forward(x, weight, bias):
    """Training-mode batch norm in NumPy: returns (y, mean, var)."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    scale = weight / np.sqrt(var + EPS)
    return (x - mean.reshape(shape)) * scale.reshape(shape) + bias.reshape(shape), mean, var


def numpy_backward(x, dy, mean, var, weight):
    """Training-mode batch-norm gradient in NumPy: returns (dx, dweight, dbias)."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    m = x.size // x.shape[1]
    invstd = 1 / np.sqrt(var + EPS)
    xhat = (x - mean.reshape(shape)) * invstd.reshape(shape)
    dbias, dweight = dy.sum(axis=axes), (dy * xhat).sum(axis=axes)
    k = (weight * invstd / m).reshape(shape)
    return k * (m * dy - dbias.reshape(shape) - xhat * dweight.reshape(shape)), dweight, dbias


def _torch_rows(torch, case, shape_str, x, weight, bias, dy, tl_ms, work):
    tx = torch.from_numpy(x).requires_grad_(True)
    tw, tb = torch.from_numpy(weight).requires_grad_(True), torch.from_numpy(bias).requires_grad_(True)
    tdy = torch.from_numpy(dy)

    def forward():
        with torch.no_grad():
            torch.nn.functional.batch_norm(tx, None, None, tw, tb, training=True, eps=EPS)

    def backward():
        tx.grad = tw.grad = tb.grad = None
        torch.nn.functional.batch_norm(tx, None, None, tw, tb, training=True, eps=EPS).backward(tdy)

    return [
        Row(f"{case} forward", shape_str, tl_ms[0], "torch", median_seconds(forward) * 1e3, work[0], "GB/s"),
        Row(
            f"{case} fwd+bwd",
            shape_str,
            tl_ms[1],
            "torch",
            median_seconds(backward) * 1e3,
            work[1],
            "GB/s",
        ),
    ]


def _shape_rows(shape, rng, torch):
    x = rng.standard_normal(shape).astype(np.float32)
    dy = rng.standard_normal(shape).astype(np.float32)
    weight, bias = (
        rng.standard_normal(shape[1]).astype(np.float32),
        rng.standard_normal(shape[1]).astype(np.float32),
    )
    tx = tl.tensor(x, requires_grad=True)
    tw, tb, tdy = tl.tensor(weight, requires_grad=True), tl.tensor(bias, requires_grad=True), tl.tensor(dy)

    def tl_forward():
        with tl.no_grad():
            tl.batch_norm(tx, None, None, tw, tb, training=True)

    def tl_backward():
        tx.grad = tw.grad = tb.grad = None
        tl.batch_norm(tx, None, None, tw, tb, training=True).backward(tdy)

    def np_backward():
        _, mean, var = numpy_forward(x, weight, bias)
        numpy_backward(x, dy, mean, var, weight)

    shape_str = "x".join(map(str, shape))
    case = f"batch_norm {len(shape)}-D f32"
    tl_ms = (median_seconds(tl_forward) * 1e3, median_seconds(tl_backward) * 1e3)
    work = (3 * x.nbytes, 3 * x.nbytes + 5 * x.nbytes)
    np_fwd = median_seconds(lambda: numpy_forward(x, weight, bias)) * 1e3
    rows = [
        Row(f"{case} forward", shape_str, tl_ms[0], "numpy", np_fwd, work[0], "GB/s"),
        Row(
            f"{case} fwd+bwd",
            shape_str,
            tl_ms[1],
            "numpy",
            median_seconds(np_backward) * 1e3,
            work[1],
            "GB/s",
        ),
    ]
    if torch is not None:
        rows.extend(_torch_rows(torch, case, shape_str, x, weight, bias, dy, tl_ms, work))
    return rows


def run(quick=False, threads=None):
    """Time training-mode forward, and forward + backward, per shape; returns Rows (GB/s = minimal
    traffic: forward reads x twice and writes y; backward reads x and dy twice and writes dx)."""
    if threads is not None:
        tl.set_num_threads(threads)
    torch = torch_or_none()
    if torch is not None and threads is not None:
        torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    return [row for shape in (QUICK_SHAPES if quick else SHAPES) for row in _shape_rows(shape, rng, torch)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small shapes only")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    args = parser.parse_args(argv)
    rows = run(quick=args.quick, threads=args.threads)
    print_table(rows, title=f"batch norm, training mode, {tl.get_num_threads()} threads")
    if args.json:
        write_json(rows, args.json)


if __name__ == "__main__":
    main()
