"""Whole objects (an nn.Module, a user class instance) in a tl.save file, recorded field by field in JSON.

The record is {"type": "objects", "version": 1, "root": node}. An instance of a user class is
{"type": "object", "module", "qualname", "state": [[attribute, node], ...]}: its class by name and its
__dict__ entry by entry, so load rebuilds it with object.__new__(cls) and __dict__ assignment (no
__init__, __reduce__ or __setstate__ runs). A module-level function or class used as a value (F.relu)
is {"type": "global", "module", "qualname"}. Tensors and arrays go to the safetensors part under
state-dict-like names ("encoder.weight"), with requires_grad and the Parameter type recorded (not .grad,
as PyTorch). Every object, tensor, list, dict and set carries an "id"; a second occurrence is
{"type": "ref", "id"}, so shared objects (tied weights, a module used twice) and cycles keep identity.
What cannot be rebuilt this way (a lambda, a bound method, an open file, __slots__, a custom
__reduce__/__getstate__, a C type) raises TypeError naming its path, e.g. obj.rnn._forward_hooks[0].
"""

import collections
import sys
import types

import numpy as np

from tensorlite._device import device
from tensorlite._size import Size
from tensorlite.serialization._format import NAME_OF, RESERVED_NAME
from tensorlite.tensor import Tensor

VERSION = 1
STORES = ("_parameters", "_buffers", "_modules")  # a Module's registries: shown as attributes in paths
_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class written in Python (a C type keeps data outside __dict__)
_PROTOCOL = ("__new__", "__reduce__", "__reduce_ex__", "__getstate__", "__setstate__", "__getnewargs__",
             "__getnewargs_ex__", "__slots__")  # fmt: skip
_LEAVES = (Tensor, np.ndarray, np.generic, type(None), bool, int, float, str)


def is_plain(obj):
    """Whether obj is what tl.save stored before whole objects (dicts with str/int keys, lists, tuples,
    tensors, arrays, scalars): such values keep today's format, byte for byte."""
    stack, seen = [obj], set()
    while stack:
        value = stack.pop()
        if isinstance(value, _LEAVES):
            continue
        if not isinstance(value, (dict, list, tuple)) or id(value) in seen:
            return False  # a cycle or an object: only the object format can hold it
        seen.add(id(value))
        if isinstance(value, dict):
            if any(isinstance(key, bool) or not isinstance(key, (str, int)) for key in value):
                return False
            stack.extend(value.values())
        else:
            stack.extend(value)
    return True


def class_problem(cls):
    """Why instances of `cls` cannot be stored and rebuilt field by field (a phrase), or None."""
    if not isinstance(cls, type):
        return f"{cls!r} is not a class"
    if issubclass(cls, Tensor):
        return "it is a Tensor subclass other than Parameter"
    for base in cls.__mro__[:-1]:  # all but object
        if not base.__flags__ & _HEAPTYPE:
            return f"it derives from the built-in type {base.__qualname__}, whose data is not in __dict__"
        for name in _PROTOCOL:
            if name in vars(base):
                return f"its class {base.__qualname__} defines {name}"
    return None


def find_global(module, qualname):
    """The object named `qualname` in the already imported `module`, or None."""
    obj = sys.modules.get(module) if isinstance(module, str) else None
    if obj is None or not isinstance(qualname, str) or "<" in qualname:
        return None
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    return obj


