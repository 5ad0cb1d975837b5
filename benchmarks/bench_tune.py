"""Benchmarks of tensorlite.tune (numbers are noisy on a shared machine):

  overhead   driver time per trial (ask, storage writes, tell) with a no-op objective, SQLite and memory
  scaling    trials per minute with 1 and 2 local worker processes on 1-second trials (CPU-bound and sleep)
  cnn        tune the digits CNN (lr, momentum, weight decay, dropout): examples/tune_digits.toml,
             24 trials, 2 workers, TPE, median pruner

Run: PYTHONPATH=src python benchmarks/bench_tune.py [overhead] [scaling] [cnn]
"""

import concurrent.futures
import multiprocessing
import os
import pathlib
import sys
import tempfile
import time

from tensorlite import tune
from tensorlite.tune.cli import load_config
from tensorlite.tune.digits import TrainObjective

ROOT = pathlib.Path(__file__).resolve().parents[1]


def noop(config, trial):
    return config["x"]


def busy_second(config, trial):
    """Busy until this thread has used one second of CPU time."""
    end = time.thread_time() + 1.0
    total = 0
    while time.thread_time() < end:
        total += sum(range(1000))
    return config["x"]


def sleep_second(config, trial):
    time.sleep(1.0)
    return config["x"]


def overhead(n=200):
    space = {"x": tune.uniform(0, 1), "lr": tune.loguniform(1e-5, 1)}
    with tempfile.TemporaryDirectory() as folder:
        for label, storage in (("memory", None), ("sqlite", f"sqlite:///{folder}/bench.db")):
            start = time.perf_counter()
            result = tune.run(noop, space, n_trials=n, storage=storage, progress=False)
            wall = time.perf_counter() - start
            inside = sum(t.seconds for t in result.trials)
            print(
                f"overhead {label:6s}: {1000 * (wall - inside) / n:.1f} ms per trial ({n} trials, {wall:.2f} s)"
            )


def _warm_pool(workers):
    """A spawned process pool whose workers have started and imported tensorlite.tune."""
    pool = concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    list(pool.map(time.sleep, [0.5] * workers))  # one task each, so every process starts
    return pool


def scaling(n=16):
    """Trials per minute in steady state (a warmed pool of spawned processes) and, for comparison, with
    executor=workers (which includes starting the processes)."""
    space = {"x": tune.uniform(0, 1)}
    for label, objective in (("cpu", busy_second), ("sleep", sleep_second)):
        rates, cold = {}, {}
        for workers in (1, 2):
            with _warm_pool(workers) as pool:
                start = time.perf_counter()
                tune.run(objective, space, n_trials=n, executor=pool, progress=False)
                rates[workers] = 60 * n / (time.perf_counter() - start)
            start = time.perf_counter()
            tune.run(objective, space, n_trials=n, executor=workers, progress=False)
            cold[workers] = 60 * n / (time.perf_counter() - start)
        print(
            f"scaling {label:5s}: {rates[1]:.1f} trials/min with 1 worker, {rates[2]:.1f} with 2 "
            f"({rates[2] / rates[1]:.2f}x); counting process start-up {cold[1]:.1f} and {cold[2]:.1f} "
            f"({cold[2] / cold[1]:.2f}x); {n} trials"
        )


def cnn():
    train_settings, _, space = load_config(ROOT / "examples" / "tune_digits.toml")
    start = time.perf_counter()
    result = tune.run(
        TrainObjective(train_settings),
        space,
        n_trials=24,
        sampler="tpe",
        pruner="median",
        seed=0,
        executor=2,
        progress=False,
    )
    wall = time.perf_counter() - start
    print(result.table(5))
    epochs = sum(len(t.reports) for t in result.trials)
    print(
        f"cnn: best val_accuracy {result.best_value:.4f} in {wall:.0f} s; {result.count('PRUNED')} pruned, "
        f"{result.count('FAIL')} failed, {epochs} epochs of {24 * train_settings['epochs']} without pruning"
    )
    print(f"cnn: best config {result.best_config}")
    out = os.environ.get("TUNE_BENCH_OUT")
    if out:
        result.to_csv(os.path.join(out, "trials.csv"))
        print(f"cnn: wrote {result.plot(out)}")


if __name__ == "__main__":
    parts = sys.argv[1:] or ["overhead", "scaling", "cnn"]
    for part in parts:
        {"overhead": overhead, "scaling": scaling, "cnn": cnn}[part]()
