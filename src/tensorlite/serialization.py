"""Checkpoints: tl.save / tl.load of state dicts in the safetensors format, written atomically.

A file holds every tensor under its dotted path ({"model": {"fc.weight": w}} -> "model.fc.weight"), so
a model's state dict saved here loads with safetensors.numpy.load_file and into PyTorch. Everything
else (numbers, strings, None, bools, the nesting with its int keys, lists and tuples) is kept as JSON
in the file's metadata, with a SHA-256 of the tensors, so tl.load rebuilds the object exactly and
rejects a corrupted file. Nothing is ever unpickled.
"""

import contextlib
import hashlib
import json
import os
import struct
import tempfile

import numpy as np
import safetensors.numpy

from tensorlite.tensor import Tensor

STRUCTURE_KEY = "tensorlite.structure"
CHECKSUM_KEY = "tensorlite.sha256"


def save(obj, path):
    """Write `obj` (a state dict: nested dicts with str/int keys, lists and tuples of Tensors, NumPy
    arrays, numbers, strings, bools and None) to `path` (str or os.PathLike) as a safetensors file.

    The bytes go to a temporary file in the same folder, which is flushed, fsynced and atomically
    renamed over `path`: a crash mid-save leaves any previous file at `path` intact.
    """
    path = os.fspath(path)
    tensors = {}
    structure = _encode(obj, [], tensors)
    metadata = {"format": "np", STRUCTURE_KEY: json.dumps(structure), CHECKSUM_KEY: _checksum(tensors)}
    data = safetensors.numpy.save(tensors, metadata=metadata)
    _write_atomically(path, data)


def load(path):
    """Read a file written by tl.save (the original object, tensors as Tensors) or any safetensors file
    (a dict from names to Tensors). A truncated or corrupted file raises ValueError naming the path."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    try:
        arrays = safetensors.numpy.load(data)
        (header_size,) = struct.unpack("<Q", data[:8])
        metadata = json.loads(data[8 : 8 + header_size]).get("__metadata__") or {}
    except Exception as err:  # safetensors raises its own error types for malformed files
        raise ValueError(f"tl.load: {path} is not a valid safetensors checkpoint ({err})") from err
    if CHECKSUM_KEY in metadata and _checksum(arrays) != metadata[CHECKSUM_KEY]:
        raise ValueError(
            f"tl.load: {path} is corrupted (its tensors do not match the checksum saved with them)"
        )
    if STRUCTURE_KEY not in metadata:
        return {name: Tensor._wrap(_writeable(array)) for name, array in arrays.items()}
    try:
        return _decode(json.loads(metadata[STRUCTURE_KEY]), arrays)
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"tl.load: {path} has a corrupted structure record ({err!r})") from err


def _encode(obj, keys, tensors):
    """The JSON description of obj; tensors found are added to `tensors` under their dotted path."""
    if isinstance(obj, (Tensor, np.ndarray)):
        name = ".".join(keys) or "tensor"
        if name in tensors:
            raise ValueError(f"tl.save: two tensors would be stored under the same name '{name}'")
        tensors[name] = np.asarray(obj._array if isinstance(obj, Tensor) else obj, order="C")
        return {"type": "tensor" if isinstance(obj, Tensor) else "ndarray", "name": name}
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(
                    f"tl.save: dict keys must be str or int, got {key!r} at {'.'.join(keys) or 'top level'}"
                )
            items.append([key, _encode(value, keys + [str(key)], tensors)])
        return {"type": "dict", "items": items}
    if isinstance(obj, (list, tuple)):
        items = [_encode(value, keys + [str(i)], tensors) for i, value in enumerate(obj)]
        return {"type": "tuple" if isinstance(obj, tuple) else "list", "items": items}
    if isinstance(obj, np.generic):
        obj = obj.item()
    if obj is None:
        return {"type": "none"}
    if isinstance(obj, bool):
        return {"type": "bool", "value": obj}
    if isinstance(obj, int):
        return {"type": "int", "value": obj}
    if isinstance(obj, float):
        return {"type": "float", "value": repr(obj)}  # repr round-trips exactly, inf and nan included
    if isinstance(obj, str):
        return {"type": "str", "value": obj}
    raise TypeError(f"tl.save: cannot store a {type(obj).__name__} at {'.'.join(keys) or 'top level'}")


def _decode(node, arrays):
    """Rebuild the object that _encode described."""
    kind = node["type"]
    if kind in ("tensor", "ndarray"):
        array = _writeable(arrays[node["name"]])
        return Tensor._wrap(array) if kind == "tensor" else array
    if kind == "dict":
        return {key: _decode(value, arrays) for key, value in node["items"]}
    if kind in ("list", "tuple"):
        items = [_decode(value, arrays) for value in node["items"]]
        return tuple(items) if kind == "tuple" else items
    scalars = {"none": lambda v: None, "bool": bool, "int": int, "float": float, "str": str}
    if kind not in scalars:
        raise ValueError(f"unknown entry type {kind!r}")
    return scalars[kind](node.get("value"))


def _checksum(arrays):
    """SHA-256 over every tensor's name, dtype, shape and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.asarray(arrays[name], order="C")
        digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(array.reshape(-1).view(np.uint8) if array.size else b"")
    return digest.hexdigest()


def _writeable(array):
    """The array, copied when it is a read-only view of the file's bytes."""
    return array if array.flags.writeable else np.array(array, copy=True)


def _write_atomically(path, data):
    """Write bytes to a temporary file next to `path`, fsync it, rename it over `path`, fsync the folder."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # not every platform can fsync a directory
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
