"""Shape ops and indexing: forward vs NumPy, gradients moved back (and summed for repeated indices)."""

import numpy as np
import pytest

import tensorlite as tl

from harness import OpTestCase, assert_close, random_shape


class TestReshape(OpTestCase):
    def generate_inputs(self, rng):
        x = rng.standard_normal(random_shape(rng, max_ndim=4, max_size=4))
        self.target = tuple(int(s) for s in rng.permutation(list(x.shape) + [1]))
        if x.size and self.target:
            self.target = (-1,) + self.target[1:]
        return (x,)

    def forward(self, x):
        return x.reshape(self.target) + tl.view(x, *self.target)

    def forward_expected(self, x):
        return 2 * x.reshape(self.target)


class TestFlatten(OpTestCase):
    def generate_inputs(self, rng):
        x = rng.standard_normal(random_shape(rng, min_ndim=1, max_ndim=4, max_size=4))
        self.start = int(rng.integers(0, x.ndim))
        self.end = int(rng.integers(self.start, x.ndim)) - x.ndim  # a negative end_dim
        return (x,)

    def forward(self, x):
        return x.flatten(self.start, self.end)

    def forward_expected(self, x):
        end = self.end % x.ndim
        merged = int(np.prod(x.shape[self.start : end + 1]))
        return x.reshape(x.shape[: self.start] + (merged,) + x.shape[end + 1 :])


class TestPermuteTranspose(OpTestCase):
    def generate_inputs(self, rng):
        x = rng.standard_normal(random_shape(rng, min_ndim=2, max_ndim=4, max_size=4))
        self.order = tuple(int(d) for d in rng.permutation(x.ndim))
        self.dims = tuple(int(d) for d in rng.integers(-x.ndim, x.ndim, 2))
        return (x,)

    def forward(self, x):
        return tl.permute(x, self.order).flatten() * 2 + x.transpose(*self.dims).flatten() + x.T.flatten()

    def forward_expected(self, x):
        return (
            2 * np.transpose(x, self.order).reshape(-1)
            + np.swapaxes(x, *self.dims).reshape(-1)
            + np.transpose(x).reshape(-1)
        )


class TestSqueezeUnsqueeze(OpTestCase):
    def generate_inputs(self, rng):
        shape = tuple(1 if rng.random() < 0.4 else s for s in random_shape(rng, max_ndim=4, max_size=3))
        x = rng.standard_normal(shape)
        self.dim = int(rng.integers(-x.ndim - 1, x.ndim + 1))
        return (x,)

    def forward(self, x):
        return x.squeeze().flatten() + tl.unsqueeze(x, self.dim).squeeze(self.dim).flatten()

    def forward_expected(self, x):
        return 2 * x.reshape(-1)


class TestExpand(OpTestCase):
    def generate_inputs(self, rng):
        x = rng.standard_normal(tuple(1 if rng.random() < 0.5 else s for s in random_shape(rng, max_size=3)))
        self.shape = (2,) + tuple(int(rng.integers(2, 4)) if s == 1 else s for s in x.shape)
        return (x,)

    def forward(self, x):
        return x.expand(*self.shape)

    def forward_expected(self, x):
        return np.broadcast_to(x, self.shape)


class TestConcatStack(OpTestCase):
    def generate_inputs(self, rng):
        shape = random_shape(rng, min_ndim=1, max_size=3)
        self.dim = int(rng.integers(-len(shape), len(shape)))
        other = list(shape)
        other[self.dim] = int(rng.integers(0, 4))
        return rng.standard_normal(shape), rng.standard_normal(tuple(other)), rng.standard_normal(shape)

    def forward(self, a, b, c):
        joined = tl.concat([a, b, c], dim=self.dim).flatten()
        return tl.cat([joined, tl.stack([a, c], dim=self.dim).flatten()])

    def forward_expected(self, a, b, c):
        joined = np.concatenate([a, b, c], axis=self.dim).reshape(-1)
        return np.concatenate([joined, np.stack([a, c], axis=self.dim).reshape(-1)])


class TestSplit(OpTestCase):
    def generate_inputs(self, rng):
        x = rng.standard_normal(random_shape(rng, min_ndim=1, max_size=6))
        self.dim = int(rng.integers(0, x.ndim))
        self.size = int(rng.integers(1, 4))
        return (x,)

    def forward(self, x):
        pieces = tl.split(x, self.size, dim=self.dim)
        return tl.concat([p * (i + 1) for i, p in enumerate(pieces)], dim=self.dim) if pieces else x

    def forward_expected(self, x):
        bounds = list(range(self.size, x.shape[self.dim], self.size))
        pieces = np.split(x, bounds, axis=self.dim) if x.shape[self.dim] else []
        return np.concatenate([p * (i + 1) for i, p in enumerate(pieces)], axis=self.dim) if pieces else x


