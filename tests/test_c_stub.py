"""src/tensorlite/_C.pyi against the module it describes: the same names, and for every function the
same parameters (names, order, keyword-only marker, which have defaults) as pybind11's signature line."""

import ast
import re
from pathlib import Path

import pytest

from tensorlite import _C

STUB = Path(__file__).resolve().parents[1] / "src" / "tensorlite" / "_C.pyi"


def _stub_tree():
    return ast.parse(STUB.read_text())


def _stub_functions():
    """name -> [(parameter, keyword_only, has_default)] for every def in the stub."""
    out = {}
    for node in _stub_tree().body:
        if isinstance(node, ast.FunctionDef):
            a = node.args
            positional = a.posonlyargs + a.args
            first_default = len(positional) - len(a.defaults)
            params = [(p.arg, False, i >= first_default) for i, p in enumerate(positional)]
            params += [(p.arg, True, d is not None) for p, d in zip(a.kwonlyargs, a.kw_defaults)]
            out[node.name] = params
    return out


def _stub_names():
    """Every public name the stub defines: functions and annotated module attributes."""
    names = set(_stub_functions())
    for node in _stub_tree().body:
        # Annotated names are the module's attributes, except the stub's own aliases (X: TypeAlias = ...).
        is_alias = isinstance(node, ast.AnnAssign) and getattr(node.annotation, "id", None) == "TypeAlias"
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and not is_alias:
            names.add(node.target.id)
    return names


def _split_top_level(text):
    """Splits a parameter list at the commas outside brackets and quotes."""
    parts, depth, quote, start = [], 0, None, 0
    for i, ch in enumerate(text):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    tail = text[start:].strip()
    return parts + [tail] if tail else parts


def _module_signature(name):
    """[(parameter, keyword_only, has_default)] parsed from pybind11's first docstring line."""
    first = getattr(_C, name).__doc__.splitlines()[0]
    match = re.fullmatch(rf"{name}\((.*)\) -> .+", first)
    assert match, f"{name}: unexpected signature line {first!r}"
    params, keyword_only = [], False
    for part in _split_top_level(match.group(1)):
        if part == "*":
            keyword_only = True
            continue
        pname = part.split(":", 1)[0].strip()
        params.append((pname, keyword_only, "=" in part.split(":", 1)[1]))
    return params


def _module_names():
    return {n for n in dir(_C) if not n.startswith("_")}


def test_stub_and_module_list_the_same_names():
    assert _module_names() - _stub_names() == set(), "in _C but missing from _C.pyi"
    assert _stub_names() - _module_names() == set(), "in _C.pyi but not in _C"


def test_stub_attributes_are_not_functions_and_functions_are_callable():
    functions = set(_stub_functions())
    for name in _module_names():
        assert callable(getattr(_C, name)) == (name in functions), name


@pytest.mark.parametrize("name", sorted(_stub_functions()))
def test_stub_parameters_match_the_binding(name):
    assert _stub_functions()[name] == _module_signature(name)


def test_signature_parser_sees_keyword_only_and_defaults():
    # A known binding, so that the comparison above cannot pass by parsing nothing.
    params = _module_signature("momentum_step")
    assert [p[0] for p in params] == ["param", "grad", "velocity", "lr", "mu"]
    assert all(kw for _, kw, _ in params) and not any(d for _, _, d in params)
    assert _module_signature("gemm")[2:] == [
        ("trans_a", False, True),
        ("trans_b", False, True),
        ("alpha", False, True),
        ("beta", False, True),
        ("out", False, True),
    ]


def test_every_function_has_a_docstring_beyond_its_signature():
    for name in sorted(_stub_functions()):
        lines = [line for line in getattr(_C, name).__doc__.splitlines()[1:] if line.strip()]
        assert lines, f"_C.{name} has no docstring"
