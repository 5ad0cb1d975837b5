"""tl.backends.cpu's switch and on-disk cache: assignment like torch.backends.cudnn.benchmark, the file's
round trip, and files that are corrupt, malformed or from another machine (ignored with a warning)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import tensorlite as tl
from tensorlite import _C

cpu = tl.backends.cpu


@pytest.fixture
def clean():
    cpu.benchmark_cache_clear()
    try:
        yield
    finally:
        cpu.benchmark = False
        cpu.benchmark_cache_path = None
        cpu.benchmark_cache_clear()


def tune_one_gemm():
    cpu.benchmark = True
    a = np.random.default_rng(0).standard_normal((24, 24))
    _C.gemm(a, a)
    cpu.benchmark = False
    return cpu.benchmark_choices()


def test_benchmark_flag_assigns_like_torch_and_checks_type(clean):
    assert cpu.benchmark is False  # the default (docs/kernels.md)
    tl.backends.cpu.benchmark = True
    assert cpu.benchmark is True and _C.autotune_enabled() is True
    tl.backends.cpu.benchmark = False
    assert _C.autotune_enabled() is False
    with pytest.raises(TypeError, match="benchmark must be a bool, got 1"):
        cpu.benchmark = 1
    with pytest.raises(TypeError, match="benchmark_cache_path must be a path or None, got int"):
        cpu.benchmark_cache_path = 3
    assert cpu.get_cpu_capability() in ("AVX512", "AVX2", "DEFAULT")


def test_cache_file_round_trip(clean, tmp_path):
    path = tmp_path / "tune.json"
    cpu.benchmark_cache_path = path  # no file yet: an empty cache, no warning
    assert cpu.benchmark_cache_path == str(path) and cpu.benchmark_choices() == []
    measured = tune_one_gemm()
    cpu.benchmark_cache_save()
    doc = json.loads(path.read_text())
    assert doc["machine"] == cpu.machine_key() and len(doc["entries"]) == 1
    assert not [name for name in os.listdir(tmp_path) if name != "tune.json"]  # no temporary left
    cpu.benchmark_cache_clear()
    cpu.benchmark_cache_path = path
    (loaded,) = cpu.benchmark_choices()
    assert loaded == {**measured[0], "seconds": {}}
    cpu.benchmark = True
    a = np.random.default_rng(0).standard_normal((24, 24))
    np.testing.assert_allclose(_C.gemm(a, a), a @ a, rtol=1e-12, atol=1e-12)
    assert cpu.benchmark_choices() == [loaded]  # used, not measured again


def write_doc(path, **changes):
    tune_one_gemm()
    cpu.benchmark_cache_save(path)
    cpu.benchmark_cache_clear()
    doc = json.loads(path.read_text())
    doc.update(changes)
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read it"),
        ("[1, 2]", "not a tensorlite tuning cache"),
    ],
)
def test_corrupt_cache_file_is_ignored_with_warning(clean, tmp_path, content, message):
    path = tmp_path / "tune.json"
    path.write_text(content)
    with pytest.warns(RuntimeWarning, match=message):
        cpu.benchmark_cache_path = path
    assert cpu.benchmark_choices() == []


def test_cache_of_another_machine_or_version_or_malformed_entries_is_ignored(clean, tmp_path):
    path = tmp_path / "tune.json"
    cases = [
        ({"machine": {**cpu.machine_key(), "cpu": "Some Other CPU"}}, "another machine"),
        ({"version": 99}, "format version 99"),
        ({"entries": [{"op": "gemm"}]}, "entry 0 is malformed"),
        ({"entries": {"op": "gemm"}}, "not a list"),
    ]
    for changes, message in cases:
        write_doc(path, **changes)
        with pytest.warns(RuntimeWarning, match=message):
            cpu.benchmark_cache_path = path
        assert cpu.benchmark_choices() == [], message


def test_stale_choice_from_file_is_measured_again(clean, tmp_path):
    """A choice naming a kernel this machine cannot run (hand-edited file) is measured anew, not run."""
    entry = {**tune_one_gemm()[0], "kernel": "no-such-kernel"}
    cpu.benchmark_cache_clear()
    assert _C.autotune_load([entry]) == 1
    cpu.benchmark = True
    a = np.random.default_rng(0).standard_normal((24, 24))
    np.testing.assert_allclose(_C.gemm(a, a), a @ a, rtol=1e-12, atol=1e-12)
    (measured,) = cpu.benchmark_choices()
    assert measured["kernel"] in _C.gemm_kernel_variants() and measured["seconds"]


def test_env_variable_loads_at_import_and_saves_at_exit(tmp_path):
    path = tmp_path / "tune.json"
    code = (
        "import numpy as np, tensorlite as tl; from tensorlite import _C\n"
        "tl.backends.cpu.benchmark = True\n"
        "a = np.ones((20, 30)); _C.gemm(a, a.T)\n"
        "print(len(tl.backends.cpu.benchmark_choices()))\n"
    )
    env = dict(os.environ, TENSORLITE_TUNE_CACHE=str(path))
    for expected in ("1", "1"):  # the second process starts from the file the first wrote at exit
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        assert done.stdout.strip() == expected and done.stderr == ""
    doc = json.loads(path.read_text())
    assert [e["sizes"] for e in doc["entries"]] == [{"m": 20, "n": 20, "k": 30, "trans_a": 0, "trans_b": 1}]
