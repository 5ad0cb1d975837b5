"""size()/shape as tl.Size, numel/nelement, type()/type_as, format() of tensors, and the NumPy boundary's
memory sharing (from_numpy, as_tensor, numpy())."""

import pickle

import numpy as np
import pytest

import tensorlite as tl


def test_size_is_pytorchs():
    x = tl.zeros(2, 3, 4)
    assert x.size() == (2, 3, 4) and isinstance(x.size(), tl.Size) and isinstance(x.shape, tl.Size)
    assert x.size(0) == 2 and x.size(-1) == 4 and isinstance(x.size(1), int)
    assert x.numel() == x.nelement() == x.shape.numel() == 24
    assert repr(x.shape) == "tensorlite.Size([2, 3, 4])" and str(tl.zeros(()).shape) == "tensorlite.Size([])"
    assert f"{x.shape}" == "(2, 3, 4)"  # messages read like tuples
    assert isinstance(x.shape[1:], tl.Size) and x.shape[1:] == (3, 4) and x.shape[-1] == 4
    assert isinstance(x.shape + (5,), tl.Size) and (1,) + x.shape == (1, 2, 3, 4)
    assert pickle.loads(pickle.dumps(x.shape)) == (2, 3, 4)
    assert tl.zeros(x.size()).shape == (2, 3, 4) and np.zeros(x.shape).shape == (2, 3, 4)
    with pytest.raises(IndexError, match=r"expected to be in range of \[-3, 2\], but got 3"):
        x.size(3)
    with pytest.raises(IndexError, match="no dimensions"):
        tl.zeros(()).size(0)
    with pytest.raises(TypeError, match="dim must be an int"):
        x.size(1.0)


def test_type_names_and_conversions():
    x = tl.tensor([1.5, -2.5])
    assert x.type() == "tensorlite.FloatTensor" and x.double().type() == "tensorlite.DoubleTensor"
    assert x.long().type() == "tensorlite.LongTensor" and x.bool().type() == "tensorlite.BoolTensor"
    assert x.type(tl.float64).dtype == tl.float64 and x.type(tl.float32) is x
    assert (
        x.type("torch.LongTensor").tolist() == [1, -2]
        and x.type("tensorlite.DoubleTensor").dtype == tl.float64
    )
    assert x.type_as(tl.tensor([1])).dtype == tl.int64
    with pytest.raises(TypeError, match="unknown tensor type"):
        x.type("torch.HalfTensor")


def test_format_of_one_element_tensors():
    assert f"{tl.tensor(3.14159):.2f}" == "3.14" and "{:.1f}".format(tl.tensor([2.25])) == "2.2"  # noqa: UP032 (the idiom under test)
    assert f"{tl.tensor(7):d}" == "7" and "{:>5}".format(tl.tensor(1)) == "    1"  # noqa: UP032
    x = tl.tensor([1.0, 2.0])
    assert f"{x}" == str(x)
    with pytest.raises(TypeError, match="unsupported format string"):
        f"{x:.2f}"


def test_from_numpy_and_numpy_share_memory_both_ways():
    a = np.zeros(3)
    t = tl.from_numpy(a)
    a[0] = 1.0
    t.numpy()[1] = 2.0
    assert t.tolist() == [1.0, 2.0, 0.0] and a.tolist() == [1.0, 2.0, 0.0]
    assert tl.as_tensor(a).numpy() is not None and np.shares_memory(tl.as_tensor(a).numpy(), a)
    assert not np.shares_memory(tl.as_tensor(a, dtype=tl.float32).numpy(), a)
    assert not np.shares_memory(tl.tensor(a).numpy(), a)
    u = tl.ones(2)
    assert tl.as_tensor(u) is u and tl.as_tensor(u, dtype=tl.float64).dtype == tl.float64


def test_numpy_of_a_tensor_that_requires_grad_is_its_detached_memory():
    p = tl.ones(2, requires_grad=True)
    assert np.shares_memory(p.numpy(), p.detach().numpy())
    assert p.detach().numpy().tolist() == [1.0, 1.0] and p.data.numpy().tolist() == [1.0, 1.0]
    with tl.no_grad():
        assert (p * 2).numpy().tolist() == [2.0, 2.0]
