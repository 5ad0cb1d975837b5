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


def test_large_kernel_gradient_on_a_block_is_adopted_without_a_copy():
    # dx of batch norm on (16, 16, 64, 64) float32 is 4 MiB: a C++ output on tensorlite's own block
    # (cpp/bindings/block_cache.h), whose base is the block's capsule rather than None.
    rng = np.random.default_rng(0)
    x = tl.tensor(rng.standard_normal((16, 16, 64, 64)).astype(np.float32), requires_grad=True)
    dy = rng.standard_normal((16, 16, 64, 64)).astype(np.float32)
    tl.nn.functional.batch_norm(x, None, None, training=True).backward(tl.tensor(dy))
    grad = x.grad.numpy()
    owner = grad.base if grad.base is not None and grad.base.base is not None else grad
    adopted = sys.modules["tensorlite.tensor"]._COUNTS_EVERY_REFERENCE
    assert tl._C.is_block_owner(owner.base) == adopted
    xn = x.detach().numpy().astype(np.float64)
    xhat = (xn - xn.mean((0, 2, 3), keepdims=True)) / np.sqrt(xn.var((0, 2, 3), keepdims=True) + 1e-5)
    m = xn.size // 16
    ref = m * dy - dy.sum((0, 2, 3), keepdims=True) - xhat * (dy * xhat).sum((0, 2, 3), keepdims=True)
    ref /= m * np.sqrt(xn.var((0, 2, 3), keepdims=True) + 1e-5)
    np.testing.assert_allclose(grad, ref, rtol=1e-3, atol=1e-5)


class _KeepsLargeKernelGradient(Function):
    """z = relu(x) whose backward returns the C++ kernel's output (a block) and keeps a view of it."""

    def forward(self, x):
        self.saved = x
        return tl._C.activation_forward(x, "relu")

    def backward(self, grad):
        dx = tl._C.activation_backward(self.saved, grad, "relu")
        self.kept = dx[:1]
        return (dx,)


def test_large_kernel_gradient_kept_by_a_view_is_copied():
    data = np.linspace(-1.0, 1.0, 1 << 20).astype(np.float32)  # 4 MiB: a block
    x = tl.tensor(data, requires_grad=True)
    y = _KeepsLargeKernelGradient.apply(x)
    y.backward(tl.ones(1 << 20))
    assert not np.shares_memory(x.grad.numpy(), y.grad_fn.kept)
    np.testing.assert_array_equal(x.grad.numpy(), (data > 0).astype(np.float32))


class _LargeKernelGradient(Function):
    """z = relu(x) whose backward returns the C++ kernel's output itself (its base is the block's capsule,
    not an array), recording only its address."""

    def forward(self, x):
        self.saved = x
        return tl._C.activation_forward(x, "relu")

    def backward(self, grad):
        dx = tl._C.activation_backward(self.saved, grad, "relu")
        assert tl._C.is_block_owner(dx.base)
        self.address = data_address(dx)
        return (dx,)


def test_large_kernel_output_itself_is_adopted_without_a_copy():
    data = np.linspace(-1.0, 1.0, 1 << 20).astype(np.float32)  # 4 MiB: a block
    x = tl.tensor(data, requires_grad=True)
    y = _LargeKernelGradient.apply(x)
    y.backward(tl.ones(1 << 20))
    adopted = sys.modules["tensorlite.tensor"]._COUNTS_EVERY_REFERENCE
    assert (data_address(x.grad.numpy()) == y.grad_fn.address) == adopted
    np.testing.assert_array_equal(x.grad.numpy(), (data > 0).astype(np.float32))
