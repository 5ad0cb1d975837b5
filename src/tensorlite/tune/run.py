"""tune.run: the driver. It asks Optuna for configs, runs trials through the executor and tells Optuna
the outcomes; the Optuna study (in memory or in a storage URL) is the record of every trial."""

import json
import pickle

from tensorlite.tune import executors
from tensorlite.tune import space as spaces
from tensorlite.tune.result import TuneResult
from tensorlite.tune.samplers import Plan
from tensorlite.tune.trial import quiet_optuna, trial_seed

ATTR = "tensorlite"  # the user attr holding seconds, error, worker and seed of a trial
SPACE_ATTR = "tensorlite_space"  # the study user attr holding the space, to refuse resuming another


def _import_optuna():
    try:
        import optuna
    except ImportError:
        raise ImportError("tensorlite.tune needs Optuna: pip install 'tensorlite[tune]'") from None
    return optuna


def _pruner(pruner):
    optuna = _import_optuna()
    if pruner is None:
        return optuna.pruners.NopPruner()
    if pruner == "median":
        return optuna.pruners.MedianPruner()
    if pruner == "asha":
        return optuna.pruners.SuccessiveHalvingPruner()
    if isinstance(pruner, optuna.pruners.BasePruner):
        return pruner
    raise ValueError(f"tune.run: pruner must be None, 'median', 'asha' or an Optuna pruner, got {pruner!r}")


