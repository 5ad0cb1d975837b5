"""Checkpoints: tl.save / tl.load in the safetensors format, sealed and written atomically, never pickled.

A file holds every tensor under its dotted path ({"model": {"fc.weight": w}} -> "model.fc.weight"), so
a model's state dict saved here loads with safetensors (NumPy or PyTorch). Everything else (numbers,
strings, None, bools, the nesting with its int keys, lists and tuples) is kept as JSON in the file's
metadata. Whole objects (an nn.Module, an optimizer, a user class instance) are recorded field by field
in that JSON, their classes and referenced functions by module and name (see _objects), and rebuilt
without calling anything from the file; as torch.load since PyTorch 2.6, tl.load rebuilds them only
when their classes are allowed (safe_globals / add_safe_globals) or weights_only=False (see _rebuild).
A SHA-256 of the whole file sits in its header (see _format) and tl.load checks it before reading or
importing anything, so any changed byte raises ValueError.
"""

import hashlib
import json
import os

import numpy as np

from tensorlite._atomic import atomic_write
from tensorlite.serialization import _format
from tensorlite.serialization._objects import Encoder, is_plain
from tensorlite.serialization._rebuild import Rebuilder, named_globals, resolve
from tensorlite.serialization._structure import decode, encode
from tensorlite.serialization._torch_api import (
    UnpicklingError,
    add_safe_globals,
    check_load_options,
    clear_safe_globals,
    get_safe_globals,
    safe_globals,
)
from tensorlite.tensor import Tensor

LEGACY_KEY = "tensorlite.sha256"  # before the whole-file digest: a checksum of the tensors only


def _describe(f):
    """How error messages name a file object (its name when it has one)."""
    name = getattr(f, "name", None)
    return repr(name) if isinstance(name, (str, bytes, os.PathLike)) else f"<{type(f).__name__}>"


def save(obj, path):
    """Write `obj` to `path` (str or os.PathLike) as a safetensors file, or to a binary file object
    (anything with write(), e.g. open(name, "wb") or io.BytesIO) as PyTorch allows.

    A state dict (nested dicts with str/int keys, lists and tuples of Tensors, NumPy arrays, numbers,
    strings, bools and None) is stored as such. Anything else is stored as a whole-object graph, as
    torch.save(model) but without pickle: instances of Python classes (nn.Module subclasses, optimizers,
    plain objects) with their __dict__ entry by entry; Tensors/Parameters (requires_grad kept, .grad
    not), arrays, scalars, list, tuple, dict (any hashable stored keys), OrderedDict, set, frozenset,
    tl.Size, tl.dtype, tl.device; module-level functions and classes (e.g. F.relu) by reference.
    Shared objects stay shared (tied weights, a module used twice, cycles). A lambda, closure, bound
    method, open file or other C object, or a class with __slots__, __new__ or a custom
    __reduce__/__getstate__/__setstate__ raises TypeError naming its path, e.g. "obj.rnn._forward_hooks[0]".

    Everything is checked before a byte is written (TypeError/ValueError, and no file created): tensor
    names must be unique, valid Unicode and not '__metadata__'; NumPy arrays need a dtype safetensors
    stores (bool, int8-64, uint8-64, float16/32/64; they come back little-endian); the header must fit
    safetensors' 100 MB limit. The bytes then go to `.<name>.tl-tmp-<pid>-...` in the same folder,
    fsynced and renamed over `path`, so a crash mid-save leaves the previous file intact; the next save
    to `path` removes temporaries that killed writers left behind. A file object gets the same bytes
    through its write() (the caller owns it: no rename, no fsync).
    """
    to_file = hasattr(path, "write")
    path = path if to_file else os.fspath(path)
    if is_plain(obj):
        arrays = {}
        structure = encode(obj, [], arrays)
    else:
        encoder = Encoder()
        structure = encoder.record(obj)
        arrays = encoder.arrays
    try:
        chunks = _format.build(arrays, json.dumps(structure, separators=(",", ":")))
    except ValueError as err:
        raise ValueError(f"tl.save: cannot write {_describe(path) if to_file else path}: {err}") from None
    if to_file:
        for chunk in chunks:
            path.write(memoryview(chunk).cast("B"))
    else:
        atomic_write(path, chunks)


