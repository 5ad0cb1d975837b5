"""Regenerate the name table in docs/pytorch-compat.md from src/tensorlite/compat/torch_names.txt.

Each listed torch name is looked up in tensorlite by introspection (`torch.` replaced by `tensorlite.`;
for `torch.Tensor.*`, `torch.nn.Module.*` and `torch.optim.Optimizer.*` also on an instance, since
some attributes live on instances): found = supported, not found = not yet, and found but listed in
PARTLY = partly, with the reason shown. The table goes between the two marker lines of the doc.

    python scripts/compat_table.py          # rewrite the table
    python scripts/compat_table.py --check  # exit 1 if the doc's table is out of date
"""

import argparse
import sys
from pathlib import Path

import tensorlite
from tensorlite import compat

DOC = Path(__file__).resolve().parents[1] / "docs" / "pytorch-compat.md"
START, END = "<!-- compat-table:start -->", "<!-- compat-table:end -->"

# Present in tensorlite, but not all of PyTorch's behaviour: name -> what is missing.
PARTLY = {
    "torch.tensor": "dtypes float32, float64, int64, bool only",
    "torch.from_numpy": "shares memory for float32, float64, int64, bool arrays only",
    "torch.save": "safetensors + JSON, no pickle: objects with a plain __dict__ only (no __reduce__)",
    "torch.load": "reads what torch.save here writes (and safetensors files), not pickle files",
    "torch.onnx": "the module imports; onnx.export raises NotImplementedError",
    "torch.backends": "cudnn and mps flags only, without effect (no cuDNN, no MPS); cpu as PyTorch's, "
    "plus cpu.benchmark (kernels chosen by measurement)",
    "torch.nn.parallel": "DataParallel / data_parallel run the module, as PyTorch without GPUs",
    "torch.nn.DataParallel": "runs the module, as PyTorch without GPUs",
    "torch.nn.parallel.DataParallel": "runs the module, as PyTorch without GPUs",
    "torch.nn.parallel.data_parallel": "runs the module, as PyTorch without GPUs",
    "torch.backends.cudnn": "flags accepted, no effect (no cuDNN)",
    "torch.nn.LSTM": "no proj_size, no PackedSequence input",
    "torch.nn.functional.interpolate": "no bicubic, area, nearest-exact, antialias",
    "torch.nn.functional.pad": "no circular mode",
    "torch.nn.Embedding": "no sparse=True",
    "torch.nn.Module.to": "CPU only; 'cuda' raises RuntimeError",
    "torch.utils.data.DataLoader": "pin_memory accepted, no effect; no in_order=False",
}


def _instances():
    """Sample objects whose instance attributes count as the class's (e.g. Tensor.grad, .shape)."""
    param = tensorlite.nn.Parameter(tensorlite.ones(1))
    return {
        "torch.Tensor": tensorlite.ones(1),
        "torch.nn.Module": tensorlite.nn.Linear(1, 1),
        "torch.optim.Optimizer": tensorlite.optim.SGD([param], lr=0.1),
    }


def status(name, instances):
    """'supported', 'partly' or 'not yet' for one full torch name."""
    owner, _, attr = name.rpartition(".")
    found = owner in instances and hasattr(instances[owner], attr)
    if not found:
        obj = tensorlite
        for part in name.split(".")[1:]:
            obj = getattr(obj, part, None)
            if obj is None:
                break
        found = obj is not None
    if not found:
        return "not yet"
    return "partly" if name in PARTLY else "supported"


def render():
    """The Markdown between the markers: one row per namespace, names grouped by status."""
    names = _ordered_names()
    instances = _instances()
    groups = {}
    for name in names:
        owner, _, attr = name.rpartition(".")
        groups.setdefault(owner, {"supported": [], "partly": [], "not yet": []})
        groups[owner][status(name, instances)].append(attr)
    counts = {s: sum(len(g[s]) for g in groups.values()) for s in ("supported", "partly", "not yet")}
    lines = [
        f"{len(names)} names: {counts['supported']} supported, {counts['partly']} partly,"
        + f" {counts['not yet']} not yet.",
        "",
        "| Namespace | Supported | Partly | Not yet |",
        "|---|---|---|---|",
    ]
    for owner, g in groups.items():
        partly = ", ".join(f"`{a}` ({PARTLY[owner + '.' + a]})" for a in g["partly"])
        cells = [
            ", ".join(f"`{a}`" for a in g["supported"]),
            partly,
            ", ".join(f"`{a}`" for a in g["not yet"]),
        ]
        lines.append(f"| `{owner}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _ordered_names():
    text = compat._NAMES_FILE.read_text(encoding="utf-8").splitlines()
    return [s.strip() for s in text if s.strip() and not s.startswith("#")]


def updated_doc(doc_text):
    """The doc with the table section replaced by render()'s output."""
    head, sep, rest = doc_text.partition(START)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise ValueError(f"{DOC} lacks the markers {START} / {END}")
    return f"{head}{START}\n{render()}{END}{tail}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the table is out of date")
    args = parser.parse_args(argv)
    unknown = sorted(set(PARTLY) - set(_ordered_names()))
    if unknown:
        raise ValueError(f"PARTLY names not in torch_names.txt: {unknown}")
    old = DOC.read_text(encoding="utf-8")
    new = updated_doc(old)
    if args.check:
        if new != old:
            print(f"{DOC} is out of date: run python scripts/compat_table.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
