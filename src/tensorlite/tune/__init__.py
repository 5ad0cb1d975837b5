"""Hyperparameter search on Optuna (samplers, pruners, storage) with trials in local processes or on a
Dask cluster: tune.run(objective, space, n_trials, sampler=..., pruner=..., executor=..., storage=...).

Optuna (and Dask for a cluster) come with the `tune` extra: pip install 'tensorlite[tune]'.
"""

from tensorlite.tune.result import TrialRecord, TuneResult
from tensorlite.tune.run import run
from tensorlite.tune.samplers import CoarseToFine, Grid
from tensorlite.tune.space import choice, grid_search, loguniform, one_minus_loguniform, randint, uniform
from tensorlite.tune.trial import Trial, TrialPruned

__all__ = [
    "CoarseToFine",
    "Grid",
    "Trial",
    "TrialPruned",
    "TrialRecord",
    "TuneResult",
    "choice",
    "grid_search",
    "loguniform",
    "one_minus_loguniform",
    "randint",
    "run",
    "uniform",
]
