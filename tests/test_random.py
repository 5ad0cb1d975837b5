"""tl.manual_seed and tl.Generator: reproducible draws, saved and restored state."""

import numpy as np
import pytest

import tensorlite as tl
from tensorlite.random import rng


def test_manual_seed_returns_the_default_generator_and_repeats_draws():
    generator = tl.manual_seed(7)
    assert generator.initial_seed() == 7
    first = tl.randn(5).numpy().copy()
    tl.manual_seed(7)
    np.testing.assert_array_equal(tl.randn(5).numpy(), first)


def test_generator_state_round_trip():
    g = tl.Generator(3)
    state = g.get_state()
    a = tl.rand(4, generator=g).numpy().copy()
    g.set_state(state)
    np.testing.assert_array_equal(tl.rand(4, generator=g).numpy(), a)
    assert g.manual_seed(3) is g and np.array_equal(tl.rand(4, generator=g).numpy(), a)


def test_generators_are_independent_of_the_default():
    g = tl.Generator(1)
    tl.manual_seed(1)
    tl.randn(3)  # advancing the default generator does not move g
    np.testing.assert_array_equal(
        tl.randn(3, generator=g).numpy(), tl.randn(3, generator=tl.Generator(1)).numpy()
    )


def test_bad_seed_and_generator_types():
    with pytest.raises(TypeError, match="seed must be an int, got float"):
        tl.manual_seed(1.5)
    with pytest.raises(TypeError, match="generator must be a tl.Generator, got int"):
        rng(5)
