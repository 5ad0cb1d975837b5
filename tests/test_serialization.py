"""tl.save / tl.load: exact round trips of nested state dicts, safetensors compatibility (NumPy and
PyTorch), atomic replacement under a killed writer, and clear errors for damaged files."""

import math
import os
import pathlib
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import safetensors.numpy
from hypothesis import given
from hypothesis import strategies as st

import tensorlite as tl

# ---------------------------------------------------------------- round trips


def _arrays(seed):
    rng = np.random.default_rng(seed)
    shape = tuple(int(n) for n in rng.integers(0, 4, size=rng.integers(0, 3)))
    kind = rng.integers(0, 4)
    if kind == 0:
        return tl.tensor(rng.standard_normal(shape).astype(np.float32))
    if kind == 1:
        return tl.tensor(rng.standard_normal(shape), dtype=tl.float64)
    if kind == 2:
        return np.asarray(rng.integers(-5, 5, size=shape))
    return np.asarray(rng.random(shape) < 0.5)


LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.integers(0, 2**32 - 1).map(_arrays),
)
KEYS = st.one_of(st.text(alphabet="abc_", min_size=1, max_size=3), st.integers(0, 50))
NESTED = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(KEYS, children, max_size=3),
    ),
    max_leaves=12,
)


def _assert_same(a, b, where="top level"):
    """Equal values of equal types (Tensors by dtype, shape and bits; floats bitwise, nan included)."""
    if not (isinstance(a, dict) and isinstance(b, dict)):  # an OrderedDict comes back as a dict
        assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, (tl.Tensor, np.ndarray)):
        x, y = np.asarray(a), np.asarray(b)
        assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes(), where
        assert y.flags.writeable
    elif isinstance(a, dict):
        assert list(a) == list(b), f"{where}: keys {list(a)} != {list(b)}"
        for key in a:
            _assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}.{i}")
    elif isinstance(a, float):
        assert (math.isnan(a) and math.isnan(b)) or a == b, f"{where}: {a!r} != {b!r}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _flat_names(obj, prefix=""):
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, (list, tuple)):
        items = enumerate(obj)
    else:
        return [prefix]
    return [n for k, v in items for n in _flat_names(v, f"{prefix}.{k}" if prefix else str(k))]


@given(obj=st.dictionaries(KEYS, NESTED, max_size=4))
def test_nested_objects_round_trip_exactly(obj, tmp_path_factory):
    path = tmp_path_factory.mktemp("rt") / "obj.safetensors"
    tensor_names = [
        n for n, leaf in zip(_flat_names(obj), _leaves(obj)) if isinstance(leaf, (tl.Tensor, np.ndarray))
    ]
    if len(set(tensor_names)) != len(tensor_names):  # e.g. {"0": t, 0: t}: the names collide
        with pytest.raises(ValueError, match="same name"):
            tl.save(obj, path)
        return
    tl.save(obj, path)
    _assert_same(obj, tl.load(path))
    assert sorted(safetensors.numpy.load_file(path)) == sorted(tensor_names)


def _leaves(obj):
    if isinstance(obj, dict):
        return [x for v in obj.values() for x in _leaves(v)]
    if isinstance(obj, (list, tuple)):
        return [x for v in obj for x in _leaves(v)]
    return [obj]


def _model():
    tl.manual_seed(0)
    return tl.nn.Sequential(tl.nn.Linear(4, 6), tl.nn.ReLU(), tl.nn.Linear(6, 2))


