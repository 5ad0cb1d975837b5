"""What runs one trial, wherever it runs: the Trial handle the objective sees, and execute().

Pruning in worker processes: the worker cannot reach the driver's Optuna study (it may live in memory
in another process), so it gets a snapshot of the finished trials and asks the pruner against a small
in-memory copy of the study. Pruners compare a trial with *finished* trials, so the snapshot is what
the pruner would have seen when the trial started; the driver records the reports into the real study.
"""

import contextlib
import math
import os
import pickle
import time
import traceback

import numpy as np


class TrialPruned(Exception):
    """Raise from the objective when trial.should_prune() says so (optuna.TrialPruned works too)."""


@contextlib.contextmanager
def quiet_optuna():
    """Optuna logs every study and trial at INFO; tune reports through its own result instead."""
    import optuna

    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(verbosity)


class Trial:
    """The objective's handle on its trial: number, config, a per-trial seed, report() and should_prune().

    report(value, step) records an intermediate value (one per epoch, step >= 0) for the pruner;
    should_prune() asks the study's pruner whether this trial is behind the finished ones at this step.
    """

    def __init__(self, number, config, seed, pruning=None):
        self.number, self.config, self.seed = number, dict(config), seed
        self.reports = []
        self._pruning = pruning  # (pickled pruner, direction, finished FrozenTrials) or None
        self._local = None

    def __repr__(self):
        return f"Trial(number={self.number}, config={self.config!r})"

    def report(self, value, step):
        """Record intermediate `value` at integer `step` (e.g. the epoch's validation accuracy)."""
        if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 0:
            raise ValueError(f"Trial.report: step must be an int >= 0, got {step!r}")
        if any(s == step for s, _ in self.reports):
            raise ValueError(f"Trial.report: step {step} was already reported for trial {self.number}")
        value = float(value)
        self.reports.append((int(step), value))
        if self._pruning is not None:
            self._local_trial().report(value, int(step))

    def should_prune(self):
        """True when the pruner would stop this trial at its last reported step (False with no pruner)."""
        if self._pruning is None or not self.reports:
            return False
        with quiet_optuna():
            return self._local_trial().should_prune()

    def _local_trial(self):
        if self._local is None:
            import optuna

            pruner, direction, finished = self._pruning
            with quiet_optuna():
                study = optuna.create_study(
                    direction=direction, pruner=pickle.loads(pruner), sampler=optuna.samplers.RandomSampler(0)
                )
                study.add_trials(finished)
                self._local = study.ask()
        return self._local


def _where():
    """Who ran the trial: the Dask worker's address, or the process id."""
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return f"pid {os.getpid()}"


def _set_threads(threads):
    if threads is None:
        return
    import tensorlite as tl

    if threads == "dask":
        from distributed import get_worker

        try:
            threads = get_worker().state.nthreads
        except ValueError:  # not on a Dask worker after all
            return
    tl.set_num_threads(int(threads))


def _pruned_types():
    types = [TrialPruned]
    with contextlib.suppress(ImportError):
        import optuna

        types.append(optuna.TrialPruned)
    return tuple(types)


def execute(objective, number, config, seed, threads=None, pruning=None):
    """Run objective(config, trial) once and describe the outcome as a plain dict:
    {"state": COMPLETE | PRUNED | FAIL, "value", "error", "seconds", "reports", "worker"}.
    `objective` may be cloudpickled bytes (worker processes) or the callable itself (in-process).
    Exceptions and non-finite or non-numeric values become FAIL with the error; nothing is raised."""
    start = time.perf_counter()
    outcome = {"state": "FAIL", "value": None, "error": None, "reports": [], "worker": _where()}
    trial = None
    try:
        if isinstance(objective, bytes):
            import cloudpickle

            objective = cloudpickle.loads(objective)
        _set_threads(threads)
        trial = Trial(number, config, seed, pruning)
        value = objective(dict(config), trial)
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            outcome["error"] = f"the objective returned {type(value).__name__} {value!r}, not a number"
        elif not math.isfinite(value):
            outcome["error"] = f"the objective returned {float(value)}"
        else:
            outcome.update(state="COMPLETE", value=float(value))
    except _pruned_types():
        outcome["state"] = "PRUNED"
    except Exception as error:  # noqa: BLE001 - the study records any failure and goes on
        lines = traceback.format_exception(type(error), error, error.__traceback__)
        outcome["error"] = f"{type(error).__name__}: {error}\n{''.join(lines[-3:])}".strip()
    if trial is not None:
        outcome["reports"] = list(trial.reports)
    outcome["seconds"] = time.perf_counter() - start
    return outcome


def trial_seed(seed, number):
    """A per-trial seed from the study seed and the trial number (random when seed is None)."""
    entropy = None if seed is None else [int(seed), int(number)]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0] & 0x7FFFFFFF)
