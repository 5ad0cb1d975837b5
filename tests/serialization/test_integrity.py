"""tl.load verifies every byte of a tl.save file: single-byte flips anywhere raise ValueError naming the
path; names and values that a file cannot round-trip are refused before anything is written; files of
the previous format are refused unless asked for; the files stay readable by safetensors and PyTorch."""

import hashlib
import json
import os

import numpy as np
import pytest
import safetensors
import safetensors.numpy

import tensorlite as tl


def _checkpoint():
    """A model's and an optimizer's state (nested; float, int, str, bool, None and tuple leaves)."""
    tl.manual_seed(0)
    model = tl.nn.Sequential(tl.nn.Linear(3, 2), tl.nn.ReLU(), tl.nn.Linear(2, 1))
    optimizer = tl.optim.Adam(model.parameters(), lr=0.001, weight_decay=0.0)
    model(tl.randn(4, 3)).sum().backward()
    optimizer.step()
    return {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "epoch": 3,
        "note": "run-7",
        "best": None,
        "flags": (True, 2.5e-4),
        "counts": np.arange(3, dtype=np.int32),
    }


def _same(a, b):
    """Equal values of equal types (arrays by dtype, shape and bytes)."""
    if isinstance(a, (tl.Tensor, np.ndarray)):
        x, y = np.asarray(a), np.asarray(b)
        return type(a) is type(b) and x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def test_every_single_byte_flip_raises_value_error_naming_the_path(tmp_path):
    path = tmp_path / "ck.safetensors"
    original = _checkpoint()
    tl.save(original, path)
    data = path.read_bytes()
    assert _same(original, tl.load(path))
    header_length = int.from_bytes(data[:8], "little")
    assert 8 + header_length < len(data) and data[8 + header_length - 1 : 8 + header_length] == b" "
    silent = []
    with open(path, "r+b") as f:  # patch one byte in place: rewriting the whole file is 50x slower
        for position in range(len(data)):
            for pattern in (0x01, 0x80, 0xFF):
                f.seek(position)
                f.write(bytes([data[position] ^ pattern]))
                f.flush()
                try:
                    loaded = tl.load(path)
                except ValueError as err:
                    # exactly ValueError: not JSONDecodeError, UnicodeDecodeError or another subclass
                    assert type(err) is ValueError and str(path) in str(err), (position, pattern, err)
                else:
                    silent.append((position, pattern, _same(original, loaded)))
            f.seek(position)
            f.write(data[position : position + 1])
    assert len(data) > 3000 and path.read_bytes() == data
    assert silent == []  # the digest covers every byte, so not even an identical load is silent


def test_truncated_extended_and_spliced_files_raise(tmp_path):
    path = tmp_path / "ck.safetensors"
    tl.save(_checkpoint(), path)
    data = path.read_bytes()
    other = tmp_path / "other.safetensors"
    tl.save({"w": tl.zeros(2)}, other)
    for damaged in (data[:-1], data + b"\0", data + b" ", data[:100], other.read_bytes()[:200] + data[200:]):
        path.write_bytes(damaged)
        with pytest.raises(ValueError, match=str(path)):
            tl.load(path)


def test_header_is_ascii_with_the_digest_at_its_fixed_place(tmp_path):
    path = tmp_path / "ck.safetensors"
    tl.save(_checkpoint(), path)
    data = path.read_bytes()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + n].decode("ascii"))
    assert (8 + n) % 8 == 0
    digest = header["__metadata__"]["tensorlite.file_sha256"]
    sealed = data.replace(digest.encode(), b"0" * 64, 1)
    assert hashlib.sha256(sealed).hexdigest() == digest
    assert data[8:].startswith(b'{"__metadata__":{"tensorlite.file_sha256":"' + digest.encode())


def test_files_open_with_safetensors_and_pytorch(tmp_path):
    path = tmp_path / "ck.safetensors"
    checkpoint = _checkpoint()
    tl.save(checkpoint, path)
    with safetensors.safe_open(path, "np") as f:
        assert sorted(f.metadata()) == ["format", "tensorlite.file_sha256", "tensorlite.structure"]
        weight = np.asarray(checkpoint["model"]["0.weight"])
        np.testing.assert_array_equal(f.get_tensor("model.0.weight"), weight)
        np.testing.assert_array_equal(f.get_tensor("counts"), np.arange(3, dtype=np.int32))
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file

    tensors = load_file(path)
    assert tensors["optimizer.state.0.exp_avg"].dtype == torch.float32
    assert torch.equal(tensors["model.2.bias"], torch.from_numpy(np.asarray(checkpoint["model"]["2.bias"])))


