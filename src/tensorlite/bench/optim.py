"""Optimizer-step benchmark: one step over a 10M-element float32 parameter with tensorlite's fused C++
kernels, against the usual multi-line NumPy implementation of the same formula and torch.optim
(foreach and fused, CPU) when installed, each library alone in its own processes. Throughput is the
minimal memory traffic (bytes read + written) per step; % of peak divides it by the measured streaming
copy bandwidth (bench.peak)."""

import math

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

SIZE, QUICK_SIZE = 10_000_000, 1_000_000
LR, BETAS, EPS, ALPHA, MOMENTUM = 1e-3, (0.9, 0.999), 1e-8, 0.99, 0.9


def _numpy_adam(p, g, m, v):
    """Adam in NumPy as usually written (one temporary per line); step count fixed at 10."""
    beta1, beta2 = BETAS
    m *= beta1
    m += (1 - beta1) * g
    v *= beta2
    v += (1 - beta2) * g * g
    denom = np.sqrt(v) / math.sqrt(1 - beta2**10) + EPS
    p -= LR / (1 - beta1**10) * m / denom


def _numpy_rmsprop(p, g, a):
    a *= ALPHA
    a += (1 - ALPHA) * g * g
    p -= LR * g / (np.sqrt(a) + EPS)


def _numpy_sgd_momentum(p, g, b):
    b *= MOMENTUM
    b += g
    p -= LR * b


def _numpy_adagrad(p, g, s):
    s += g * g
    p -= LR * g / (np.sqrt(s) + EPS)


# case -> (tensorlite optimizer, NumPy update, state buffers, torch.optim class name, torch kwargs,
#          arrays read + written per element)
CASES = {
    "adam": (lambda ps: tl.optim.Adam(ps, lr=LR), _numpy_adam, 2, "Adam", {"lr": LR}, 7),
    "adamw": (lambda ps: tl.optim.AdamW(ps, lr=LR), None, 2, "AdamW", {"lr": LR}, 7),
    "rmsprop": (lambda ps: tl.optim.RMSprop(ps, lr=LR), _numpy_rmsprop, 1, "RMSprop", {"lr": LR}, 5),
    "sgd momentum": (
        lambda ps: tl.optim.SGD(ps, lr=LR, momentum=MOMENTUM),
        _numpy_sgd_momentum,
        1,
        "SGD",
        {"lr": LR, "momentum": MOMENTUM},
        5,
    ),
    "adagrad": (lambda ps: tl.optim.Adagrad(ps, lr=LR), _numpy_adagrad, 1, "Adagrad", {"lr": LR}, 5),
}


def _torch_steps(torch, name, kwargs, start, grad):
    """{implementation: step function} for each torch.optim implementation available for this optimizer."""
    out = {}
    for impl in ("foreach", "fused"):
        param = torch.nn.Parameter(torch.from_numpy(start.copy()))
        param.grad = torch.from_numpy(grad)
        try:
            optimizer = getattr(torch.optim, name)([param], **kwargs, **{impl: True})
            optimizer.step()
        except (TypeError, RuntimeError):  # e.g. RMSprop has no fused implementation
            continue
        out[impl] = optimizer.step
    return out


def _steps(contender, case, start, grad):
    """{key: step function} of one library for one optimizer case (none when it has no such step)."""
    make, numpy_update, buffers, torch_name, torch_kwargs, _ = CASES[case]
    if contender == "tensorlite":
        param = tl.nn.Parameter(start.copy())
        param.grad = tl.from_numpy(grad)
        return {f"{case} step": make([param]).step}
    if contender == "numpy":
        if numpy_update is None:
            return {}
        p, state = start.copy(), [np.zeros(start.size, np.float32) for _ in range(buffers)]
        return {f"{case} step": lambda: numpy_update(p, grad, *state)}
    import torch

    steps = _torch_steps(torch, torch_name, torch_kwargs, start, grad)
    return {f"{case} step {impl}": step for impl, step in steps.items()}


def time_contender(contender, quick, threads):
    """{key: median seconds per step} for one library at `threads` threads (run in a child process)."""
    tl.set_num_threads(threads)
    if contender == "pytorch":
        import torch

        torch.set_num_threads(threads)
    n = QUICK_SIZE if quick else SIZE
    rng = np.random.default_rng(0)
    start = rng.standard_normal(n, dtype=np.float32)
    grad = rng.standard_normal(n, dtype=np.float32)
    times = {}
    for case in CASES:
        for key, step in _steps(contender, case, start, grad).items():
            times[key] = median_seconds(step, repeats=9, warmup=2, min_time=0.01)
    return times


def rounds_for(quick):
    """Alternating rounds per library: 3, or 2 with --quick."""
    return 2 if quick else 3


def run(quick=False, threads=None):
    """One optimizer step per case; returns Rows against NumPy and each torch implementation."""
    threads = threads or tl.get_num_threads()
    contenders = ["tensorlite", "numpy"] + (["pytorch"] if torch_or_none() is not None else [])
    extra = ["--quick"] if quick else []
    results = isolated_rounds(
        "tensorlite.bench.optim", contenders, threads, rounds=rounds_for(quick), extra_args=extra
    )
    torch_results = results.pop("pytorch", None)
    bandwidth = measured_peaks(threads, quick)["GB/s"]
    n = QUICK_SIZE if quick else SIZE
    shape = f"{n / 1e6:g}M float32"
    rows = []
    for case, (*_, arrays) in CASES.items():
        key, fields = f"{case} step", {"work": arrays * 4.0 * n, "unit": "GB/s", "peak": bandwidth}
        rows += rows_from_rounds(results, key, shape, **fields, extra={"isa": tl._C.optim_isa()})
        for impl in ("foreach", "fused"):
            if torch_results is not None and f"{key} {impl}" in torch_results["times"]:
                # The torch child times each implementation under its own key; compare it with ours.
                renamed = {
                    "times": {key: torch_results["times"][f"{key} {impl}"]},
                    "pids": torch_results["pids"],
                }
                both = {"tensorlite": results["tensorlite"], f"torch {impl}": renamed}
                rows += rows_from_rounds(both, key, shape, **fields, extra={"isa": tl._C.optim_isa()})
    return rows


def main(argv=None):
    """Command line: --quick (1M parameters), --threads N, --json PATH."""
    args = bench_arguments(
        argv, __doc__.splitlines()[0], "1M parameters instead of 10M", "threads for every library"
    )
    if args.contender is not None:
        write_times(
            time_contender(args.contender, args.quick, args.threads or tl.get_num_threads()), args.json
        )
        return
    rows = run(quick=args.quick, threads=args.threads)
    print_table(rows, title=f"Optimizer step ({METHOD.format(rounds=rounds_for(args.quick))})")
    if args.json:
        write_json(rows, args.json)


if __name__ == "__main__":
    main()
