"""The JSON structure record: nesting, key types and non-tensor leaves of a saved object.

A tensor is stored in the file under its dotted path ({"model": {"fc.weight": w}} -> "model.fc.weight")
and appears in the record as {"type": "tensor" | "ndarray", "name": ...}; everything else is kept in
the record itself, so load rebuilds the object exactly (int keys, tuples, floats bit for bit).
"""

import numpy as np

from tensorlite.serialization._format import NAME_OF, RESERVED_NAME
from tensorlite.tensor import Tensor


def encode(obj, keys, arrays):
    """The JSON description of obj; arrays found are added to `arrays` under their dotted path, as
    C-contiguous little-endian ndarrays. Raises TypeError/ValueError for what a file cannot round-trip."""
    where = ".".join(keys) or "top level"
    if isinstance(obj, (Tensor, np.ndarray)):
        name = ".".join(keys) or "tensor"
        _check_name(name, arrays)
        array = np.asarray(obj)  # Tensor defines __array__
        if array.dtype.newbyteorder("<") not in NAME_OF:
            raise TypeError(f"tl.save: cannot store the array at {where}: its dtype is {array.dtype}")
        arrays[name] = np.asarray(array, dtype=array.dtype.newbyteorder("<"), order="C")  # keeps 0-d
        return {"type": "tensor" if isinstance(obj, Tensor) else "ndarray", "name": name}
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(f"tl.save: dict keys must be str or int, got {key!r} at {where}")
            items.append([key, encode(value, keys + [str(key)], arrays)])
        return {"type": "dict", "items": items}
    if isinstance(obj, (list, tuple)):
        items = [encode(value, keys + [str(i)], arrays) for i, value in enumerate(obj)]
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
    raise TypeError(f"tl.save: cannot store a {type(obj).__name__} at {where}")


def _check_name(name, arrays):
    """Refuse a tensor name that the file cannot hold once and read back as itself."""
    if name in arrays:
        raise ValueError(f"tl.save: two tensors would be stored under the same name {name!r}")
    if name == RESERVED_NAME:
        raise ValueError(f"tl.save: {RESERVED_NAME!r} is reserved by safetensors and cannot name a tensor")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError as err:  # a lone surrogate: safetensors' JSON parser rejects it
        raise ValueError(f"tl.save: the tensor name {name!r} is not valid Unicode ({err.reason})") from None


def decode(node, array):
    """Rebuild the object that encode described; array(name, as_tensor) reads one stored tensor."""
    kind = node["type"]
    if kind in ("tensor", "ndarray"):
        data = array(node["name"], kind == "tensor")
        return Tensor._wrap(data) if kind == "tensor" else data
    if kind == "dict":
        return {key: decode(value, array) for key, value in node["items"]}
    if kind in ("list", "tuple"):
        items = [decode(value, array) for value in node["items"]]
        return tuple(items) if kind == "tuple" else items
    scalars = {"none": lambda v: None, "bool": bool, "int": int, "float": float, "str": str}
    if kind not in scalars:
        raise ValueError(f"unknown entry type {kind!r}")
    return scalars[kind](node.get("value"))
