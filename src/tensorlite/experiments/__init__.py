"""The practitioner's experiments: each run(out_dir, quick=False, seed=0, mnist_root=None) writes PNG
figures and a JSON of its numbers to out_dir, prints a short table and returns the numbers."""

import os

from tensorlite.experiments import (
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
    )
}


def run(name, out_dir, quick=False, seed=0, mnist_root=None):
    """Run the experiment called `name` (see EXPERIMENTS) into out_dir (created if missing)."""
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; choose from {', '.join(EXPERIMENTS)}")
    os.makedirs(out_dir, exist_ok=True)
    return EXPERIMENTS[name].run(out_dir, quick=quick, seed=seed, mnist_root=mnist_root)


__all__ = ["EXPERIMENTS", "run"]
