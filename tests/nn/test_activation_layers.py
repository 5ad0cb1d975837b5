"""Activation modules (nn/activation.py) call their functional forms with their parameters."""

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn.functional as F

X = np.linspace(-5, 5, 41)


@pytest.mark.parametrize(
    "module, function",
    [
        (tl.nn.LeakyReLU(0.3), lambda x: F.leaky_relu(x, 0.3)),
        (tl.nn.ELU(0.7), lambda x: F.elu(x, 0.7)),
        (tl.nn.SELU(), F.selu),
        (tl.nn.GELU(), F.gelu),
        (tl.nn.GELU(approximate="tanh"), lambda x: F.gelu(x, approximate="tanh")),
        (tl.nn.Softplus(beta=2, threshold=5), lambda x: F.softplus(x, 2, 5)),
        (tl.nn.Softmax(dim=0), lambda x: F.softmax(x, 0)),
        (tl.nn.LogSoftmax(dim=0), lambda x: F.log_softmax(x, 0)),
    ],
)
def test_module_equals_functional(module, function):
    x = tl.tensor(X)
    np.testing.assert_array_equal(module(x).numpy(), function(x).numpy())


def test_parameters_change_the_result_and_show_in_repr():
    x = tl.tensor(X)
    assert not np.array_equal(tl.nn.LeakyReLU(0.3)(x).numpy(), tl.nn.LeakyReLU()(x).numpy())
    np.testing.assert_allclose(tl.nn.LeakyReLU()(x).numpy(), np.where(X > 0, X, 0.01 * X))
    assert repr(tl.nn.Softplus(beta=2)) == "Softplus(beta=2, threshold=20.0)"
    with pytest.raises(ValueError, match="approximate"):
        tl.nn.GELU(approximate="fast")
