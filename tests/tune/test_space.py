"""Search spaces: each function samples on its scale, bad spaces fail before any trial runs."""

import math

import numpy as np
import pytest

from tensorlite import tune
from tensorlite.tune import space as spaces


def record(config, trial):
    return 0.0


@pytest.fixture(scope="module")
def random_result():
    space = {
        "lr": tune.loguniform(1e-5, 1.0),
        "beta": tune.one_minus_loguniform(0.9, 0.999),
        "layers": tune.randint(1, 4),
        "hidden": tune.choice([32, 64, 128]),
        "dropout": tune.uniform(0.0, 0.5),
    }
    return tune.run(record, space, n_trials=600, sampler="random", seed=0, progress=False)


def test_loguniform_covers_each_decade_in_proportion(random_result):
    decades = np.floor(np.log10([t.config["lr"] for t in random_result.trials])).astype(int)
    counts = np.bincount(-decades, minlength=6)[1:6]  # decades 1e-5..1e-4, ..., 1e-1..1
    assert counts.sum() == 600
    # 120 expected per decade, binomial sd ~9.8: a uniform-in-value sampler would put ~540 in the last
    assert np.all(np.abs(counts - 120) < 45), counts


def test_one_minus_loguniform_is_the_guides_formula(random_result):
    # beta = 1 - 10**(-r - 1) with r ~ U(0, 2)  <=>  r = -log10(1 - beta) - 1 is uniform on [0, 2]
    r = np.array([-math.log10(1 - t.config["beta"]) - 1 for t in random_result.trials])
    assert r.min() >= -1e-9 and r.max() <= 2 + 1e-9
    assert abs(r.mean() - 1.0) < 0.08
    assert abs(np.mean(r < 1.0) - 0.5) < 0.07  # half the betas are above 0.99


def test_randint_upper_bound_is_exclusive_and_choice_is_uniform(random_result):
    layers = [t.config["layers"] for t in random_result.trials]
    assert set(layers) == {1, 2, 3}
    assert all(isinstance(v, int) for v in layers)
    hidden = [t.config["hidden"] for t in random_result.trials]
    counts = [hidden.count(v) for v in (32, 64, 128)]
    assert all(abs(c - 200) < 45 for c in counts), counts
    dropout = np.array([t.config["dropout"] for t in random_result.trials])
    assert 0.0 <= dropout.min() and dropout.max() <= 0.5 and abs(dropout.mean() - 0.25) < 0.03


def test_grid_is_the_product_on_each_scale():
    space = {
        "batch": tune.grid_search([32, 64]),
        "lr": tune.loguniform(1e-4, 1e-2),
        "beta": tune.one_minus_loguniform(0.9, 0.999),
    }
    result = tune.run(record, space, sampler=tune.Grid(points=3), progress=False)
    assert len(result.trials) == 18
    seen = {
        (t.config["batch"], round(math.log10(t.config["lr"]), 6), round(t.config["beta"], 9))
        for t in result.trials
    }
    expected = {(b, lr, beta) for b in (32, 64) for lr in (-4.0, -3.0, -2.0) for beta in (0.9, 0.99, 0.999)}
    assert seen == expected


def test_grid_takes_every_small_randint_and_the_first_n_points():
    space = {"layers": tune.randint(1, 4), "act": tune.choice(["relu", "tanh"])}
    result = tune.run(record, space, n_trials=4, sampler=tune.Grid(points=5), progress=False)
    assert [t.config for t in result.trials] == [
        {"layers": 1, "act": "relu"},
        {"layers": 1, "act": "tanh"},
        {"layers": 2, "act": "relu"},
        {"layers": 2, "act": "tanh"},
    ]


def test_grid_search_cycles_its_values_under_other_samplers():
    space = {"batch": tune.grid_search([16, 32, 64]), "x": tune.uniform(0, 1)}
    result = tune.run(record, space, n_trials=7, sampler="tpe", seed=1, progress=False)
    assert [t.config["batch"] for t in result.trials] == [16, 32, 64, 16, 32, 64, 16]


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        (lambda: tune.uniform(1.0, 1.0), "low < high"),
        (lambda: tune.loguniform(0.0, 1.0), "low > 0"),
        (lambda: tune.loguniform(1.0, 0.1), "low < high"),
        (lambda: tune.one_minus_loguniform(0.9, 1.0), "high < 1"),
        (lambda: tune.randint(3, 3), "low < high"),
        (lambda: tune.choice([]), "at least one value"),
        (lambda: tune.grid_search([1, 1]), "repeat"),
    ],
)
def test_bad_space_raises_naming_the_parameter_before_any_trial(domain, message):
    calls = []

    def objective(config, trial):
        calls.append(config)
        return 0.0

    with pytest.raises(ValueError, match=rf"'bad_param'.*{message}"):
        tune.run(objective, {"ok": tune.uniform(0, 1), "bad_param": domain()}, n_trials=3, progress=False)
    assert calls == []


def test_bad_domain_types():
    with pytest.raises(TypeError, match="'n'.*randint low must be an int"):
        spaces.check_space({"n": tune.randint(1.5, 4)})
    with pytest.raises(TypeError, match="'act'.*choice values"):
        spaces.check_space({"act": tune.choice([object()])})
    with pytest.raises(TypeError, match="'lr'.*expected tune.loguniform"):
        spaces.check_space({"lr": (1e-3, 1e-1)})
    with pytest.raises(ValueError, match="non-empty dict"):
        spaces.check_space({})


def test_seeded_runs_repeat_exactly_in_process():
    space = {"lr": tune.loguniform(1e-5, 1.0), "x": tune.uniform(0, 1)}
    runs = [tune.run(record, space, n_trials=12, sampler="tpe", seed=s, progress=False) for s in (3, 3, 4)]
    configs = [[t.config for t in r.trials] for r in runs]
    assert configs[0] == configs[1]
    assert configs[0] != configs[2]
    assert [t.seed for t in runs[0].trials] == [t.seed for t in runs[1].trials]
