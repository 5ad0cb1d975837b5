"""conv2d and max_pool2d against a vectorized NumPy im2col baseline and PyTorch CPU (when installed), same run;
each library is timed alone in its own processes (bench.common.isolated_rounds).

Run: python benchmarks/bench_conv.py [--quick] [--threads N] [--json PATH]
"""

import numpy as np

import tensorlite as tl
import tensorlite.nn.functional as F
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

# (name, input shape, weight shape, padding); stride 1.
CONV_CASES = [
    ("conv 3->16 3x3", (32, 3, 32, 32), (16, 3, 3, 3), 1),
    ("conv 64->64 3x3", (32, 64, 32, 32), (64, 64, 3, 3), 1),
    ("conv 1->32 3x3", (64, 1, 28, 28), (32, 1, 3, 3), 1),
]
POOL_SHAPE = (32, 64, 32, 32)


# ---- Baseline: the common teaching NumPy convolution (im2col with stride tricks + np.dot) -------------
def numpy_im2col_conv2d(x, w, b, pad):
    """NumPy baseline, forward (stride 1): as_strided patches -> (N*OH*OW, C*kh*kw) columns -> one np.dot.
    Returns (y, cols); cols are kept for the backward like the textbook version does."""
    n, c, h, wd = x.shape
    k, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1
    sn, sc, sh, sw = xp.strides
    patches = np.lib.stride_tricks.as_strided(xp, (n, oh, ow, c, kh, kw), (sn, sh, sw, sc, sh, sw))
    cols = patches.reshape(n * oh * ow, c * kh * kw)
    y = cols.dot(w.reshape(k, -1).T) + b
    return y.reshape(n, oh, ow, k).transpose(0, 3, 1, 2), cols


def numpy_im2col_conv2d_backward(dy, x_shape, w, cols, pad):
    """NumPy baseline, backward: dW = dY^T cols, db = sum dY, dcols = dY W, then col2im as kh*kw strided adds."""
    n, c, h, wd = x_shape
    k, _, kh, kw = w.shape
    oh, ow = dy.shape[2:]
    dy_mat = dy.transpose(0, 2, 3, 1).reshape(-1, k)
    dw = dy_mat.T.dot(cols).reshape(w.shape)
    db = dy_mat.sum(axis=0)
    dcols = dy_mat.dot(w.reshape(k, -1)).reshape(n, oh, ow, c, kh, kw)
    dxp = np.zeros((n, c, h + 2 * pad, wd + 2 * pad), dtype=dy.dtype)
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i : i + oh, j : j + ow] += dcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return dxp[:, :, pad : pad + h, pad : pad + wd], dw, db


def numpy_max_pool2x2(x):
    """NumPy baseline: 2x2 / stride 2 max pooling by reshape + max."""
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


# ---- Timed calls ---------------------------------------------------------------------------------------
def _tl_conv_calls(x, w, b, pad):
    xt, wt, bt = (tl.tensor(a, requires_grad=True) for a in (x, w, b))
    grad = None

    def forward():
        with tl.no_grad():
            F.conv2d(xt, wt, bt, padding=pad)

    def forward_backward():
        nonlocal grad
        for t in (xt, wt, bt):
            t.grad = None
        y = F.conv2d(xt, wt, bt, padding=pad)
        grad = grad if grad is not None else tl.ones(*y.shape)
        y.backward(grad)

    return forward, forward_backward


def _numpy_conv_calls(x, w, b, pad):
    def forward():
        numpy_im2col_conv2d(x, w, b, pad)

    def forward_backward():
        y, cols = numpy_im2col_conv2d(x, w, b, pad)
        numpy_im2col_conv2d_backward(np.ones(y.shape, np.float32), x.shape, w, cols, pad)

    return forward, forward_backward


def _torch_conv_calls(torch, x, w, b, pad):
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))

    def forward():
        with torch.no_grad():
            torch.nn.functional.conv2d(xt, wt, bt, padding=pad)

    def forward_backward():
        for t in (xt, wt, bt):
            t.grad = None
        y = torch.nn.functional.conv2d(xt, wt, bt, padding=pad)
        y.backward(torch.ones_like(y))

    return forward, forward_backward


def _pool_calls(x, torch):
    """{contender: (forward, forward+backward or None)} for 2x2 max pooling of x."""
    xt = tl.tensor(x, requires_grad=True)

    def tl_forward():
        with tl.no_grad():
            F.max_pool2d(xt, 2)

    def tl_forward_backward():
        xt.grad = None
        y = F.max_pool2d(xt, 2)
        y.backward(tl.ones(*y.shape))

    calls = {
        "tensorlite": (tl_forward, tl_forward_backward),
        "numpy": (lambda: numpy_max_pool2x2(x), None),
    }
    if torch is not None:
        xq = torch.tensor(x, requires_grad=True)

        def torch_forward():
            with torch.no_grad():
                torch.nn.functional.max_pool2d(xq, 2)

        def torch_forward_backward():
            xq.grad = None
            y = torch.nn.functional.max_pool2d(xq, 2)
            y.backward(torch.ones_like(y))

        calls["pytorch"] = (torch_forward, torch_forward_backward)
    return calls


