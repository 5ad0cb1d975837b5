"""Optimizer-step benchmark: one step over a 10M-element float32 parameter with tensorlite's fused C++
kernels, against the usual multi-line NumPy implementation of the same formula and torch.optim
(foreach and fused, CPU) when installed. Throughput is the minimal memory traffic (bytes read +
written) per step; the "peak" column is the bandwidth of a NumPy copy of the same size split over as
many threads as the kernels use, timed in the same interleaved rounds as the steps (the machine may be
shared, so every case gets its own)."""

import argparse
import math
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import tensorlite as tl
from tensorlite.bench.common import Row, print_table, torch_or_none, write_json

SIZE, QUICK_SIZE = 10_000_000, 1_000_000
LR, BETAS, EPS, ALPHA, MOMENTUM = 1e-3, (0.9, 0.999), 1e-8, 0.99, 0.9


def interleaved_medians(fns, repeats=9):
    """Median seconds of each function, timed in turns so that load from other processes on a shared
    machine hits every contender alike. Each timed call follows an untimed one of the same function,
    so that the previous contender's OpenMP threads (PyTorch ships its own runtime) have stopped
    spinning and the caches hold what this contender touches."""
    samples = [[] for _ in fns]
    for _ in range(repeats):
        for fn, out in zip(fns, samples):
            fn()
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return [statistics.median(s) for s in samples]


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
    """(label, step function) for each torch.optim implementation available for this optimizer."""
    out = []
    for impl in ("foreach", "fused"):
        param = torch.nn.Parameter(torch.from_numpy(start.copy()))
        param.grad = torch.from_numpy(grad)
        try:
            optimizer = getattr(torch.optim, name)([param], **kwargs, **{impl: True})
            optimizer.step()
        except (TypeError, RuntimeError):  # e.g. RMSprop has no fused implementation
            continue
        out.append((f"torch {impl}", optimizer.step))
    return out


def run(quick=False, threads=None):
    """One optimizer step per case; returns Rows against NumPy and each torch implementation."""
    if threads is not None:
        tl.set_num_threads(threads)
    torch = torch_or_none()
    if torch is not None and threads is not None:
        torch.set_num_threads(threads)
    n = QUICK_SIZE if quick else SIZE
    rng = np.random.default_rng(0)
    start = rng.standard_normal(n, dtype=np.float32)
    grad = rng.standard_normal(n, dtype=np.float32)
    copy_target = np.empty_like(start)
    copy_threads = tl.get_num_threads()
    pool = ThreadPoolExecutor(copy_threads)
    shape = f"{n / 1e6:g}M float32"
    rows = []
    for case, (make, numpy_update, buffers, torch_name, torch_kwargs, arrays) in CASES.items():
        param = tl.nn.Parameter(start.copy())
        param.grad = tl.Tensor._wrap(grad)
        optimizer = make([param])
        contenders = [("tensorlite", optimizer.step)]
        if numpy_update is not None:
            p, state = start.copy(), [np.zeros(n, np.float32) for _ in range(buffers)]
            contenders.append(("numpy", lambda p=p, state=state, f=numpy_update: f(p, grad, *state)))
        if torch is not None:
            contenders += _torch_steps(torch, torch_name, torch_kwargs, start, grad)
        *seconds, copy_seconds = interleaved_medians(
            [fn for _, fn in contenders] + [lambda: threaded_copy(pool, copy_threads, copy_target, start)]
        )
        copy_bandwidth = 8 * n / copy_seconds / 1e9
        work = arrays * 4 * n
        for (label, _), baseline in zip(contenders[1:], seconds[1:]):
            rows.append(
                Row(
                    f"{case} step",
                    shape,
                    seconds[0] * 1e3,
                    label,
                    baseline * 1e3,
                    work,
                    "GB/s",
                    copy_bandwidth,
                    {
                        "baseline_GBps": work / baseline / 1e9,
                        "copy_GBps": copy_bandwidth,
                        "isa": tl._C.optim_isa(),
                    },
                )
            )
    pool.shutdown()
    return rows


def threaded_copy(pool, threads, dst, src):
    """dst[:] = src in `threads` contiguous slices run on `pool` (NumPy releases the GIL while copying)."""
    bounds = np.linspace(0, src.size, threads + 1).astype(int)
    jobs = [pool.submit(np.copyto, dst[a:b], src[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
    for job in jobs:
        job.result()


def main(argv=None):
    """Command line: --quick (1M parameters), --threads N, --json PATH."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1M parameters instead of 10M")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--json", default=None, help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    rows = run(quick=args.quick, threads=args.threads)
    print_table(rows, title="Optimizer step (peak% = share of a multi-threaded NumPy copy's bandwidth)")
    if args.json:
        write_json(rows, args.json)
