"""A leaf's first gradient is kept without a copy only when nothing else can reach its memory
(Tensor._accumulate_grad): a fresh array from a backward is adopted, anything shared is copied."""

import sys

import numpy as np

import tensorlite as tl
from tensorlite.autograd.function import Function


def data_address(array):
    return array.__array_interface__["data"][0]


class _FreshGradient(Function):
    """z = 2x whose backward returns a new array, viewed through a reshape (as the C++ kernels' outputs
    are); it records the array's address, not the array, so that it holds no reference."""

    def forward(self, x):
        return x * 2

    def backward(self, grad):
        fresh = (grad * 2).reshape(-1)
        self.address = data_address(fresh)
        return (fresh.reshape(grad.shape),)


class _KeepsGradient(Function):
    """z = 2x whose backward also keeps the gradient it returns."""

    def forward(self, x):
        return x * 2

    def backward(self, grad):
        self.kept = grad * 2
        return (self.kept,)


def test_fresh_gradient_is_adopted_without_a_copy():
    x = tl.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = _FreshGradient.apply(x)
    y.backward(tl.ones(2, 3))
    # Adopted where reference counts are exact (before Python 3.14, with the GIL), else copied.
    adopted = sys.modules["tensorlite.tensor"]._COUNTS_EVERY_REFERENCE
    assert (data_address(x.grad.numpy()) == y.grad_fn.address) == adopted
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 2.0))


def test_gradient_kept_by_the_function_is_copied():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = _KeepsGradient.apply(x)
    y.backward(tl.ones(2))
    x.grad.numpy()[...] = 7.0  # must not reach the function's array
    np.testing.assert_array_equal(y.grad_fn.kept, [2.0, 2.0])


def test_user_gradient_is_never_adopted():
    g = tl.tensor([1.0, 2.0, 3.0])
    x = tl.tensor([0.0, 0.0, 0.0], requires_grad=True)
    x.backward(g)  # a leaf root: its gradient is the user's tensor itself
    y = tl.tensor([0.0, 0.0, 0.0], requires_grad=True)
    y.reshape(3, 1).backward(g.reshape(3, 1))  # through a view of the user's gradient
    for leaf in (x, y):
        assert not np.shares_memory(leaf.grad.numpy(), g.numpy())
        leaf.grad.zero_()
    np.testing.assert_array_equal(g.numpy(), [1.0, 2.0, 3.0])


def test_one_gradient_shared_by_two_leaves_is_copied_for_one_of_them():
    a = tl.tensor([1.0, 2.0], requires_grad=True)
    b = tl.tensor([3.0, 4.0], requires_grad=True)
    (a + b).backward(tl.tensor([5.0, 6.0]))
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.zero_()
    np.testing.assert_array_equal(b.grad.numpy(), [5.0, 6.0])


def test_gradient_seen_by_a_hook_that_keeps_it_is_copied():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(seen.append)
    _FreshGradient.apply(x).backward(tl.ones(2))
    x.grad.zero_()
    np.testing.assert_array_equal(seen[0].numpy(), [2.0, 2.0])
