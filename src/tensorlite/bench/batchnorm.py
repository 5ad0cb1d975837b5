"""Batch-norm benchmark: the fused C++ kernels (tl.batch_norm forward and backward) against a direct
NumPy implementation of the same formulas, and PyTorch when installed, each library in its own process."""

import numpy as np

import tensorlite as tl
from tensorlite.bench.common import (
    METHOD,
    bench_arguments,
    isolated_rounds,
    median_seconds,
    print_table,
    rows_from_rounds,
    torch_or_none,
    write_json,
    write_times,
)
from tensorlite.bench.peak import measured_peaks

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


def _calls(contender, x, weight, bias, dy):
    """(forward, forward+backward) in training mode with one library."""
    if contender == "numpy":

        def np_backward():
            _, mean, var = numpy_forward(x, weight, bias)
            numpy_backward(x, dy, mean, var, weight)

        return (lambda: numpy_forward(x, weight, bias)), np_backward
    lib = tl
    if contender == "pytorch":
        import torch as lib
    tx, tw, tb = (lib.from_numpy(a).requires_grad_(True) for a in (x, weight, bias))
    tdy, batch_norm = lib.from_numpy(dy), lib.nn.functional.batch_norm

    def forward():
        with lib.no_grad():
            batch_norm(tx, None, None, tw, tb, training=True, eps=EPS)

    def forward_backward():
        tx.grad = tw.grad = tb.grad = None
        batch_norm(tx, None, None, tw, tb, training=True, eps=EPS).backward(tdy)

    return forward, forward_backward


def _shapes(quick):
    return QUICK_SHAPES if quick else SHAPES


def _case(shape):
    return f"batch_norm {'x'.join(map(str, shape))}"


def time_contender(contender, quick, threads):
    """{"case phase": median seconds} for one library at `threads` threads (run in a child process)."""
    tl.set_num_threads(threads)
    if contender == "pytorch":
        import torch

        torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    times = {}
    for shape in _shapes(quick):
        x, dy = (rng.standard_normal(shape).astype(np.float32) for _ in range(2))
        weight, bias = (rng.standard_normal(shape[1]).astype(np.float32) for _ in range(2))
        for phase, fn in zip(("forward", "fwd+bwd"), _calls(contender, x, weight, bias, dy)):
            times[f"{_case(shape)} {phase}"] = median_seconds(fn, min_time=0.01)
    return times


def rounds_for(quick):
    """Alternating rounds per library: 3, or 2 with --quick."""
    return 2 if quick else 3


def run(quick=False, threads=None):
    """Time training-mode forward, and forward + backward, per shape, each library alone in its own
    processes (bench.common.isolated_rounds); returns Rows (GB/s = minimal traffic: forward reads x twice
    and writes y; backward reads x and dy twice and writes dx; % of peak against the measured copy)."""
    threads = threads or tl.get_num_threads()
    contenders = ["tensorlite", "numpy"] + (["pytorch"] if torch_or_none() is not None else [])
    extra = ["--quick"] if quick else []
    results = isolated_rounds(
        "tensorlite.bench.batchnorm", contenders, threads, rounds=rounds_for(quick), extra_args=extra
    )
    bandwidth = measured_peaks(threads, quick)["GB/s"]
    rows = []
    for shape in _shapes(quick):
        nbytes = 4.0 * np.prod(shape)
        for phase, work in (("forward", 3 * nbytes), ("fwd+bwd", 8 * nbytes)):
            key = f"{_case(shape)} {phase}"
            rows += rows_from_rounds(
                results, key, "x".join(map(str, shape)), work=work, unit="GB/s", peak=bandwidth
            )
    return rows


def main(argv=None):
    args = bench_arguments(argv, __doc__.splitlines()[0], "small shapes only", "threads for every library")
    if args.contender is not None:
        write_times(
            time_contender(args.contender, args.quick, args.threads or tl.get_num_threads()), args.json
        )
        return
    rows = run(quick=args.quick, threads=args.threads)
    title = (
        f"batch norm, training mode, float32, {args.threads or tl.get_num_threads()} threads "
        f"({METHOD.format(rounds=rounds_for(args.quick))})"
    )
    print_table(rows, title=title)
    if args.json:
        write_json(rows, args.json)


if __name__ == "__main__":
    main()
