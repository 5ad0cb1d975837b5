"""Tensor: creation functions, attributes, dtype rules, conversion, repr, in-place updates."""

import numpy as np
import pytest

import tensorlite as tl


@pytest.mark.parametrize(
    "factory, expected",
    [
        (lambda: tl.zeros(2, 3), np.zeros((2, 3))),
        (lambda: tl.zeros((2, 3)), np.zeros((2, 3))),
        (lambda: tl.ones([4]), np.ones(4)),
        (lambda: tl.full((2, 2), 7.5), np.full((2, 2), 7.5)),
        (lambda: tl.arange(0.0, 1.0, 0.25), np.arange(0.0, 1.0, 0.25)),
        (lambda: tl.linspace(-1, 1, 5), np.linspace(-1, 1, 5)),
        (lambda: tl.eye(3), np.eye(3)),
        (lambda: tl.eye(2, 3), np.eye(2, 3)),
        (lambda: tl.zeros(0, 2), np.zeros((0, 2))),
    ],
)
def test_float_factories_default_to_float32(factory, expected):
    t = factory()
    assert t.dtype == tl.float32
    np.testing.assert_array_equal(t.numpy(), expected.astype(np.float32))


def test_integer_and_explicit_dtypes():
    assert tl.arange(5).dtype == tl.int64 and tl.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert tl.arange(1, 10, 3).tolist() == [1, 4, 7]
    assert tl.full((2,), 3).dtype == tl.int64
    for spelling in (tl.float64, np.float64, "float64", np.dtype("float64"), tl.double):
        assert tl.zeros(2, dtype=spelling).dtype == tl.float64
    assert tl.ones(2, dtype="int64").dtype == tl.int64
    assert tl.tensor([1, 0], dtype=tl.bool).tolist() == [True, False]
    assert tl.empty(2, 3).shape == (2, 3)
    with pytest.raises(TypeError, match="unsupported dtype float16"):
        tl.zeros(2, dtype="float16")
    with pytest.raises(TypeError, match="unsupported dtype"):
        tl.zeros(2, dtype="not-a-dtype")
    with pytest.raises(ValueError, match=r"negative dimension in shape \(2, -1\)"):
        tl.zeros(2, -1)


def test_like_factories_keep_shape_and_dtype_unless_told():
    base = tl.ones(2, 3, dtype=tl.float64)
    for like in (tl.zeros_like, tl.ones_like, tl.empty_like, tl.rand_like, tl.randn_like):
        t = like(base)
        assert t.shape == (2, 3) and t.dtype == tl.float64
        assert like(base, dtype=tl.float32).dtype == tl.float32
    assert tl.full_like(base, 4).tolist() == [[4.0] * 3] * 2
    assert tl.full_like(base, 4, dtype=tl.int64).dtype == tl.int64
    assert tl.zeros_like(base, requires_grad=True).requires_grad


def test_random_factories_are_reproducible_and_in_range():
    tl.manual_seed(123)
    a, b, c = tl.rand(100), tl.randn(2, 50), tl.randint(3, 7, (200,))
    tl.manual_seed(123)
    np.testing.assert_array_equal(a.numpy(), tl.rand(100).numpy())
    np.testing.assert_array_equal(b.numpy(), tl.randn(2, 50).numpy())
    np.testing.assert_array_equal(c.numpy(), tl.randint(3, 7, (200,)).numpy())
    assert a.dtype == tl.float32 and 0 <= a.numpy().min() and a.numpy().max() < 1
    assert c.dtype == tl.int64 and set(c.tolist()) == {3, 4, 5, 6}
    assert tl.randint(5, size=(3,), dtype=tl.float32).dtype == tl.float32
    g1, g2 = tl.Generator(5), tl.Generator(5)
    np.testing.assert_array_equal(tl.randn(4, generator=g1).numpy(), tl.randn(4, generator=g2).numpy())
    with pytest.raises(ValueError, match=r"high \(2\) must be greater than low \(2\)"):
        tl.randint(2, 2)


