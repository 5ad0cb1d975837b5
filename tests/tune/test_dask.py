"""Trials on a real Dask cluster: two worker processes on loopback, one killed mid-study."""

import functools

import distributed
import pytest
from tune.objectives import kill_once

from tensorlite import tune


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=50,
    )
    with distributed.Client(cluster) as dask_client:
        yield dask_client
    cluster.close()


def test_trials_spread_over_the_workers_and_survive_a_killed_worker(client, tmp_path):
    marker = tmp_path / "killed"
    objective = functools.partial(kill_once, marker=str(marker), number=3)
    result = tune.run(
        objective, {"x": tune.uniform(0.0, 1.0)}, n_trials=8, seed=0, executor=client, progress=False
    )
    assert marker.exists()  # trial 3 did kill its worker
    assert [t.number for t in result.trials] == list(range(8))
    killed = result.trials[3]
    # Dask reschedules the task of a dead worker: the trial either ran again or failed with the reason
    assert killed.state == "COMPLETE" or "KilledWorker" in killed.error
    assert all(t.state == "COMPLETE" for t in result.trials if t.number != 3)
    assert len({t.worker for t in result.trials}) >= 2
    assert all(t.worker.startswith("tcp://127.0.0.1:") for t in result.trials if t.worker)


def test_seeded_runs_on_the_cluster_repeat_the_in_process_run(client):
    space = {"lr": tune.loguniform(1e-4, 1.0), "x": tune.uniform(0, 1)}
    here = tune.run(lambda c, t: c["x"] * t.seed, space, n_trials=6, seed=2, progress=False)
    there = tune.run(lambda c, t: c["x"] * t.seed, space, n_trials=6, seed=2, executor=client, progress=False)
    assert [(t.config, t.value) for t in here.trials] == [(t.config, t.value) for t in there.trials]
