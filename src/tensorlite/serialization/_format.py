"""The safetensors container as tl.save writes it and tl.load reads it, sealed by a SHA-256 of the file.

Layout (safetensors): an 8-byte little-endian header length n, n bytes of JSON header padded with
spaces, then the tensors' bytes. tl.save starts the header with

    {"__metadata__":{"tensorlite.file_sha256":"<64 hex digits>",

so that the digest sits at a fixed offset, and sets it to the SHA-256 of the whole file with those 64
digits read as "0" * 64. The digest therefore covers every other byte (length, JSON framing, padding,
names, the structure record, tensor data) and is checked before any of them is interpreted; a changed
digest disagrees with the rest. The header is plain ASCII JSON, so safetensors and PyTorch read the file.
"""

import hashlib
import json
import math
import struct

import numpy as np

DIGEST_KEY = "tensorlite.file_sha256"
STRUCTURE_KEY = "tensorlite.structure"
PREFIX = b'{"__metadata__":{"' + DIGEST_KEY.encode() + b'":"'
DIGEST_AT = 8 + len(PREFIX)
DIGEST_LEN = 64
PLACEHOLDER = b"0" * DIGEST_LEN
MAX_HEADER_BYTES = 100_000_000  # safetensors refuses a longer header
RESERVED_NAME = "__metadata__"

# safetensors dtype -> the NumPy dtype of its stored bytes (BF16 is read as raw 16-bit words)
STORED = {
    "BOOL": "|u1", "U8": "|u1", "I8": "|i1", "I16": "<i2", "U16": "<u2", "I32": "<i4", "U32": "<u4",
    "I64": "<i8", "U64": "<u8", "F16": "<f2", "BF16": "<u2", "F32": "<f4", "F64": "<f8",
}  # fmt: skip
NAME_OF = {np.dtype(v): k for k, v in STORED.items() if k not in ("BF16", "BOOL")} | {np.dtype(bool): "BOOL"}
# the tensorlite dtype a stored dtype becomes as a Tensor: every conversion is exact (U64 is range-checked)
TENSOR_DTYPE = {"BOOL": np.bool_, "F16": np.float32, "BF16": np.float32, "F32": np.float32, "F64": np.float64}
TENSOR_DTYPE |= {k: np.int64 for k in ("U8", "I8", "I16", "U16", "I32", "U32", "I64", "U64")}


def build(arrays, structure_json):
    """The chunks (bytes-like) of a file holding `arrays` (name -> C-contiguous little-endian ndarray
    of a dtype in NAME_OF) and the JSON structure record. Raises ValueError for an oversized header."""
    order = sorted(arrays, key=lambda name: (-arrays[name].dtype.itemsize, name))  # keeps data aligned
    metadata = {DIGEST_KEY: PLACEHOLDER.decode(), "format": "np", STRUCTURE_KEY: structure_json}
    header = {"__metadata__": metadata}  # first, so that the digest lands at DIGEST_AT
    offset = 0
    for name in order:
        array = arrays[name]
        dtype = NAME_OF[array.dtype]
        end = offset + array.nbytes
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, end]}
        offset = end
    text = json.dumps(header, separators=(",", ":")).encode()  # ensure_ascii: the header is pure ASCII
    text += b" " * (-len(text) % 8)  # the tensor data starts 8-byte aligned
    if len(text) > MAX_HEADER_BYTES:
        raise ValueError(
            f"the header (names and non-tensor values) would take {len(text):,} bytes, over safetensors' "
            f"limit of {MAX_HEADER_BYTES:,}; store large data as tensors"
        )
    length = struct.pack("<Q", len(text))
    data = [arrays[name].reshape(-1).view(np.uint8) for name in order]
    digest = hashlib.sha256(length)
    digest.update(text)
    for chunk in data:
        digest.update(chunk)
    text = text[: len(PREFIX)] + digest.hexdigest().encode() + text[len(PREFIX) + DIGEST_LEN :]
    return [length, text, *data]


def has_digest(data):
    """Whether the file starts like a file written by this tl.save (digest at its fixed offset)."""
    return len(data) >= DIGEST_AT + DIGEST_LEN and data[8:DIGEST_AT] == PREFIX


