"""First-call cost of tl.backends.cpu.benchmark (kernels chosen by measurement) and what it buys.

For each case, a fresh process per round and mode (tuning off / on) times the first call (which, tuned,
measures every candidate) and then the median of later calls; rounds alternate the modes. Printed per case:
first call untuned and tuned, the extra cost of tuning (tuned first - untuned first), and the steady time of
each mode. Cases: GEMMs (1024^3 and small products), the conv shapes of bench_conv (forward + backward), and
the first training step of the nets of `tensorlite bench --suite train`.

    python benchmarks/bench_autotune.py [--rounds 3] [--threads 2] [--json PATH]
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

GEMMS = {
    f"gemm {m}x{n}x{k}": (m, n, k)
    for m, n, k in [(1024, 1024, 1024), (256, 256, 256), (100, 100, 40), (16, 32, 32)]
}
CONVS = {  # bench_conv's shapes: (x shape, w shape, padding)
    "conv 3->16 3x3 fwd+bwd": ((32, 3, 32, 32), (16, 3, 3, 3), 1),
    "conv 64->64 3x3 fwd+bwd": ((32, 64, 32, 32), (64, 64, 3, 3), 1),
    "conv 1->32 3x3 fwd+bwd": ((64, 1, 28, 28), (32, 1, 3, 3), 1),
}
STEPS = ["mnist1d cnn", "lenet5", "digits cnn", "mlp 40-100-100-10", "mlp 10x32"]


def make_call(case):
    """A function running `case` once (float32)."""
    import tensorlite as tl
    from tensorlite import _C

    rng = np.random.default_rng(0)
    if case in GEMMS:
        m, n, k = GEMMS[case]
        a, b = rng.standard_normal((m, k)).astype(np.float32), rng.standard_normal((k, n)).astype(np.float32)
        return lambda: _C.gemm(a, b)
    if case in CONVS:
        xs, ws, pad = CONVS[case]
        x = tl.tensor(rng.standard_normal(xs).astype(np.float32), requires_grad=True)
        w = tl.tensor(rng.standard_normal(ws).astype(np.float32), requires_grad=True)

        def conv():
            tl.nn.functional.conv2d(x, w, padding=pad).sum().backward()

        return conv
    from tensorlite.bench.train_models import build, training_step

    model, x, y = build(tl, case)
    return training_step(tl, model, x, y)


def child(case, tuned, repeats):
    import tensorlite as tl

    tl.backends.cpu.benchmark = tuned
    call = make_call(case)
    start = time.perf_counter()
    call()
    first = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    print(json.dumps({"first": first, "steady": float(np.median(times))}))


def run_child(case, tuned, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    repeats = "5" if "64->64" in case or "1024" in case else "30"
    done = subprocess.run(
        [sys.executable, __file__, "--child", case, str(int(tuned)), repeats],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", default=None)
    parser.add_argument("--child", nargs=3, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child[0], args.child[1] == "1", int(args.child[2]))
    rows = []
    print(
        f"{'case':28s} {'first off':>10s} {'first on':>10s} {'tuning cost':>12s} {'steady off':>11s} "
        f"{'steady on':>10s}  (ms, medians of {args.rounds} processes each)"
    )
    for case in [*GEMMS, *CONVS, *STEPS]:
        runs = {False: [], True: []}
        for _ in range(args.rounds):
            for tuned in (False, True):
                runs[tuned].append(run_child(case, tuned, args.threads))
        med = {
            (t, key): 1e3 * float(np.median([r[key] for r in runs[t]]))
            for t in runs
            for key in ("first", "steady")
        }
        row = {
            "case": case,
            "first_off_ms": med[False, "first"],
            "first_on_ms": med[True, "first"],
            "steady_off_ms": med[False, "steady"],
            "steady_on_ms": med[True, "steady"],
        }
        rows.append(row)
        print(
            f"{case:28s} {row['first_off_ms']:10.3f} {row['first_on_ms']:10.3f} "
            f"{row['first_on_ms'] - row['first_off_ms']:12.3f} {row['steady_off_ms']:11.3f} "
            f"{row['steady_on_ms']:10.3f}",
            flush=True,
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return None


if __name__ == "__main__":
    main()