def test_tensor_infers_pytorch_dtypes():
    assert tl.tensor([1.0, 2.0]).dtype == tl.float32  # Python floats -> float32
    assert tl.tensor(2.5).dtype == tl.float32
    assert tl.tensor([1, 2]).dtype == tl.int64
    assert tl.tensor([True]).dtype == tl.bool
    assert tl.tensor(np.array([1.0])).dtype == tl.float64  # NumPy arrays keep float64
    assert tl.tensor(np.float64(1.5)).dtype == tl.float64
    assert tl.tensor(np.array([1], dtype=np.int32)).dtype == tl.int64
    assert tl.tensor(np.array([1.0], dtype=np.float32)).dtype == tl.float32
    with pytest.raises(TypeError, match="unsupported dtype"):
        tl.tensor(["a", "b"])
    with pytest.raises(TypeError, match="unsupported dtype complex128"):
        tl.tensor([1 + 2j])


def test_tensor_copies_and_from_numpy_shares():
    array = np.zeros(3, dtype=np.float32)
    copied, shared = tl.tensor(array), tl.from_numpy(array)
    array[0] = 5
    assert copied.tolist() == [0.0, 0.0, 0.0] and shared.tolist() == [5.0, 0.0, 0.0]
    assert shared.numpy() is array
    with pytest.raises(TypeError, match="numpy.ndarray, got list"):
        tl.from_numpy([1.0])
    with pytest.raises(TypeError, match="unsupported dtype int32"):
        tl.from_numpy(np.zeros(2, dtype=np.int32))


def test_attributes():
    t = tl.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert t.shape == (2, 3) and isinstance(t.shape, tuple)
    assert t.ndim == 2 and t.dim() == 2 and t.numel() == 6 and t.nelement() == 6 and len(t) == 2
    assert t.size() == (2, 3) and t.size(1) == 3 and t.size(-2) == 2
    assert t.dtype == tl.float64 and t.is_leaf and t.grad is None and t.grad_fn is None
    assert t.T.shape == (3, 2) and t.T.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    y = t * 2
    assert not y.is_leaf and y.grad_fn is not None and y.requires_grad
    assert [row.tolist() for row in tl.tensor([[1, 2], [3, 4]])] == [[1, 2], [3, 4]]


def test_grad_is_settable_with_checks():
    p = tl.zeros(2, 2, requires_grad=True)
    p.grad = tl.ones(2, 2)
    assert p.grad.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    p.grad = None
    with pytest.raises(ValueError, match=r"grad has shape \(3,\) but the tensor has shape \(2, 2\)"):
        p.grad = tl.ones(3)
    with pytest.raises(TypeError, match="grad must be a Tensor or None, got list"):
        p.grad = [1.0]


def test_requires_grad_rules():
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients, got dtype int64"):
        tl.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="bool"):
        tl.tensor([True]).requires_grad_()
    t = tl.ones(2)
    assert t.requires_grad_() is t and t.requires_grad
    y = t * 3
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad = False


def test_python_scalars_do_not_upcast_float32():
    x = tl.ones(3)
    for result in (x + 1, x * 2.5, 2.5 - x, x / 3, x**2, 1.5**x, tl.maximum(x, 0.5), tl.where(x > 0, x, 0.0)):
        assert result.dtype == tl.float32
    i = tl.tensor([1, 2])
    assert (i + 1).dtype == tl.int64 and (i * 0.5).dtype == tl.float32
    assert (tl.tensor([True]) + 1).dtype == tl.int64
    assert (x + tl.ones(3, dtype=tl.float64)).dtype == tl.float64  # tensor-tensor promotes
    assert (i + x[:2]).dtype == tl.float32  # a float tensor wins over an integer one


