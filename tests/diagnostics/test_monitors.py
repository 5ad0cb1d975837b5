"""ActivationMonitor, GradientMonitor and dead_units on constructed networks."""

import numpy as np
import pytest
from diagnostics.nets import deep_mlp

import tensorlite as tl
from tensorlite import nn
from tensorlite.diagnostics import ActivationMonitor, GradientMonitor, activation_stats, dead_units


def test_activation_stats_match_numpy():
    model = deep_mlp(nn.Tanh, 0.1, depth=2, width=7, in_features=3)
    x1, x2 = tl.randn(10, 3), tl.randn(6, 3)
    with ActivationMonitor(model, bins=4) as monitor:
        model(x1)
        model(x2)
    stats = monitor.stats()
    assert list(stats) == ["1", "3"]
    outputs = np.concatenate([model[:2](x1).detach().numpy(), model[:2](x2).detach().numpy()]).astype(
        np.float64
    )
    s = stats["1"]
    assert s.kind == "Tanh" and s.count == outputs.size
    assert s.mean == pytest.approx(outputs.mean(), rel=1e-5)
    assert s.std == pytest.approx(outputs.std(), rel=1e-4)
    np.testing.assert_array_equal(s.bin_edges, [-1, -0.5, 0, 0.5, 1])
    np.testing.assert_array_equal(s.hist, np.histogram(outputs, bins=s.bin_edges)[0])
    assert s.saturated == pytest.approx(np.mean(np.abs(outputs) > 0.99))
    assert s.zero_fraction is None


def test_sigmoid_with_std_1_is_saturated_and_xavier_is_not():
    x = tl.randn(1000, 100)
    model = deep_mlp(nn.Sigmoid, 1.0)
    with ActivationMonitor(model) as monitor:
        model(x)
    assert all(s.saturated > 0.4 for s in monitor.stats().values())
    model = deep_mlp(nn.Sigmoid, np.sqrt(2 / 200))
    with ActivationMonitor(model) as monitor:
        model(x)
    assert all(s.saturated < 0.01 for s in monitor.stats().values())


def test_relu_zero_fraction_and_layer_selection():
    model = deep_mlp(nn.ReLU, 0.1, depth=2, width=8, in_features=4, bias=-10.0)
    with ActivationMonitor(model, layers=["3", model[0]]) as monitor:
        model(tl.randn(5, 4))
    stats = monitor.stats()
    assert set(stats) == {"3", "0"}
    assert stats["3"].zero_fraction == 1.0 and stats["0"].zero_fraction is None
    with pytest.raises(ValueError, match="no sub-module named 'nope'"):
        ActivationMonitor(model, layers=["nope"])


def test_monitor_reset_and_remove():
    model = deep_mlp(nn.ReLU, 0.1, depth=1, width=3, in_features=2)
    monitor = ActivationMonitor(model)
    model(tl.randn(4, 2))
    monitor.reset()
    assert monitor.stats()["1"].count == 0
    monitor.remove()
    model(tl.randn(4, 2))
    assert monitor.stats()["1"].count == 0


def test_dead_units_bias_minus_10_is_fully_dead():
    model = deep_mlp(nn.ReLU, 0.1, depth=2, width=16, in_features=8, bias=-10.0)
    loader = [(tl.randn(32, 8), tl.zeros(32)) for _ in range(3)]
    dead = dead_units(model, loader)
    assert set(dead) == {"1", "3"}
    assert dead["1"].shape == (16,) and dead["1"].all() and dead["3"].all()
    assert model.training


def test_dead_units_counts_only_units_never_active():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    with tl.no_grad():
        model[0].weight.data[...] = [[1, 0], [0, 0], [-1, 0]]
        model[0].bias.data[...] = [0, -1, 0]
    dead = dead_units(model, [tl.tensor([[1.0, 0.0]]), tl.tensor([[2.0, 5.0]])])
    np.testing.assert_array_equal(dead["1"], [False, True, True])


def test_gradient_monitor_norms_updates_and_ratio():
    model = deep_mlp(nn.ReLU, 0.1, depth=2, width=4, in_features=3, bias=0.1)
    monitor = GradientMonitor(model)
    before = {n: p.detach().numpy().copy() for n, p in model.named_parameters()}
    model(tl.randn(5, 3)).sum().backward()
    optimizer = tl.optim.SGD(model.parameters(), lr=0.1)
    optimizer.step()
    record = monitor.step()
    for name, p in model.named_parameters():
        assert record.grad_norms[name] == pytest.approx(np.linalg.norm(p.grad.numpy()), rel=1e-6)
        expected = np.linalg.norm(p.detach().numpy() - before[name]) / np.linalg.norm(before[name])
        assert record.update_ratios[name] == pytest.approx(expected, rel=1e-5)
    assert (monitor.first, monitor.last) == ("0.weight", "2.weight")
    assert record.first_last_ratio == pytest.approx(
        record.grad_norms["0.weight"] / record.grad_norms["2.weight"]
    )
    assert monitor.history == [record]


def test_gradient_monitor_flags_vanishing_sigmoid_gradients():
    model = deep_mlp(nn.Sigmoid, 0.01, depth=5, width=50, in_features=50)
    model(tl.randn(64, 50)).sum().backward()
    record = GradientMonitor(model).step()
    assert record.first_last_ratio < 1e-3 and record.flag == "vanishing"
    model = deep_mlp(nn.ReLU, np.sqrt(2 / 50), depth=5, width=50, in_features=50)
    model(tl.randn(64, 50)).sum().backward()
    assert GradientMonitor(model).step().flag is None


def test_activation_stats_of_one_array():
    s = activation_stats(np.array([[0.005, 0.5], [0.995, 0.2]]), "Sigmoid", bins=2)
    assert s.saturated == 0.5 and s.zero_fraction is None
    np.testing.assert_array_equal(s.hist, [2, 2])
    relu = activation_stats(np.array([0.0, 0.0, 1.0, 7.0]), "ReLU", bins=5)
    assert relu.zero_fraction == 0.5 and relu.hist.tolist() == [2, 1, 0, 0, 1], "7 is counted in the last bin"