def digest_matches(data):
    """SHA-256 of the file with its digest read as the placeholder, compared with the stored digest."""
    view = memoryview(data)
    digest = hashlib.sha256(view[:DIGEST_AT])
    digest.update(PLACEHOLDER)
    digest.update(view[DIGEST_AT + DIGEST_LEN :])
    return digest.hexdigest().encode() == bytes(view[DIGEST_AT : DIGEST_AT + DIGEST_LEN])


def parse(data):
    """(metadata, entries, data_start) of a safetensors file, with safetensors' rules checked: entries
    maps name -> (dtype, shape, begin, end) and the tensors tile the data exactly. Raises ValueError."""
    if len(data) < 8:
        raise ValueError(f"{len(data)} bytes is too short for a safetensors header length")
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER_BYTES or 8 + n > len(data):
        raise ValueError(f"its header length {n} exceeds the file ({len(data)} bytes) or the 100 MB limit")
    try:
        header = json.loads(bytes(data[8 : 8 + n]).decode("utf-8"), object_pairs_hook=_unique_keys)
    except (UnicodeDecodeError, RecursionError, ValueError) as err:  # JSONDecodeError is a ValueError
        raise ValueError(f"its header is not valid JSON ({err})") from None
    if not isinstance(header, dict):
        raise ValueError("its header is not a JSON object")  # noqa: TRY004 (a bad file)
    metadata = header.pop("__metadata__", None)
    metadata = {} if metadata is None else metadata  # null is safetensors' "no metadata"; [] or 0 is not
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ValueError("its __metadata__ is not a map of strings")
    entries = {name: _entry(name, info) for name, info in header.items()}
    end = 0
    for name, (_, _, begin, stop) in sorted(entries.items(), key=lambda item: item[1][2:]):
        if begin != end:
            raise ValueError(f"tensor {name!r} starts at data byte {begin}, expected {end}")
        end = stop
    if 8 + n + end != len(data):
        raise ValueError(f"its tensors cover {end} data bytes but the file holds {len(data) - 8 - n}")
    return metadata, entries, 8 + n


def _unique_keys(pairs):
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"duplicate key in {keys}")
    return dict(pairs)


def _entry(name, info):
    """(dtype, shape, begin, end) of one header entry, checked."""
    if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
        raise ValueError(f"entry {name!r} is not a tensor description (dtype, shape, data_offsets)")
    dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if dtype not in STORED:
        raise ValueError(
            f"tensor {name!r} has dtype {dtype!r}, which tensorlite cannot load (it converts "
            f"{', '.join(STORED)}; FP8, complex and sub-byte types are refused)"
        )
    if not (isinstance(shape, list) and all(type(s) is int and s >= 0 for s in shape)):
        raise ValueError(f"tensor {name!r} has an invalid shape {shape!r}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int for o in offsets)):
        raise ValueError(f"tensor {name!r} has invalid data_offsets {offsets!r}")
    begin, end = offsets
    if begin < 0 or end - begin != math.prod(shape) * np.dtype(STORED[dtype]).itemsize:
        raise ValueError(f"tensor {name!r} of dtype {dtype} and shape {shape} has data_offsets {offsets}")
    return dtype, tuple(shape), begin, end


def read_array(data, start, name, entry, as_tensor):
    """A fresh writeable array for one entry: as_tensor converts to a tensorlite dtype (TENSOR_DTYPE),
    otherwise the stored NumPy dtype is kept (native byte order; BF16 still becomes float32)."""
    dtype, shape, begin, end = entry
    stored = np.dtype(STORED[dtype])
    raw = np.frombuffer(data, dtype=stored, count=(end - begin) // stored.itemsize, offset=start + begin)
    # convert while 1-D (a ufunc on a 0-d array returns a scalar), then reshape
    if dtype == "BOOL":
        array = raw != 0  # a foreign file's bool bytes may be other than 0 and 1
    elif dtype == "BF16":
        array = (raw.astype(np.uint32) << 16).view(np.float32)  # bfloat16 is float32's upper half
    elif not as_tensor:
        array = raw.astype(stored.newbyteorder("="))
    elif dtype == "U64" and raw.size and raw.max() > np.iinfo(np.int64).max:
        raise ValueError(f"tensor {name!r} (U64) holds {raw.max()}, which int64 cannot represent")
    else:
        array = raw.astype(TENSOR_DTYPE[dtype])
    return array.reshape(shape)
