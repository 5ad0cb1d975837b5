"""tune.run: failures recorded, pruning, local worker processes, other executors, bad arguments."""

import concurrent.futures
import functools

import optuna
import pytest
from tune.objectives import curve, die_on, misbehaves, threads_and_value

from tensorlite import tune
from tensorlite.tune.executors import available_cores

X_SPACE = {"x": tune.uniform(0.0, 1.0)}
LR_SPACE = {"lr": tune.loguniform(1e-5, 1.0)}


def test_failures_are_recorded_and_the_study_goes_on():
    result = tune.run(misbehaves, X_SPACE, n_trials=7, seed=0, progress=False)
    assert [t.state for t in result.trials] == [
        "COMPLETE",
        "FAIL",
        "FAIL",
        "FAIL",
        "FAIL",
        "COMPLETE",
        "COMPLETE",
    ]
    errors = [t.error for t in result.trials]
    assert errors[1].startswith("RuntimeError: boom in trial 1")
    assert errors[2] == "the objective returned nan" and errors[3] == "the objective returned inf"
    assert "returned str '0.5', not a number" in errors[4]
    assert result.best_value == max(result.trials[i].config["x"] for i in (0, 5, 6))


def test_median_pruning_runs_fewer_epochs_and_keeps_the_best():
    plain = tune.run(curve, LR_SPACE, n_trials=20, seed=0, progress=False)
    pruned = tune.run(curve, LR_SPACE, n_trials=20, seed=0, pruner="median", progress=False)
    epochs = [sum(len(t.reports) for t in r.trials) for r in (plain, pruned)]
    assert epochs[0] == 20 * 8 and epochs[1] < 0.8 * epochs[0]
    assert pruned.count("PRUNED") >= 5
    assert pruned.best_value >= plain.best_value
    # the same configs were tried: the random sampler does not depend on the outcomes
    assert [t.config for t in plain.trials] == [t.config for t in pruned.trials]
    assert all(len(t.reports) < 8 for t in pruned.trials if t.state == "PRUNED")


@pytest.mark.parametrize("pruner", ["asha", optuna.pruners.SuccessiveHalvingPruner(min_resource=2)])
def test_successive_halving_prunes(pruner):
    result = tune.run(curve, LR_SPACE, n_trials=20, seed=0, pruner=pruner, progress=False)
    assert result.count("PRUNED") >= 3 and result.count("COMPLETE") >= 1
    assert sum(len(t.reports) for t in result.trials) < 20 * 8


def test_local_worker_processes_repeat_the_in_process_run():
    here = tune.run(threads_and_value, X_SPACE, n_trials=6, seed=5, progress=False)
    there = tune.run(threads_and_value, X_SPACE, n_trials=6, seed=5, executor=2, progress=False)
    assert [(t.config, t.value) for t in here.trials] == [(t.config, t.value) for t in there.trials]
    # trials ran in the worker processes (which of the two takes which trial depends on timing)
    assert 1 <= len({t.worker for t in there.trials}) <= 2
    assert not {t.worker for t in here.trials} & {t.worker for t in there.trials}
    # each worker process gets its share of the cores for the kernels
    assert {t.reports[0][1] for t in there.trials} == {max(1, available_cores() // 2)}


def test_a_dead_worker_process_fails_its_trial_and_the_study_completes():
    objective = functools.partial(die_on, number=2)
    result = tune.run(objective, X_SPACE, n_trials=6, seed=0, executor=2, progress=False)
    assert len(result.trials) == 6
    assert result.trials[2].state == "FAIL" and "worker process died" in result.trials[2].error
    # a broken pool fails the trial running beside the dead one too; everything after runs again
    assert result.count("FAIL") <= 2 and all(t.state == "COMPLETE" for t in result.trials[4:])


def test_any_concurrent_futures_executor():
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        result = tune.run(
            lambda config, trial: config["x"], X_SPACE, n_trials=5, seed=0, executor=pool, progress=False
        )
    assert result.count("COMPLETE") == 5
    assert result.best_value == max(t.config["x"] for t in result.trials)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n_trials": 0}, ValueError, "n_trials must be an int >= 1"),
        ({"direction": "up"}, ValueError, "direction must be"),
        ({"seed": -1}, ValueError, "seed must be"),
        ({"pruner": "hyperband"}, ValueError, "pruner must be"),
        ({"executor": 0}, ValueError, "must be >= 1"),
        ({"executor": "dask"}, TypeError, "executor must be"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        tune.run(lambda config, trial: 0.0, X_SPACE, **{"n_trials": 3, **kwargs})


def test_objective_must_be_callable():
    with pytest.raises(TypeError, match="objective must be callable"):
        tune.run("train", X_SPACE, n_trials=3)


def test_report_checks_its_step():
    def objective(config, trial):
        trial.report(0.5, 1)
        trial.report(0.6, 1)
        return 0.0

    result = tune.run(objective, X_SPACE, n_trials=1, progress=False)
    assert result.trials[0].state == "FAIL" and "step 1 was already reported" in result.trials[0].error
