"""ModuleList, ModuleDict (nn/container.py), Module.apply and Module.num_parameters."""

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn.functional as F


def test_module_list_registers_and_reorders():
    layers = tl.nn.ModuleList([tl.nn.Linear(2, 3), tl.nn.ReLU()])
    layers.append(tl.nn.Linear(3, 1))
    assert len(layers) == 3 and isinstance(layers[-1], tl.nn.Linear)
    assert [n for n, _ in layers.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    layers.insert(0, tl.nn.Identity())
    del layers[1]
    assert [type(m).__name__ for m in layers] == ["Identity", "ReLU", "Linear"]
    assert list(layers.state_dict()) == ["2.weight", "2.bias"]
    layers[0] = tl.nn.Tanh()
    assert isinstance(layers[0], tl.nn.Tanh) and len(layers[1:]) == 2
    layers += [tl.nn.Sigmoid()]
    assert len(layers) == 4
    with pytest.raises(IndexError, match="out of range"):
        layers[4]
    with pytest.raises(TypeError):
        layers.append("relu")


def test_module_dict_registers_by_name():
    heads = tl.nn.ModuleDict({"a": tl.nn.Linear(2, 2), "b": tl.nn.Linear(2, 1, bias=False)})
    heads["c"] = tl.nn.ReLU()
    assert list(heads) == ["a", "b", "c"] and "b" in heads and len(heads) == 3
    assert [n for n, _ in heads.named_parameters()] == ["a.weight", "a.bias", "b.weight"]
    assert heads.pop("a").out_features == 2 and list(heads.keys()) == ["b", "c"]
    del heads["c"]
    assert [k for k, _ in heads.items()] == ["b"]
    with pytest.raises(TypeError, match="keys must be strings"):
        heads[1] = tl.nn.ReLU()


def test_num_parameters_counts_each_shared_parameter_once():
    shared = tl.nn.Linear(4, 5)
    model = tl.nn.Sequential(shared, tl.nn.BatchNorm1d(5), tl.nn.Linear(5, 2))
    assert model.num_parameters() == (4 * 5 + 5) + (5 + 5) + (5 * 2 + 2)
    model[1].weight.requires_grad = False
    assert model.num_parameters(trainable_only=True) == model.num_parameters() - 5
    tied = tl.nn.ModuleList([shared, shared])
    assert tied.num_parameters() == 25


def test_apply_visits_children_before_parent():
    model = tl.nn.Sequential(tl.nn.Linear(2, 2), tl.nn.Sequential(tl.nn.ReLU()))
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "ReLU", "Sequential", "Sequential"]


def test_penalties_follow_their_formulas_and_skip_biases():
    model = tl.nn.Sequential(tl.nn.Linear(3, 2, dtype=tl.float64), tl.nn.Linear(2, 1, dtype=tl.float64))
    weights = [model[0].weight.detach().numpy(), model[1].weight.detach().numpy()]
    everything = [p.detach().numpy() for p in model.parameters()]
    assert F.l1_penalty(model, 0.1).item() == pytest.approx(0.1 * sum(np.abs(w).sum() for w in weights))
    assert F.l2_penalty(model.parameters(), 0.1).item() == pytest.approx(
        0.05 * sum((w**2).sum() for w in weights)
    )
    assert F.l2_penalty(model, 0.1, include_bias=True).item() == pytest.approx(
        0.05 * sum((w**2).sum() for w in everything)
    )
    F.l2_penalty(model, 0.1).backward()
    np.testing.assert_allclose(model[0].weight.grad.numpy(), 0.1 * weights[0])
    assert model[0].bias.grad is None
    assert F.l1_penalty([], 0.1).item() == 0
