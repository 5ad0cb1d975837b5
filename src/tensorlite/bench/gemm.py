"""GEMM benchmark: tensorlite's GEMM against NumPy's BLAS (and PyTorch when installed), same run.

GFLOP/s = 2*m*n*k / time; % of peak uses bench.common.peak_gflops (cores x SIMD lanes x 2 FMA ports x
2 flops x the clock measured by _C.measure_clock_ghz). Each thread count runs in a child process with
OPENBLAS_NUM_THREADS / OMP_NUM_THREADS set and OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed, so NumPy
uses its own best kernel with the same number of threads as tensorlite. Timings alternate between the
contenders in short blocks so that load from other processes hits all of them alike.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np

from tensorlite import _C
from tensorlite.bench.common import Row, median_seconds, peak_gflops, print_table, torch_or_none, write_json

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
ROUNDS, SAMPLES = 3, 3


def _operands(m, k, n, trans_a, trans_b, dtype, rng):
    """Stored operands (transposed in memory when trans_*) and their logical views."""
    a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(dtype)
    return a, b, (a.T if trans_a else a), (b.T if trans_b else b)


def _interleaved_medians(fns, min_time):
    """Median seconds per call of each fn over ROUNDS rounds; in each round every fn runs a block of
    warm-up calls and SAMPLES timed samples. Blocks (rather than single calls in turn) let the previous
    contender's thread pool (OpenBLAS, torch's OpenMP) go idle before the next one is timed."""
    samples = [[] for _ in fns]
    for _ in range(ROUNDS):
        for fn, out in zip(fns, samples):
            for _ in range(2):
                fn()
            out += [median_seconds(fn, repeats=1, warmup=0, min_time=min_time) for _ in range(SAMPLES)]
    return [statistics.median(s) for s in samples]


def _measure(case, m, k, n, trans_a, trans_b, dtype, threads, torch, rng):
    """Rows comparing tensorlite with NumPy (and torch) on one product."""
    a, b, a_view, b_view = _operands(m, k, n, trans_a, trans_b, dtype, rng)
    contenders = [lambda: _C.gemm(a, b, trans_a, trans_b), lambda: a_view @ b_view]
    names = ["numpy"]
    if torch is not None:
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        ta_view, tb_view = (ta.T if trans_a else ta), (tb.T if trans_b else tb)
        contenders.append(lambda: ta_view @ tb_view)
        names.append("torch")
    flops = 2.0 * m * n * k
    seconds = _interleaved_medians(contenders, min_time=0.02 if flops < 1e8 else 0.0)
    dtype_name = np.dtype(dtype).name
    shape = f"{m}x{k}{'^T' if trans_a else ''} @ {k}x{n}{'^T' if trans_b else ''}"
    peak = peak_gflops(threads, np.dtype(dtype).itemsize, isa=_C.gemm_isa())
    return [
        Row(
            case=f"{case} {dtype_name} {threads}t",
            shape=shape,
            tensorlite_ms=seconds[0] * 1e3,
            baseline=name,
            baseline_ms=base * 1e3,
            work=flops,
            peak=peak,
            extra={"threads": threads, "dtype": dtype_name, "isa": _C.gemm_isa()},
        )
        for name, base in zip(names, seconds[1:])
    ]


def _run_here(quick, threads):
    """All cases in this process at `threads` threads (NumPy's thread count is set by the parent)."""
    torch = torch_or_none()
    if torch is not None:
        torch.set_num_threads(threads)
    _C.set_num_threads(threads)
    rng = np.random.default_rng(0)
    rows = []
    for n in QUICK_SQUARE_SIZES if quick else SQUARE_SIZES:
        rows += _measure(f"square n={n}", n, n, n, False, False, np.float32, threads, torch, rng)
    for name, m, k, n, ta, tb in NN_SHAPES:
        rows += _measure(name, m, k, n, ta, tb, np.float32, threads, torch, rng)
    if not quick:
        rows += _measure("square n=1024", 1024, 1024, 1024, False, False, np.float64, threads, torch, rng)
    return rows


def run(quick=False, threads=None):
    """Benchmark rows for each thread count (default: 1 and 2, capped by the CPU count), each measured in
    a child process so that NumPy's BLAS runs with the same thread count and its best kernel."""
    counts = [threads] if threads else sorted({1, min(2, os.cpu_count() or 1)})
    rows = []
    for count in counts:
        env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
        env.update(OPENBLAS_NUM_THREADS=str(count), OMP_NUM_THREADS=str(count), MKL_NUM_THREADS=str(count))
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "rows.json")
            cmd = [sys.executable, "-m", "tensorlite.bench.gemm", "--child", str(count), "--json", path]
            subprocess.run(cmd + (["--quick"] if quick else []), env=env, check=True)
            with open(path) as f:
                rows += [Row(**{k: r[k] for k in Row.__dataclass_fields__}) for r in json.load(f)]
    return rows


def main(argv=None):
    """Command line: print the table; --quick for a short run, --json PATH to save the rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, smaller cases")
    parser.add_argument("--threads", type=int, default=None, help="one thread count (default: 1 and 2)")
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        write_json(_run_here(args.quick, args.child), args.json)
        return
    rows = run(quick=args.quick, threads=args.threads)
    cfg = _C.gemm_config()
    title = (
        f"GEMM: tensorlite ({cfg['isa']}; float32 blocks {cfg['float32']}) vs NumPy/PyTorch; "
        "peak% = rate / (threads x SIMD lanes x 2 FMA x 2 flops x clock measured by _C.measure_clock_ghz)"
    )
    print_table(rows, title=title)
    if args.json:
        write_json(rows, args.json)


if __name__ == "__main__":
    main()
