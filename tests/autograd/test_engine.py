"""The backward engine, grad modes, hooks and gradcheck itself."""

import numpy as np
import pytest

import tensorlite as tl
from tensorlite.autograd import Function, GradcheckError, gradcheck


def leaf(values, dtype=tl.float64):
    return tl.tensor(values, dtype=dtype, requires_grad=True)


def test_diamond_graph_accumulates_both_paths():
    x = leaf([1.0, 2.0])
    a, b = x * 3, x.exp()
    (a * b).sum().backward()  # d/dx (3x e^x) = 3 e^x (1 + x)
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.exp([1.0, 2.0]) * (1 + np.array([1.0, 2.0])))


def test_reused_tensor_and_repeated_operand():
    x = leaf(3.0)
    y = x * x + x * x * x  # 2x + 3x^2
    y.backward()
    assert x.grad.item() == pytest.approx(6 + 27)


def test_gradients_sum_over_broadcast_dimensions():
    w = leaf(np.ones((1, 3)))
    b = leaf(2.0)
    x = tl.tensor(np.arange(6.0).reshape(2, 3))
    (x * w + b).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[3.0, 5.0, 7.0]])
    assert b.grad.item() == 6.0 and b.grad.shape == ()


def test_leaf_gradients_accumulate_across_backward_calls():
    x = leaf([1.0, 2.0])
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5.0, 5.0]


def test_deep_chain_has_no_recursion_limit():  # 12,000 nodes each
    x = leaf(1.0)
    y = x
    for _ in range(6_000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad.item() == 1.0
    z = x
    for _ in range(12_000):
        z = z + 1.0
    del z  # dropping a deep unbackwarded graph must not overflow the C stack either


def test_no_grad_enable_grad_set_grad_enabled():
    x = leaf([1.0])
    with tl.no_grad():
        assert not tl.is_grad_enabled() and not (x * 2).requires_grad
        with tl.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    assert tl.is_grad_enabled()
    with tl.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert tl.is_grad_enabled()
    tl.set_grad_enabled(False)
    assert not tl.is_grad_enabled()
    tl.set_grad_enabled(True)
    assert (x * 2).requires_grad


def test_grad_modes_as_decorators():
    x = leaf([1.0])

    @tl.no_grad()
    def frozen():
        return x * 2

    @tl.no_grad
    def frozen_bare():
        return x * 2

    @tl.set_grad_enabled(False)
    def also_frozen():
        return x * 2

    @tl.enable_grad()
    def recorded():
        return x * 2

    assert tl.is_grad_enabled()
    assert not frozen().requires_grad and not frozen_bare().requires_grad and not also_frozen().requires_grad
    with tl.no_grad():
        assert recorded().requires_grad
    assert frozen.__name__ == "frozen"


def test_grad_mode_restored_after_exception():
    with pytest.raises(KeyError), tl.no_grad():
        raise KeyError("inside no_grad")
    assert tl.is_grad_enabled()


def test_retain_graph_and_second_backward_error():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*retain_graph=True"):
        y.backward()


def test_backward_needs_gradient_for_non_scalars():
    x = leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match=r"only for scalar outputs, got shape \(2,\)"):
        y.backward()
    y.backward(gradient=tl.tensor([1.0, 10.0]))
    assert x.grad.tolist() == [2.0, 20.0]
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\) but the tensor has shape \(2,\)"):
        (x * 2).backward(gradient=tl.ones(3))
    with pytest.raises(RuntimeError, match="does not require grad"):
        tl.ones(2).sum().backward()


def test_only_tensors_that_require_grad_get_gradients():
    x, c = leaf([1.0]), tl.tensor([2.0], dtype=tl.float64)
    (x * c).sum().backward()
    assert x.grad.tolist() == [2.0] and c.grad is None
    y = x * 2
    (y * 3).sum().backward()
    assert y.grad is None  # non-leaf gradients are not stored (use a hook)


def test_hooks_observe_and_replace_gradients():
    x = leaf([1.0, 2.0])
    y = x * 3
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()))
    handle = x.register_hook(lambda g: g * 10)
    y.sum().backward()
    assert seen == [[1.0, 1.0]] and x.grad.tolist() == [30.0, 30.0]
    handle.remove()
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    with pytest.raises(RuntimeError, match="does not require grad"):
        tl.ones(2).register_hook(print)
    x.register_hook(lambda g: tl.ones(3))
    with pytest.raises(
        ValueError, match=r"hook returned a gradient of shape \(3,\) for a tensor of shape \(2,\)"
    ):
        (x * 1).sum().backward()


def test_gradcheck_passes_and_catches_a_wrong_backward():
    x = leaf(np.random.default_rng(0).standard_normal((3, 2)))
    assert gradcheck(lambda t: (t.sin() * t).sum(dim=0), [x]) is True

    class WrongSquare(Function):
        def forward(self, x):
            self.x = x
            return x * x

        def backward(self, grad):
            return (grad * self.x,)  # should be 2 * x * grad

    with pytest.raises(GradcheckError, match=r"input 0 \(shape \(3, 2\)\) at index \(\d, \d\): analytic"):
        gradcheck(lambda t: WrongSquare.apply(t), [x])
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda t: t * 2, [leaf([1.0], dtype=tl.float32)])
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda t: t * 2, [tl.ones(2)])


def test_gradcheck_treats_nan_mismatch_as_failure():
    class NanGrad(Function):
        def forward(self, x):
            return x * 2

        def backward(self, grad):
            return (grad * np.nan,)

    with pytest.raises(GradcheckError, match="analytic nan"):
        gradcheck(lambda t: NanGrad.apply(t), [leaf([1.0, 2.0])])


def test_custom_function_with_keyword_parameters():
    class Scale(Function):
        def forward(self, x):
            return x * self.factor

        def backward(self, grad):
            return (grad * self.factor,)

    x = leaf([1.0, 2.0])
    Scale.apply(x, factor=4.0).sum().backward()
    assert x.grad.tolist() == [4.0, 4.0]
    assert gradcheck(lambda t: Scale.apply(t, factor=-2.0), [x])


def test_inplace_change_of_a_used_input_is_detected():
    w = leaf([1.0, 2.0])
    x = tl.tensor([3.0, 4.0], dtype=tl.float64)
    y = (w * x).sum()
    x += 1  # Mul saved x for w's gradient
    with pytest.raises(
        RuntimeError, match=r"Mul: input 1 \(shape \(2,\)\) was modified by an in-place operation"
    ):
        y.backward()
    z = (w * x).sum()
    z.backward()  # a fresh graph sees the new values
    assert w.grad.tolist() == [4.0, 5.0]