def test_model_and_optimizer_checkpoint(tmp_path):
    model = _model()
    optimizer = tl.optim.Adam(model.parameters(), lr=0.01, amsgrad=True)
    ((model(tl.randn(3, 4)) ** 2).sum()).backward()
    optimizer.step()
    checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 7}
    tl.save(checkpoint, str(tmp_path / "ck.safetensors"))  # a str path
    loaded = tl.load(tmp_path / "ck.safetensors")  # a PathLike
    _assert_same(checkpoint, loaded)
    assert list(loaded["optimizer"]["state"]) == [0, 1, 2, 3]
    assert loaded["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)


def test_model_state_dict_is_a_plain_safetensors_file(tmp_path):
    model = _model()
    tl.save(model.state_dict(), tmp_path / "m.safetensors")
    arrays = safetensors.numpy.load_file(tmp_path / "m.safetensors")
    assert sorted(arrays) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    for name, tensor in model.state_dict().items():
        np.testing.assert_array_equal(arrays[name], np.asarray(tensor))
    fresh = tl.nn.Sequential(tl.nn.Linear(4, 6), tl.nn.ReLU(), tl.nn.Linear(6, 2))
    fresh.load_state_dict(tl.load(tmp_path / "m.safetensors"))
    np.testing.assert_array_equal(np.asarray(fresh[2].weight), np.asarray(model[2].weight))


def test_a_tensorlite_model_loads_into_pytorch(tmp_path):
    torch = pytest.importorskip("torch")
    import safetensors.torch

    model = _model()
    tl.save(model.state_dict(), tmp_path / "m.safetensors")
    torch_model = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 2))
    torch_model.load_state_dict(safetensors.torch.load_file(tmp_path / "m.safetensors"))
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    expected = model(tl.tensor(x)).detach().numpy()
    np.testing.assert_allclose(
        torch_model(torch.from_numpy(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-6
    )


def test_any_safetensors_file_loads_as_a_dict_of_tensors(tmp_path):
    safetensors.numpy.save_file({"a": np.arange(3.0), "b.c": np.ones((2, 2), np.float32)}, tmp_path / "x")
    loaded = tl.load(tmp_path / "x")
    assert sorted(loaded) == ["a", "b.c"] and isinstance(loaded["a"], tl.Tensor)
    np.testing.assert_array_equal(np.asarray(loaded["a"]), np.arange(3.0))


def test_unsupported_values_raise(tmp_path):
    with pytest.raises(TypeError, match=r"cannot store the complex at obj\['a'\]\['b'\]: .*built-in type"):
        tl.save({"a": {"b": 1j}}, tmp_path / "x")
    with pytest.raises(TypeError, match=r"<lambda> at obj\[1.5\]: it is a lambda"):
        tl.save({1.5: lambda: 0}, tmp_path / "x")
    with pytest.raises(ValueError, match="same name 'a.b'"):
        tl.save({"a.b": tl.ones(1), "a": {"b": tl.ones(1)}}, tmp_path / "x")
    assert not os.listdir(tmp_path)  # a failed save writes nothing


def test_sets_and_other_dict_keys_are_stored_in_the_object_format(tmp_path):
    value = {"a": {"b": {1, 2}}, 1.5: frozenset({"x"}), (1, 2): [None]}
    tl.save(value, tmp_path / "x")
    assert tl.load(tmp_path / "x") == value  # no classes named: nothing to allow


def test_save_replaces_the_file_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "ck.safetensors"
    tl.save({"w": tl.ones(3)}, path)
    tl.save({"w": tl.zeros(2)}, path)
    assert os.listdir(tmp_path) == ["ck.safetensors"]
    np.testing.assert_array_equal(np.asarray(tl.load(path)["w"]), np.zeros(2, np.float32))


# ---------------------------------------------------------------- crashes and damaged files

WRITER = """
import os, sys, time
import numpy as np
import tensorlite as tl

def stall(*args):
    print("stalled", flush=True)
    time.sleep(600)

real_write = os.write
def half_write(fd, data):
    written = real_write(fd, bytes(memoryview(data)[: len(data) // 2]))
    stall()
    return written

if sys.argv[2] == "mid-write":
    os.write = half_write
else:
    os.fsync = stall
tl.save({"w": tl.tensor(np.full(100_000, 2.0))}, sys.argv[1])
"""


@pytest.mark.parametrize("moment", ["mid-write", "before-rename"])
def test_killed_writer_leaves_the_previous_checkpoint_intact(moment, tmp_path):
    path = tmp_path / "ck.safetensors"
    tl.save({"w": tl.tensor(np.full(100_000, 1.0)), "epoch": 1}, path)
    writer = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(WRITER), str(path), moment],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = writer.stdout.readline()
        assert line.strip() == "stalled", writer.stderr.read()
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        writer.kill()
        writer.wait()
        writer.stdout.close()
        writer.stderr.close()
    previous = tl.load(path)
    assert previous["epoch"] == 1 and np.all(np.asarray(previous["w"]) == 1.0)
    leftovers = [p for p in tmp_path.iterdir() if p.name != "ck.safetensors"]
    # the killed save's temporary file, named after the target and the dead writer's pid
    assert [p.name.startswith(f".ck.safetensors.tl-tmp-{writer.pid}-") for p in leftovers] == [True]
    if moment == "mid-write":
        with pytest.raises(ValueError, match=str(leftovers[0].name)):
            tl.load(leftovers[0])
    tl.save({"epoch": 2}, path)  # the next save of that path removes the dead writer's temporary
    assert os.listdir(tmp_path) == ["ck.safetensors"] and tl.load(path) == {"epoch": 2}


@pytest.fixture
def checkpoint_bytes(tmp_path):
    path = tmp_path / "ck.safetensors"
    tl.save({"w": tl.tensor(np.arange(1000, dtype=np.float32)), "meta": {"epoch": 3}}, path)
    return path, path.read_bytes()


@pytest.mark.parametrize("keep", [0, 5, 8, 50, -4000, -1])
def test_truncated_file_raises_naming_the_path(checkpoint_bytes, keep):
    path, data = checkpoint_bytes
    path.write_bytes(data[:keep])
    with pytest.raises(ValueError, match=f"{path.name}.*corrupted|cannot load .*{path.name}"):
        tl.load(path)


def test_flipped_data_byte_is_detected(checkpoint_bytes):
    path, data = checkpoint_bytes
    damaged = bytearray(data)
    damaged[-100] ^= 0x01
    path.write_bytes(bytes(damaged))
    with pytest.raises(ValueError, match=f"{path.name} is corrupted: its SHA-256"):
        tl.load(path)


def test_damaged_header_raises(checkpoint_bytes):
    path, data = checkpoint_bytes
    damaged = bytearray(data)
    damaged[12:20] = b"@#$%^&*!"
    path.write_bytes(bytes(damaged))
    with pytest.raises(ValueError, match=path.name):
        tl.load(path)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        tl.load(pathlib.Path(tmp_path) / "missing.safetensors")
