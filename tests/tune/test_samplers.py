"""Search strategies on cheap synthetic objectives: coarse-to-fine and TPE against random search."""

import math

import numpy as np
import optuna
from tune.objectives import BOWL_SPACE, CORNER_SPACE, bowl, corner

from tensorlite import tune


def best(objective, space, sampler, seed, n_trials):
    return tune.run(
        objective, space, n_trials=n_trials, sampler=sampler, direction="minimize", seed=seed, progress=False
    ).best_value


def test_coarse_to_fine_beats_random_with_the_same_budget():
    seeds = range(10)
    fine = [best(corner, CORNER_SPACE, "coarse_to_fine", s, 30) for s in seeds]
    rand = [best(corner, CORNER_SPACE, "random", s, 30) for s in seeds]
    assert np.median(fine) < 0.5 * np.median(rand), (fine, rand)


def test_coarse_to_fine_shrinks_each_range_on_its_scale():
    result = tune.run(
        corner,
        CORNER_SPACE,
        n_trials=30,
        sampler=tune.CoarseToFine(rounds=3),
        seed=0,
        direction="minimize",
        progress=False,
    )
    assert [r["first_trial"] for r in result.rounds] == [0, 10, 20]
    widths = [math.log10(r["ranges"]["lr"][1]) - math.log10(r["ranges"]["lr"][0]) for r in result.rounds]
    # each round is at least half as wide as the one before (CoarseToFine.keep) and no wider
    assert (
        widths[0] == 6.0 and 3.0 - 1e-9 <= widths[1] < 6.0 and widths[1] / 2 - 1e-9 <= widths[2] <= widths[1]
    )
    for r in result.rounds:
        low, high = r["ranges"]["lr"]
        assert 1e-6 <= low < high <= 1.0
        first, last = r["first_trial"], r["first_trial"] + 10
        assert all(low <= t.config["lr"] <= high for t in result.trials[first:last])
    # the shrunk ranges still hold the optimum
    assert result.rounds[2]["ranges"]["lr"][0] < 2e-6 < result.rounds[2]["ranges"]["lr"][1]


def test_tpe_beats_random_in_median_regret_over_ten_seeds():
    tpe = [best(bowl, BOWL_SPACE, "tpe", s, 40) for s in range(10)]
    rand = [best(bowl, BOWL_SPACE, "random", s, 40) for s in range(10)]
    assert np.median(tpe) < np.median(rand), (tpe, rand)


def test_any_optuna_sampler():
    first, second = (
        tune.run(
            corner,
            CORNER_SPACE,
            n_trials=5,
            sampler=optuna.samplers.RandomSampler(seed=7),
            direction="minimize",
            progress=False,
        )
        for _ in range(2)
    )
    assert [t.config for t in first.trials] == [t.config for t in second.trials]
    assert first.count("COMPLETE") == 5


def test_bad_sampler_arguments():
    import pytest

    for sampler, error in [
        ("bayes", ValueError),
        (3, TypeError),
        (tune.Grid(points=1), ValueError),
        (tune.CoarseToFine(rounds=0), ValueError),
        (tune.CoarseToFine(top=0), ValueError),
    ]:
        with pytest.raises(error):
            tune.run(corner, CORNER_SPACE, n_trials=3, sampler=sampler, progress=False)
    with pytest.raises(ValueError, match="n_trials is required"):
        tune.run(corner, CORNER_SPACE, sampler="random", progress=False)
