"""Whole objects through tl.save / tl.load (serialization/_objects.py, _rebuild.py): a user's Module
subclass comes back with equal outputs, shared objects and tied weights keep their identity, and the
loaded model trains on; optimizers saved with it continue identically; state dicts keep today's format."""

import io
import json
import math

import numpy as np
import pytest
import safetensors.numpy
from saved_objects import ALLOWED, Block, LanguageModel, Settings

import tensorlite as tl
import tensorlite.nn.functional as F
from tensorlite import nn
from tensorlite.serialization import _format


def _round_trip(obj, **load_kwargs):
    buffer = io.BytesIO()
    tl.save(obj, buffer)
    buffer.seek(0)
    with tl.serialization.safe_globals(ALLOWED):
        return tl.load(buffer, **load_kwargs)


def _tokens(seed=0):
    return tl.tensor(np.random.default_rng(seed).integers(0, 11, size=(5, 3)))


def test_user_module_round_trip_gives_equal_outputs_and_keeps_structure():
    tl.manual_seed(0)
    model = LanguageModel().eval()
    copy = _round_trip(model)
    assert type(copy) is LanguageModel and copy is not model
    np.testing.assert_array_equal(copy(_tokens()).numpy(), model(_tokens()).numpy())
    assert copy.decoder.weight is copy.encoder.weight  # tied weights stay one Parameter
    assert copy.blocks[0] is copy.blocks[2] and copy.blocks[1] is not copy.blocks[0]
    assert type(copy.blocks) is nn.ModuleList and type(copy.head) is nn.Sequential
    assert list(copy.state_dict()) == list(model.state_dict())
    for (name, p), q in zip(model.named_parameters(), copy.parameters()):
        assert type(q) is nn.Parameter and q.requires_grad == p.requires_grad, name
        np.testing.assert_array_equal(q.detach().numpy(), p.detach().numpy())
    assert copy.frozen.requires_grad is False and copy.calls.dtype == tl.int64
    assert copy.blocks[1].activation is F.relu and copy.compute_dtype == tl.float32
    assert copy.where == tl.device("cpu") and type(copy.where) is tl.device
    assert (copy.note, copy.ratio, copy.rnn_type, copy.training) == ("lm", 0.25, "LSTM", False)
    assert copy.extra["sizes"] == (11, 6) and copy.extra[3] is None and math.isnan(copy.extra["nan"])
    assert copy.extra["tags"] == {"a", "b"} and list(copy.extra) == ["sizes", 3, "nan", "tags"]
    assert type(copy.settings) is Settings and copy.settings.__dict__ == {"clip": 0.5, "layers": [1, 2]}
    assert copy._forward_hooks == {} and copy._backward_hooks == {}


@pytest.mark.parametrize("rnn_type", ["LSTM", "GRU", "RNN_TANH"])
def test_loaded_model_trains_on_like_the_original(rnn_type):
    tl.manual_seed(1)
    model = LanguageModel(rnn_type)
    copy = _round_trip(model)
    copy.rnn.flatten_parameters()
    losses = []
    for net in (model, copy):
        optimizer = tl.optim.SGD(net.parameters(), lr=0.5)
        for step in range(2):
            optimizer.zero_grad()
            loss = F.cross_entropy(net(_tokens(step)).reshape(-1, 11), _tokens(step + 7).reshape(-1))
            loss.backward()
            optimizer.step()
        losses.append(loss.item())
    assert losses[0] == losses[1]
    for p, q in zip(model.parameters(), copy.parameters()):
        np.testing.assert_array_equal(q.detach().numpy(), p.detach().numpy())
    assert copy.decoder.weight is copy.encoder.weight  # the update went through the tie
    copy.to(tl.float64)
    assert copy.encoder.weight.dtype == tl.float64 and copy.calls.dtype == tl.int64


def test_hooks_on_a_loaded_module_run():
    copy = _round_trip(LanguageModel().eval())
    seen = []
    handle = copy.head.register_forward_hook(lambda module, args, out: seen.append(out.shape))
    copy(_tokens())
    handle.remove()
    assert seen == [(5, 3, 6)] and copy.head._forward_hooks == {}


