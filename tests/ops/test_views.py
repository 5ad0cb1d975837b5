"""t(), narrow(), contiguous() (ops/views.py): harness checks against NumPy with gradchecks, view and
version-counter sharing, PyTorch's results for edge cases, and bad arguments."""

import numpy as np
import pytest

import tensorlite as tl

from harness import OpTestCase, random_shape


class TestT(OpTestCase):
    def generate_inputs(self, rng):
        return (rng.standard_normal(random_shape(rng, max_ndim=2)),)

    def forward(self, x):
        return x.t() * tl.arange(x.numel(), dtype=x.dtype).reshape(x.t().shape) + tl.t(x)

    def forward_expected(self, x):
        xt = x.T  # NumPy's .T reverses dims: the same as t() for 0-2 dims
        return xt * np.arange(x.size).reshape(xt.shape) + xt


class TestNarrow(OpTestCase):
    def generate_inputs(self, rng):
        x = rng.standard_normal(random_shape(rng, min_ndim=1, max_size=6))
        self.dim = int(rng.integers(-x.ndim, x.ndim))
        size = x.shape[self.dim]
        self.start = int(rng.integers(-size, size + 1)) if size else 0
        first = self.start % size if self.start < 0 else self.start
        self.length = int(rng.integers(0, size - first + 1))
        return (x,)

    def forward(self, x):
        y = x.narrow(self.dim, self.start, self.length)
        return y * tl.arange(y.numel(), dtype=x.dtype).reshape(y.shape)

    def forward_expected(self, x):
        first = self.start + x.shape[self.dim] if self.start < 0 else self.start
        y = np.take(x, np.arange(first, first + self.length), axis=self.dim)
        return y * np.arange(y.size).reshape(y.shape)


class TestContiguous(OpTestCase):
    def generate_inputs(self, rng):
        return (rng.standard_normal(random_shape(rng, min_ndim=2, max_ndim=3)),)

    def forward(self, x):
        return x.transpose(0, 1).contiguous() * 3

    def forward_expected(self, x):
        return np.swapaxes(x, 0, 1) * 3


def test_t_is_a_view_sharing_memory_and_version():
    x = tl.arange(6.0).reshape(2, 3)
    y = x.t()
    assert y.shape == (3, 2)
    y[0, 1] = 100.0
    assert x[1, 0].item() == 100.0
    assert x._version == 1
    v = tl.ones(4)
    assert v.t().shape == (4,) and tl.tensor(2.0).t().shape == ()


def test_t_refuses_more_than_two_dims():
    with pytest.raises(ValueError, match="<= 2 dimensions"):
        tl.ones(2, 3, 4).t()


def test_narrow_shares_memory_and_accepts_a_0d_tensor_start():
    x = tl.arange(10)
    y = tl.narrow(x, 0, tl.tensor(2), 3)
    assert y.tolist() == [2, 3, 4]
    y[0] = -1
    assert x[2].item() == -1
    assert x.narrow(0, -3, 3).tolist() == [7, 8, 9]
    assert x.narrow(0, 10, 0).shape == (0,)  # start == size with length 0, as PyTorch


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((2, 0, 1), IndexError, "dim 2 is out of range"),
        ((0, 6, 0), IndexError, "start 6 is out of range"),
        ((0, -6, 1), IndexError, "start -6 is out of range"),
        ((1, 2, 2), ValueError, r"start \(2\) \+ length \(2\)"),
        ((1, 0, -1), ValueError, r"length \(-1\)"),
        ((0, 1.0, 1), TypeError, "start must be an int"),
        ((0, 0, 1.5), TypeError, "length must be an int"),
        ((True, 0, 1), IndexError, "dim True"),
    ],
)
def test_narrow_bad_arguments(args, error, match):
    with pytest.raises(error, match=match):
        tl.ones(5, 3).narrow(*args)


def test_narrow_of_a_0d_tensor_raises():
    with pytest.raises(IndexError, match="0-d"):
        tl.tensor(1.0).narrow(0, 0, 1)


def test_contiguous_returns_self_when_already_contiguous_else_a_copy():
    x = tl.ones(3, 4)
    assert x.is_contiguous() and x.contiguous() is x
    xt = x.t()
    assert not xt.is_contiguous()
    c = xt.contiguous()
    assert c.is_contiguous() and c.numpy().flags.c_contiguous
    np.testing.assert_array_equal(c.numpy(), xt.numpy())
    c[0, 0] = 5.0  # a copy: the original is untouched
    assert x[0, 0].item() == 1.0
    assert x[:, ::2].is_contiguous() is False


def test_word_language_model_batchify_idiom_matches_pytorch():
    torch = pytest.importorskip("torch")
    data = np.arange(23)
    ours = tl.tensor(data).narrow(0, 0, 20).view(4, -1).t().contiguous()
    theirs = torch.tensor(data).narrow(0, 0, 20).view(4, -1).t().contiguous()
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.is_contiguous()
