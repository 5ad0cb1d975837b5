"""Module.register_full_backward_hook: grad_input/grad_output values, removal, replacement."""

import numpy as np
import pytest

import tensorlite as tl
from tensorlite import nn


def _mlp():
    tl.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


def test_hook_receives_grads_of_input_and_output():
    model = _mlp()
    seen = []
    model[2].register_full_backward_hook(
        lambda m, gi, go: seen.append((gi[0].numpy().copy(), go[0].numpy().copy()))
    )
    x = tl.randn(5, 3)
    out = model(x)
    cotangent = np.arange(10, dtype=np.float32).reshape(5, 2)
    out.backward(tl.tensor(cotangent))
    ((grad_input, grad_output),) = seen
    np.testing.assert_allclose(grad_output, cotangent)
    np.testing.assert_allclose(grad_input, cotangent @ model[2].weight.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_relu_grad_input_is_masked_grad_output():
    model = _mlp()
    seen = []
    model[1].register_full_backward_hook(lambda m, gi, go: seen.append((m, gi[0].numpy(), go[0].numpy())))
    x = tl.randn(6, 3)
    model(x).sum().backward()
    module, grad_input, grad_output = seen[0]
    assert module is model[1]
    np.testing.assert_array_equal(grad_input, grad_output * (model[0](x).detach().numpy() > 0))


def test_input_without_grad_gives_none_and_hook_still_fires():
    model = _mlp()
    seen = []
    model[0].register_full_backward_hook(lambda m, gi, go: seen.append((gi, go[0].shape)))
    model(tl.randn(2, 3)).sum().backward()
    assert seen == [((None,), (2, 4))]


def test_returned_grad_input_replaces_the_gradient():
    model = _mlp()
    model[2].register_full_backward_hook(lambda m, gi, go: (gi[0] * 0,))
    model(tl.randn(4, 3)).sum().backward()
    assert np.all(model[0].weight.grad.numpy() == 0)
    assert np.any(model[2].weight.grad.numpy() != 0)


def test_removed_hook_no_longer_fires():
    model = _mlp()
    calls = []
    handle = model[1].register_full_backward_hook(lambda m, gi, go: calls.append(1))
    model(tl.randn(2, 3)).sum().backward()
    handle.remove()
    model(tl.randn(2, 3)).sum().backward()
    assert calls == [1]


def test_gradients_are_unchanged_by_a_hook():
    model = _mlp()
    x = tl.randn(3, 3)
    model(x).sum().backward()
    expected = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    model[1].register_full_backward_hook(lambda m, gi, go: None)
    model(x).sum().backward()
    for p, e in zip(model.parameters(), expected):
        np.testing.assert_array_equal(p.grad.numpy(), e)


def test_no_hook_under_no_grad_and_tuple_output_rejected():
    class Pair(nn.Module):
        def forward(self, x):
            return x, x

    pair = Pair()
    pair.register_full_backward_hook(lambda m, gi, go: None)
    with tl.no_grad():
        pair(tl.randn(2))
    with pytest.raises(TypeError, match="returned a tuple"):
        pair(tl.randn(2, requires_grad=True))