def test_item_tolist_conversions():
    assert tl.tensor([[2.5]]).item() == 2.5 and isinstance(tl.tensor(3).item(), int)
    with pytest.raises(ValueError, match=r"only one-element tensors can be converted, got shape \(2,\)"):
        tl.ones(2).item()
    assert tl.tensor([[1, 2]]).tolist() == [[1, 2]]
    assert float(tl.tensor(1.5)) == 1.5 and int(tl.tensor(7)) == 7 and bool(tl.tensor([1]))
    with pytest.raises(RuntimeError, match="2 elements is ambiguous"):
        bool(tl.ones(2))
    assert [10, 20, 30][tl.tensor(1)] == 20


def test_detach_clone_astype():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.detach().numpy() is x.detach().numpy()
    c = x.clone()
    assert c.detach().numpy() is not x.detach().numpy() and c.requires_grad and not c.is_leaf
    (c * tl.tensor([3.0, 4.0])).sum().backward()
    assert x.grad.tolist() == [3.0, 4.0]
    x.grad = None
    y = x.double()
    assert y.dtype == tl.float64 and y.requires_grad
    (y * 2).sum().backward()
    assert x.grad.dtype == tl.float32 and x.grad.tolist() == [2.0, 2.0]
    assert x.float() is x and x.astype("float32") is x
    assert x.long().tolist() == [1, 2] and not x.long().requires_grad
    assert x.to(tl.float64).dtype == tl.float64


def test_repr():
    assert repr(tl.tensor([1.0, 2.5])) == "tensor([1. , 2.5])"
    assert repr(tl.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(tl.tensor(1.5, dtype=tl.float64)) == "tensor(1.5, dtype=tensorlite.float64)"
    assert repr(tl.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert repr(tl.tensor([1.0], requires_grad=True) * 2) == "tensor([2.], grad_fn=<Mul>)"
    assert repr(tl.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert repr(tl.zeros(0, dtype=tl.int64)) == "tensor([], dtype=tensorlite.int64)"
    assert "\n" in repr(tl.ones(2, 2))


def test_inplace_updates_without_grad():
    x = tl.ones(3)
    x += 1
    x -= tl.tensor([0.0, 1.0, 2.0])
    x *= 2
    x /= 4
    assert x.tolist() == [1.0, 0.5, 0.0] and x.dtype == tl.float32
    x.fill_(2.0).zero_()
    assert x.tolist() == [0.0, 0.0, 0.0]
    x.copy_(tl.tensor([1.0, 2.0, 3.0]))
    assert x.tolist() == [1.0, 2.0, 3.0]


def test_inplace_on_tensors_that_need_grad_raises():
    w = tl.ones(3, requires_grad=True)
    for update in (
        lambda: w.__iadd__(1),
        lambda: w.__isub__(1),
        lambda: w.__imul__(2),
        lambda: w.zero_(),
        lambda: w.__setitem__(0, 5.0),
        lambda: w.copy_(tl.zeros(3)),
    ):
        with pytest.raises(RuntimeError, match="in-place operation on a leaf tensor that requires grad"):
            update()
    y = w * 2
    with pytest.raises(RuntimeError, match="in-place operation on a tensor that is part of a graph"):
        y += 1
    with tl.no_grad():
        w -= 0.5
    assert w.tolist() == [0.5, 0.5, 0.5] and w.requires_grad


def test_inplace_shape_and_dtype_errors():
    x = tl.ones(3)
    with pytest.raises(ValueError, match=r"result shape \(2, 3\) does not match \(3,\)"):
        x += tl.ones(2, 3)
    i = tl.tensor([1, 2])
    with pytest.raises(
        TypeError, match=r"result \(dtype float64\) cannot be stored in a tensor of dtype int64"
    ):
        i += tl.ones(2)


def test_array_protocol_honours_copy():
    x = tl.tensor([1.0, 2.0])
    copied = np.array(x, copy=True)
    copied[0] = 5.0
    assert x.tolist() == [1.0, 2.0]
    assert np.shares_memory(np.asarray(x), x.numpy())
    with pytest.raises(ValueError, match="without a copy"):
        np.array(x, dtype=np.float64, copy=False)
