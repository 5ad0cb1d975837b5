"""The fused optimizer kernels in tensorlite._C directly: every instruction-set build this machine runs
gives the generic build's results within float rounding (random arrays, hyperparameters and options),
TENSORLITE_ISA caps the build of GEMM and optimizers alike, and the kernels take keyword arguments only
and reject bad arrays naming the argument."""

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tensorlite as tl

from harness import using_optim_isa

ISAS = tl._C.optim_available_isas()
LEVELS = ["generic", "avx2", "avx512"]  # each includes the ones before it
OPTIM_BUILDS = ["generic", "avx2"]  # no AVX-512 build (cpp/kernels/optim_isa.h says why)
# Builds differ only in rounding (FMA contraction; sqrt and division are correctly rounded everywhere).
ISA_RTOL = {np.float32: 1e-5, np.float64: 1e-13}


def _u(rng, low, high):
    return float(rng.uniform(low, high))


def _maybe(rng, low, high):
    return 0.0 if rng.random() < 0.4 else _u(rng, low, high)


def _flag(rng):
    return bool(rng.random() < 0.5)


def _sgd(rng, n):
    buffer = rng.standard_normal(n) if rng.random() < 0.7 else None
    hyper = {"lr": _u(rng, 0, 0.5), "momentum": _u(rng, 0.1, 0.95), "dampening": _maybe(rng, 0, 0.5)}
    hyper.update(weight_decay=_maybe(rng, 0, 0.1), nesterov=_flag(rng), first_step=_flag(rng))
    return {"momentum_buffer": buffer}, hyper


def _momentum(rng, n):
    return {"velocity": rng.standard_normal(n)}, {"lr": _u(rng, 0, 0.5), "mu": _u(rng, 0, 0.95)}


def _adagrad(rng, n):
    hyper = {"clr": _u(rng, 0, 0.5), "eps": 10 ** _u(rng, -10, -2), "weight_decay": _maybe(rng, 0, 0.1)}
    return {"sum": rng.uniform(0, 2, n)}, hyper


def _rmsprop(rng, n):
    square_avg = rng.uniform(0.1, 2, n)
    # |grad_avg| < sqrt(square_avg) keeps the centered variance square_avg - grad_avg^2 positive.
    centered = rng.uniform(-0.9, 0.9, n) * np.sqrt(square_avg) if _flag(rng) else None
    momentum = _maybe(rng, 0.1, 0.9)
    buffer = rng.standard_normal(n) if momentum > 0 else None
    hyper = {"lr": _u(rng, 0, 0.05), "alpha": _u(rng, 0.5, 0.999), "eps": 10 ** _u(rng, -8, -2)}
    hyper.update(momentum=momentum, weight_decay=_maybe(rng, 0, 0.1))
    return {"square_avg": square_avg, "grad_avg": centered, "momentum_buffer": buffer}, hyper


def _adam(rng, n):
    exp_avg_sq = rng.uniform(0, 2, n)
    amsgrad = exp_avg_sq * rng.uniform(0.5, 1.5, n) if _flag(rng) else None
    beta1, beta2, t = _u(rng, 0, 0.99), _u(rng, 0.5, 0.9999), int(rng.integers(1, 100))
    hyper = {
        "beta1": beta1,
        "beta2": beta2,
        "eps": 10 ** _u(rng, -8, -2),
        "weight_decay": _maybe(rng, 0, 0.1),
    }
    hyper.update(step_size=_u(rng, 0, 0.1) / (1 - beta1**t), bc2_sqrt=float(np.sqrt(1 - beta2**t)))
    hyper.update(param_decay=1 - _maybe(rng, 0, 0.01), grad_coef=_maybe(rng, 0, 0.01))  # AdamW, NAdam
    return {"exp_avg": rng.standard_normal(n), "exp_avg_sq": exp_avg_sq, "max_exp_avg_sq": amsgrad}, hyper