def _sqlite_storage(url):
    """An Optuna RDBStorage for a sqlite:/// URL whose connections use SQLite's write-ahead log with
    synchronous=NORMAL: a commit then needs no fsync (one at each checkpoint instead), which takes the
    driver's cost per trial from ~8 fsyncs to almost none. A killed process loses nothing committed;
    only a power cut can lose the last commits."""
    import sqlite3

    import optuna
    from sqlalchemy.engine import make_url

    path = make_url(url).database

    def connect():
        connection = sqlite3.connect(path, timeout=60, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    return optuna.storages.RDBStorage(url, engine_kwargs={"creator": connect})


def _open_study(storage, study_name, direction, sampler, pruner, space):
    optuna = _import_optuna()
    if isinstance(storage, str) and storage.startswith("sqlite:///") and storage != "sqlite:///:memory:":
        storage = _sqlite_storage(storage)
    described = json.dumps({name: domain.describe() for name, domain in space.items()})
    if storage is not None and study_name is None:
        study_name = "tensorlite-tune"  # a fixed default, so rerunning the same call resumes
    study = optuna.create_study(
        storage=storage,
        study_name=study_name,
        direction=direction,
        sampler=sampler,
        pruner=pruner,
        load_if_exists=True,
    )
    stored = study.user_attrs.get(SPACE_ATTR)
    if stored is None:
        study.set_user_attr(SPACE_ATTR, described)
    elif stored != described:
        raise ValueError(
            f"tune.run: study {study.study_name!r} in {storage!r} was run with another space {stored}; "
            "use another study_name"
        )
    if study.direction.name.lower() != direction:
        raise ValueError(
            f"tune.run: study {study.study_name!r} was run to {study.direction.name.lower()}, not {direction}"
        )
    return study


def _fail_stale(study):
    """Trials left RUNNING by a driver that died are marked failed, with the reason."""
    optuna = _import_optuna()
    for frozen in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        # Optuna has no public way to address an existing trial by number for user attrs
        optuna.trial.Trial(study, frozen._trial_id).set_user_attr(
            ATTR, {"error": "the driver stopped while this trial ran (marked failed on resume)"}
        )
        study.tell(frozen.number, state=optuna.trial.TrialState.FAIL)


# pruners whose prune() only reads the study; others (successive halving, hyperband) record rungs
_READ_ONLY_PRUNERS = ("NopPruner", "MedianPruner", "PercentilePruner", "ThresholdPruner")


def _record(study, trial, outcome, pruner, seed):
    """Write a trial's reports and outcome into the study (the driver is its only writer)."""
    optuna = _import_optuna()
    replay = type(pruner).__name__ not in _READ_ONLY_PRUNERS
    for step, value in outcome["reports"]:
        trial.report(value, step)
        if replay:
            trial.should_prune()  # lets the pruner store its per-trial bookkeeping
    attrs = {k: outcome[k] for k in ("seconds", "error", "worker")}
    attrs["seed"] = seed
    trial.set_user_attr(ATTR, attrs)
    states = optuna.trial.TrialState
    if outcome["state"] == "COMPLETE":
        study.tell(trial, outcome["value"])
    else:
        study.tell(trial, state=states.PRUNED if outcome["state"] == "PRUNED" else states.FAIL)


def _check_args(n_trials, direction, seed):
    if n_trials is not None and (isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1):
        raise ValueError(f"tune.run: n_trials must be an int >= 1, got {n_trials!r}")
    if direction not in ("maximize", "minimize"):
        raise ValueError(f"tune.run: direction must be 'maximize' or 'minimize', got {direction!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ValueError(f"tune.run: seed must be None or an int >= 0, got {seed!r}")


def run(
    objective,
    space,
    n_trials=None,
    sampler="random",
    direction="maximize",
    seed=0,
    pruner=None,
    executor=None,
    storage=None,
    study_name=None,
    progress=True,
):
    """Search `space` for the config that maximizes (or minimizes) objective(config, trial).

    The study holds n_trials trials in the end, counting any from an earlier run of the same
    study_name in `storage` (an Optuna storage URL such as "sqlite:///study.db"); trials left running
    by a driver that died are marked failed. sampler: "grid", "random", "coarse_to_fine", "tpe",
    tune.Grid, tune.CoarseToFine or an Optuna sampler. pruner: None, "median", "asha" or an Optuna
    pruner. executor: None, an int (local processes), a distributed.Client or a concurrent.futures
    Executor. progress shows a tqdm bar over trials (only when stderr is a terminal). Returns a TuneResult.
    """
    if not callable(objective):
        raise TypeError(
            f"tune.run: objective must be callable as objective(config, trial), got {objective!r}"
        )
    space = spaces.check_space(space)
    _check_args(n_trials, direction, seed)
    optuna_pruner = _pruner(pruner)
    runner = executors.runner(executor)
    try:
        with quiet_optuna():
            return _drive(
                objective,
                space,
                n_trials,
                sampler,
                direction,
                seed,
                optuna_pruner,
                runner,
                storage,
                study_name,
                progress,
            )
    finally:
        runner.close()


def _drive(
    objective, space, n_trials, sampler, direction, seed, pruner, runner, storage, study_name, progress
):
    optuna = _import_optuna()
    from tensorlite.train import progress_enabled

    # the plan needs the study's trial count (a resumed seed moves on), the study needs the sampler
    plan = Plan(space, sampler, seed, n_trials, start=0)
    study = _open_study(storage, study_name, direction, plan.sampler, pruner, space)
    _fail_stale(study)
    start = len(study.get_trials(deepcopy=False))
    if start:
        plan = Plan(space, sampler, seed, n_trials, start=start)
        study.sampler = plan.sampler
    payload = objective
    if not isinstance(runner, executors.InProcess):
        import cloudpickle

        payload = cloudpickle.dumps(objective)
    pruning = not isinstance(pruner, optuna.pruners.NopPruner)
    pruner_bytes = pickle.dumps(pruner) if pruning else None
    bar = None
    if progress_enabled(progress):
        from tqdm.auto import tqdm

        bar = tqdm(total=plan.n_trials, initial=min(start, plan.n_trials), desc="tune", unit="trial")
    running, index = {}, start
    try:
        while True:
            while index < plan.n_trials and len(running) < runner.slots:
                if plan.starts_round(index) and running:
                    break  # a coarse_to_fine round starts once the previous one has finished
                trial = _ask(study, plan, index)
                config = spaces.config_from_params(space, trial.params)
                snapshot = None
                if pruning:
                    finished = study.get_trials(
                        deepcopy=False,
                        states=(optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED),
                    )
                    snapshot = (pruner_bytes, direction, finished)
                tseed = trial_seed(seed, trial.number)
                args = (trial.number, config, tseed, runner.threads, snapshot)
                running[runner.submit(payload, *args)] = (trial, tseed)
                index += 1
            if not running:
                break
            for future in runner.wait(running):
                trial, tseed = running.pop(future)
                _record(study, trial, runner.result(future), pruner, tseed)
                if bar is not None:
                    bar.update(1)
                    best = _best_value(study)
                    if best is not None:
                        bar.set_postfix(best=f"{best:.4g}")
    finally:
        if bar is not None:
            bar.close()
    rounds = [{k: r[k] for k in ("round", "first_trial", "ranges")} for r in plan.rounds]
    return TuneResult.from_study(study, space, rounds)


def _ask(study, plan, index):
    fixed = plan.fixed(index)
    if fixed is not None:
        study.enqueue_trial(fixed)
    return study.ask(plan.distributions(index, study))


def _best_value(study):
    try:
        return study.best_value
    except ValueError:  # no completed trial yet
        return None
