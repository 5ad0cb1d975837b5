"""tl.backends.cpu: kernels chosen by measurement on this machine (the idea of
torch.backends.cudnn.benchmark).

`tl.backends.cpu.benchmark = True` makes the first call of each configuration (op, dtype, sizes, thread
count) of a GEMM or conv2d pass time the candidates on the real call (GEMM kernel variants; for conv2d each
applicable algorithm under each variant) and keep the fastest for the process; later calls run it. Results
are the same up to rounding (every candidate computes the whole output). Forcing a choice
(`_C.set_gemm_kernel`, `_C.set_conv2d_algorithm`) wins over tuning. Off by default: see docs/kernels.md for
the first-call cost.

`benchmark_cache_path = "file.json"` (or the TENSORLITE_TUNE_CACHE variable at import) keeps the choices on
disk: loaded when set, written atomically at exit and by benchmark_cache_save(). The file holds one
machine's choices: a file of another CPU model, instruction-set limit or kernel set, or one that cannot be
read, is ignored with a RuntimeWarning.
"""

import atexit
import json
import os
import platform
import sys
import types
import warnings

from tensorlite import _C
from tensorlite._atomic import atomic_write_bytes

ENV_CACHE = "TENSORLITE_TUNE_CACHE"
FORMAT = "tensorlite-tune-cache"
VERSION = 1

__all__ = [
    "benchmark_cache_clear",
    "benchmark_cache_save",
    "benchmark_choices",
    "get_cpu_capability",
    "machine_key",
]

_state = {"path": None, "saved": None}  # the cache file, and the entries it last held (None: unknown)


def get_cpu_capability():
    """The best instruction set the kernels may use, in torch.backends.cpu's spelling: "AVX512", "AVX2"
    or "DEFAULT"."""
    best = _C.gemm_kernel_variants()[0]
    return {"avx512": "AVX512", "avx2": "AVX2"}.get(best, "DEFAULT")


def benchmark_choices():
    """The measured choices: one dict per configuration with "op" ("gemm", "gemm_batched",
    "conv2d_forward", "conv2d_backward"), "dtype", "sizes" (dict), "threads", "algorithm" (conv only, else
    None; for conv2d_backward the pair "dx+dw" of dX's and dW's algorithms), "kernel" (the GEMM kernel
    variant) and "seconds" (each candidate's best time; empty when loaded from a file)."""
    return _C.autotune_entries()


def benchmark_cache_clear():
    """Forget every measured choice (the file, if any, is left as it is until the next save)."""
    _C.autotune_clear()


def machine_key():
    """What a cache file must match: the CPU model, the instruction-set limit and the kernel variants."""
    return {"cpu": _cpu_model(), "isa_limit": get_cpu_capability(), "kernels": _C.gemm_kernel_variants()}


def benchmark_cache_save(path=None):
    """Write the choices to `path` (default: benchmark_cache_path) atomically, as JSON."""
    path = _state["path"] if path is None else os.fspath(path)
    if path is None:
        raise ValueError("benchmark_cache_save: no path given and benchmark_cache_path is None")
    entries = _snapshot(_C.autotune_entries())
    doc = {"format": FORMAT, "version": VERSION, "machine": machine_key(), "entries": entries}
    atomic_write_bytes(path, json.dumps(doc, indent=1).encode())
    if path == _state["path"]:
        _state["saved"] = entries


def _snapshot(entries):
    """The entries without their times, in a fixed order (what a file holds; comparable)."""
    kept = [{k: v for k, v in e.items() if k != "seconds"} for e in entries]
    return sorted(kept, key=lambda e: json.dumps(e, sort_keys=True))


def _cpu_model():
    """The CPU's model name (/proc/cpuinfo on Linux, else what platform reports)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return f"{platform.machine()} {platform.processor()}".strip()


def _load(path):
    """Add the choices in `path` to the cache; a missing file is an empty cache, a bad or foreign one is
    ignored with a RuntimeWarning."""
    try:
        with open(path, "rb") as f:
            doc = json.loads(f.read())
    except FileNotFoundError:
        return
    except (OSError, ValueError) as e:
        warnings.warn(
            f"tl.backends.cpu: ignoring the tuning cache {path!r}: cannot read it ({e})",
            RuntimeWarning,
            stacklevel=4,
        )
        return
    reason = _mismatch(doc)
    if reason is None:
        try:
            _C.autotune_load(doc["entries"])
            return
        except (ValueError, TypeError) as e:
            reason = str(e)
    warnings.warn(
        f"tl.backends.cpu: ignoring the tuning cache {path!r}: {reason}", RuntimeWarning, stacklevel=4
    )


def _mismatch(doc):
    """Why `doc` (a parsed cache file) cannot be used here, or None."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        return "not a tensorlite tuning cache"
    if doc.get("version") != VERSION:
        return f"format version {doc.get('version')!r}, expected {VERSION}"
    if doc.get("machine") != machine_key():
        return f"written on another machine ({doc.get('machine')!r}, this one is {machine_key()!r})"
    if not isinstance(doc.get("entries"), list):
        return "its entries are not a list"
    return None


def _set_path(path):
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"benchmark_cache_path must be a path or None, got {type(path).__name__}")
    _state["path"] = None if path is None else os.fspath(path)
    if path is not None:
        _load(_state["path"])
    _state["saved"] = None if path is None else _snapshot(_C.autotune_entries())


@atexit.register
def _save_at_exit():
    """Write the cache file if the choices changed since it was loaded or saved."""
    if _state["path"] is None:
        return
    if _snapshot(_C.autotune_entries()) == _state["saved"]:
        return
    try:
        benchmark_cache_save()
    except OSError as e:  # at exit there is no caller left to raise to
        print(f"tl.backends.cpu: could not write the tuning cache {_state['path']!r}: {e}", file=sys.stderr)


class _CpuModule(types.ModuleType):
    """This module, with `benchmark` and `benchmark_cache_path` as properties so that assigning them
    (`tl.backends.cpu.benchmark = True`, as with torch.backends.cudnn) reaches the kernels."""

    @property
    def benchmark(self):
        """Whether kernels are chosen by measurement (bool)."""
        return _C.autotune_enabled()

    @benchmark.setter
    def benchmark(self, on):
        if not isinstance(on, bool):
            raise TypeError(f"tl.backends.cpu.benchmark must be a bool, got {on!r}")
        _C.set_autotune(on)

    @property
    def benchmark_cache_path(self):
        """The JSON file the choices are kept in across processes, or None."""
        return _state["path"]

    @benchmark_cache_path.setter
    def benchmark_cache_path(self, path):
        _set_path(path)


sys.modules[__name__].__class__ = _CpuModule
if os.environ.get(ENV_CACHE):
    _set_path(os.environ[ENV_CACHE])
