"""What a whole-object file may make tl.load do (serialization/_rebuild.py, _torch_api.py): with
weights_only True/None only allowlisted classes and globals (refused with PyTorch's UnpicklingError
text), the digest checked before any module is imported, a non-class or a name from another module
refused even with weights_only=False; and what tl.save refuses before writing a byte."""

import functools
import hashlib
import io
import os
import pickle
import sys
import textwrap

import pytest
import safetensors.numpy
from saved_objects import ALLOWED, Block, LanguageModel, Settings, find_nodes, reseal

import tensorlite as tl
import tensorlite.nn.functional as F
from tensorlite import nn
from tensorlite.serialization import _format


def _saved(obj):
    buffer = io.BytesIO()
    tl.save(obj, buffer)
    return buffer.getvalue()


def test_weights_only_load_refuses_a_class_until_it_is_allowed():
    data = _saved(Block(2))
    for weights_only in (None, True):
        with pytest.raises(pickle.UnpicklingError, match=r"Unsupported class: saved_objects\.Block") as info:
            tl.load(io.BytesIO(data), weights_only=weights_only)
        assert isinstance(info.value, ValueError)
        assert "add_safe_globals([saved_objects.Block])" in str(info.value)
        assert "weights_only=False" in str(info.value)
    with (
        tl.serialization.safe_globals([Block, nn.Linear]),
        pytest.raises(pickle.UnpicklingError, match=r"Unsupported global: tensorlite\.ops\.activation\.relu"),
    ):
        tl.load(io.BytesIO(data))
    with tl.serialization.safe_globals([Block, nn.Linear, F.relu]):
        assert type(tl.load(io.BytesIO(data))) is Block
    with pytest.raises(pickle.UnpicklingError, match="Block"):  # the context's scope has ended
        tl.load(io.BytesIO(data))


def test_add_safe_globals_and_the_name_pair_form_allow_for_later_loads():
    data = _saved(Block(2))
    tl.serialization.add_safe_globals([nn.Linear, (F.relu, "tensorlite.ops.activation.relu")])
    try:
        with tl.serialization.safe_globals([(Block, "saved_objects.Block")]):
            loaded = tl.load(io.BytesIO(data))
    finally:
        tl.serialization.clear_safe_globals()
    assert type(loaded) is Block and loaded.activation is F.relu
    with pytest.raises(pickle.UnpicklingError, match="Block"):
        tl.load(io.BytesIO(data))


def test_weights_only_false_imports_and_loads_any_named_class():
    loaded = tl.load(io.BytesIO(_saved({"m": LanguageModel(), "s": Settings(x=1)})), weights_only=False)
    assert type(loaded["m"]) is LanguageModel and loaded["s"].x == 1


class _Slotted:
    __slots__ = ("a",)


class _Reducing:
    def __reduce__(self):
        return (os.getcwd, ())


def _hook(module, args, output):
    return None


@pytest.mark.parametrize(
    ("value", "where", "why"),
    [
        (lambda x: x, "obj.rnn.act", "a lambda"),
        (functools.partial(max, 1), "obj.rnn.act", "defines __new__"),
        (Settings().__init__, "obj.rnn.act", "bound method"),
        (_Slotted(), "obj.rnn.act", "defines __slots__"),
        (_Reducing(), "obj.rnn.act", "defines __reduce__"),
        (io.StringIO(), "obj.rnn.act", "built-in type"),
        (tl.Generator(0), r"obj.rnn.act._rng", "built-in type"),
        (os, "obj.rnn.act", "built-in type module"),
    ],
)
def test_save_refuses_what_it_cannot_rebuild_naming_the_path(tmp_path, value, where, why):
    model = LanguageModel()
    model.rnn.act = value
    path = tmp_path / "model.pt"
    with pytest.raises(TypeError, match=rf"at {where}\b.*{why}"):
        tl.save(model, path)
    assert not path.exists() and os.listdir(tmp_path) == []  # nothing written, no temporary left


def test_save_refuses_a_hook_closure_and_keeps_the_old_file(tmp_path):
    path = tmp_path / "model.pt"
    tl.save({"epoch": 1}, path)
    model = LanguageModel()
    model.rnn.register_forward_hook(_hook)  # a module-level function is stored by reference
    assert _saved(model)
    key = next(iter(model.rnn._forward_hooks))
    model.rnn.register_forward_hook(lambda module, args, output: None)
    with pytest.raises(
        TypeError, match=rf"<lambda> at obj\.rnn\._forward_hooks\[{key + 1}\]: it is a lambda"
    ):
        tl.save(model, path)
    assert tl.load(path) == {"epoch": 1}


