"""Choosing the GEMM kernels: set_gemm_isa, gemm_config and the TENSORLITE_ISA variable (in a subprocess)."""

import os
import subprocess
import sys

import pytest

import tensorlite as tl
from tensorlite import _C

ALL_ISAS = ("avx512", "avx2", "generic")
AVAILABLE_ISAS = _C.gemm_config()["available"]


def test_gemm_isa_set_rejects_unknown_and_unsupported():
    with pytest.raises(ValueError, match="'sse'.*available"):
        _C.set_gemm_isa("sse")
    for name in ALL_ISAS:
        if name not in AVAILABLE_ISAS:
            with pytest.raises(ValueError, match=name):
                _C.set_gemm_isa(name)


def test_gemm_isa_config_reports_blocks():
    cfg = _C.gemm_config()
    assert cfg["isa"] == _C.gemm_isa() == cfg["available"][0]
    assert "generic" in cfg["available"]
    for dtype in ("float32", "float64"):
        blk = cfg[dtype]
        assert blk["mc"] % blk["mr"] == 0 and blk["nc"] % blk["nr"] == 0 and blk["kc"] > 0
        assert blk["in_place_a_max_depth"] >= blk["kc"]
    assert tl.config.config()["gemm_isa"] == cfg["isa"]


def _isa_in_subprocess(value):
    env = dict(os.environ, TENSORLITE_ISA=value)
    code = "from tensorlite import _C; print(_C.gemm_isa())"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip(), done.stderr


@pytest.mark.parametrize("name", ALL_ISAS)
def test_gemm_isa_env_var_forces_or_falls_back(name):
    chosen, stderr = _isa_in_subprocess(name)
    if name in AVAILABLE_ISAS:
        assert chosen == name and stderr == ""
    else:
        assert chosen == AVAILABLE_ISAS[0]
        assert f"TENSORLITE_ISA={name} is not available" in stderr


def test_gemm_isa_env_var_unknown_falls_back_with_message():
    chosen, stderr = _isa_in_subprocess("sse9")
    assert chosen == AVAILABLE_ISAS[0]
    assert "TENSORLITE_ISA=sse9" in stderr


# ---- through tl.backend.gemm on the default ISA: any size up to 300, views, batches, bad input
