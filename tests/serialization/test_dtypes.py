"""Stored dtypes that tensorlite lacks become tensorlite dtypes exactly on tl.load (F16/BF16 -> float32,
8-32-bit and in-range U64 integers -> int64, BOOL -> bool), or raise ValueError naming the dtype; NumPy
arrays saved by tl.save come back with their own dtype."""

import numpy as np
import pytest
import safetensors.numpy

import tensorlite as tl

INTEGERS = [np.int8, np.int16, np.int32, np.uint8, np.uint16, np.uint32, np.int64, np.uint64]


def _raw_file(path, dtype, shape, payload):
    """A safetensors file holding one tensor "t", written byte by byte."""
    header = f'{{"t":{{"dtype":"{dtype}","shape":{list(shape)},"data_offsets":[0,{len(payload)}]}}}}'.encode()
    header += b" " * (-len(header) % 8)
    path.write_bytes(len(header).to_bytes(8, "little") + header + payload)


@pytest.mark.parametrize("dtype", INTEGERS)
def test_integers_become_int64_exactly(tmp_path, dtype):
    info = np.iinfo(dtype)
    top = min(int(info.max), 2**63 - 1)
    values = np.array([[info.min, top], [0, 1], [7, info.min + 1]], dtype=dtype)
    safetensors.numpy.save_file({"t": values}, tmp_path / "x")
    loaded = tl.load(tmp_path / "x")["t"]
    assert isinstance(loaded, tl.Tensor) and loaded.dtype == tl.int64 and loaded.shape == (3, 2)
    assert np.asarray(loaded).tolist() == [[int(info.min), top], [0, 1], [7, int(info.min) + 1]]


def test_uint64_beyond_int64_raises_naming_tensor_and_dtype(tmp_path):
    safetensors.numpy.save_file({"big": np.array([1, 2**63], dtype=np.uint64)}, tmp_path / "x")
    with pytest.raises(ValueError, match=r"'big' \(U64\) holds 9223372036854775808"):
        tl.load(tmp_path / "x")


def test_float16_becomes_float32_exactly_for_every_bit_pattern(tmp_path):
    bits = np.arange(2**16, dtype=np.uint16)
    safetensors.numpy.save_file({"t": bits.view(np.float16).reshape(256, 256)}, tmp_path / "x")
    loaded = np.asarray(tl.load(tmp_path / "x")["t"])
    assert loaded.dtype == np.float32 and loaded.shape == (256, 256)
    expected = bits.view(np.float16).astype(np.float64).reshape(256, 256)  # float64 holds every half
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(loaded[finite], expected[finite])
    assert np.array_equal(np.isnan(loaded), np.isnan(expected))
    assert np.array_equal(np.isposinf(loaded), np.isposinf(expected))
    assert np.array_equal(np.signbit(loaded), np.signbit(expected))


@pytest.mark.parametrize(
    "bits, value",
    [(0x3F80, 1.0), (0xC000, -2.0), (0x4049, 3.140625), (0x7F80, np.inf), (0xFF80, -np.inf),
     (0x0001, 2.0**-133), (0x7F7F, 3.3895313892515355e38), (0x8000, -0.0)],
)  # fmt: skip
def test_bfloat16_known_values(tmp_path, bits, value):
    _raw_file(tmp_path / "x", "BF16", (1,), np.array([bits], dtype="<u2").tobytes())
    loaded = np.asarray(tl.load(tmp_path / "x")["t"])
    assert loaded.dtype == np.float32 and loaded[0] == value and np.signbit(loaded[0]) == np.signbit(value)


def test_bfloat16_matches_pytorch_for_every_bit_pattern(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    bits = torch.arange(2**16, dtype=torch.int32).to(torch.uint16).view(torch.bfloat16).reshape(2, -1)
    save_file({"t": bits}, tmp_path / "x")
    loaded = np.asarray(tl.load(tmp_path / "x")["t"])
    expected = bits.float().numpy()
    assert loaded.dtype == np.float32 and loaded.shape == (2, 2**15)
    assert loaded.view(np.uint32).tobytes() == expected.view(np.uint32).tobytes()  # nan payloads too


def test_bool_bytes_other_than_one_load_as_true(tmp_path):
    _raw_file(tmp_path / "x", "BOOL", (4,), bytes([0, 1, 2, 255]))
    loaded = tl.load(tmp_path / "x")["t"]
    assert loaded.dtype == tl.bool and np.asarray(loaded).tolist() == [False, True, True, True]


@pytest.mark.parametrize("dtype", ["F8_E4M3", "F8_E5M2", "C64", "F4", "X42"])
def test_unsupported_dtypes_raise_naming_the_dtype(tmp_path, dtype):
    _raw_file(tmp_path / "x", dtype, (2,), b"\0" * 8)
    with pytest.raises(ValueError, match=f"tensor 't' has dtype '{dtype}', which tensorlite cannot load"):
        tl.load(tmp_path / "x")


def test_a_float16_pytorch_model_loads_into_a_tensorlite_model(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    torch.manual_seed(0)
    torch_model = torch.nn.Linear(3, 2).half()
    save_file(torch_model.state_dict(), tmp_path / "m.safetensors")
    model = tl.nn.Linear(3, 2)
    model.load_state_dict(tl.load(tmp_path / "m.safetensors"))
    assert model.weight.dtype == tl.float32
    np.testing.assert_array_equal(np.asarray(model.weight), torch_model.weight.detach().float().numpy())


@pytest.mark.parametrize("dtype", [np.float16, np.int8, np.int32, np.uint16, np.uint64, ">f8", ">i4"])
def test_numpy_arrays_keep_their_dtype_through_save_and_load(tmp_path, dtype):
    values = np.array([[0, 1, 2], [3, 4, 5]], dtype=dtype)
    tl.save({"a": values, "nested": [values[:, ::2]]}, tmp_path / "x")
    loaded = tl.load(tmp_path / "x")
    native = np.dtype(dtype).newbyteorder("=")
    for got, want in [(loaded["a"], values), (loaded["nested"][0], values[:, ::2])]:
        assert type(got) is np.ndarray and got.dtype == native and got.flags.writeable
        assert got.tolist() == want.tolist()
