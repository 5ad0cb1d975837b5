"""Plain SGD and the Optimizer base it stands on."""

import numpy as np
import pytest

import tensorlite as tl


def test_sgd_step_is_w_minus_lr_g():
    w = tl.tensor([1.0, -2.0], requires_grad=True)
    b = tl.tensor([0.5], requires_grad=True)
    optimizer = tl.optim.SGD([w, b], lr=0.1)
    (w * tl.tensor([3.0, 4.0])).sum().backward()
    optimizer.step()
    np.testing.assert_allclose(w.detach().numpy(), [1.0 - 0.3, -2.0 - 0.4], rtol=1e-6)
    assert b.tolist() == [0.5]  # no gradient: untouched
    assert w.is_leaf and w.requires_grad


def test_sgd_minimizes_a_quadratic():
    target = np.array([1.0, -2.0, 3.0])
    w = tl.zeros(3, dtype=tl.float64, requires_grad=True)
    optimizer = tl.optim.SGD([w], lr=0.1)
    for _ in range(200):
        optimizer.zero_grad()
        ((w - tl.tensor(target)) ** 2).sum().backward()
        optimizer.step()
    np.testing.assert_allclose(w.detach().numpy(), target, atol=1e-8)


def test_param_groups_defaults_and_zero_grad():
    a, b = tl.ones(2, requires_grad=True), tl.ones(2, requires_grad=True)
    optimizer = tl.optim.SGD([{"params": [a]}, {"params": b, "lr": 1.0}], lr=0.5)
    assert [g["lr"] for g in optimizer.param_groups] == [0.5, 1.0] and optimizer.defaults["lr"] == 0.5
    (a.sum() + b.sum()).backward()
    optimizer.step()
    assert a.tolist() == [0.5, 0.5] and b.tolist() == [0.0, 0.0]
    optimizer.zero_grad(set_to_none=False)
    assert a.grad.tolist() == [0.0, 0.0]
    optimizer.zero_grad()
    assert a.grad is None and b.grad is None
    assert "lr: 0.5" in repr(optimizer)


def test_optimizer_argument_checks():
    w = tl.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="invalid learning rate -1"):
        tl.optim.SGD([w], lr=-1)
    with pytest.raises(ValueError, match="empty parameter list"):
        tl.optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="leaf"):
        tl.optim.SGD([w * 2], lr=0.1)
    with pytest.raises(TypeError, match="only optimize Tensors, got list"):
        tl.optim.SGD([[1.0]], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        tl.optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)


def test_sgd_trains_a_module():
    tl.manual_seed(0)
    x = tl.randn(64, 3)
    y = x @ tl.tensor([[1.0], [-2.0], [0.5]]) + 0.3
    model = tl.nn.Linear(3, 1)
    optimizer = tl.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(300):
        optimizer.zero_grad()
        tl.nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()
    np.testing.assert_allclose(model.weight.detach().numpy(), [[1.0, -2.0, 0.5]], atol=1e-4)
    np.testing.assert_allclose(model.bias.detach().numpy(), [0.3], atol=1e-4)
