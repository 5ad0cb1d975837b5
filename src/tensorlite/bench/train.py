"""Training-step benchmark (`tensorlite bench --suite train`): whole steps of small nets (forward,
cross-entropy loss, backward, Adam step) and their forward passes, tensorlite against PyTorch CPU (when
installed), the same models (bench.train_models) from the same initial weights; plus the per-op overhead
of `a + b` on two 10-element tensors, with and without autograd. Each library is timed alone in its own
processes, in alternating rounds; 2 threads unless --threads says otherwise.

Run: python benchmarks/bench_train.py [--quick] [--threads N] [--json PATH]
"""

import numpy as np

import tensorlite as tl
from tensorlite.bench.common import (
    METHOD,
    Row,
    bench_arguments,
    isolated_rounds,
    median_seconds,
    print_table,
    rows_from_rounds,
    torch_or_none,
    write_json,
    write_times,
)
from tensorlite.bench.train_models import MODELS, build, forward_pass, training_step

SUITE = "train"
DEFAULT_THREADS = 2
ADDS_PER_CALL = 100  # tiny adds per timed call, so that the timing loop's own cost is spread thin
ADD_SIZE = 10


def _library(contender):
    if contender == "tensorlite":
        return tl
    import torch

    return torch


def _tiny_add(lib, requires_grad):
    """A call that runs ADDS_PER_CALL times `a + b` on two ADD_SIZE-element float32 tensors."""
    a, b = (lib.from_numpy(np.arange(ADD_SIZE, dtype=np.float32)).requires_grad_(requires_grad) for _ in "ab")

    def adds():
        for _ in range(ADDS_PER_CALL):
            a + b  # the addition is what is timed; its result is dropped

    return adds


def cases():
    """The case keys every contender times, in table order: per model "step" and "forward", then the
    tiny adds."""
    keys = [f"{name} {phase}" for name in MODELS for phase in ("step", "forward")]
    return keys + [f"a + b ({ADD_SIZE}) no grad", f"a + b ({ADD_SIZE}) grad"]


def time_contender(contender, quick, threads):
    """{case: median seconds} for one library at `threads` threads (run in a child process); a tiny add's
    time is per single add."""
    lib = _library(contender)
    lib.set_num_threads(threads)
    repeats, warmup, min_time = (3, 1, 0.0) if quick else (11, 5, 0.02)
    times = {}
    for name in MODELS:
        model, x, y = build(lib, name)
        for phase, fn in (
            ("step", training_step(lib, model, x, y)),
            ("forward", forward_pass(lib, model, x)),
        ):
            times[f"{name} {phase}"] = median_seconds(fn, repeats=repeats, warmup=warmup, min_time=min_time)
    for label, grad in (("no grad", False), ("grad", True)):
        seconds = median_seconds(_tiny_add(lib, grad), repeats=repeats, warmup=warmup, min_time=min_time)
        times[f"a + b ({ADD_SIZE}) {label}"] = seconds / ADDS_PER_CALL
    return times


def rounds_for(quick):
    """Alternating rounds per library: 5, or 2 with --quick."""
    return 2 if quick else 5


def _shape(key):
    for name, (_, input_shape) in MODELS.items():
        if key.startswith(name + " "):
            return str(input_shape)
    return f"({ADD_SIZE},) float32"


def run(quick=False, threads=None):
    """Rows for every case: tensorlite against PyTorch (ratio = PyTorch time / tensorlite time, > 1 means
    tensorlite is faster; range over rounds), each library alone in its own processes; tensorlite alone
    (baseline "-") when PyTorch is not installed."""
    threads = threads or DEFAULT_THREADS
    contenders = ["tensorlite"] + (["pytorch"] if torch_or_none() is not None else [])
    extra = ["--quick"] if quick else []
    results = isolated_rounds("tensorlite.bench.train", contenders, threads, rounds_for(quick), extra)
    rows = []
    for key in cases():
        found = rows_from_rounds(results, key, _shape(key), extra={"threads": threads})
        if not found:  # no PyTorch: tensorlite's own times only
            ours = results["tensorlite"]
            found = [
                Row(
                    key,
                    _shape(key),
                    min(ours["times"][key]) * 1e3,
                    "-",
                    float("nan"),
                    extra={"threads": threads},
                    tensorlite_rounds_ms=[t * 1e3 for t in ours["times"][key]],
                    tensorlite_pids=list(ours["pids"]),
                )
            ]
        rows += found
    return rows


def title(quick, threads):
    """The table's title: what is timed and how."""
    return (
        f"training steps (fwd, CE loss, bwd, Adam) and forward passes, float32, {threads or DEFAULT_THREADS} "
        f"threads; ratio = PyTorch / tensorlite (> 1: tensorlite faster); {METHOD.format(rounds=rounds_for(quick))}"
    )


def main(argv=None):
    """Command line: print the table; --quick for a short run, --json PATH to save the rows."""
    args = bench_arguments(
        argv,
        __doc__.splitlines()[0],
        "fewer repeats and rounds",
        f"threads for both libraries (default {DEFAULT_THREADS})",
        default_threads=DEFAULT_THREADS,
    )
    if args.contender is not None:
        write_times(time_contender(args.contender, args.quick, args.threads), args.json)
        return
    rows = run(quick=args.quick, threads=args.threads)
    print_table(rows, title=title(args.quick, args.threads))
    if args.json:
        write_json(rows, args.json)


if __name__ == "__main__":
    main()