def test_reserved_and_unencodable_names_are_refused_before_writing(tmp_path):
    path = tmp_path / "ck.safetensors"
    for bad, message in [
        ({"__metadata__": tl.ones(2)}, "'__metadata__' is reserved"),
        ({"a": tl.ones(1), "\ud800": tl.ones(1)}, "not valid Unicode"),
        ({"x": np.zeros(2, np.complex64)}, "cannot store the array at x: its dtype is complex64"),
    ]:
        with pytest.raises((ValueError, TypeError), match=message):
            tl.save(bad, path)
    assert os.listdir(tmp_path) == []
    tl.save({"w": tl.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises(ValueError, match="reserved"):
        tl.save({"__metadata__": tl.ones(3)}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ck.safetensors"]
    # the reserved name and lone surrogates are fine where they are not a tensor's file name
    odd = {"__metadata__": {"w": tl.ones(1)}, "\ud800": "\udc00", "s": {"__metadata__": 1}}
    tl.save(odd, path)
    assert _same(odd, tl.load(path))


def test_header_over_the_safetensors_limit_raises_before_writing(tmp_path):
    path = tmp_path / "ck.safetensors"
    with pytest.raises(ValueError, match=f"cannot write {path}.*over safetensors' limit of 100,000,000"):
        tl.save({"w": tl.ones(2), "log": "x" * 100_000_000}, path)
    assert os.listdir(tmp_path) == []


def _legacy_file(path, obj_structure, arrays):
    """A file as the previous tl.save wrote it: structure JSON and a SHA-256 of the tensors only."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        digest.update(f"{name}|{arrays[name].dtype.str}|{arrays[name].shape}|".encode())
        digest.update(arrays[name].reshape(-1).view(np.uint8))
    metadata = {
        "format": "np",
        "tensorlite.structure": json.dumps(obj_structure),
        "tensorlite.sha256": digest.hexdigest(),
    }
    safetensors.numpy.save_file(arrays, path, metadata=metadata)


def test_previous_format_is_refused_unless_allowed(tmp_path):
    path = tmp_path / "old.safetensors"
    structure = {
        "type": "dict",
        "items": [["w", {"type": "tensor", "name": "w"}], ["lr", {"type": "float", "value": "0.001"}]],
    }
    _legacy_file(path, structure, {"w": np.arange(4, dtype=np.float32)})
    with pytest.raises(ValueError, match=f"{path} was written by an older tensorlite.*allow_legacy=True"):
        tl.load(path)
    loaded = tl.load(path, allow_legacy=True)
    assert loaded["lr"] == 0.001 and _same(loaded["w"], tl.tensor(np.arange(4, dtype=np.float32)))
    damaged = bytearray(path.read_bytes())
    damaged[-1] ^= 0x40  # the old checksum still guards the tensor bytes
    path.write_bytes(damaged)
    with pytest.raises(ValueError, match=f"{path}.*do not match the checksum"):
        tl.load(path, allow_legacy=True)


def test_tensorlite_metadata_without_the_digest_is_corrupted(tmp_path):
    path = tmp_path / "x.safetensors"
    safetensors.numpy.save_file({"w": np.ones(2)}, path, metadata={"tensorlite.structure": "{}"})
    with pytest.raises(ValueError, match=f"{path} is corrupted: it has tensorlite metadata"):
        tl.load(path)


@pytest.mark.parametrize(
    "header, reason",
    [
        (b"[]", "not a JSON object"),
        (b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":1}', "duplicate key"),
        (b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', "has data_offsets"),
        (b'{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', "invalid shape"),
        (b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', "starts at data byte 4"),
        (b'{"a":{"dtype":"F32","shape":[1]}}', "not a tensor description"),
        (b'{"__metadata__":{"k":1}}', "not a map of strings"),
        (b'{"__metadata__":[]}', "not a map of strings"),  # safetensors refuses it too (null it accepts)
        (b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}\xff', "not valid JSON"),
    ],
)
def test_malformed_foreign_files_raise_plain_value_errors(tmp_path, header, reason):
    path = tmp_path / "x.safetensors"
    header += b" " * (-len(header) % 8)
    path.write_bytes(len(header).to_bytes(8, "little") + header + b"\0" * 4)
    with pytest.raises(ValueError, match=f"cannot load {path}: .*{reason}") as info:
        tl.load(path)
    assert type(info.value) is ValueError
