"""Loading a whole-object record (see _objects): first every class and global it names is resolved and
checked, and only then are objects built, so a refused name stops the load before anything is created.

weights_only True/None: a name resolves only through the allowlist (serialization/_torch_api), so no
module is imported. weights_only=False: the allowlist, else the module is imported and the name looked
up in it. Either way a "class" must be a class whose instances are plain field bags (_objects.class_problem)
and a "global" a class or function; imported ones must also be defined in the module the file names
(so "os" + "system", which is posix.system, is refused).
"""

import collections
import importlib
import re
import types

import numpy as np

from tensorlite import _dtype
from tensorlite._device import device
from tensorlite._size import Size
from tensorlite.serialization._objects import VERSION, class_problem
from tensorlite.serialization._torch_api import allowed_globals, refusal
from tensorlite.tensor import Tensor

_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def named_globals(record):
    """The (kind, module, qualname) triples the record names, kind "class" or "global", in file order."""
    if record.get("version") != VERSION:
        raise ValueError(f"unsupported object record version {record.get('version')!r}")
    found, stack = {}, [record["root"]]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            raise ValueError(f"malformed entry {node!r}")  # noqa: TRY004 (a bad file)
        kind = node.get("type")
        if kind in ("object", "global"):
            module, qualname = node.get("module"), node.get("qualname")
            if not (isinstance(module, str) and isinstance(qualname, str)):
                raise ValueError(f"a {kind} entry without a module and qualname: {node!r}")
            found[("class" if kind == "object" else "global", module, qualname)] = None
        if kind == "object":
            children = [value for _, value in node["state"]]
        elif kind in ("dict", "odict"):
            children = [
                x
                for key, value in node["items"]
                for x in ([key, value] if node.get("node_keys") else [value])
            ]
        else:
            children = node["items"] if kind in ("list", "set", "tuple", "frozenset") else []
        stack.extend(reversed(children))  # depth first, in file order
    return list(found)


def resolve(names, weights_only):
    """{(kind, module, qualname): object} for every name, or the error that refuses the load."""
    allowed = allowed_globals()
    resolved = {}
    for kind, module, qualname in names:
        full = f"{module}.{qualname}"
        if full in allowed:
            obj = allowed[full]
        elif weights_only is False:
            obj = _import(kind, module, qualname)
        else:
            raise refusal(kind, full)
        if kind == "class" and class_problem(obj) is not None:
            raise ValueError(
                f"the file names {full} as a class, but it cannot be rebuilt: {class_problem(obj)}"
            )
        if kind == "global" and not isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)):
            what = type(obj).__name__
            raise ValueError(
                f"the file names {full} as a global, but it is a {what}, not a class or function"
            )
        resolved[(kind, module, qualname)] = obj
    return resolved


def _import(kind, module, qualname):
    """The class/function `qualname` defined in `module` (imported for it), or ValueError."""
    full = f"{module}.{qualname}"
    if not _DOTTED.match(module) or not _DOTTED.match(qualname):
        raise ValueError(f"the file names {kind} {full!r}, which is not a module path and a qualified name")
    try:
        obj = importlib.import_module(module)
    except ImportError as err:
        raise ValueError(
            f"the file names the {kind} {full}, but its module cannot be imported: {err}"
        ) from None
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    if not isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)):
        wanted = "class" if kind == "class" else "class or function"
        problem = f"the file names the {kind} {full}, which is a {type(obj).__name__}, not a {wanted}"
        raise ValueError(problem)  # noqa: TRY004 (a bad file)
    if (getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)) != (module, qualname):
        raise ValueError(
            f"the file names the {kind} {full}, but that name holds {obj.__module__}.{obj.__qualname__} "
            "(only classes and functions defined in the named module are loaded)"
        )
    return obj


class Rebuilder:
    """Builds the objects of a record; array(name, as_tensor) reads one stored tensor."""

    def __init__(self, array, resolved):
        from tensorlite.nn.parameter import Parameter  # late: tensorlite.nn imports tensorlite

        self.array, self.resolved, self.parameter_class = array, resolved, Parameter
        self.built = {}  # node id -> object

    def _keep(self, node, obj):
        ident = node["id"]
        if not isinstance(ident, int) or ident in self.built:
            raise ValueError(f"invalid or repeated object id {ident!r}")
        self.built[ident] = obj
        return obj

    def build(self, node):
        kind = node["type"]
        if kind == "ref":
            if node["id"] not in self.built:
                raise ValueError(f"reference to object {node['id']!r} before it is defined")
            return self.built[node["id"]]
        if kind in ("none", "bool", "int", "str", "float"):
            return _scalar(kind, node["value"])
        if kind in ("tensor", "ndarray"):
            return self._keep(
                node, self._tensor(node) if kind == "tensor" else self.array(node["name"], False)
            )
        if kind in ("dict", "odict"):
            out = self._keep(node, {} if kind == "dict" else collections.OrderedDict())
            for key, value in node["items"]:
                out[self.build(key) if node.get("node_keys") else _plain_key(key)] = self.build(value)
            return out
        if kind in ("list", "set"):
            out = self._keep(node, [] if kind == "list" else set())
            for value in node["items"]:
                out.append(self.build(value)) if kind == "list" else out.add(self.build(value))
            return out
        if kind in ("tuple", "frozenset"):
            return (tuple if kind == "tuple" else frozenset)(self.build(value) for value in node["items"])
        if kind == "size":
            return Size(_scalar("int", value) for value in node["items"])
        if kind == "dtype":
            return _dtype.as_dtype(np.dtype(_scalar("str", node["value"])))
        if kind == "device":
            return device(_scalar("str", node["value"]))
        if kind == "global":
            return self.resolved[("global", node["module"], node["qualname"])]
        if kind == "object":
            cls = self.resolved[("class", node["module"], node["qualname"])]
            obj = self._keep(node, object.__new__(cls))  # class_problem guarantees a plain __new__
            state = {}
            for key, value in node["state"]:
                state[_scalar("str", key)] = self.build(value)
            vars(obj).update(state)
            return obj
        raise ValueError(f"unknown entry type {kind!r}")

    def _tensor(self, node):
        data = self.array(node["name"], True)
        tensor = (self.parameter_class if node["parameter"] is True else Tensor)._wrap(data)
        tensor.requires_grad = _scalar("bool", node["requires_grad"])  # the setter refuses int tensors
        return tensor


def _scalar(kind, value):
    """A JSON leaf of the expected kind (ValueError otherwise); floats are stored as their repr."""
    expected = {"none": type(None), "bool": bool, "int": int, "str": str, "float": str}[kind]
    if type(value) is not expected:
        raise ValueError(f"a {kind} entry holds {value!r}")
    return float(value) if kind == "float" else value


def _plain_key(key):
    if type(key) not in (str, int):
        raise ValueError(f"a dict key {key!r} is not a str or int")
    return key