def load(path, map_location=None, *, weights_only=None, allow_legacy=False):
    """Read a file written by tl.save (the original object, tensors as Tensors) or any safetensors file
    (a dict from names to Tensors).

    A tl.save file is verified whole against its SHA-256 before anything is interpreted: any changed,
    missing or extra byte raises ValueError naming the path. Other safetensors files carry no digest and
    are only checked for a well-formed layout. Stored dtypes become tensorlite dtypes exactly: F16, BF16
    and F32 -> float32; F64 -> float64; I8/I16/I32/I64/U8/U16/U32 -> int64; U64 -> int64 when every value
    fits (else ValueError); BOOL -> bool; any other dtype (FP8, complex, ...) raises ValueError naming it.
    Files written by tensorlite before the digest raise ValueError unless allow_legacy=True, which loads
    them with only their tensor data checked (re-save them to seal them).

    `path` may also be a binary file object (anything with read(): open(name, "rb"), io.BytesIO), read
    from its current position to the end. map_location may be None, "cpu", tl.device("cpu") or a dict
    mapping to the CPU ("cuda" raises RuntimeError); see serialization/_torch_api.py.

    A whole-object file (see save) is rebuilt with object.__new__(cls) and __dict__ assignment: no
    __init__, __reduce__ or __setstate__ runs, nothing is unpickled. weights_only=True or None (PyTorch's
    default) allows only the classes and globals given to tl.serialization.add_safe_globals([...]) or an
    active `with tl.serialization.safe_globals([...])` (by identity, or (obj, "module.qualname") pairs)
    and imports nothing; any other name raises tl.serialization.UnpicklingError (a pickle.UnpicklingError
    and a ValueError) naming it, before any object is created. weights_only=False also imports the
    modules the file names (only for trusted files: importing runs module code). Either way a name that
    should be a class must be a class with a plain __new__ and no __slots__ or pickle hooks, a referenced
    global a class or function, and an imported one defined in the module the file names (ValueError).
    """
    check_load_options(map_location, weights_only)
    if hasattr(path, "read"):
        data, path = path.read(), _describe(path)
        if not isinstance(data, (bytes, bytearray)):
            kind = type(data).__name__
            raise TypeError(f"tl.load: {path} must be opened in binary mode ('rb'); its read() gave a {kind}")
    else:
        path = os.fspath(path)
        with open(path, "rb") as f:
            data = f.read()
    sealed = _format.has_digest(data)
    if sealed and not _format.digest_matches(data):
        raise ValueError(
            f"tl.load: {path} is corrupted: its SHA-256 does not match the digest tl.save stored in it "
            "(a changed, truncated or extended file)"
        )
    try:
        metadata, entries, start = _format.parse(data)
    except ValueError as err:
        raise ValueError(f"tl.load: cannot load {path}: {err}") from None
    ours = sorted(key for key in metadata if key.startswith("tensorlite"))
    if not sealed and ours == [LEGACY_KEY, _format.STRUCTURE_KEY] and not allow_legacy:
        raise ValueError(
            f"tl.load: {path} was written by an older tensorlite that checksummed only the tensors, not "
            "the names and non-tensor values, so a damaged header would load as different values. If you "
            "trust the file, load it with tl.load(path, allow_legacy=True) and tl.save it again to seal it."
        )
    if not sealed and ours not in ([], [LEGACY_KEY, _format.STRUCTURE_KEY]):
        raise ValueError(f"tl.load: {path} is corrupted: it has tensorlite metadata {ours} but no digest")

    def array(name, as_tensor):
        return _format.read_array(data, start, name, entries[name], as_tensor)

    try:
        if not ours:
            return {name: Tensor._wrap(array(name, True)) for name in entries}
        if not sealed:
            stored = {name: array(name, False) for name in entries}
            if _legacy_checksum(stored) != metadata[LEGACY_KEY]:
                raise ValueError("its tensors do not match the checksum saved with them (corrupted)")
        record = json.loads(metadata[_format.STRUCTURE_KEY])
        if not (isinstance(record, dict) and record.get("type") == "objects"):
            return decode(record, array)
        if not sealed:  # the unsealed format predates whole objects: such a record was never written
            raise ValueError("it is in the unsealed older format, which never held whole objects")
        resolved = resolve(named_globals(record), weights_only)  # before any object is created
        return Rebuilder(array, resolved).build(record["root"])
    except UnpicklingError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, RecursionError) as err:
        raise ValueError(f"tl.load: cannot load {path}: {err!r}") from None


def _legacy_checksum(arrays):
    """The older format's SHA-256 over every tensor's name, dtype, shape and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = arrays[name]
        digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(array.reshape(-1).view(np.uint8) if array.size else b"")
    return digest.hexdigest()
