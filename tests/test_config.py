"""Threads, OpenMP settings, show_config, version, the CLI."""

import os
import subprocess
import sys

import pytest

import tensorlite as tl


@pytest.fixture
def restore_threads():
    before = tl.get_num_threads()
    yield
    tl.set_num_threads(before)


def test_set_and_get_num_threads(restore_threads):
    tl.set_num_threads(1)
    assert tl.get_num_threads() == 1
    tl.set_num_threads(2)
    assert tl.get_num_threads() == (2 if tl._C.openmp_enabled() else 1)
    with pytest.raises(ValueError, match="n must be >= 1, got 0"):
        tl.set_num_threads(0)
    with pytest.raises(TypeError, match="n must be an int, got float"):
        tl.set_num_threads(1.5)


def test_omp_num_threads_is_honoured():
    code = "import tensorlite as tl; print(tl.get_num_threads())"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"


def test_openmp_threads_spin_briefly_then_sleep_unless_the_user_says_otherwise():
    code = "import os, tensorlite; print(os.environ.get('OMP_WAIT_POLICY'), os.environ.get('GOMP_SPINCOUNT'))"
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}

    def policy(**user):
        run_env = dict(env, **user)
        return subprocess.run(
            [sys.executable, "-c", code], env=run_env, capture_output=True, text=True, check=True
        )

    assert policy().stdout.split() == ["PASSIVE", "100"]
    assert policy(OMP_WAIT_POLICY="ACTIVE").stdout.split() == ["ACTIVE", "None"]
    assert policy(GOMP_SPINCOUNT="0").stdout.split() == ["None", "0"]


def test_show_config_prints_build_facts(capsys):
    tl.show_config()
    text = capsys.readouterr().out
    assert f"tensorlite {tl.__version__}" in text
    assert tl._C.compiler in text
    assert ("OpenMP:     on" if tl._C.openmp_enabled() else "OpenMP:     off") in text
    assert f"({tl.get_num_threads()} threads)" in text
    assert f"CPU ISA:    {tl._C.cpu_isa()} (GEMM kernel: {tl._C.gemm_isa()}, " in text
    assert f"optimizer kernels: {tl._C.optim_isa()}, " in text
    assert "CUDA:       off" in text or "CUDA:       on" in text


def test_version_and_public_names():
    assert tl.__version__.count(".") == 2
    for name in (
        "float32",
        "float64",
        "int64",
        "bool",
        "float",
        "double",
        "long",
        "Tensor",
        "no_grad",
        "enable_grad",
        "set_grad_enabled",
        "manual_seed",
        "Generator",
        "nn",
        "optim",
        "autograd",
    ):
        assert hasattr(tl, name), name
    assert tl.float is tl.float32 and tl.double is tl.float64


def test_cli_info(capsys):
    from tensorlite.cli import main

    assert main(["info"]) == 0
    assert "tensorlite" in capsys.readouterr().out
