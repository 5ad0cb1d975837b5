"""tl.save / tl.load with file objects, PyTorch's load keywords (map_location, weights_only),
and torch.serialization.safe_globals on state-dict files (serialization/)."""

import io

import numpy as np
import pytest

import tensorlite as tl
from tensorlite import nn


def _state():
    return {"w": tl.arange(6.0).reshape(2, 3), "step": 3, "arr": np.arange(4, dtype=np.int64), "names": ["a"]}


def _check(loaded):
    np.testing.assert_array_equal(loaded["w"].numpy(), np.arange(6.0).reshape(2, 3))
    assert isinstance(loaded["w"], tl.Tensor) and loaded["step"] == 3 and loaded["names"] == ["a"]
    assert isinstance(loaded["arr"], np.ndarray) and loaded["arr"].tolist() == [0, 1, 2, 3]


def test_bytesio_round_trip_and_same_bytes_as_a_path(tmp_path):
    buffer = io.BytesIO()
    tl.save(_state(), buffer)
    tl.save(_state(), tmp_path / "s.pt")
    assert buffer.getvalue() == (tmp_path / "s.pt").read_bytes()
    buffer.seek(0)
    _check(tl.load(buffer))


def test_open_file_handles_as_pytorch_scripts_use_them(tmp_path):
    path = tmp_path / "model.pt"
    model = nn.Linear(3, 2)
    with open(path, "wb") as f:
        tl.save(model.state_dict(), f)
    with open(path, "rb") as f:
        state = tl.load(f, map_location="cpu", weights_only=True)
    copy = nn.Linear(3, 2)
    copy.load_state_dict(state)
    np.testing.assert_array_equal(copy.weight.detach().numpy(), model.weight.detach().numpy())
    # time_sequence_prediction: an ndarray saved to an unclosed handle, loaded by path
    data = np.sin(np.arange(12.0)).reshape(3, 4)
    handle = open(tmp_path / "traindata.pt", "wb")  # noqa: SIM115 (the script's own idiom)
    tl.save(data, handle)
    handle.close()
    np.testing.assert_array_equal(tl.load(tmp_path / "traindata.pt"), data)


def test_load_reads_from_the_current_position():
    buffer = io.BytesIO(b"header")
    buffer.seek(0, io.SEEK_END)
    tl.save({"x": tl.ones(2)}, buffer)
    buffer.seek(len(b"header"))
    assert tl.load(buffer)["x"].tolist() == [1.0, 1.0]


def test_corruption_through_a_file_object_is_detected():
    buffer = io.BytesIO()
    tl.save({"x": tl.ones(3)}, buffer)
    data = bytearray(buffer.getvalue())
    data[-1] ^= 0xFF
    with pytest.raises(ValueError, match="corrupted"):
        tl.load(io.BytesIO(bytes(data)))


def test_text_mode_file_is_refused(tmp_path):
    path = tmp_path / "s.pt"
    tl.save({"x": tl.ones(1)}, path)
    with open(path, encoding="latin-1") as f, pytest.raises(TypeError, match="binary mode"):
        tl.load(f)


@pytest.mark.parametrize("where", [None, "cpu", "cpu:0", tl.device("cpu"), {"cuda:0": "cpu"}])
def test_map_location_to_the_cpu_is_accepted(where):
    buffer = io.BytesIO()
    tl.save({"x": tl.ones(1)}, buffer)
    buffer.seek(0)
    assert tl.load(buffer, where, weights_only=False)["x"].tolist() == [1.0]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"map_location": "cuda"}, RuntimeError, "built without CUDA"),
        ({"map_location": {"cpu": "cuda:0"}}, RuntimeError, "built without CUDA"),
        ({"map_location": lambda storage, loc: storage}, TypeError, "as a function is not supported"),
        ({"weights_only": "yes"}, TypeError, "weights_only must be a bool"),
    ],
)
def test_bad_load_options(kwargs, error, match):
    with pytest.raises(error, match=match):
        tl.load(io.BytesIO(b""), **kwargs)


def test_safe_globals_are_accepted_and_state_dict_files_need_none():
    buffer = io.BytesIO()
    tl.save({"x": tl.ones(1)}, buffer)
    buffer.seek(0)
    with tl.serialization.safe_globals([nn.Linear, nn.modules.rnn.LSTM]) as ctx:
        assert tl.load(buffer)["x"].tolist() == [1.0]
    assert ctx.safe_globals == [nn.Linear, nn.modules.rnn.LSTM]
    tl.serialization.add_safe_globals([nn.GRU])
    tl.serialization.add_safe_globals([nn.GRU])
    try:
        assert tl.serialization.get_safe_globals() == [nn.GRU]  # once, as PyTorch's set of them
        with tl.serialization.safe_globals([nn.Linear, nn.GRU]):  # the active context's entries count
            assert tl.serialization.get_safe_globals() == [nn.GRU, nn.Linear]
        assert tl.serialization.get_safe_globals() == [nn.GRU]
    finally:
        tl.serialization.clear_safe_globals()
    assert tl.serialization.get_safe_globals() == []
    with pytest.raises(TypeError, match="expected a list"):
        tl.serialization.safe_globals(nn.Linear)
