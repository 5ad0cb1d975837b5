"""The `_`-suffixed in-place family: values, alpha=, version bumps, the refusals autograd needs, and the
manual SGD idioms (p.data updates, `with no_grad(): p -= lr * p.grad`)."""

import numpy as np
import pytest

import tensorlite as tl


def test_arithmetic_in_place_with_alpha():
    x = tl.tensor([1.0, 2.0])
    assert x.add_(tl.tensor([1.0, 1.0]), alpha=2) is x and x.tolist() == [3.0, 4.0]
    x.sub_(1.0, alpha=3).mul_(2).div_(tl.tensor([1.0, 2.0]))
    assert x.tolist() == [0.0, 1.0] and x._version == 4
    x.fill_(5).clamp_(max=4.0)
    assert x.tolist() == [4.0, 4.0] and x._version == 6
    x.clamp_(min=4.5).zero_()
    assert x.tolist() == [0.0, 0.0]
    x.copy_(tl.tensor([7.0, 8.0]))
    assert x.tolist() == [7.0, 8.0]
    with pytest.raises(TypeError, match="cannot be stored in a tensor of dtype int64"):
        tl.tensor([1, 2]).clamp_(0.5)


def test_random_fills_follow_their_distributions_and_generators():
    x = tl.empty(20000, dtype=tl.float64)
    x.normal_(2.0, 0.5, generator=tl.Generator(0))
    assert abs(x.mean().item() - 2.0) < 5 * 0.5 / np.sqrt(20000) and abs(x.std().item() - 0.5) < 0.02
    x.uniform_(-1.0, 3.0, generator=tl.Generator(0))
    assert x.min().item() >= -1.0 and x.max().item() < 3.0 and abs(x.mean().item() - 1.0) < 0.05
    y = tl.empty(5).uniform_(**{"from": 2.0, "to": 2.5})
    assert all(2.0 <= v < 2.5 for v in y.tolist())
    a, b = tl.empty(4).normal_(generator=tl.Generator(1)), tl.empty(4).normal_(generator=tl.Generator(1))
    assert a.tolist() == b.tolist()
    with pytest.raises(TypeError, match="float32 or float64"):
        tl.zeros(2, dtype=tl.int64).normal_()
    with pytest.raises(ValueError, match="a <= b"):
        tl.empty(2).uniform_(1.0, 0.0)


@pytest.mark.parametrize(
    "write",
    [
        lambda t: t.add_(1.0),
        lambda t: t.clamp_(0.0, 1.0),
        lambda t: t.normal_(),
        lambda t: t.uniform_(),
        lambda t: t.masked_fill_(tl.tensor([True, False]), 0.0),
        lambda t: t.scatter_(0, tl.tensor([0]), 1.0),
        lambda t: t.scatter_add_(0, tl.tensor([0]), tl.ones(1)),
    ],
)
def test_in_place_on_a_leaf_requiring_grad_raises_and_changes_nothing(write):
    p = tl.tensor([0.5, 0.25], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        write(p)
    assert p.tolist() == [0.5, 0.25] and p._version == 0
    with tl.no_grad():
        write(p)
    assert p._version == 1


def test_in_place_change_of_a_saved_tensor_makes_backward_raise():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    y = (h * h).sum()
    h.detach().clamp_(max=1.5)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def test_an_operand_requiring_grad_is_refused_rather_than_dropped():
    x, w = tl.zeros(2), tl.ones(2, requires_grad=True)
    for write in (
        lambda: x.add_(w),
        lambda: x.copy_(w),
        lambda: x.masked_fill_(tl.tensor([True, True]), w[0]),
        lambda: x.__setitem__(slice(0, 2), w * 2),
        lambda: x.fill_(w[0]),
    ):
        with pytest.raises(RuntimeError, match="operand that requires grad"):
            write()
    assert x.tolist() == [0.0, 0.0]
    x.add_(w.detach())
    assert x.tolist() == [1.0, 1.0]
    with tl.no_grad():  # nothing to record there, as in PyTorch
        x[0:1] = w[0:1] * 3
    assert x.tolist() == [3.0, 1.0]


def test_manual_sgd_idioms_match_pytorch_updates():
    rng = np.random.default_rng(0)
    data, target = rng.standard_normal((16, 3)), rng.standard_normal((16, 1))
    start = rng.standard_normal((3, 1))
    results = []
    for step in ("data_add", "data_iadd", "no_grad_isub"):
        w = tl.tensor(start, requires_grad=True)
        for _ in range(5):
            loss = ((tl.tensor(data) @ w - tl.tensor(target)) ** 2).mean()
            loss.backward()
            if step == "data_add":
                w.data.add_(w.grad, alpha=-0.1)
            elif step == "data_iadd":
                w.data += -0.1 * w.grad
            else:
                with tl.no_grad():
                    w -= 0.1 * w.grad
            w.grad.zero_()
        assert w.is_leaf and w.requires_grad and isinstance(w.data, tl.Tensor)
        results.append(w.detach().numpy().copy())
    expected = start.copy()
    for _ in range(5):
        expected -= 0.1 * 2 * data.T @ (data @ expected - target) / 16
    for got in results:
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w -= 0.1  # outside no_grad, as in PyTorch
