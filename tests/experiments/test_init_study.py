"""The classic initialization study (experiments/init_study.py) and its table in the tl.nn.init docs."""

import numpy as np
import pytest

from tensorlite.experiments import init_study
from tensorlite.nn import init


@pytest.fixture(scope="module")
def study():
    return {r.label: r for r in init_study.activation_study(seed=0)}


def test_std_one_sigmoid_saturates(study):
    acts = study["std=1, sigmoid"].activations
    assert all(init_study.saturated_fraction(a) > 0.5 for a in acts)


def test_small_std_sigmoid_collapses(study):
    r = study["std=0.01, sigmoid"]
    assert r.stds[-1] < 0.02
    assert abs(r.means[-1] - 0.5) < 0.01


@pytest.mark.parametrize("label", ["Xavier, sigmoid", "Xavier, tanh", "He, ReLU"])
def test_xavier_and_he_keep_activations_spread(study, label):
    r = study[label]
    assert r.stds[0] / 3 < r.stds[-1] < r.stds[0] * 3


def test_xavier_sigmoid_does_not_saturate(study):
    assert init_study.saturated_fraction(study["Xavier, sigmoid"].activations[-1]) < 0.05


def test_study_shapes_and_reproducibility(study):
    r = study["He, ReLU"]
    assert len(r.activations) == 5 and r.activations[0].shape == (1000, 100)
    again = init_study.activation_study(seed=0)[-1]
    np.testing.assert_array_equal(again.activations[-1], r.activations[-1])


def test_documented_table_is_the_computed_one(study):
    table = init_study.format_study_table(list(study.values()))
    assert table in init.__doc__


def test_unknown_activation_raises():
    with pytest.raises(ValueError, match="activation"):
        init_study.layer_activations(lambda w, g: w, "swish")
