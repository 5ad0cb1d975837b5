"""TuneResult: best trial, CSV, table and the PNG plots."""

import csv

import pytest
from tune.objectives import curve

from tensorlite import tune

SPACE = {
    "lr": tune.loguniform(1e-5, 1.0),
    "beta": tune.one_minus_loguniform(0.9, 0.999),
    "act": tune.choice(["relu", "tanh"]),
}


@pytest.fixture(scope="module")
def result():
    return tune.run(curve, SPACE, n_trials=12, seed=0, pruner="median", progress=False)


def test_best_is_the_best_completed_trial(result):
    done = [t for t in result.trials if t.state == "COMPLETE"]
    assert result.best_value == max(t.value for t in done)
    assert result.best_config == next(t.config for t in done if t.value == result.best_value)
    assert set(result.best_config) == {"lr", "beta", "act"}
    assert result.count("COMPLETE") + result.count("PRUNED") + result.count("FAIL") == 12


def test_csv_has_a_row_per_trial(result, tmp_path):
    path = result.to_csv(tmp_path / "trials.csv")
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["number"]) for r in rows] == list(range(12))
    for row, trial in zip(rows, result.trials):
        assert row["state"] == trial.state and int(row["steps"]) == len(trial.reports)
        assert float(row["lr"]) == trial.config["lr"] and row["act"] == trial.config["act"]
        assert row["value"] == "" if trial.value is None else float(row["value"]) == trial.value


def test_table_lists_the_best_first(result):
    lines = result.table(top=3).splitlines()
    assert lines[0].split() == ["trial", "value", "seconds", "lr", "beta", "act"]
    assert int(lines[1].split()[0]) == result.best_trial.number
    assert lines[-1].startswith("12 trials: ")


def test_plot_writes_pngs(result, tmp_path):
    paths = result.plot(tmp_path / "plots")
    names = sorted(p.rsplit("/", 1)[-1] for p in map(str, paths))
    assert names == ["contour.png", "history.png", "parallel.png", "slices.png"]
    for path in paths:
        with open(path, "rb") as handle:
            assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


def test_no_completed_trial():
    def fails(config, trial):
        raise RuntimeError("always")

    result = tune.run(fails, SPACE, n_trials=2, progress=False)
    with pytest.raises(ValueError, match="no trial completed .*2 fail"):
        _ = result.best_config
    with pytest.raises(ValueError, match="no trial completed"):
        result.plot("unused")
