"""IDX reader/writer on generated files, raw and gzip, including corrupt headers."""

import gzip

import numpy as np
import pytest

from tensorlite.data import read_idx, write_idx


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip(tmp_path, dtype, suffix):
    array = (np.arange(2 * 3 * 5) - 7).astype(dtype).reshape(2, 3, 5)
    if dtype == np.uint8:
        array = np.arange(30, dtype=np.uint8).reshape(2, 3, 5)
    path = tmp_path / f"a-idx3-ubyte{suffix}"
    write_idx(array, path)
    out = read_idx(path)
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    np.testing.assert_array_equal(out, array)


def test_reads_the_big_endian_layout_byte_for_byte(tmp_path):
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(bytes([0, 0, 0x0B, 1, 0, 0, 0, 2, 0x01, 0x02, 0xFF, 0xFE]))
    np.testing.assert_array_equal(read_idx(path), np.array([258, -2], dtype=np.int16))


@pytest.mark.parametrize(
    "payload, message",
    [
        (b"\x00\x00", "too short for an IDX header"),
        (
            bytes([1, 2, 8, 1, 0, 0, 0, 1, 5]),
            "does not start with an IDX magic number .got bytes 01 02 08 01",
        ),
        (bytes([0, 0, 0x42, 1, 0, 0, 0, 1, 5]), "does not start with an IDX magic number"),
        (bytes([0, 0, 8, 3, 0, 0, 0, 1]), "declares 3 dimensions but the file ends after 8 bytes"),
        (bytes([0, 0, 8, 1, 0, 0, 0, 3, 1, 2]), r"shape \(3,\) of uint8 \(3 data bytes\) but the file has 2"),
        (bytes([0, 0, 8, 1, 0, 0, 0, 1, 1, 2]), "but the file has 2 data bytes"),
    ],
)
def test_corrupt_files_raise_clear_errors(tmp_path, payload, message):
    path = tmp_path / "bad"
    path.write_bytes(payload)
    with pytest.raises(ValueError, match=message):
        read_idx(path)
    gz = tmp_path / "bad.gz"
    gz.write_bytes(gzip.compress(payload))
    with pytest.raises(ValueError, match=message):
        read_idx(gz)


def test_broken_gzip_raises(tmp_path):
    path = tmp_path / "broken.gz"
    path.write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x01\x07")[:12])
    with pytest.raises(ValueError, match="not a valid gzip file"):
        read_idx(path)


def test_write_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(TypeError, match="int64 has no IDX type code"):
        write_idx(np.zeros(3, dtype=np.int64), tmp_path / "x")
