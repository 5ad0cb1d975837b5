"""GEMM benchmark: tensorlite's GEMM against NumPy's BLAS (and PyTorch when installed), same run.

GFLOP/s = 2*m*n*k / time; % of peak divides by the measured GEMM peak at the same thread count
(bench.peak). Each library is timed alone in its own child process per thread count and round
(bench.common.isolated_rounds), with OPENBLAS_NUM_THREADS / OMP_NUM_THREADS set and OPENBLAS_CORETYPE /
OPENBLAS_L2_SIZE removed, so NumPy uses its own best kernel with the same number of threads as tensorlite;
each library's best of ROUNDS rounds is reported, with the ratio's range over rounds.
"""

import os

import numpy as np

from tensorlite import _C
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

SQUARE_SIZES = (64, 128, 256, 512, 1024, 2048)
QUICK_SQUARE_SIZES = (64, 256, 512)
# (name, m, k, n, trans_a, trans_b): MLP forward / backward products and an im2col convolution.
NN_SHAPES = (
    ("fwd 784->100", 128, 784, 100, False, False),
    ("fwd 100->10", 128, 100, 10, False, False),
    ("dx g@W^T 10->100", 128, 10, 100, False, True),
    ("dx g@W^T 100->784", 128, 100, 784, False, True),
    ("dW X^T@g 784x100", 784, 128, 100, True, False),
    ("dW X^T@g 100x10", 100, 128, 10, True, False),
    ("im2col conv", 576, 1024, 64, False, False),
)
ROUNDS = 5


def _operands(m, k, n, trans_a, trans_b, dtype, rng):
    """Stored operands (transposed in memory when trans_*) and their logical views."""
    a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(dtype)
    return a, b, (a.T if trans_a else a), (b.T if trans_b else b)


def _cases(quick):
    """(case, m, k, n, trans_a, trans_b, dtype) for every product measured."""
    cases = [
        (f"square n={n}", n, n, n, False, False, np.float32)
        for n in (QUICK_SQUARE_SIZES if quick else SQUARE_SIZES)
    ]
    cases += [(name, m, k, n, ta, tb, np.float32) for name, m, k, n, ta, tb in NN_SHAPES]
    if not quick:
        cases.append(("square n=1024", 1024, 1024, 1024, False, False, np.float64))
    return cases


def _key(case, dtype):
    return f"{case} {np.dtype(dtype).name}"


def _product(contender, a, b, trans_a, trans_b):
    """The call that computes op(a) @ op(b) with `contender`'s library."""
    if contender == "tensorlite":
        return lambda: _C.gemm(a, b, trans_a, trans_b)
    if contender == "numpy":
        a_view, b_view = (a.T if trans_a else a), (b.T if trans_b else b)
        return lambda: a_view @ b_view
    import torch

    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    ta_view, tb_view = (ta.T if trans_a else ta), (tb.T if trans_b else tb)
    return lambda: ta_view @ tb_view


def time_contender(contender, quick, threads):
    """{case: median seconds per product} for one library at `threads` threads (run in a child process)."""
    if contender == "pytorch":
        import torch

        torch.set_num_threads(threads)
    _C.set_num_threads(threads)
    rng = np.random.default_rng(0)
    times = {}
    for case, m, k, n, trans_a, trans_b, dtype in _cases(quick):
        a, b, _, _ = _operands(m, k, n, trans_a, trans_b, dtype, rng)
        call = _product(contender, a, b, trans_a, trans_b)
        min_time = 0.02 if 2.0 * m * n * k < 1e8 else 0.0
        times[_key(case, dtype)] = median_seconds(call, repeats=7, warmup=3, min_time=min_time)
    return times


def run(quick=False, threads=None):
    """Benchmark rows for each thread count (default: 1 and 2, capped by the CPU count); each library timed
    alone in its own processes (see bench.common.isolated_best_times)."""
    counts = [threads] if threads else sorted({1, min(2, os.cpu_count() or 1)})
    contenders = ["tensorlite", "numpy"] + (["pytorch"] if torch_or_none() is not None else [])
    rows = []
    for count in counts:
        extra = ["--quick"] if quick else []
        results = isolated_rounds("tensorlite.bench.gemm", contenders, count, rounds=ROUNDS, extra_args=extra)
        peaks = measured_peaks(count, quick)
        for case, m, k, n, trans_a, trans_b, dtype in _cases(quick):
            key = _key(case, dtype)
            shape = f"{m}x{k}{'^T' if trans_a else ''} @ {k}x{n}{'^T' if trans_b else ''}"
            rows += rows_from_rounds(
                results,
                key,
                shape,
                case=f"{key} {count}t",
                work=2.0 * m * n * k,
                peak=peaks[f"GFLOP/s {np.dtype(dtype).name}"],
                extra={"threads": count, "dtype": np.dtype(dtype).name, "isa": _C.gemm_isa()},
            )
    return rows


def main(argv=None):
    """Command line: print the table; --quick for a short run, --json PATH to save the rows."""
    args = bench_arguments(
        argv, __doc__.splitlines()[0], "fewer, smaller cases", "one thread count (default: 1 and 2)"
    )
    if args.contender is not None:
        write_times(time_contender(args.contender, args.quick, args.threads), args.json)
        return
    rows = run(quick=args.quick, threads=args.threads)
    cfg = _C.gemm_config()
    title = (
        f"GEMM: tensorlite ({cfg['isa']}; float32 blocks {cfg['float32']}) vs NumPy/PyTorch; "
        f"{METHOD.format(rounds=ROUNDS)}"
    )
    print_table(rows, title=title)
    if args.json:
        write_json(rows, args.json)


if __name__ == "__main__":
    main()