def _adadelta(rng, n):
    hyper = {"lr": _u(rng, 0, 2), "rho": _u(rng, 0.5, 0.99), "eps": 10 ** _u(rng, -8, -3)}
    hyper["weight_decay"] = _maybe(rng, 0, 0.1)
    return {"square_avg": rng.uniform(0, 2, n), "acc_delta": rng.uniform(0, 2, n)}, hyper


# kernel name in tensorlite._C -> sampler(rng, n) giving (state arrays, None where off; hyperparameters)
KERNELS = {
    "sgd_step": _sgd,
    "momentum_step": _momentum,
    "adagrad_step": _adagrad,
    "rmsprop_step": _rmsprop,
    "adam_step": _adam,
    "adadelta_step": _adadelta,
}


def _step(isa, kernel, dtype, param, grad, states, hyper):
    """One update on build `isa` of copies of the arrays; returns the updated param and states."""
    out = {"param": param.astype(dtype)}
    out.update({k: None if v is None else v.astype(dtype) for k, v in states.items()})
    with using_optim_isa(isa):
        getattr(tl._C, kernel)(grad=grad.astype(dtype), **out, **hyper)
    return out


def _assert_builds_agree(kernel, seed, n):
    rng = np.random.default_rng(seed)
    states, hyper = KERNELS[kernel](rng, n)
    if kernel != "momentum_step":
        hyper["maximize"] = _flag(rng)
    param, grad = rng.standard_normal(n), rng.standard_normal(n) * 10 ** _u(rng, -3, 1)
    for dtype in (np.float32, np.float64):
        expected = _step("generic", kernel, dtype, param, grad, states, hyper)
        for isa in ISAS:
            actual = _step(isa, kernel, dtype, param, grad, states, hyper)
            for name, value in expected.items():
                if value is None:
                    continue
                rtol = ISA_RTOL[dtype]
                np.testing.assert_allclose(
                    actual[name],
                    value,
                    rtol=rtol,
                    atol=rtol * float(np.max(np.abs(value))),
                    err_msg=f"{kernel} {isa} vs generic, {name}, {dtype.__name__}, {hyper}",
                )


@pytest.mark.parametrize("kernel", sorted(KERNELS))
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 80))
def test_every_isa_matches_generic(kernel, seed, n):
    """Sizes up to 80 cover every vector width's tail."""
    _assert_builds_agree(kernel, seed, n)


@pytest.mark.parametrize("kernel", sorted(KERNELS))
def test_every_isa_matches_generic_on_a_large_array(kernel):
    """Above the kernels' OpenMP threshold, with an odd size."""
    _assert_builds_agree(kernel, 11, 100_003)


def _runnable(builds, limit):
    """The builds at or below instruction set `limit`, best first."""
    return [b for b in reversed(builds) if LEVELS.index(b) <= LEVELS.index(limit)]


def test_this_cpu_runs_every_build_up_to_its_isa():
    if "TENSORLITE_ISA" not in os.environ:
        assert ISAS == _runnable(OPTIM_BUILDS, tl._C.cpu_isa())
        assert tl._C.gemm_config()["available"] == _runnable(LEVELS, tl._C.cpu_isa())
    assert tl._C.optim_isa() == ISAS[0]


def test_unknown_or_unavailable_isa_is_rejected():
    with pytest.raises(ValueError, match=r"unknown instruction set 'sse9' \(available: .*generic\)"):
        tl._C.set_optim_isa("sse9")
    for name in LEVELS:
        if name not in ISAS:
            with pytest.raises(ValueError, match=f"'{name}' is not available"):
                tl._C.set_optim_isa(name)


_REPORT = """
from tensorlite import _C
print(_C.optim_isa(), _C.gemm_isa(), ",".join(_C.optim_available_isas()))
for family, switch in (("optim", _C.set_optim_isa), ("gemm", _C.set_gemm_isa)):
    for name in ("avx512", "avx2", "generic"):
        try:
            switch(name)
            print(family, name, "set")
        except ValueError:
            print(family, name, "refused")
"""


