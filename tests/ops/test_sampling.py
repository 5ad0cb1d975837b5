"""multinomial: frequencies, without-replacement distinctness, generators and argument checks."""

import numpy as np
import pytest

import tensorlite as tl


def test_frequencies_follow_the_weights():
    weights = tl.tensor([1.0, 2.0, 0.0, 7.0])
    draws = tl.multinomial(weights, 20000, replacement=True, generator=tl.Generator(0))
    freq = np.bincount(draws.numpy(), minlength=4) / 20000
    assert draws.dtype == tl.int64 and freq[2] == 0
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.0, 0.7], atol=0.015)  # ~5 binomial standard errors


def test_without_replacement_draws_distinct_categories_per_row():
    weights = tl.tensor([[1.0, 1.0, 1.0, 0.0], [0.0, 5.0, 1.0, 1.0]])
    draws = weights.multinomial(3)
    assert draws.shape == (2, 3)
    for row, w in zip(draws.tolist(), weights.tolist()):
        assert len(set(row)) == 3 and all(w[i] > 0 for i in row)


def test_same_generator_seed_same_draws():
    w = tl.ones(10)
    a = tl.multinomial(w, 5, generator=tl.Generator(3))
    b = tl.multinomial(w, 5, generator=tl.Generator(3))
    assert a.tolist() == b.tolist()


@pytest.mark.parametrize(
    ("weights", "n", "replacement", "message"),
    [
        ([1.0, -1.0], 1, True, "finite and non-negative"),
        ([0.0, 0.0], 1, True, "positive sum"),
        ([1.0, 0.0], 2, False, "fewer nonzero weights"),
        ([[[1.0]]], 1, True, "1-D or 2-D"),
        ([1.0], 0, True, "num_samples must be a positive int"),
    ],
)
def test_bad_arguments(weights, n, replacement, message):
    with pytest.raises(ValueError, match=message):
        tl.multinomial(tl.tensor(weights), n, replacement)
