"""The `tensorlite` command: info, demo, bench, experiment, tune."""

import argparse
import importlib
import pkgutil
import sys

BENCH_ORDER = ("gemm", "conv", "batchnorm", "optim", "train")
BENCH_SUITES = ("kernels", "train", "all")


def _info(args):
    from tensorlite import show_config

    show_config()
    return 0


def _demo(args):
    from tensorlite import demo

    demo.run(
        epochs=args.epochs,
        seed=args.seed,
        threads=args.threads,
        model=args.model,
        progress=not args.no_progress,
    )
    return 0


def bench_modules(suite="all"):
    """The benchmark modules of tensorlite.bench that define run(quick, threads), in BENCH_ORDER first;
    only those of `suite` ("kernels", "train" or "all"; a module's SUITE attribute, "kernels" by default)."""
    import tensorlite.bench

    names = [m.name for m in pkgutil.iter_modules(tensorlite.bench.__path__) if m.name != "common"]
    names.sort(key=lambda n: (BENCH_ORDER.index(n) if n in BENCH_ORDER else len(BENCH_ORDER), n))
    modules = [importlib.import_module(f"tensorlite.bench.{name}") for name in names]
    return [
        m
        for m in modules
        if callable(getattr(m, "run", None)) and suite in ("all", getattr(m, "SUITE", "kernels"))
    ]


def _bench(args):
    from tensorlite.bench.common import print_table, write_json

    modules = bench_modules(args.suite)
    if not modules:
        print(f"tensorlite bench: no {args.suite} benchmark modules in tensorlite.bench", file=sys.stderr)
        return 1
    rows = []
    for module in modules:
        print(f"running {module.__name__} ...", file=sys.stderr, flush=True)
        rows += module.run(quick=args.quick, threads=args.threads)
    print_table(
        rows,
        title=(
            f"tensorlite bench --suite {args.suite}{' --quick' if args.quick else ''}: each library alone "
            "in its own processes, alternating rounds; times are each library's best round (a median of "
            "repeats), range = ratio over rounds; ratio = baseline / tensorlite (> 1: tensorlite faster)"
        ),
    )
    if args.json:
        write_json(rows, args.json)
        print(f"wrote {len(rows)} rows to {args.json}")
    return 0


def _experiment(args):
    from tensorlite import experiments

    names = list(experiments.EXPERIMENTS) if args.name == "all" else [args.name]
    for name in names:
        results = experiments.run(
            name, args.out, quick=args.quick, seed=args.seed, mnist_root=args.mnist, threads=args.threads
        )
        print(f"wrote {', '.join(results['files'])}")
    return 0


def add_experiment_parser(sub):
    """The `tensorlite experiment NAME --out DIR [--quick]` subcommand."""
    from tensorlite.experiments import EXPERIMENTS

    parser = sub.add_parser("experiment", help="run a training experiment and write its figures and numbers")
    parser.add_argument("name", choices=[*EXPERIMENTS, "all"])
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the PNG figures and JSON")
    parser.add_argument("--quick", action="store_true", help="a smaller, few-second version")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mnist", metavar="DIR", help="use MNIST from these IDX files instead of digits")
    parser.add_argument(
        "--threads", type=_positive_int, default=1, help="threads for the C++ kernels (default 1)"
    )
    parser.set_defaults(run=_experiment)


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def build_parser():
    """The argument parser of the `tensorlite` command."""
    parser = argparse.ArgumentParser(prog="tensorlite", description="tensorlite command line")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="print the build configuration (same as tl.show_config())").set_defaults(
        run=_info
    )

    demo = sub.add_parser(
        "demo", help="train a small CNN on the bundled 8x8 digits and print the test accuracy"
    )
    demo.add_argument(
        "--epochs", type=_positive_int, default=30, help="maximum epochs (early stopping may end sooner)"
    )
    demo.add_argument("--seed", type=int, default=0, help="seed for the split, the init and the batch order")
    demo.add_argument("--threads", type=_positive_int, default=None, help="threads for the C++ kernels")
    demo.add_argument("--model", choices=("cnn", "mlp"), default="cnn")
    demo.add_argument(
        "--no-progress", action="store_true", help="no progress bars (one line per epoch instead)"
    )
    demo.set_defaults(run=_demo)

    bench = sub.add_parser(
        "bench", help="benchmarks against NumPy (and PyTorch when installed), each library in its own process"
    )
    bench.add_argument(
        "--suite",
        choices=BENCH_SUITES,
        default="kernels",
        help="kernels (GEMM, conv, batch norm, optimizers), train (training steps of small nets) or all",
    )
    bench.add_argument("--quick", action="store_true", help="fewer sizes, repeats and rounds")
    bench.add_argument("--json", metavar="PATH", help="also write the rows as JSON to PATH")
    bench.add_argument(
        "--threads",
        type=_positive_int,
        default=None,
        help="threads for every library (default: the kernels' thread count; 2 for --suite train)",
    )
    bench.set_defaults(run=_bench)
    add_experiment_parser(sub)
    from tensorlite.tune.cli import add_tune_parser

    add_tune_parser(sub, _positive_int)
    return parser


def main(argv=None):
    """Entry point of the `tensorlite` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