def _with_env_isa(value):
    env = dict(os.environ, TENSORLITE_ISA=value)
    done = subprocess.run(
        [sys.executable, "-c", _REPORT], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.splitlines(), done.stderr


@pytest.mark.parametrize("name", LEVELS[: LEVELS.index(tl._C.cpu_isa()) + 1])
def test_env_var_caps_gemm_and_optimizers_alike(name):
    """TENSORLITE_ISA is the highest set any kernel may use: both families start on their best build at
    or below it, and neither can be switched above it."""
    lines, stderr = _with_env_isa(name)
    optim, gemm = _runnable(OPTIM_BUILDS, name), _runnable(LEVELS, name)
    assert lines[0] == f"{optim[0]} {name} {','.join(optim)}"
    expected = [
        f"{family} {level} {'set' if level in runnable else 'refused'}"
        for family, runnable in (("optim", optim), ("gemm", gemm))
        for level in ("avx512", "avx2", "generic")
    ]
    assert lines[1:] == expected
    assert stderr == ""


def test_env_var_unknown_is_reported_and_ignored():
    lines, stderr = _with_env_isa("sse9")
    best = tl._C.cpu_isa()
    assert lines[0].split()[:2] == [_runnable(OPTIM_BUILDS, best)[0], best]
    assert "TENSORLITE_ISA=sse9 is not an instruction set" in stderr


def test_kernels_take_keywords_only():
    p, g, m, v = (np.zeros(4, np.float32) for _ in range(4))
    with pytest.raises(TypeError, match="incompatible function arguments"):
        tl._C.adam_step(p, g, m, v, 0.9, 0.999, 1e-8, 1e-3, 1.0)
    tl._C.adam_step(
        param=p,
        grad=g + 1,
        exp_avg=m,
        exp_avg_sq=v,
        beta1=0.9,
        beta2=0.999,
        eps=1e-8,
        step_size=1e-3,
        bc2_sqrt=1.0,
    )
    # Defaults are the options' off values: m = 0.1 g, v = 0.001 g^2, p -= 1e-3 * m / (sqrt(v) + eps).
    np.testing.assert_allclose(m, 0.1, rtol=1e-6)
    np.testing.assert_allclose(p, -1e-3 * 0.1 / (np.sqrt(0.001) + 1e-8), rtol=1e-5)


def test_kernels_reject_bad_state_arrays():
    f32 = np.float32
    p, g = np.zeros(4, f32), np.zeros(4, f32)
    adam = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "step_size": 1e-3, "bc2_sqrt": 1.0}
    with pytest.raises(TypeError, match="exp_avg has dtype float64 but float32 was expected"):
        tl._C.adam_step(param=p, grad=g, exp_avg=np.zeros(4), exp_avg_sq=np.zeros(4, f32), **adam)
    with pytest.raises(ValueError, match=r"exp_avg_sq has shape \(5,\) but the parameter has shape \(4,\)"):
        tl._C.adam_step(param=p, grad=g, exp_avg=np.zeros(4, f32), exp_avg_sq=np.zeros(5, f32), **adam)
    with pytest.raises(ValueError, match="bc2_sqrt must be > 0, got 0"):
        tl._C.adam_step(
            param=p, grad=g, exp_avg=np.zeros(4, f32), exp_avg_sq=np.zeros(4, f32), **adam | {"bc2_sqrt": 0.0}
        )
    read_only = np.zeros(4, f32)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="sum is read-only"):
        tl._C.adagrad_step(param=p, grad=g, sum=read_only, clr=0.1, eps=1e-10)
    with pytest.raises(ValueError, match="velocity must be C-contiguous"):
        tl._C.momentum_step(param=p, grad=g, velocity=np.zeros(8, f32)[::2], lr=0.1, mu=0.9)
    with pytest.raises(TypeError, match="expected a float32 or float64 array, got dtype int64"):
        tl._C.sgd_step(param=np.zeros(4, np.int64), grad=g, lr=0.1)