def test_split_with_section_sizes():
    x = tl.arange(6.0)
    pieces = x.split([1, 3, 2])
    assert [p.tolist() for p in pieces] == [[0.0], [1.0, 2.0, 3.0], [4.0, 5.0]]
    with pytest.raises(ValueError, match=r"sizes \[1, 2\] do not sum to the length 6"):
        x.split([1, 2])


INDEX_KEYS = [
    2,
    -1,
    slice(1, None),
    slice(None, None, -2),
    (Ellipsis, 1),
    (None, slice(0, 3), Ellipsis),
    (1, None, slice(None, 2)),
    np.array([0, 2, 2, 0, 3]),  # repeated indices: gradients must add up
    (np.array([[1, 1], [0, 3]]), slice(None), np.array([0, 4])),
    (slice(None), [2, 2, 0]),
    (Ellipsis, np.array([4, 4, 4])),
]


@pytest.mark.parametrize("key", INDEX_KEYS, ids=repr)
def test_indexing_forward_and_gradient(key):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 3, 5))
    tx = tl.tensor(x, requires_grad=True)
    assert_close(tx[key], x[key], np.float64)
    assert_close(
        tl.tensor(x.astype(np.float32))[key], x.astype(np.float32)[key].astype(np.float64), np.float32
    )
    assert tl.autograd.gradcheck(lambda t: t[key], [tx])


def test_repeated_integer_indices_accumulate_gradient():
    x = tl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[tl.tensor([0, 0, 2, 0])].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]


def test_bool_mask_indexing_and_gradient():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 4))
    tx = tl.tensor(x, requires_grad=True)
    mask = tx > 0
    assert_close(tx[mask], x[x > 0], np.float64)
    tx[mask].sum().backward()
    np.testing.assert_array_equal(tx.grad.numpy(), (x > 0).astype(np.float64))
    row_mask = tl.tensor([True, False, True])
    assert_close(tx[row_mask, 1:], x[[0, 2], 1:], np.float64)
    assert tl.autograd.gradcheck(lambda t: t[row_mask] * t[mask].sum(), [tl.tensor(x, requires_grad=True)])


def test_indexing_with_a_tensor_scalar_and_out_of_range_errors():
    x = tl.arange(10).reshape(2, 5)
    assert x[tl.tensor(1), 2].item() == 7
    with pytest.raises(IndexError, match=r"shape \(2, 5\)"):
        x[2]
    with pytest.raises(IndexError, match=r"shape \(2, 5\)"):
        x[:, [0, 5]]


def test_setitem_and_inplace_fill_without_grad():
    x = tl.zeros(2, 3)
    x[0, 1:] = 5.0
    x[tl.tensor([False, True])] = tl.ones(3)
    assert x.tolist() == [[0.0, 5.0, 5.0], [1.0, 1.0, 1.0]]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda x: x.reshape(4, 4), r"cannot reshape a tensor of shape \(2, 3\) \(6 elements\) to \(4, 4\)"),
        (lambda x: x.view(-1, -1), r"shape \(2, 3\)"),
        (lambda x: x.permute(0, 0), r"\(0, 0\) is not a permutation of the 2 dimensions of shape \(2, 3\)"),
        (lambda x: x.transpose(0, 2), r"dim 2 is out of range for shape \(2, 3\)"),
        (lambda x: x.unsqueeze(3), r"dim 3 is out of range for shape \(2, 3\)"),
        (lambda x: x.expand(4, 3, 2), r"cannot expand shape \(2, 3\) to \(4, 3, 2\)"),
        (lambda x: x.flatten(2), r"dim 2 is out of range for shape \(2, 3\)"),
        (
            lambda x: tl.concat([x, tl.ones(3, 3)], dim=1),
            r"shapes \(2, 3\) and \(3, 3\) differ outside dimension 1",
        ),
        (lambda x: tl.stack([x, tl.ones(3, 2)]), r"\(2, 3\) and \(3, 2\)"),
    ],
)
def test_shape_errors_name_the_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call(tl.ones(2, 3))


def test_concat_promotes_like_pytorch():
    assert tl.concat([tl.tensor([1]), tl.tensor([2.0])]).dtype == tl.float32
    assert tl.stack([tl.tensor([1.0]), tl.tensor([2.0], dtype=tl.float64)]).dtype == tl.float64


def test_zero_dimensional_concat_and_split_errors():
    with pytest.raises(ValueError, match=r"zero-dimensional tensors \(shape \(\)\) cannot be concatenated"):
        tl.concat([tl.tensor(1.0), tl.tensor(2.0)])
    with pytest.raises(ValueError, match="cannot be split"):
        tl.tensor(1.0).split(1)
    assert tl.stack([tl.tensor(1.0), tl.tensor(2.0)]).tolist() == [1.0, 2.0]
