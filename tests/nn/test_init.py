"""tl.nn.init: every initializer's distribution on Linear and Conv shapes, fans, gains, generators, and the
weight_init= / bias_init= resolver."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tensorlite as tl
from tensorlite.nn import init

LINEAR = (300, 200)  # (out_features, in_features): fan_in 200, fan_out 300
CONV = (64, 16, 3, 3)  # (out, in / groups, kh, kw): fan_in 16*9 = 144, fan_out 64*9 = 576
FANS = {LINEAR: (200, 300), CONV: (144, 576)}
Z = 5  # standard errors allowed


def fresh(shape, dtype=tl.float64):
    return tl.empty(*shape, dtype=dtype)


def phi(z):
    return math.exp(-z * z / 2) / math.sqrt(2 * math.pi)


def big_phi(z):
    return 0.5 * math.erfc(-z / math.sqrt(2))


def assert_zero_mean_variance(w, variance):
    """Sample mean ~ 0 and mean(w^2) ~ variance, each within Z standard errors."""
    x = w.detach().numpy().astype(np.float64).ravel()
    n = x.size
    assert abs(x.mean()) < Z * math.sqrt(variance / n), f"mean {x.mean()} for variance {variance}"
    se = np.std(x**2) / math.sqrt(n)
    assert abs(np.mean(x**2) - variance) < Z * se, f"variance {np.mean(x**2)} vs expected {variance}"


def assert_bounded(w, bound):
    """All values inside [-bound, bound] and the extremes close to it (so the bound is the right one)."""
    x = w.detach().numpy()
    assert x.min() >= -bound * (1 + 1e-6) and x.max() <= bound * (1 + 1e-6)
    assert x.max() > 0.95 * bound and x.min() < -0.95 * bound


def uniform_case(bound):
    return bound, bound**2 / 3


def truncated_case(sigma):
    """(bound, variance) of N(0, sigma^2) cut at +-2 sigma."""
    return 2 * sigma, (sigma * init.TRUNCATED_NORMAL_STD) ** 2


@pytest.mark.parametrize("shape", [LINEAR, CONV], ids=["linear", "conv"])
@pytest.mark.parametrize(
    "name, fill, expected",
    [
        ("xavier_uniform", lambda w: init.xavier_uniform_(w, gain=2.0),
         lambda fi, fo: uniform_case(2.0 * math.sqrt(6 / (fi + fo)))),
        ("xavier_normal", lambda w: init.xavier_normal_(w, gain=0.5), lambda fi, fo: (None, 0.25 * 2 / (fi + fo))),
        ("kaiming_uniform_in", lambda w: init.kaiming_uniform_(w, nonlinearity="relu"),
         lambda fi, fo: uniform_case(math.sqrt(2) * math.sqrt(3 / fi))),
        ("kaiming_uniform_out_leaky", lambda w: init.kaiming_uniform_(w, a=0.2, mode="fan_out"),
         lambda fi, fo: uniform_case(math.sqrt(2 / 1.04) * math.sqrt(3 / fo))),
        ("kaiming_normal_in", lambda w: init.kaiming_normal_(w, nonlinearity="relu"), lambda fi, fo: (None, 2 / fi)),
        ("kaiming_normal_out_tanh", lambda w: init.kaiming_normal_(w, mode="fan_out", nonlinearity="tanh"),
         lambda fi, fo: (None, (5 / 3) ** 2 / fo)),
        ("lecun_uniform", init.lecun_uniform_, lambda fi, fo: uniform_case(math.sqrt(3 / fi))),
        ("lecun_normal", init.lecun_normal_,
         lambda fi, fo: truncated_case(math.sqrt(1 / fi) / init.TRUNCATED_NORMAL_STD)),
        ("vs_trunc_fan_in", lambda w: init.variance_scaling_(w, 2.0, "fan_in", "truncated_normal"),
         lambda fi, fo: truncated_case(math.sqrt(2 / fi) / init.TRUNCATED_NORMAL_STD)),
        ("vs_trunc_fan_avg", lambda w: init.variance_scaling_(w, 2.0, "fan_avg", "truncated_normal"),
         lambda fi, fo: truncated_case(math.sqrt(4 / (fi + fo)) / init.TRUNCATED_NORMAL_STD)),
        ("vs_normal_fan_out", lambda w: init.variance_scaling_(w, 2.0, "fan_out", "untruncated_normal"),
         lambda fi, fo: (None, 2 / fo)),
        ("vs_uniform_fan_avg", lambda w: init.variance_scaling_(w, 3.0, "fan_avg", "uniform"),
         lambda fi, fo: uniform_case(math.sqrt(3 * 3.0 / ((fi + fo) / 2)))),
        ("chainer_wscale", lambda w: init.variance_scaling_(w, 1.7**2, "fan_in", "untruncated_normal"),
         lambda fi, fo: (None, (1.7 / math.sqrt(fi)) ** 2)),
        ("normal", lambda w: init.normal_(w, 0.0, 0.3), lambda fi, fo: (None, 0.09)),
        ("uniform", lambda w: init.uniform_(w, -0.4, 0.4), lambda fi, fo: uniform_case(0.4)),
    ],
)  # fmt: skip
def test_initializer_distribution(shape, name, fill, expected):
    tl.manual_seed(sum(map(ord, name)))  # a fixed seed per case
    w = fill(fresh(shape))
    bound, variance = expected(*FANS[shape])
    assert_zero_mean_variance(w, variance)
    if bound is not None:
        assert_bounded(w, bound)


def test_truncated_normal_matches_the_truncated_distribution_moments():
    mean, std, a, b = 1.0, 2.0, -1.0, 4.0
    w = init.trunc_normal_(fresh((400, 250)), mean, std, a, b, generator=tl.Generator(5))
    x = w.numpy().ravel()
    assert x.min() >= a and x.max() <= b and x.min() < a + 0.01 and x.max() > b - 0.01
    alpha, beta = (a - mean) / std, (b - mean) / std
    mass = big_phi(beta) - big_phi(alpha)
    t_mean = mean + std * (phi(alpha) - phi(beta)) / mass
    t_var = std**2 * (
        1 + (alpha * phi(alpha) - beta * phi(beta)) / mass - ((phi(alpha) - phi(beta)) / mass) ** 2
    )
    assert abs(x.mean() - t_mean) < Z * math.sqrt(t_var / x.size)
    assert abs(x.var() - t_var) < Z * np.std((x - t_mean) ** 2) / math.sqrt(x.size)


def test_truncation_constant_is_the_std_of_a_standard_normal_cut_at_two():
    z = 2.0
    std = math.sqrt(1 - 2 * z * phi(z) / (2 * big_phi(z) - 1))
    assert init.TRUNCATED_NORMAL_STD == pytest.approx(std, abs=1e-15)
    assert init.TRUNCATED_NORMAL_STD == 0.87962566103423978


def test_trunc_normal_rejects_impossible_intervals():
    with pytest.raises(ValueError, match="a < b"):
        init.trunc_normal_(fresh((3, 3)), a=1.0, b=0.0)
    with pytest.raises(ValueError, match="holds only"):
        init.trunc_normal_(fresh((3, 3)), a=10.0, b=11.0)


@pytest.mark.parametrize("shape", [(30, 50), (50, 30), (8, 3, 3, 3)])
def test_orthogonal_rows_or_columns_are_orthonormal_times_gain(shape):
    w = init.orthogonal_(fresh(shape), gain=1.5, generator=tl.Generator(0)).numpy().reshape(shape[0], -1)
    gram = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
    np.testing.assert_allclose(gram, 2.25 * np.eye(gram.shape[0]), atol=1e-10)


def test_eye_and_dirac():
    np.testing.assert_array_equal(init.eye_(fresh((2, 3))).numpy(), np.eye(2, 3))
    w = init.dirac_(fresh((4, 2, 3, 3)), groups=2).numpy()
    assert (
        w.sum() == 4
        and w[0, 0, 1, 1] == 1
        and w[1, 1, 1, 1] == 1
        and w[2, 0, 1, 1] == 1
        and w[3, 1, 1, 1] == 1
    )
    with pytest.raises(ValueError):
        init.dirac_(fresh((3, 3)))


def test_constant_fills():
    w = fresh((3, 4))
    assert np.all(init.zeros_(w).numpy() == 0)
    assert np.all(init.ones_(w).numpy() == 1)
    assert np.all(init.constant_(w, 0.25).numpy() == 0.25)


@given(shape=st.lists(st.integers(1, 6), min_size=2, max_size=4).map(tuple), seed=st.integers(0, 2**16))
def test_fans_and_bounds_on_random_shapes(shape, seed):
    receptive = int(np.prod(shape[2:]))
    fan_in, fan_out = shape[1] * receptive, shape[0] * receptive
    assert init.calculate_fan_in_and_fan_out(fresh(shape)) == (fan_in, fan_out)
    g = tl.Generator(seed)
    bound = math.sqrt(6 / (fan_in + fan_out))
    assert np.abs(init.xavier_uniform_(fresh(shape), generator=g).numpy()).max() <= bound
    bound = math.sqrt(2) * math.sqrt(3 / fan_out)
    assert np.abs(init.kaiming_uniform_(fresh(shape), mode="fan_out", generator=g).numpy()).max() <= bound
    sigma = math.sqrt(1 / fan_in) / init.TRUNCATED_NORMAL_STD
    assert np.abs(init.lecun_normal_(fresh(shape), generator=g).numpy()).max() <= 2 * sigma


@given(shape=st.lists(st.integers(0, 4), min_size=2, max_size=4).map(tuple).filter(lambda s: 0 in s))
def test_zero_element_tensors_are_left_alone(shape):
    for fill in (
        init.xavier_uniform_,
        init.kaiming_normal_,
        init.lecun_normal_,
        init.orthogonal_,
        init.normal_,
    ):
        assert fill(fresh(shape)).shape == shape


@pytest.mark.parametrize(
    "fill",
    [init.xavier_uniform_, init.xavier_normal_, init.kaiming_uniform_, init.kaiming_normal_, init.lecun_uniform_,
     init.lecun_normal_, init.orthogonal_, init.trunc_normal_, init.normal_, init.uniform_,
     lambda w, generator: init.variance_scaling_(w, 2.0, "fan_avg", "uniform", generator)],
)  # fmt: skip
def test_generator_makes_draws_reproducible(fill):
    a = fill(fresh((20, 10)), generator=tl.Generator(7)).numpy()
    b = fill(fresh((20, 10)), generator=tl.Generator(7)).numpy()
    c = fill(fresh((20, 10)), generator=tl.Generator(8)).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    tl.manual_seed(3)
    d = fill(fresh((20, 10)), generator=None).numpy()
    tl.manual_seed(3)
    np.testing.assert_array_equal(d, fill(fresh((20, 10)), generator=None).numpy())


def test_float32_tensors_are_filled_in_float32():
    w = init.kaiming_normal_(fresh((10, 10), dtype=tl.float32))
    assert w.dtype == tl.float32 and np.all(np.isfinite(w.numpy()))


def test_calculate_gain_table():
    assert init.calculate_gain("linear") == 1
    assert init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: init.xavier_uniform_(fresh((5,))), "at least 2 dimensions"),
        (lambda: init.kaiming_normal_(fresh((5, 5)), mode="fan_avg"), "mode"),
        (lambda: init.variance_scaling_(fresh((5, 5)), scale=0.0), "scale"),
        (lambda: init.variance_scaling_(fresh((5, 5)), distribution="normal"), "distribution"),
        (lambda: init.variance_scaling_(fresh((5, 5)), mode="avg"), "mode"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_variance_scaling_uses_keras_fans_for_vectors():
    w = init.variance_scaling_(fresh((40000,)), 2.0, "fan_in", "untruncated_normal", tl.Generator(1))
    assert_zero_mean_variance(w, 2.0 / 40000)


# ------------------------------------------------------------------ weight_init= / bias_init=


@pytest.mark.parametrize(
    "name, variance",
    [
        ("xavier_uniform", 2 / 500), ("glorot_normal", 2 / 500), ("he_normal", 2 / 200), ("kaiming_uniform", 2 / 200),
        ("lecun_normal", 1 / 200), ("lecun_uniform", 1 / 200), ("HE_UNIFORM", 2 / 200),
    ],
)  # fmt: skip
def test_linear_weight_init_by_name(name, variance):
    tl.manual_seed(0)
    layer = tl.nn.Linear(200, 300, weight_init=name, dtype=tl.float64)
    assert_zero_mean_variance(layer.weight, variance)


def test_linear_numeric_callable_and_default_inits():
    layer = tl.nn.Linear(4, 3, weight_init="zeros", bias_init=0.01)
    assert np.all(layer.weight.detach().numpy() == 0) and np.allclose(layer.bias.detach().numpy(), 0.01)
    layer = tl.nn.Linear(4, 3, weight_init=lambda w: init.constant_(w, 2.0), bias_init="ones")
    assert np.all(layer.weight.detach().numpy() == 2) and np.all(layer.bias.detach().numpy() == 1)
    tl.manual_seed(1)
    default = tl.nn.Linear(400, 100)
    bound = 1 / math.sqrt(400)  # PyTorch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for both
    assert_bounded(default.weight, bound)
    assert np.abs(default.bias.detach().numpy()).max() <= bound


def test_reset_parameters_redraws_with_the_spec():
    layer = tl.nn.Linear(50, 50, weight_init="orthogonal", bias_init=0.1, dtype=tl.float64)
    layer.weight.data[...] = 0
    layer.reset_parameters()
    np.testing.assert_allclose(
        layer.weight.detach().numpy() @ layer.weight.detach().numpy().T, np.eye(50), atol=1e-10
    )


def test_module_apply_reinitializes_every_linear():
    model = tl.nn.Sequential(tl.nn.Linear(3, 4), tl.nn.ReLU(), tl.nn.Linear(4, 2))

    def reinit(m):
        if isinstance(m, tl.nn.Linear):
            init.zeros_(m.weight)
            init.constant_(m.bias, 0.5)

    assert model.apply(reinit) is model
    for layer in (model[0], model[2]):
        assert np.all(layer.weight.detach().numpy() == 0) and np.all(layer.bias.detach().numpy() == 0.5)


def test_resolver_errors_and_apply_init():
    with pytest.raises(ValueError, match="unknown initializer 'glorot'.*xavier_uniform"):
        tl.nn.Linear(2, 2, weight_init="glorot")
    with pytest.raises(TypeError, match="expected an initializer name"):
        tl.nn.Linear(2, 2, bias_init=[0.1])
    with pytest.raises(TypeError):
        init.resolve_initializer(True)
    assert init.resolve_initializer(None) is None
    w = init.apply_init(fresh((3, 3)), "he_normal", generator=tl.Generator(0))
    np.testing.assert_array_equal(
        w.numpy(), init.kaiming_normal_(fresh((3, 3)), nonlinearity="relu", generator=tl.Generator(0)).numpy()
    )
    assert set(init.INITIALIZER_NAMES) >= {
        "xavier_uniform",
        "he_normal",
        "lecun_normal",
        "zeros",
        "orthogonal",
    }