def test_a_local_class_is_refused_at_save():
    class Local(nn.Module):
        pass

    with pytest.raises(TypeError, match=r"the Local at obj\['m'\]: its class is not reachable"):
        _saved({"m": Local()})


def test_a_tampered_file_fails_its_digest_before_any_module_is_imported(tmp_path, monkeypatch):
    name = f"tl_probe_{os.getpid()}"
    marker = tmp_path / "imported"
    (tmp_path / f"{name}.py").write_text(
        textwrap.dedent(f"""
        open({str(marker)!r}, "a").close()  # records that this module was imported

        class Probe:
            pass
    """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    module = __import__(name)
    data = bytearray(_saved({"probe": module.Probe(), "w": tl.ones(3)}))
    del sys.modules[name]
    marker.unlink()
    data[-1] ^= 0x01  # a byte of the tensor data
    with pytest.raises(ValueError, match="corrupted"):
        tl.load(io.BytesIO(bytes(data)), weights_only=False)
    assert not marker.exists() and name not in sys.modules
    data[-1] ^= 0x01
    loaded = tl.load(io.BytesIO(bytes(data)), weights_only=False)  # the intact file imports it
    assert marker.exists() and type(loaded["probe"]).__module__ == name


def _set_first(kind, module, qualname):
    def edit(record):
        node = find_nodes(record, kind)[0]
        node["module"], node["qualname"] = module, qualname

    return edit


@pytest.mark.parametrize(
    ("kind", "module", "qualname", "match"),
    [
        ("object", "os", "system", "that name holds posix.system"),
        ("object", "posix", "system", "not a class"),
        ("global", "os", "system", "that name holds posix.system"),
        ("global", "os", "path", "which is a module"),
        ("global", "os", "environ", "which is a _Environ"),
        ("object", "collections", "OrderedDict", "built-in type OrderedDict"),
        ("object", "tensorlite.tensor", "Tensor", "Tensor subclass"),
        ("object", "os;import sys", "x", "not a module path"),
        ("object", "no_such_module_tl", "X", "cannot be imported"),
    ],
)
def test_a_resealed_file_naming_a_non_class_is_refused_even_without_weights_only(
    kind, module, qualname, match
):
    data = reseal(_saved(Block(2)), _set_first(kind, module, qualname))
    with pytest.raises(ValueError, match=match):
        tl.load(io.BytesIO(data), weights_only=False)
    with tl.serialization.safe_globals(ALLOWED), pytest.raises(pickle.UnpicklingError) as info:
        tl.load(io.BytesIO(data))
    assert f"Unsupported {'class' if kind == 'object' else 'global'}: {module}.{qualname} " in str(info.value)


def test_an_allowlisted_non_class_is_still_not_instantiated():
    data = reseal(_saved(Block(2)), _set_first("object", "posix", "system"))
    with tl.serialization.safe_globals([os.system]), pytest.raises(ValueError, match="not a class"):
        tl.load(io.BytesIO(data))


def test_malformed_records_raise_value_error():
    def forward_ref(record):
        record["root"]["state"].insert(0, ["early", {"type": "ref", "id": 99}])

    def bad_version(record):
        record["version"] = 2

    for edit, match in ((forward_ref, "before it is defined"), (bad_version, "version")):
        with tl.serialization.safe_globals(ALLOWED), pytest.raises(ValueError, match=match):
            tl.load(io.BytesIO(reseal(_saved(Block(2)), edit)))


def test_an_object_record_in_the_unsealed_older_format_is_refused(tmp_path):
    path = tmp_path / "old.safetensors"
    metadata, _, _ = _format.parse(_saved(Settings(x=1)))
    legacy = {"format": "np", "tensorlite.structure": metadata[_format.STRUCTURE_KEY]}
    legacy["tensorlite.sha256"] = hashlib.sha256().hexdigest()  # the old checksum of no tensors
    safetensors.numpy.save_file({}, path, metadata=legacy)
    with pytest.raises(ValueError, match="never held whole objects"):
        tl.load(path, allow_legacy=True, weights_only=False)
