"""Cheap objectives for the tune tests, importable by worker processes (spawned with this sys.path)."""

import math
import os
import signal
import time

import tensorlite as tl
from tensorlite import tune

# the optimum of corner() sits in a small corner: lr = 2e-6 in loguniform(1e-6, 1), x = 0.97 in uniform(0, 1)
CORNER_SPACE = {"lr": tune.loguniform(1e-6, 1.0), "x": tune.uniform(0.0, 1.0)}


def corner(config, trial):
    """Regret >= 0 (minimize): squared distance to the optimum, each axis scaled to [0, 1] on its scale."""
    return ((math.log10(config["lr"]) - math.log10(2e-6)) / 6) ** 2 + (config["x"] - 0.97) ** 2


BOWL_SPACE = {
    "lr": tune.loguniform(1e-5, 1.0),
    "beta": tune.one_minus_loguniform(0.9, 0.9999),
    "dropout": tune.uniform(0.0, 0.5),
}


def bowl(config, trial):
    """Regret >= 0 (minimize) of a smooth bowl with its minimum inside the space."""
    return (
        (math.log10(config["lr"]) + 3.3) ** 2
        + (math.log10(1 - config["beta"]) + 2.5) ** 2
        + 4 * (config["dropout"] - 0.2) ** 2
    )


def curve(config, trial):
    """A training curve over 8 epochs (maximize): quality q(lr) approached as q * (1 - 0.6**epoch),
    reported each epoch; stops when the pruner says so."""
    q = 1.0 - (math.log10(config["lr"]) + 2.5) ** 2 / 25
    value = 0.0
    for epoch in range(1, 9):
        value = q * (1 - 0.6**epoch)
        trial.report(value, epoch)
        if trial.should_prune():
            raise tune.TrialPruned()
    return value


def threads_and_value(config, trial):
    """Reports the kernel thread count at step 0 and returns a deterministic function of the config."""
    trial.report(tl.get_num_threads(), 0)
    return config["x"] * 10 + trial.seed % 7


def sleepy(config, trial):
    """Sleeps config-free `TUNE_TEST_SLEEP` seconds (default 0.3) and returns x."""
    time.sleep(float(os.environ.get("TUNE_TEST_SLEEP", "0.3")))
    return config["x"]


def kill_once(config, trial, marker, number):
    """Trial `number` kills its own process (SIGKILL) the first time it runs; later runs complete."""
    if trial.number == number and not os.path.exists(marker):
        with open(marker, "w") as handle:
            handle.write(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.2)
    return config["x"]


def die_on(config, trial, number):
    """Trial `number` ends its worker process at once; others sleep a little and return x."""
    if trial.number == number:
        os._exit(3)
    time.sleep(0.2)
    return config["x"]


def misbehaves(config, trial):
    """Trial 1 raises, 2 returns NaN, 3 returns inf, 4 returns a string; the others return x."""
    if trial.number == 1:
        raise RuntimeError("boom in trial 1")
    return {2: float("nan"), 3: float("inf"), 4: "0.5"}.get(trial.number, config["x"])
