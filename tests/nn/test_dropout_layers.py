"""Dropout / Dropout2d (ops/dropout.py, nn/dropout.py): statistics, scaling, train vs eval, seeding."""

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn.functional as F


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_drop_rate_and_inverted_scaling(p):
    n = 200_000
    x = tl.ones(n, dtype=tl.float64, requires_grad=True)
    y = F.dropout(x, p, generator=tl.Generator(0))
    values = y.detach().numpy()
    dropped = np.mean(values == 0)
    assert abs(dropped - p) < 5 * np.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(values[values != 0], 1 / (1 - p))
    assert abs(values.mean() - 1) < 5 * np.sqrt(p / (1 - p) / n)  # E[y] = x
    y.backward(tl.ones(n, dtype=tl.float64))
    np.testing.assert_array_equal(x.grad.numpy(), values)  # the same mask scales the gradient


def test_eval_mode_and_p_zero_are_identity():
    x = tl.randn(4, 5)
    layer = tl.nn.Dropout(0.5).eval()
    assert layer(x) is x
    assert F.dropout(x, 0.0) is x
    assert F.dropout(x, 0.7, training=False) is x


def test_dropout2d_zeroes_whole_channels():
    x = tl.ones(64, 32, 3, 3, dtype=tl.float64)
    y = F.dropout2d(x, 0.5, generator=tl.Generator(1)).numpy()
    per_channel = y.reshape(64, 32, 9)
    assert np.all((per_channel == 0).all(axis=2) | (per_channel == 2).all(axis=2))
    assert 0.4 < np.mean(per_channel[:, :, 0] == 0) < 0.6
    assert F.dropout2d(tl.ones(3, 4, 4), 0.5).shape == (3, 4, 4)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        F.dropout2d(tl.ones(3), 0.5)


def test_dropout2d_on_2d_input_drops_elements_with_pytorchs_warning():
    # PyTorch 2.x: a 2-D (N, C) input gets feature dropout over (n, c) pairs, i.e. elementwise, and a
    # UserWarning; mnist_rnn's Dropout2d after a Linear layer relies on it.
    x = tl.ones(400, 50, dtype=tl.float64, requires_grad=True)
    with pytest.warns(UserWarning, match="2-D input"):
        y = tl.nn.Dropout2d(0.5)(x)
    values = y.detach().numpy()
    assert set(np.unique(values)) == {0.0, 2.0}
    assert 0.45 < np.mean(values == 0) < 0.55
    assert len({tuple(row) for row in values[:20]}) > 1  # not one mask broadcast over the batch
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), values)
    with pytest.warns(UserWarning, match="2-D input"):  # PyTorch warns in eval mode too
        assert tl.nn.Dropout2d(0.5).eval()(x) is x


def test_dropout2d_on_5d_input_drops_whole_n_c_slices():
    x = tl.ones(8, 6, 2, 3, 4, dtype=tl.float64)
    with pytest.warns(UserWarning, match="5-D input"):
        y = F.dropout2d(x, 0.5, generator=tl.Generator(3)).numpy()
    per_slice = y.reshape(8, 6, 24)
    assert np.all((per_slice == 0).all(axis=2) | (per_slice == 2).all(axis=2))
    assert 0 < np.mean(per_slice[:, :, 0] == 0) < 1


def test_seeding_reproduces_the_mask():
    tl.manual_seed(5)
    a = tl.nn.Dropout(0.3)(tl.ones(100)).numpy()
    tl.manual_seed(5)
    b = tl.nn.Dropout(0.3)(tl.ones(100)).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, tl.nn.Dropout(0.3)(tl.ones(100)).numpy())


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, "0.5", True])
def test_p_outside_zero_one_raises(p):
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        tl.nn.Dropout(p)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        F.dropout(tl.ones(3), p)


def test_float32_stays_float32():
    assert F.dropout(tl.ones(10), 0.5).dtype == tl.float32