BASELINE_LABELS = {"numpy": ("numpy im2col", "numpy reshape-max"), "pytorch": ("pytorch", "pytorch")}


def _case_data(rng):
    """(name, input, weight, bias, pad) for each conv case, the same arrays in every process (seeded)."""
    data = []
    for name, x_shape, w_shape, pad in CONV_CASES:
        x = rng.standard_normal(x_shape).astype(np.float32)
        w = rng.standard_normal(w_shape).astype(np.float32)
        b = rng.standard_normal(w_shape[0]).astype(np.float32)
        data.append((name, x, w, b, pad))
    return data


def _contender_calls(contender, torch):
    """{case: (forward, forward+backward or None)} for one library."""
    rng = np.random.default_rng(0)
    calls = {}
    for name, x, w, b, pad in _case_data(rng):
        if contender == "tensorlite":
            calls[name] = _tl_conv_calls(x, w, b, pad)
        elif contender == "numpy":
            calls[name] = _numpy_conv_calls(x, w, b, pad)
        else:
            calls[name] = _torch_conv_calls(torch, x, w, b, pad)
    calls["max_pool2d 2x2"] = _pool_calls(rng.standard_normal(POOL_SHAPE).astype(np.float32), torch)[
        contender
    ]
    return calls


def time_contender(contender, quick, threads):
    """{"case phase": median seconds} for one library at `threads` threads (run in a child process)."""
    torch = None
    if contender == "pytorch":
        import torch

        torch.set_num_threads(threads)
    tl.set_num_threads(threads)
    repeats, warmup = (3, 1) if quick else (7, 2)
    times = {}
    for case, pair in _contender_calls(contender, torch).items():
        for phase, fn in zip(("fwd", "fwd+bwd"), pair):
            if fn is not None:
                times[f"{case} {phase}"] = median_seconds(fn, repeats=repeats, warmup=warmup, min_time=0.02)
    return times


def run(quick=False, threads=None):
    """Benchmark rows for the conv and pool cases, forward and forward+backward, beside the NumPy baselines
    and PyTorch CPU (when installed); each library timed alone in its own processes
    (bench.common.isolated_rounds). GFLOP/s count the direct convolution's flops (forward; x3 with the
    backward), % of peak divides by the measured GEMM peak and, for pooling, the measured copy bandwidth."""
    threads = threads or tl.get_num_threads()
    contenders = ["tensorlite", "numpy"] + (["pytorch"] if torch_or_none() is not None else [])
    extra = ["--quick"] if quick else []
    results = isolated_rounds(
        "tensorlite.bench.conv", contenders, threads, rounds=rounds_for(quick), extra_args=extra
    )
    peaks = measured_peaks(threads, quick)
    rows = []
    for name, x_shape, w_shape, _ in CONV_CASES:
        out_hw = x_shape[2] * x_shape[3]  # stride 1, "same"-sized padding
        flops = 2.0 * x_shape[0] * w_shape[0] * out_hw * w_shape[1] * w_shape[2] * w_shape[3]
        for phase, work in (("fwd", flops), ("fwd+bwd", 3 * flops)):
            labels = {c: BASELINE_LABELS[c][0] for c in contenders[1:]}
            shape = f"{x_shape}x{w_shape[:2]}"
            rows += rows_from_rounds(
                results, f"{name} {phase}", shape, labels, work=work, peak=peaks["GFLOP/s float32"]
            )
    moved = 4.0 * (np.prod(POOL_SHAPE) * 5 // 4)  # bytes read + written by the forward
    labels = {c: BASELINE_LABELS[c][1] for c in contenders[1:]}
    for phase, work in (("fwd", moved), ("fwd+bwd", 0.0)):
        key = f"max_pool2d 2x2 {phase}"
        rows += rows_from_rounds(
            results, key, str(POOL_SHAPE), labels, work=work, unit="GB/s", peak=peaks["GB/s"]
        )
    return rows


def rounds_for(quick):
    """Alternating rounds per library: 3, or 2 with --quick."""
    return 2 if quick else 3


def main(argv=None):
    args = bench_arguments(
        argv, __doc__.splitlines()[0], "fewer repeats", "threads for tensorlite and PyTorch"
    )
    if args.contender is not None:
        write_times(
            time_contender(args.contender, args.quick, args.threads or tl.get_num_threads()), args.json
        )
        return
    rows = run(quick=args.quick, threads=args.threads)
    print_table(
        rows,
        title=(
            f"conv2d / max_pool2d, float32, {args.threads or tl.get_num_threads()} threads "
            f"(ratio = baseline / tensorlite; {METHOD.format(rounds=rounds_for(args.quick))})"
        ),
    )
    if args.json:
        write_json(rows, args.json)


if __name__ == "__main__":
    main()
