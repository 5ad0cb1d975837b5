"""Reader and writer for the IDX format of the MNIST files (raw or gzip-compressed).

Layout: two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
0x0E float64), the number of dimensions d, then d big-endian uint32 sizes, then the data in C order,
big-endian.
"""

import gzip

import numpy as np

from tensorlite._atomic import atomic_write_bytes

IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ValueError(f"read_idx: {path} is not a valid gzip file ({exc})") from None
    return raw


def read_idx(path):
    """Read an IDX file (raw, or gzip-compressed: detected from its first bytes) into a NumPy array in
    native byte order. Raises ValueError naming the file for a bad header or a wrong data size."""
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise ValueError(f"read_idx: {path} is too short for an IDX header ({len(raw)} bytes)")
    zero, code, ndim = raw[:2], raw[2], raw[3]
    if zero != b"\x00\x00" or code not in IDX_DTYPES:
        raise ValueError(
            f"read_idx: {path} does not start with an IDX magic number "
            f"(got bytes {raw[:4].hex(' ')}; expected 00 00 <type code in {sorted(IDX_DTYPES)}> <ndim>)"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(
            f"read_idx: {path} header declares {ndim} dimensions but the file ends after {len(raw)} bytes"
        )
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(IDX_DTYPES[code])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(
            f"read_idx: {path} header says shape {shape} of {dtype.name} ({expected} data bytes) "
            f"but the file has {len(raw) - header} data bytes (truncated or corrupt)"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def write_idx(array, path):
    """Write `array` as an IDX file (gzip-compressed when path ends in .gz), atomically."""
    array = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("="): k for k, v in IDX_DTYPES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(f"write_idx: dtype {array.dtype} has no IDX type code")
    payload = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload += array.astype(IDX_DTYPES[code]).tobytes()
    if str(path).endswith(".gz"):
        payload = gzip.compress(payload, mtime=0)
    atomic_write_bytes(path, payload)
