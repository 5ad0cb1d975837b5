"""Module registration, traversal, modes, dtypes, state dicts, repr; Sequential, Linear, simple layers."""

import math

import numpy as np
import pytest

import tensorlite as tl
from tensorlite import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.scale = nn.Parameter(tl.ones(4))
        self.register_buffer("running", tl.zeros(4))
        self.register_buffer("scratch", tl.zeros(2), persistent=False)
        self.plain = tl.ones(1)  # a plain tensor attribute is not registered

    def forward(self, x):
        return self.act(self.fc(x)) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = nn.Linear(4, 2, bias=False)
        self.tied = self.head  # the same module twice: its parameters appear once

    def forward(self, x):
        return self.head(self.block(x))


def test_registration_and_dotted_names():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["block.scale", "block.fc.weight", "block.fc.bias", "head.weight"]
    assert len(list(net.parameters())) == 4
    assert [n for n, _ in net.named_buffers()] == ["block.running", "block.scratch"]
    assert [type(m).__name__ for m in net.children()] == ["Block", "Linear"]
    assert [n for n, _ in net.named_modules()] == ["", "block", "block.fc", "block.act", "head"]
    assert len(list(net.modules())) == 5
    assert [n for n, _ in net.block.named_parameters(recurse=False)] == ["scale"]
    assert "plain" not in dict(net.block.named_buffers())
    assert net.num_parameters() == 4 + 3 * 4 + 4 + 4 * 2


def test_shared_parameter_listed_once():
    a = nn.Linear(2, 2)
    b = nn.Linear(2, 2)
    b.weight = a.weight
    model = nn.Sequential(a, b)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "1.bias"]


def test_reassignment_and_deletion_update_registries():
    block = Block()
    block.scale = None
    assert "scale" not in dict(block.named_parameters())
    block.fc = nn.Identity()
    assert "fc.weight" not in dict(block.named_parameters())
    del block.act
    assert "act" not in dict(block.named_children())
    with pytest.raises(AttributeError, match="'Block' object has no attribute 'missing'"):
        _ = block.missing
    with pytest.raises(TypeError, match="must be a Tensor or None, got list"):
        block.register_buffer("bad", [1.0])


def test_train_eval_and_zero_grad():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net and not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net(tl.ones(5, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_to_float_double_convert_parameters_and_buffers_in_place():
    net = Net()
    weight = net.head.weight
    net.double()
    assert net.head.weight is weight and weight.dtype == tl.float64
    assert all(t.dtype == tl.float64 for t in list(net.parameters()) + list(net.buffers()))
    assert net(tl.ones(2, 3, dtype=tl.float64)).dtype == tl.float64
    assert net.to("float32") is net and weight.dtype == tl.float32
    net.float()
    with pytest.raises(TypeError, match="only float32/float64"):
        net.to(tl.int64)


def test_state_dict_round_trip_and_strict_checks():
    src, dst = Net(), Net()
    state = src.state_dict()
    assert list(state) == ["block.scale", "block.running", "block.fc.weight", "block.fc.bias", "head.weight"]
    missing, unexpected = dst.load_state_dict(state)
    assert missing == [] and unexpected == []
    for (name, p), (_, q) in zip(src.named_parameters(), dst.named_parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy(), err_msg=name)

    before = {k: v.numpy().copy() for k, v in dst.state_dict().items()}
    bad = dict(Net().state_dict())
    bad["head.weight"] = tl.zeros(3, 4)
    with pytest.raises(ValueError, match=r"head.weight: checkpoint shape \(3, 4\) != model shape \(2, 4\)"):
        dst.load_state_dict(bad)
    for key, value in dst.state_dict().items():  # nothing was modified by the failed load
        np.testing.assert_array_equal(value.numpy(), before[key], err_msg=key)

    partial = {k: v for k, v in state.items() if k != "head.weight"}
    partial["extra"] = tl.ones(1)
    with pytest.raises(ValueError, match=r"missing keys: \['head.weight'\].*unexpected keys: \['extra'\]"):
        dst.load_state_dict(partial)
    missing, unexpected = dst.load_state_dict(partial, strict=False)
    assert missing == ["head.weight"] and unexpected == ["extra"]


def test_state_dict_converts_dtype_on_load():
    model = nn.Linear(2, 2)
    state = {k: v.double() * 0 + 1 for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    assert model.weight.dtype == tl.float32 and model.weight.tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_repr_tree():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Tanh(), nn.Flatten()))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Tanh()\n"
        "    (1): Flatten(start_dim=1, end_dim=-1)\n"
        "  )\n"
        ")"
    )
    assert repr(nn.Parameter(tl.ones(1))) == "Parameter containing:\ntensor([1.], requires_grad=True)"


