"""`tensorlite tune CONFIG.toml`: tune the demo's CNN or MLP from a TOML file.

The file has three tables: [train] (model, data, epochs, batch_size, metric and fixed hyperparameters;
see digits.DEFAULTS), [tune] (trials, sampler, pruner, seed, study_name, points / rounds) and [space],
one line per searched hyperparameter naming its tune function, e.g. lr = { loguniform = [1e-3, 0.3] }.
"""

import json
import os
import sys

from tensorlite.tune import samplers
from tensorlite.tune import space as spaces

SPACE_FUNCTIONS = {
    "loguniform": spaces.loguniform,
    "one_minus_loguniform": spaces.one_minus_loguniform,
    "uniform": spaces.uniform,
    "randint": spaces.randint,
    "choice": spaces.choice,
    "grid_search": spaces.grid_search,
}
TUNE_KEYS = ("trials", "sampler", "pruner", "seed", "study_name", "points", "rounds")


def _toml():
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.9/3.10 use the tomli backport (a dependency there)
        import tomli as tomllib
    return tomllib


def parse_space(table):
    """{name: {function: args}} from the TOML [space] table -> a checked tune space."""
    if not isinstance(table, dict) or not table:
        raise ValueError(
            "tune: the config needs a non-empty [space] table, e.g. lr = { loguniform = [1e-3, 0.3] }"
        )
    result = {}
    for name, spec in table.items():
        if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in SPACE_FUNCTIONS:
            raise ValueError(
                f"tune: parameter {name!r}: write it as {{ <function> = [...] }} with one of "
                f"{sorted(SPACE_FUNCTIONS)}, got {spec!r}"
            )
        function, args = next(iter(spec.items()))
        if not isinstance(args, list):
            raise TypeError(f"tune: parameter {name!r}: {function} takes a list, got {args!r}")
        if function in ("choice", "grid_search"):
            result[name] = SPACE_FUNCTIONS[function](args)
        elif len(args) != 2:
            raise ValueError(f"tune: parameter {name!r}: {function} takes [low, high], got {args!r}")
        else:
            result[name] = SPACE_FUNCTIONS[function](*args)
    return spaces.check_space(result)


def load_config(path):
    """Read CONFIG.toml -> (train settings, tune settings, space); ValueError names what is wrong."""
    with open(path, "rb") as handle:
        config = _toml().load(handle)
    unknown = sorted(set(config) - {"train", "tune", "space"})
    if unknown:
        raise ValueError(f"tune: {path}: unknown tables {unknown}; use [train], [tune] and [space]")
    tune_settings = config.get("tune", {})
    unknown = sorted(set(tune_settings) - set(TUNE_KEYS))
    if unknown:
        raise ValueError(f"tune: {path}: unknown [tune] keys {unknown}; known: {list(TUNE_KEYS)}")
    return config.get("train", {}), tune_settings, parse_space(config.get("space"))


def _sampler(settings):
    name = settings.get("sampler", "tpe")
    if name == "grid":
        return samplers.Grid(points=settings.get("points", 3))
    if name == "coarse_to_fine":
        return samplers.CoarseToFine(rounds=settings.get("rounds", 3))
    return name


def _executor(args):
    if args.scheduler:
        from distributed import Client

        return Client(args.scheduler)
    return args.workers


def run_tune(args):
    """The subcommand: run the study, print the table and best config, write CSV / JSON / PNGs to --out."""
    from tensorlite.tune.digits import TrainObjective
    from tensorlite.tune.run import run

    try:
        train_settings, tune_settings, space = load_config(args.config)
        if args.quick:
            # a smoke run: at most two epochs per trial
            train_settings = {**train_settings, "epochs": min(2, train_settings.get("epochs", 2))}
        objective = TrainObjective(train_settings)
    except (OSError, ValueError, TypeError) as error:
        print(f"tensorlite tune: {error}", file=sys.stderr)
        return 2
    metric = objective.settings["metric"]
    executor = _executor(args)
    try:
        result = run(
            objective,
            space,
            n_trials=args.trials or tune_settings.get("trials", 20),
            sampler=_sampler(tune_settings),
            direction="maximize" if "acc" in metric else "minimize",
            seed=tune_settings.get("seed", 0),
            pruner=tune_settings.get("pruner"),
            executor=executor,
            storage=args.storage,
            study_name=tune_settings.get("study_name"),
        )
    finally:
        if args.scheduler:
            executor.close()
    print(result.table())
    if result.count("COMPLETE"):
        print(f"best {metric}: {result.best_value:.4f} (trial {result.best_trial.number})")
        print(f"best config: {json.dumps(result.best_config)}")
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        files = [result.to_csv(os.path.join(args.out, "trials.csv"))]
        if result.count("COMPLETE"):
            best = os.path.join(args.out, "best.json")
            with open(best, "w") as handle:
                json.dump(
                    {"metric": metric, "value": result.best_value, "config": result.best_config}, handle
                )
            files += [best, *result.plot(args.out)]
        print(f"wrote {', '.join(files)}")
    return 0 if result.count("COMPLETE") else 1


def add_tune_parser(sub, positive_int):
    """The `tensorlite tune CONFIG.toml [--trials N] [--workers N | --scheduler URL] ...` subcommand."""
    parser = sub.add_parser("tune", help="hyperparameter search over the demo's nets from a TOML file")
    parser.add_argument("config", metavar="CONFIG.toml")
    parser.add_argument("--trials", type=positive_int, help="trials in the study (default: [tune] trials)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=positive_int, help="local worker processes (default: in-process)")
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run the trials on this Dask cluster")
    parser.add_argument(
        "--storage", metavar="URL", help="Optuna storage, e.g. sqlite:///study.db (resumable)"
    )
    parser.add_argument("--out", metavar="DIR", help="write trials.csv, best.json and the plots here")
    parser.add_argument("--quick", action="store_true", help="a smoke run: at most 2 epochs per trial")
    parser.set_defaults(run=run_tune)