class Encoder:
    """Turns an object graph into the JSON record; tensors and arrays collect in `arrays`."""

    def __init__(self):
        from tensorlite.nn.module import Module  # late: tensorlite.nn imports tensorlite (and so this)
        from tensorlite.nn.parameter import Parameter

        self.module_class, self.parameter_class = Module, Parameter
        self.arrays = {}
        self.ids = {}  # id(obj) -> node id, for objects met before
        self.alive = []  # the objects in `ids`, so that no id is reused while encoding
        self.open_tuples = set()

    def record(self, obj):
        return {"type": "objects", "version": VERSION, "root": self.encode(obj, "obj", [])}

    def _remember(self, obj, node):
        node["id"] = len(self.alive)
        self.ids[id(obj)] = node["id"]
        self.alive.append(obj)
        return node

    def encode(self, obj, path, parts):
        """The node for obj; `path` names it in errors, `parts` make the names of its tensors."""
        if id(obj) in self.ids:
            return {"type": "ref", "id": self.ids[id(obj)]}
        kind = type(obj)
        if isinstance(obj, (Tensor, np.ndarray)):
            return self._array(obj, path, parts)
        if isinstance(obj, np.generic):
            obj, kind = obj.item(), type(obj.item())
        if obj is None or kind in (bool, int, str):
            return {"type": {type(None): "none", bool: "bool", int: "int", str: "str"}[kind], "value": obj}
        if kind is float:
            return {"type": "float", "value": repr(obj)}  # repr round-trips exactly, inf and nan included
        if kind in (dict, collections.OrderedDict):
            return self._dict(obj, path, parts, kind)
        if kind in (list, set):
            node = self._remember(obj, {"type": kind.__name__, "items": []})
            values = obj if kind is list else _ordered(obj)
            node["items"] = [self.encode(v, f"{path}[{i}]", parts + [str(i)]) for i, v in enumerate(values)]
            return node
        if kind in (tuple, frozenset):
            return self._tuple(obj, path, parts, kind)
        if kind is Size:
            return {"type": "size", "items": list(obj)}
        if isinstance(obj, np.dtype):
            if obj.newbyteorder("<") not in NAME_OF:
                raise TypeError(f"tl.save: cannot store the dtype {obj} at {path}")
            return {"type": "dtype", "value": obj.name}
        if kind is device:
            return {"type": "device", "value": str(obj)}
        if isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)):
            return self._global(obj, path)
        return self._object(obj, path, parts)

    def _array(self, obj, path, parts):
        if isinstance(obj, Tensor) and obj._hooks:
            raise TypeError(f"tl.save: cannot store the tensor at {path}: it has hooks (register_hook)")
        if isinstance(obj, Tensor) and type(obj) not in (Tensor, self.parameter_class):
            raise TypeError(f"tl.save: cannot store the {type(obj).__name__} at {path}: a Tensor subclass")
        array = np.asarray(obj)  # Tensor defines __array__
        if array.dtype.newbyteorder("<") not in NAME_OF:
            raise TypeError(f"tl.save: cannot store the array at {path}: its dtype is {array.dtype}")
        name = base = ".".join(parts) if parts and _valid_unicode(".".join(parts)) else "tensor"
        count = 1
        while name in self.arrays or name == RESERVED_NAME:  # "a.b" as one key and as a nested path
            count += 1
            name = f"{base}#{count}"
        self.arrays[name] = np.asarray(array, dtype=array.dtype.newbyteorder("<"), order="C")
        if not isinstance(obj, Tensor):
            return self._remember(obj, {"type": "ndarray", "name": name})
        parameter = type(obj) is self.parameter_class
        node = {"type": "tensor", "name": name, "requires_grad": obj.requires_grad, "parameter": parameter}
        return self._remember(obj, node)

    def _dict(self, obj, path, parts, kind, transparent=False):
        """A dict node; `transparent` (a Module's registries) names entries as attributes in paths."""
        node = self._remember(obj, {"type": "dict" if kind is dict else "odict", "items": []})
        plain_keys = all(type(key) in (str, int) for key in obj)
        if not plain_keys:
            node["node_keys"] = True
        for i, (key, value) in enumerate(obj.items()):
            if transparent:
                where, part = f"{path}.{key}", str(key)
            elif type(key) in (str, int, float, bool, tuple, type(None)):
                where, part = f"{path}[{key!r}]", str(key)
            else:  # e.g. an optimizer's state, keyed by parameters: their position names them
                where, part = f"{path}[{i}]", str(i)
            stored_key = key if plain_keys else self.encode(key, f"{where} (its key)", parts + [part, "key"])
            node["items"].append([stored_key, self.encode(value, where, parts + [part])])
        return node

    def _tuple(self, obj, path, parts, kind):
        if id(obj) in self.open_tuples:
            raise TypeError(f"tl.save: cannot store {path}: a {kind.__name__} that contains itself")
        self.open_tuples.add(id(obj))
        values = obj if kind is tuple else _ordered(obj)
        items = [self.encode(v, f"{path}[{i}]", parts + [str(i)]) for i, v in enumerate(values)]
        self.open_tuples.discard(id(obj))
        return {"type": kind.__name__, "items": items}

    def _global(self, obj, path):
        module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
        what = f"the {'class' if isinstance(obj, type) else 'function'} {qualname if qualname else repr(obj)}"
        if find_global(module, qualname) is not obj:
            why = "not reachable by its module and name"
            if isinstance(qualname, str) and "<locals>" in qualname:
                why = "defined inside a function (a closure)"
            if getattr(obj, "__name__", None) == "<lambda>":
                why = "a lambda"
            raise TypeError(
                f"tl.save: cannot store {what} at {path}: it is {why}; only module-level functions and "
                "classes are stored (by reference)"
            )
        return {"type": "global", "module": module, "qualname": qualname}

    def _object(self, obj, path, parts):
        kind = type(obj)
        if isinstance(obj, types.MethodType):
            problem = "it is a bound method; only module-level functions are stored (by reference)"
        else:
            problem = class_problem(kind)
        if problem is None and find_global(kind.__module__, kind.__qualname__) is not kind:
            problem = "its class is not reachable by its module and name (defined inside a function?)"
        if problem is not None:
            raise TypeError(f"tl.save: cannot store the {kind.__name__} at {path}: {problem}")
        node = self._remember(
            obj, {"type": "object", "module": kind.__module__, "qualname": kind.__qualname__}
        )
        module = isinstance(obj, self.module_class)
        state = []
        for key, value in vars(obj).items():
            if type(key) is not str:
                raise TypeError(
                    f"tl.save: cannot store {path}: its __dict__ has a key of type {type(key).__name__}"
                )
            if module and key in STORES and type(value) in (dict, collections.OrderedDict):
                state.append([key, self._dict(value, path, parts, type(value), transparent=True)])
            else:
                state.append([key, self.encode(value, f"{path}.{key}", parts + [key])])
        node["state"] = state
        return node


def _valid_unicode(name):
    """Whether safetensors' JSON parser accepts `name` (a lone surrogate it does not)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _ordered(values):
    """A set's items in a stable order (by repr), so that equal sets give equal files."""
    return sorted(values, key=repr)