def test_sequential_container():
    layers = [nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3 and model[0] is layers[0] and model[-1] is layers[2]
    assert list(model) == layers and isinstance(model[1:], nn.Sequential) and len(model[1:]) == 2
    x = tl.randn(4, 2)
    np.testing.assert_allclose(model(x).detach().numpy(), layers[2](layers[1](layers[0](x))).detach().numpy())
    model.append(nn.Identity())
    assert len(model) == 4


@pytest.mark.parametrize("fan_in, fan_out", [(1, 1), (7, 3), (300, 20)])
def test_linear_default_init_bounds(fan_in, fan_out):
    tl.manual_seed(0)
    layer = nn.Linear(fan_in, fan_out)
    bound = 1 / math.sqrt(fan_in)
    for p in (layer.weight, layer.bias):
        assert p.requires_grad and p.dtype == tl.float32
        assert np.abs(p.detach().numpy()).max() <= bound
    assert layer.weight.shape == (fan_out, fan_in) and layer.bias.shape == (fan_out,)
    if fan_in * fan_out >= 6000:  # U(-b, b) has standard deviation b / sqrt(3)
        assert layer.weight.detach().numpy().std() == pytest.approx(bound / math.sqrt(3), rel=0.05)


def test_linear_forward_and_gradients():
    layer = nn.Linear(3, 2).double()
    x = tl.tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    np.testing.assert_allclose(
        layer(x).detach().numpy(),
        x.detach().numpy() @ layer.weight.detach().numpy().T + layer.bias.detach().numpy(),
    )
    assert tl.autograd.gradcheck(
        lambda x, w, b: tl.nn.functional.linear(x, w, b), [x, layer.weight, layer.bias]
    )
    assert nn.Linear(3, 2, bias=False).bias is None
    assert nn.Linear(0, 2)(tl.zeros(4, 0)).tolist() == [[0.0, 0.0]] * 4
    with pytest.raises(ValueError, match="in_features must be a non-negative int, got -1"):
        nn.Linear(-1, 2)


def test_activation_and_utility_layers():
    x = tl.tensor([[-1.0, 0.5], [2.0, -3.0]])
    np.testing.assert_array_equal(nn.ReLU()(x).numpy(), np.maximum(x.numpy(), 0))
    np.testing.assert_allclose(nn.Sigmoid()(x).numpy(), 1 / (1 + np.exp(-x.numpy())), rtol=1e-6)
    np.testing.assert_allclose(nn.Tanh()(x).numpy(), np.tanh(x.numpy()), rtol=1e-6)
    assert nn.Identity()(x) is x
    assert nn.Flatten()(tl.ones(2, 3, 4)).shape == (2, 12)
    assert nn.Flatten(0, 1)(tl.ones(2, 3, 4)).shape == (6, 4)
    assert nn.Softmax(dim=0)(x).sum(dim=0).tolist() == pytest.approx([1.0, 1.0])


def test_forward_hooks():
    layer = nn.ReLU()
    calls = []
    handle = layer.register_forward_hook(lambda m, inputs, out: calls.append(out.shape))
    layer(tl.ones(2))
    handle.remove()
    layer(tl.ones(3))
    assert calls == [(2,)]
    with layer.register_forward_hook(lambda m, inputs, out: out * 0):
        assert layer(tl.ones(2)).tolist() == [0.0, 0.0]
    assert layer(tl.ones(2)).tolist() == [1.0, 1.0]