def test_optimizer_saved_with_its_model_continues_identically():
    tl.manual_seed(2)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    optimizer = tl.optim.Adam(model.parameters(), lr=0.01)
    x = tl.randn(8, 3)
    for _ in range(2):
        optimizer.zero_grad()
        model(x).pow(2).mean().backward()
        optimizer.step()
    loaded = _round_trip({"model": model, "optimizer": optimizer}, weights_only=False)
    copy, copy_opt = loaded["model"], loaded["optimizer"]
    assert type(copy_opt) is tl.optim.Adam
    assert copy_opt.param_groups[0]["params"][0] is copy[0].weight  # shared with the saved model
    for net, opt in ((model, optimizer), (copy, copy_opt)):
        opt.zero_grad()
        net(x).pow(2).mean().backward()
        opt.step()
    for p, q in zip(model.parameters(), copy.parameters()):
        np.testing.assert_array_equal(q.detach().numpy(), p.detach().numpy())


def test_cycles_shared_containers_and_plain_objects_keep_identity():
    shared = [1, 2]
    settings = Settings(
        a=shared, b=shared, size=tl.Size([2, 3]), ordered=tl.nn.Sequential().__dict__["_modules"]
    )
    settings.me = [settings]
    copy = _round_trip({"s": settings, "again": settings, "t": (settings,)})
    s = copy["s"]
    assert copy["again"] is s and copy["t"][0] is s and s.me[0] is s and s.a is s.b and s.a == [1, 2]
    assert type(s.size) is tl.Size and s.size == (2, 3) and type(s.ordered).__name__ == "OrderedDict"


def test_tensor_names_are_the_state_dict_names_and_safetensors_reads_them():
    model = LanguageModel()
    buffer = io.BytesIO()
    tl.save(model, buffer)
    stored = safetensors.numpy.load(buffer.getvalue())
    assert set(stored) == set(model.state_dict()) - {"decoder.weight"}  # the tie is stored once
    np.testing.assert_array_equal(stored["encoder.weight"], model.encoder.weight.detach().numpy())


def test_state_dict_files_keep_the_plain_format():
    model = Block(3)
    buffer = io.BytesIO()
    tl.save({"model": model.state_dict(), "epoch": 2}, buffer)
    metadata, entries, _ = _format.parse(buffer.getvalue())
    record = json.loads(metadata[_format.STRUCTURE_KEY])
    assert record["type"] == "dict" and [item[0] for item in record["items"]] == ["model", "epoch"]
    assert set(entries) == {"model.fc.weight", "model.fc.bias"} and "objects" not in json.dumps(record)
    buffer.seek(0)
    loaded = tl.load(buffer)  # weights-only, nothing to allow
    assert type(loaded["model"]) is dict and loaded["epoch"] == 2


def test_tensor_names_that_collide_or_are_not_unicode_are_made_unique():
    settings = Settings(a={"b": tl.ones(1)}, c=tl.zeros(2))
    settings.__dict__["a.b"] = tl.full((1,), 2.0)
    settings.__dict__["\ud800"] = tl.full((1,), 3.0)  # a lone surrogate: no valid safetensors name
    settings.__dict__["__metadata__"] = tl.full((1,), 4.0)
    buffer = io.BytesIO()
    tl.save(settings, buffer)
    assert set(safetensors.numpy.load(buffer.getvalue())) == {"a.b", "a.b#2", "c", "tensor", "__metadata__#2"}
    buffer.seek(0)
    copy = tl.load(buffer, weights_only=False)
    values = [
        copy.a["b"],
        copy.c,
        copy.__dict__["a.b"],
        copy.__dict__["\ud800"],
        copy.__dict__["__metadata__"],
    ]
    assert [v.tolist() for v in values] == [[1.0], [0.0, 0.0], [2.0], [3.0], [4.0]]


def test_a_non_string_attribute_name_is_refused():
    settings = Settings()
    settings.__dict__[1] = 2
    with pytest.raises(TypeError, match="its __dict__ has a key of type int"):
        tl.save(settings, io.BytesIO())
