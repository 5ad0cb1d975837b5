"""SQLite storage: a driver killed mid-study is resumed to exactly n trials."""

import contextlib
import os
import pathlib
import signal
import sqlite3
import subprocess
import sys
import time

import optuna
import pytest
from tune.objectives import sleepy

from tensorlite import tune

SRC = pathlib.Path(tune.__file__).resolve().parents[2]
TESTS = pathlib.Path(__file__).resolve().parents[1]
DRIVER = """
import sys
from tune.objectives import sleepy
from tensorlite import tune
tune.run(sleepy, {"x": tune.uniform(0.0, 1.0)}, n_trials=int(sys.argv[2]), seed=0, storage=sys.argv[1],
         study_name="resume", progress=False)
"""


def finished(path):
    """Completed trials in the study file, read with plain sqlite3 (a light reader beside the driver)."""
    if not path.exists():
        return 0
    with contextlib.closing(sqlite3.connect(path, timeout=60)) as connection:
        try:
            return connection.execute("SELECT count(*) FROM trials WHERE state = 'COMPLETE'").fetchone()[0]
        except sqlite3.OperationalError:  # the driver has not created the tables yet
            return 0


def test_killed_driver_resumes_to_exactly_n_trials(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), str(TESTS)]), "TUNE_TEST_SLEEP": "0.25"}
    driver = subprocess.Popen([sys.executable, "-c", DRIVER, url, "10"], env=env)
    try:
        deadline = time.monotonic() + 60
        while finished(tmp_path / "study.db") < 3 and driver.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert driver.poll() is None, "the driver ended before it was killed"
        driver.send_signal(signal.SIGKILL)
    finally:
        driver.kill()
        driver.wait(timeout=30)
    before = optuna.load_study(study_name="resume", storage=url).get_trials()
    assert 3 <= len(before) < 10

    monkeypatch.setenv("TUNE_TEST_SLEEP", "0")
    result = tune.run(
        sleepy,
        {"x": tune.uniform(0.0, 1.0)},
        n_trials=10,
        seed=0,
        storage=url,
        study_name="resume",
        progress=False,
    )
    assert [t.number for t in result.trials] == list(range(10))
    stale = [t for t in result.trials if t.state == "FAIL"]
    assert [t.number for t in stale] == [t.number for t in before if t.state.name == "RUNNING"]
    assert all("driver stopped" in t.error for t in stale)
    assert result.count("COMPLETE") == 10 - len(stale)
    # the resumed trials did not replay the first ones' draws
    configs = [t.config["x"] for t in result.trials if t.config]
    assert len(set(configs)) == len(configs)
    # a finished study reruns to the same n without adding trials
    again = tune.run(
        sleepy, {"x": tune.uniform(0.0, 1.0)}, n_trials=10, storage=url, study_name="resume", progress=False
    )
    assert len(again.trials) == 10


def test_another_space_in_the_same_study_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    tune.run(lambda c, t: c["x"], {"x": tune.uniform(0, 1)}, n_trials=2, storage=url, progress=False)
    with pytest.raises(ValueError, match="another space"):
        tune.run(lambda c, t: c["x"], {"x": tune.uniform(0, 2)}, n_trials=2, storage=url, progress=False)
    with pytest.raises(ValueError, match="to maximize, not minimize"):
        tune.run(
            lambda c, t: c["x"],
            {"x": tune.uniform(0, 1)},
            n_trials=2,
            storage=url,
            direction="minimize",
            progress=False,
        )
