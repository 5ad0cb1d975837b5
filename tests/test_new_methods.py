"""Tensor.new_zeros / new_ones / new_full / new_empty / new_tensor (_new_methods.py): PyTorch's shapes,
dtypes (self's unless given), device and requires_grad handling."""

import numpy as np
import pytest

import tensorlite as tl


@pytest.mark.parametrize("dtype", [tl.float32, tl.float64, tl.int64, tl.bool])
def test_new_factories_take_self_dtype(dtype):
    base = tl.zeros(1, dtype=dtype)
    assert base.new_zeros(2, 3).dtype == dtype
    assert base.new_ones((2,)).dtype == dtype
    assert base.new_empty(tl.Size([1, 2])).dtype == dtype
    assert base.new_full([2], 1).dtype == dtype
    assert base.new_tensor([1, 0]).dtype == dtype


def test_new_factories_values_and_shapes():
    base = tl.ones(3, dtype=tl.float64)
    np.testing.assert_array_equal(base.new_zeros(2, 3).numpy(), np.zeros((2, 3)))
    np.testing.assert_array_equal(base.new_ones([2, 1]).numpy(), np.ones((2, 1)))
    assert base.new_empty(4, 0).shape == (4, 0)
    np.testing.assert_array_equal(base.new_full((2, 2), 7.5).numpy(), np.full((2, 2), 7.5))
    assert base.new_zeros(()).shape == ()
    # the word_language_model idiom: hidden states shaped like the weights
    weight = tl.nn.Linear(3, 2).weight
    hidden = weight.new_zeros(2, 5, 4)
    assert hidden.shape == (2, 5, 4) and hidden.dtype == tl.float32 and not hidden.requires_grad


def test_new_tensor_copies_and_converts_to_self_dtype():
    data = np.array([1, 2, 3])
    t = tl.ones(1).new_tensor(data)
    assert t.dtype == tl.float32 and t.tolist() == [1.0, 2.0, 3.0]
    data[0] = 9
    assert t[0].item() == 1.0  # a copy
    assert tl.ones(1).new_tensor([1, 2], dtype=tl.int64).dtype == tl.int64


def test_new_factories_dtype_device_and_requires_grad():
    base = tl.ones(1)
    t = base.new_zeros(2, dtype=tl.float64, device="cpu", requires_grad=True)
    assert t.dtype == tl.float64 and t.requires_grad and t.is_leaf
    with pytest.raises(RuntimeError, match="without CUDA"):
        base.new_ones(2, device="cuda")
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        tl.zeros(1, dtype=tl.int64).new_zeros(2, requires_grad=True)


def test_new_full_needs_a_sequence_size():
    with pytest.raises(TypeError, match="new_full: size must be a tuple or list"):
        tl.ones(1).new_full(3, 0.0)
