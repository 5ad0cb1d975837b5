"""The practitioner's experiments: each run(out_dir, quick=False, seed=0, mnist_root=None) writes PNG
figures and a JSON of its numbers to out_dir, prints a short table and returns the numbers."""

import os

from tensorlite.config import get_num_threads, set_num_threads
from tensorlite.experiments import (
    bias_variance,
    hyperparameter_scale,
    init_compare,
    init_histograms,
    lr_schedules,
    optimizers,
    regularization,
    vanishing_gradient,
)

EXPERIMENTS = {
    module.NAME: module
    for module in (
        init_histograms,
        init_compare,
        optimizers,
        regularization,
        vanishing_gradient,
        lr_schedules,
        hyperparameter_scale,
        bias_variance,
    )
}


def run(name, out_dir, quick=False, seed=0, mnist_root=None, threads=1):
    """Run the experiment called `name` (see EXPERIMENTS) into out_dir (created if missing).

    threads: C++ kernel threads during the run (restored after). The default 1 suits these small
    nets (100x100 matrices): splitting them across busy cores costs more than it gains; None keeps
    the current setting.
    """
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; choose from {', '.join(EXPERIMENTS)}")
    os.makedirs(out_dir, exist_ok=True)
    previous = get_num_threads()
    if threads is not None:
        set_num_threads(threads)
    try:
        return EXPERIMENTS[name].run(out_dir, quick=quick, seed=seed, mnist_root=mnist_root)
    finally:
        set_num_threads(previous)


__all__ = ["EXPERIMENTS", "run"]
