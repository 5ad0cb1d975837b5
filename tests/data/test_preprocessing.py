"""StandardScaler, MinMaxScaler (fit on training data only, zero variance) and one_hot."""

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import tensorlite as tl
from tensorlite.data import MinMaxScaler, StandardScaler, one_hot

finite = st.floats(-1e3, 1e3, allow_nan=False, width=64)


@given(x=arrays(np.float64, st.tuples(st.integers(1, 20), st.integers(1, 5)), elements=finite))
def test_standard_scaler_matches_numpy_and_inverts(x):
    scaler = StandardScaler().fit(x)
    std = x.std(axis=0)
    expected = (x - x.mean(axis=0)) / np.where(std > 0, std, 1.0)
    z = scaler.transform(x)
    np.testing.assert_allclose(z, expected, atol=1e-9)
    np.testing.assert_allclose(scaler.inverse_transform(z), x, atol=1e-9)


def test_scalers_use_training_statistics_only():
    train, test = np.array([[0.0], [2.0]]), np.array([[4.0], [100.0]])
    scaler = StandardScaler().fit(train)
    np.testing.assert_allclose(scaler.transform(test), [[3.0], [99.0]])
    minmax = MinMaxScaler().fit(train)
    np.testing.assert_allclose(minmax.transform(test), [[2.0], [50.0]])


def test_zero_variance_features_do_not_divide_by_zero():
    x = np.array([[1.0, 5.0], [3.0, 5.0], [5.0, 5.0]], dtype=np.float32)
    z = StandardScaler().fit_transform(x)
    assert np.isfinite(z).all() and z.dtype == np.float32
    np.testing.assert_array_equal(z[:, 1], 0.0)
    m = MinMaxScaler(feature_range=(-1, 1)).fit_transform(x)
    np.testing.assert_allclose(m, [[-1, -1], [0, -1], [1, -1]])


@given(x=arrays(np.float64, st.tuples(st.integers(1, 20), st.integers(1, 5)), elements=finite))
@example(x=np.array([[5e-324], [0.0]]))  # a subnormal span: 1 / span overflows
def test_minmax_scaler_range_and_inverse(x):
    scaler = MinMaxScaler(feature_range=(2.0, 3.0)).fit(x)
    y = scaler.transform(x)
    assert (y >= 2.0 - 1e-9).all() and (y <= 3.0 + 1e-9).all()
    np.testing.assert_allclose(scaler.inverse_transform(y), x, atol=1e-9)


def test_images_tensors_and_integer_input():
    images = tl.tensor(np.random.default_rng(0).integers(0, 17, (10, 1, 8, 8)))
    z = StandardScaler().fit_transform(images)
    assert isinstance(z, tl.Tensor) and z.dtype == tl.float32 and z.shape == (10, 1, 8, 8)
    np.testing.assert_allclose(z.numpy().mean(axis=0), 0.0, atol=1e-5)


def test_scaler_errors_name_shapes():
    with pytest.raises(RuntimeError, match="call fit"):
        StandardScaler().transform(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"fitted on samples of shape \(3,\), got shape \(4,\)"):
        StandardScaler().fit(np.zeros((2, 3))).transform(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="lo < hi"):
        MinMaxScaler(feature_range=(1, 0))


def test_one_hot():
    out = one_hot(tl.tensor([2, 0, 1]))
    assert isinstance(out, tl.Tensor) and out.dtype == tl.int64
    assert out.tolist() == [[0, 0, 1], [1, 0, 0], [0, 1, 0]]
    assert one_hot(np.array([[1], [0]]), num_classes=4).shape == (2, 1, 4)
    with pytest.raises(ValueError, match="label 3 does not fit num_classes=2"):
        one_hot(np.array([3]), num_classes=2)
    with pytest.raises(TypeError, match="must be integers"):
        one_hot(np.array([0.5]))
