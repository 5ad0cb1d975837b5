"""The machine's peaks, measured rather than assumed: "% of peak" in the benchmark tables divides by these.

- Compute: the measured GEMM peak, the best rate (2 n^3 / time) of a large square GEMM (n = 2048, 512 with
  --quick) over repeats, by NumPy's BLAS and by tensorlite's GEMM, each in its own process at the given
  thread count; the higher of the two, per dtype. A GEMM cannot beat the FMA units, so this is a lower
  bound of the FMA peak; no FMA-unit count or datapath width is assumed (an AVX-512 CPU may issue one or
  two 512-bit FMAs per cycle, or split them into 256-bit halves).
- Bandwidth: a NumPy streaming copy of a 512 MiB float32 array (8 MiB with --quick), split over the
  threads, best of repeats, counting bytes read + written (2 x size; the write-allocate reads that the
  hardware adds are not counted, as in every GB/s figure of the tables).

A kernel can still beat a measured peak (data left in cache, a nominal work count such as Winograd's
direct flops, noise): the tables print the percentage and flag it.
"""

import argparse
import functools
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from tensorlite.bench.common import run_child

GEMM_N, QUICK_GEMM_N = 2048, 512
COPY_BYTES, QUICK_COPY_BYTES = 512 << 20, 8 << 20


def best_seconds(fn, repeats):
    """Shortest wall time of fn() over `repeats` runs, after one warm-up run."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def gemm_gflops(library, n, dtype, repeats=5):
    """Best rate in GFLOP/s of an n x n x n product by `library` ("numpy" or "tensorlite")."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n)).astype(dtype) for _ in range(2))
    if library == "numpy":
        product = functools.partial(np.matmul, a, b)
    else:
        from tensorlite import _C

        product = functools.partial(_C.gemm, a, b, False, False)
    return 2.0 * n**3 / best_seconds(product, repeats) / 1e9


def copy_gbps(nbytes, threads, repeats=5):
    """Best bandwidth in GB/s (bytes read + written) of a NumPy copy of `nbytes`, in `threads` slices."""
    src = np.ones(nbytes // 4, np.float32)
    dst = np.empty_like(src)
    bounds = np.linspace(0, src.size, threads + 1).astype(int)
    with ThreadPoolExecutor(threads) as pool:

        def copy():
            jobs = [pool.submit(np.copyto, dst[a:b], src[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
            for job in jobs:
                job.result()

        return 2.0 * src.nbytes / best_seconds(copy, repeats) / 1e9


def measure(library, threads, quick):
    """{"float32": GFLOP/s, "float64": GFLOP/s[, "copy": GB/s]} measured with `library` in this process."""
    if library == "tensorlite":
        from tensorlite import _C

        _C.set_num_threads(threads)
    n = QUICK_GEMM_N if quick else GEMM_N
    out = {dtype: gemm_gflops(library, n, dtype) for dtype in ("float32", "float64")}
    if library == "numpy":
        out["copy"] = copy_gbps(QUICK_COPY_BYTES if quick else COPY_BYTES, threads)
    return out


@functools.cache
def measured_peaks(threads, quick=False):
    """{"GFLOP/s float32", "GFLOP/s float64": measured GEMM peak, "GB/s": streaming copy, "pids": [...]}
    at `threads` threads; NumPy and tensorlite each measured alone in a fresh process (cached per run)."""
    args = ["--threads", str(threads)] + (["--quick"] if quick else [])
    numpy_out = run_child("tensorlite.bench.peak", ["--library", "numpy", *args], threads)
    tl_out = run_child("tensorlite.bench.peak", ["--library", "tensorlite", *args], threads)
    peaks = {
        f"GFLOP/s {dtype}": max(numpy_out["peaks"][dtype], tl_out["peaks"][dtype])
        for dtype in ("float32", "float64")
    }
    peaks["GB/s"] = numpy_out["peaks"]["copy"]
    peaks["pids"] = [numpy_out["pid"], tl_out["pid"]]
    return peaks


def main(argv=None):
    """Child entry point: measure with one library and write {"pid", "peaks"} to --json PATH."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", choices=("numpy", "tensorlite"), required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", metavar="PATH", required=True)
    args = parser.parse_args(argv)
    peaks = measure(args.library, args.threads, args.quick)
    with open(args.json, "w") as f:
        json.dump({"pid": os.getpid(), "peaks": peaks}, f)


if __name__ == "__main__":
    main()
