"""Shared benchmark machinery: each library timed alone in its own process in alternating rounds (a median
over repeats per round, the best round reported beside the range over rounds), one row type, one table."""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field

METHOD = (
    "best of {rounds} alternating rounds, each library alone in a fresh process, median of repeats per round"
)


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


def child_environment(threads):
    """os.environ without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, with OPENBLAS/OMP/MKL_NUM_THREADS = threads."""
    env = {k: v for k, v in os.environ.items() if k not in OPENBLAS_SLOWDOWN_VARIABLES}
    env.update(OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    return env


def run_child(module, args, threads):
    """Run `python -m module *args --json PATH` in a fresh process and return the JSON it wrote."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "out.json")
        cmd = [sys.executable, "-m", module, *args, "--json", path]
        subprocess.run(cmd, env=child_environment(threads), check=True)
        with open(path) as f:
            return json.load(f)


def isolated_rounds(module, contenders, threads, rounds=3, extra_args=()):
    """{contender: {"times": {case: [seconds per round]}, "pids": [pid per round]}}.

    In each of `rounds` rounds every contender runs, in turn, alone in a fresh process:
    `python -m <module> --contender NAME --threads T --json PATH *extra_args`, which times every case (a
    median over repeats) and writes {"pid": ..., "times": {case: seconds}} (write_times). Timed alone, no
    library pays for another one's worker threads: OpenBLAS and OpenMP workers spin for up to ~0.1 s after
    a call and, in a shared process, take the cores from whichever library is timed next. Rounds alternate
    between contenders so that a slow spell of a shared virtual machine hits them alike."""
    results = {name: {"times": {}, "pids": []} for name in contenders}
    for _ in range(rounds):
        for name in contenders:
            out = run_child(module, ["--contender", name, "--threads", str(threads), *extra_args], threads)
            results[name]["pids"].append(out["pid"])
            for case, seconds in out["times"].items():
                results[name]["times"].setdefault(case, []).append(seconds)
    return results


def isolated_best_times(module, contenders, threads, rounds=3, extra_args=()):
    """{contender: {case: seconds}}: each contender's best round per case (see isolated_rounds)."""
    results = isolated_rounds(module, contenders, threads, rounds, extra_args)
    return {name: {case: min(t) for case, t in r["times"].items()} for name, r in results.items()}


def bench_arguments(argv, description, quick_help, threads_help, default_threads=None):
    """The command line of a benchmark timed by isolated_rounds: --quick, --threads N, --json PATH, and the
    hidden --contender NAME with which isolated_rounds starts its children."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--threads", type=int, default=default_threads, help=threads_help)
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    parser.add_argument("--contender", default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def write_times(times, path):
    """Write a contender child's {case: seconds} and its pid to `path` as JSON (read by isolated_rounds)."""
    with open(path, "w") as f:
        json.dump({"pid": os.getpid(), "times": times}, f)


def torch_or_none():
    """The torch module when installed (CPU), else None."""
    try:
        import torch
    except ImportError:
        return None
    return torch


@dataclass
class Row:
    """One benchmark result: tensorlite's time beside a baseline's (best rounds, in ms), the per-round times
    and the pids of the processes that timed them; `peak` is the machine's measured peak in `unit`."""

    case: str
    shape: str
    tensorlite_ms: float
    baseline: str
    baseline_ms: float
    work: float = 0.0  # flops (for GFLOP/s) or bytes (for GB/s) per call
    unit: str = "GFLOP/s"
    peak: float = 0.0  # the machine's measured peak in `unit` (bench.peak), 0 if not meaningful
    extra: dict = field(default_factory=dict)
    tensorlite_rounds_ms: list = field(default_factory=list)
    baseline_rounds_ms: list = field(default_factory=list)
    tensorlite_pids: list = field(default_factory=list)
    baseline_pids: list = field(default_factory=list)

    @property
    def ratio(self):
        """Baseline time / tensorlite time: > 1 means tensorlite is faster."""
        return self.baseline_ms / self.tensorlite_ms if self.tensorlite_ms > 0 else float("nan")

    @property
    def ratio_range(self):
        """(lowest, highest) of baseline / tensorlite over rounds (round i of one against round i of the
        other, timed next to each other), or None without per-round times."""
        pairs = list(zip(self.baseline_rounds_ms, self.tensorlite_rounds_ms))
        if not pairs:
            return None
        ratios = [b / t for b, t in pairs]
        return min(ratios), max(ratios)

    @property
    def rate(self):
        """tensorlite's throughput in `unit`."""
        return self.work / (self.tensorlite_ms * 1e-3) / 1e9 if self.work and self.tensorlite_ms > 0 else 0.0

    @property
    def percent_of_peak(self):
        """100 x rate / measured peak, or None without a peak. It can exceed 100 (flagged by print_table):
        a measured peak is a lower bound of the hardware's, and some work counts are nominal."""
        return 100 * self.rate / self.peak if self.peak > 0 and self.work else None


def rows_from_rounds(results, key, shape, labels=None, case=None, **row_fields):
    """One Row per baseline contender in `results` (isolated_rounds) that timed `key`, against
    results["tensorlite"]; `labels` renames contenders in the baseline column."""
    ours = results["tensorlite"]
    rows = []
    for name, theirs in results.items():
        if name == "tensorlite" or key not in theirs["times"]:
            continue
        rows.append(
            Row(
                case or key,
                shape,
                min(ours["times"][key]) * 1e3,
                (labels or {}).get(name, name),
                min(theirs["times"][key]) * 1e3,
                tensorlite_rounds_ms=[t * 1e3 for t in ours["times"][key]],
                baseline_rounds_ms=[t * 1e3 for t in theirs["times"][key]],
                tensorlite_pids=list(ours["pids"]),
                baseline_pids=list(theirs["pids"]),
                **row_fields,
            )
        )
    return rows


def format_ms(ms):
    """A time in ms as text, in µs below 0.1 ms."""
    if not math.isfinite(ms):
        return "-"
    return f"{ms * 1e3:.2f} µs" if ms < 0.1 else f"{ms:.3f} ms"


def print_table(rows, title=None):
    """Print rows as an aligned table: case, shape, tensorlite, baseline, ratio (best rounds) and its range
    over rounds, throughput, % of measured peak ('!' above 100%, explained under the table)."""
    if title:
        print(title)
    header = (
        f"{'case':<34} {'shape':<26} {'tensorlite':>11} {'baseline':>24} {'ratio':>7} {'range':>11} "
        f"{'rate':>16} {'peak%':>6}"
    )
    print(header)
    print("-" * len(header))
    over = False
    for r in rows:
        base = f"{r.baseline} {format_ms(r.baseline_ms)}"
        spread = r.ratio_range
        spread = f"{spread[0]:.2f}-{spread[1]:.2f}" if spread and all(map(math.isfinite, spread)) else "-"
        ratio = f"{r.ratio:.2f}x" if math.isfinite(r.ratio) else "-"
        rate = f"{r.rate:.1f} {r.unit}" if r.work else "-"
        percent = r.percent_of_peak
        over = over or (percent is not None and percent > 100)
        peak = "-" if percent is None else f"{percent:.0f}%" + ("!" if percent > 100 else "")
        print(
            f"{r.case:<34} {r.shape:<26} {format_ms(r.tensorlite_ms):>11} {base:>24} {ratio:>7} {spread:>11} "
            f"{rate:>16} {peak:>6}"
        )
    peaks = sorted({(r.unit, round(r.peak, 1)) for r in rows if r.peak > 0 and r.work})
    if peaks:
        print(
            "peak% = rate / peak measured on this machine (bench.peak): "
            + ", ".join(f"{p} {u}" for u, p in peaks)
        )
    if over:
        print(
            "! above the measured peak: a measured peak is a lower bound of the hardware's (best GEMM, "
            "streaming copy), data may sit in cache, or the work count is nominal (Winograd counts direct flops)"
        )


def write_json(rows, path):
    """Write rows (with ratio, its range over rounds, rate and % of peak) to `path` as JSON, atomically."""
    records = [
        dict(
            asdict(r),
            ratio=r.ratio,
            ratio_range=r.ratio_range,
            rate=r.rate,
            percent_of_peak=r.percent_of_peak,
        )
        for r in rows
    ]
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(records, f, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
