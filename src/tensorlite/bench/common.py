"""Shared benchmark machinery: median timing after warm-up, each library timed alone in its own process,
the machine's peak, one table format."""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field

from tensorlite import _C

SIMD_FLOAT32_LANES = {"avx512": 16, "avx2": 8, "generic": 4}


def median_seconds(fn, repeats=7, warmup=2, min_time=0.0):
    """Median wall time of fn() over `repeats` runs after `warmup` runs; each sample loops fn until it
    has run for at least `min_time` seconds (for very fast calls)."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        calls, start = 0, time.perf_counter()
        while True:
            fn()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_time:
                break
        samples.append(elapsed / calls)
    return statistics.median(samples)


# Set by the machine's environment to force OpenBLAS onto slower kernels; removed for benchmark children so
# that NumPy runs its best kernel.
OPENBLAS_SLOWDOWN_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def isolated_best_times(module, contenders, threads, rounds=3, extra_args=()):
    """{contender: {case: seconds}}: each contender's fastest round, per case, of `rounds` rounds; in a round
    each contender is timed alone in a fresh process (its per-case time a median over repeats), rounds
    alternating between contenders.

    A child runs `python -m <module> --contender NAME --threads T --json PATH *extra_args` and writes
    {case: seconds} there. Timed alone, no library pays for another one's worker threads: OpenBLAS and
    OpenMP workers spin for up to ~0.1 s after a call and, in a shared process, take the cores from whichever
    library is timed next. The children run with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed and
    OPENBLAS/OMP/MKL_NUM_THREADS set to `threads`. A virtual machine's speed drops for seconds at a time
    (measured here: the same product 50% slower for a few seconds); taking each contender's best round keeps
    such a spell from deciding a ratio, and hits every contender alike."""
    env = {k: v for k, v in os.environ.items() if k not in OPENBLAS_SLOWDOWN_VARIABLES}
    env.update(OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    samples = {name: {} for name in contenders}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "times.json")
        for _ in range(rounds):
            for name in contenders:
                cmd = [
                    sys.executable,
                    "-m",
                    module,
                    "--contender",
                    name,
                    "--threads",
                    str(threads),
                    "--json",
                    path,
                ]
                subprocess.run(cmd + list(extra_args), env=env, check=True)
                with open(path) as f:
                    for case, seconds in json.load(f).items():
                        samples[name].setdefault(case, []).append(seconds)
    return {name: {case: min(t) for case, t in cases.items()} for name, cases in samples.items()}


def bench_arguments(argv, description, quick_help, threads_help):
    """The command line of a benchmark timed by isolated_best_times: --quick, --threads N, --json PATH, and the
    hidden --contender NAME with which isolated_best_times starts its children."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--threads", type=int, default=None, help=threads_help)
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    parser.add_argument("--contender", default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def write_times(times, path):
    """Write a contender child's {case: seconds} to `path` as JSON (read by isolated_best_times)."""
    with open(path, "w") as f:
        json.dump(times, f)


def peak_gflops(threads, dtype_bytes=4, isa=None):
    """Theoretical peak: cores x SIMD lanes x 2 FMA ports x 2 flops x measured clock (GHz)."""
    isa = isa or _C.cpu_isa()
    lanes = SIMD_FLOAT32_LANES.get(isa, 4) * 4 // dtype_bytes
    return threads * lanes * 2 * 2 * _C.measure_clock_ghz()


def torch_or_none():
    """The torch module when installed (CPU), else None."""
    try:
        import torch
    except ImportError:
        return None
    return torch


@dataclass
class Row:
    """One benchmark result: tensorlite's median time beside a baseline's, measured in the same run."""

    case: str
    shape: str
    tensorlite_ms: float
    baseline: str
    baseline_ms: float
    work: float = 0.0  # flops (for GFLOP/s) or bytes (for GB/s) per call
    unit: str = "GFLOP/s"
    peak: float = 0.0  # the machine's peak in `unit`, 0 if not meaningful
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self):
        """Baseline time / tensorlite time: > 1 means tensorlite is faster."""
        return self.baseline_ms / self.tensorlite_ms if self.tensorlite_ms > 0 else float("nan")

    @property
    def rate(self):
        """tensorlite's throughput in `unit`."""
        return self.work / (self.tensorlite_ms * 1e-3) / 1e9 if self.work and self.tensorlite_ms > 0 else 0.0


def print_table(rows, title=None):
    """Print rows as an aligned table: case, shape, tensorlite, baseline, ratio, throughput, % of peak."""
    if title:
        print(title)
    header = f"{'case':<28} {'shape':<26} {'tensorlite':>11} {'baseline':>22} {'ratio':>7} {'rate':>16} {'peak%':>6}"
    print(header)
    print("-" * len(header))
    for r in rows:
        base = f"{r.baseline} {r.baseline_ms:.3f} ms"
        rate = f"{r.rate:.1f} {r.unit}" if r.work else "-"
        peak = f"{100 * r.rate / r.peak:.0f}%" if r.peak and r.work else "-"
        print(
            f"{r.case:<28} {r.shape:<26} {r.tensorlite_ms:>8.3f} ms {base:>22} {r.ratio:>6.2f}x {rate:>16} {peak:>6}"
        )


def write_json(rows, path):
    """Write rows (with ratio and rate) to `path` as JSON, atomically."""
    records = [dict(asdict(r), ratio=r.ratio, rate=r.rate) for r in rows]
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(records, f, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
