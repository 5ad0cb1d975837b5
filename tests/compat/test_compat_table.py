"""docs/pytorch-compat.md's name table is what scripts/compat_table.py generates from the name list."""

import importlib.util
from pathlib import Path

import tensorlite

ROOT = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location("compat_table", ROOT / "scripts" / "compat_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_doc_table_is_up_to_date():
    table = _script()
    doc = table.DOC.read_text(encoding="utf-8")
    assert table.updated_doc(doc) == doc, (
        "docs/pytorch-compat.md is stale: run python scripts/compat_table.py"
    )


def test_status_follows_introspection():
    table = _script()
    instances = table._instances()
    assert table.status("torch.cat", instances) == "supported"
    assert table.status("torch.compile", instances) == "not yet"
    assert table.status("torch.Tensor.grad", instances) == "supported"  # an instance attribute
    assert table.status("torch.from_numpy", instances) == "partly"
    assert table.status("torch.nn.PixelShuffle", instances) == "not yet"


def test_partly_names_are_listed_and_present():
    table = _script()
    names = set(table._ordered_names())
    assert set(table.PARTLY) <= names
    assert len(names) == len(table._ordered_names()), "a name is listed twice"
    for name in table.PARTLY:
        obj = tensorlite
        for part in name.split(".")[1:]:
            obj = getattr(obj, part)
        assert obj is not None
