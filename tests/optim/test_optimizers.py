"""Every optimizer against its float64 NumPy reference (random problems, hyperparameters and param
groups, several steps, float32 and float64), plus validation, zero_grad, skipped parameters and a
convergence suite on a quadratic bowl and the 2-D Rosenbrock function."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tensorlite as tl

from harness import random_shape, using_optim_isa
from reference import optim as ref

OPT_TOLERANCES = {np.float32: {"rtol": 2e-4, "atol": 2e-5}, np.float64: {"rtol": 1e-9, "atol": 1e-11}}


# The builds of the fused kernels this machine runs (generic always; avx2, avx512 where the CPU has them).
ISAS = tl._C.optim_available_isas()


def _maybe(rng, low, high, p_zero=0.4):
    """0 with probability p_zero, else uniform in [low, high)."""
    return 0.0 if rng.random() < p_zero else float(rng.uniform(low, high))


def _sgd_hyper(rng):
    momentum = _maybe(rng, 0.1, 0.95)
    dampening = 0.0 if rng.random() < 0.5 else float(rng.uniform(0, 0.5))
    nesterov = bool(momentum > 0 and dampening == 0 and rng.random() < 0.5)
    return {
        "lr": float(rng.uniform(0, 0.5)),
        "momentum": momentum,
        "dampening": dampening,
        "weight_decay": _maybe(rng, 0, 0.1),
        "nesterov": nesterov,
        "maximize": bool(rng.random() < 0.3),
    }


def _adam_hyper(rng, decoupled):
    return {
        "lr": float(rng.uniform(0, 0.1)),
        "betas": (float(rng.uniform(0, 0.99)), float(rng.uniform(0.5, 0.9999))),
        "eps": float(10 ** rng.uniform(-8, -2)),
        "weight_decay": _maybe(rng, 0, 0.1),
        "amsgrad": bool(rng.random() < 0.5),
        "maximize": bool(rng.random() < 0.3),
        "decoupled_weight_decay": decoupled,
    }


# name -> (constructor, reference step, hyperparameter sampler giving constructor keywords)
OPTIMIZERS = {
    "SGD": (tl.optim.SGD, ref.sgd, _sgd_hyper),
    "Momentum": (
        tl.optim.Momentum,
        ref.momentum,
        lambda rng: {"lr": float(rng.uniform(0, 0.5)), "mu": float(rng.uniform(0, 0.95))},
    ),
    "Adagrad": (
        tl.optim.Adagrad,
        ref.adagrad,
        lambda rng: {
            "lr": float(rng.uniform(0, 0.5)),
            "lr_decay": _maybe(rng, 0, 0.5),
            "weight_decay": _maybe(rng, 0, 0.1),
            "initial_accumulator_value": _maybe(rng, 0, 1),
            # eps below 1e-8 makes g / (sqrt(s) + eps) a sign function where g = grad + wd * p cancels to
            # float32 rounding, so float32 and the float64 reference may step opposite ways (seed 787018257)
            "eps": float(10 ** rng.uniform(-8, -2)),
            "maximize": bool(rng.random() < 0.3),
        },
    ),
    "RMSprop": (
        tl.optim.RMSprop,
        ref.rmsprop,
        lambda rng: {
            "lr": float(rng.uniform(0, 0.05)),
            "alpha": float(rng.uniform(0.5, 0.999)),
            "eps": float(10 ** rng.uniform(-8, -2)),
            "weight_decay": _maybe(rng, 0, 0.1),
            "momentum": _maybe(rng, 0, 0.9),
            "centered": bool(rng.random() < 0.5),
            "maximize": bool(rng.random() < 0.3),
        },
    ),
    "Adam": (tl.optim.Adam, ref.adam, lambda rng: _adam_hyper(rng, bool(rng.random() < 0.3))),
    "AdamW": (tl.optim.AdamW, ref.adam, lambda rng: _adam_hyper(rng, True)),
    "NAdam": (
        tl.optim.NAdam,
        ref.nadam,
        lambda rng: {
            "lr": float(rng.uniform(0, 0.1)),
            "betas": (float(rng.uniform(0, 0.99)), float(rng.uniform(0.5, 0.9999))),
            "eps": float(10 ** rng.uniform(-8, -2)),
            "weight_decay": _maybe(rng, 0, 0.1),
            "momentum_decay": float(rng.uniform(0, 0.01)),
            "decoupled_weight_decay": bool(rng.random() < 0.5),
            "maximize": bool(rng.random() < 0.3),
        },
    ),
    "Adadelta": (
        tl.optim.Adadelta,
        ref.adadelta,
        lambda rng: {
            "lr": float(rng.uniform(0, 2)),
            "rho": float(rng.uniform(0.5, 0.99)),
            "eps": float(10 ** rng.uniform(-8, -3)),
            "weight_decay": _maybe(rng, 0, 0.1),
            "maximize": bool(rng.random() < 0.3),
        },
    ),
}


def _constructor_kwargs(name, hyper):
    """AdamW has no decoupled_weight_decay argument (it is always decoupled)."""
    return {k: v for k, v in hyper.items() if not (name == "AdamW" and k == "decoupled_weight_decay")}


def _run_against_reference(name, seed, shapes, steps):
    make, reference, sample = OPTIMIZERS[name]
    rng = np.random.default_rng(seed)
    hypers = [sample(rng) for _ in shapes]  # one param group per parameter, each its own hyperparameters
    starts = [rng.standard_normal(s) for s in shapes]
    grads = [[rng.standard_normal(s) * 10 ** rng.uniform(-3, 1) for s in shapes] for _ in range(steps)]
    for dtype in (np.float32, np.float64):
        params = [tl.nn.Parameter(x.astype(dtype)) for x in starts]
        groups = [dict(params=[p], **_constructor_kwargs(name, h)) for p, h in zip(params, hypers)]
        optimizer = make(groups)
        expected = [x.astype(dtype).astype(np.float64) for x in starts]
        states = [{} for _ in shapes]
        for step_grads in grads:
            for i, g in enumerate(step_grads):
                g = g.astype(dtype)
                params[i].grad = tl.Tensor._wrap(g)
                expected[i] = reference(expected[i], g.astype(np.float64), states[i], **hypers[i])
            optimizer.step()
            for p, e in zip(params, expected):
                assert p.dtype == dtype
                np.testing.assert_allclose(
                    p.detach().numpy().astype(np.float64),
                    e,
                    **OPT_TOLERANCES[dtype],
                    err_msg=f"{name} {dtype.__name__} hyperparameters {hypers}",
                )


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@given(seed=st.integers(0, 2**32 - 1))
def test_matches_reference(name, isa, seed):
    rng = np.random.default_rng(seed)
    shapes = [random_shape(rng, max_ndim=3, max_size=6), random_shape(rng, max_ndim=2, max_size=40)]
    with using_optim_isa(isa):
        _run_against_reference(name, seed, shapes, steps=4)


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_matches_reference_on_a_large_tensor(name, isa):
    """Above the kernels' OpenMP threshold, with an odd size."""
    with using_optim_isa(isa):
        _run_against_reference(name, 7, [(100_003,)], steps=2)


def test_momentum_is_pytorch_momentum_at_constant_lr():
    rng = np.random.default_rng(0)
    a = tl.nn.Parameter(rng.standard_normal(50))
    b = tl.nn.Parameter(a.detach().numpy().copy())
    classic, pytorch_style = tl.optim.Momentum([a], lr=0.1, mu=0.9), tl.optim.SGD([b], lr=0.1, momentum=0.9)
    for _ in range(20):
        g = rng.standard_normal(50)
        a.grad, b.grad = tl.tensor(g), tl.tensor(g)
        classic.step()
        pytorch_style.step()
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert not np.array_equal(a.detach().numpy(), b.detach().numpy() * 0)  # the trajectory actually moved


def test_parameters_without_grad_are_skipped():
    p, q = tl.nn.Parameter(np.ones(3)), tl.nn.Parameter(np.ones(3))
    optimizer = tl.optim.Adam([p, q], lr=0.1)
    p.grad = tl.tensor(np.ones(3))
    optimizer.step()
    assert np.all(p.detach().numpy() < 1) and np.array_equal(q.detach().numpy(), np.ones(3))
    assert q not in optimizer.state and optimizer.state[p]["step"] == 1


def test_non_contiguous_parameter_is_updated_in_place():
    p = tl.nn.Parameter(np.zeros((3, 4)))
    p.data = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    view = p.detach().numpy()
    p.grad = tl.tensor(np.ones((3, 4)))
    tl.optim.SGD([p], lr=0.5).step()
    assert p.detach().numpy() is view
    np.testing.assert_array_equal(view, np.arange(12.0).reshape(3, 4) - 0.5)


def test_zero_grad():
    p = tl.nn.Parameter(np.ones(2))
    optimizer = tl.optim.SGD([p], lr=0.1)
    p.grad = tl.tensor(np.ones(2))
    optimizer.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.numpy(), np.zeros(2))
    optimizer.zero_grad()
    assert p.grad is None


def test_step_runs_closure_and_returns_its_loss():
    p = tl.nn.Parameter(np.array([2.0]))
    optimizer = tl.optim.SGD([p], lr=0.25)

    def closure():
        optimizer.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = optimizer.step(closure)
    assert float(loss) == 4.0 and p.detach().numpy()[0] == 2.0 - 0.25 * 4.0


def test_sgd_keeps_the_positional_lr_form():
    p = tl.nn.Parameter(np.array([1.0]))
    optimizer = tl.optim.SGD([p], 0.5)
    p.grad = tl.tensor([2.0], dtype=tl.float64)
    optimizer.step()
    assert p.detach().numpy()[0] == 0.0 and optimizer.defaults["momentum"] == 0.0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda ps: tl.optim.SGD(ps, lr=-0.1), "invalid learning rate -0.1"),
        (lambda ps: tl.optim.SGD(ps, lr=0.1, momentum=-1), "invalid momentum -1"),
        (lambda ps: tl.optim.SGD(ps, lr=0.1, nesterov=True), "Nesterov momentum requires"),
        (lambda ps: tl.optim.Momentum(ps, lr=0.1, mu=-0.5), "invalid mu -0.5"),
        (lambda ps: tl.optim.Adam(ps, betas=(1.0, 0.999)), "invalid beta at index 0 1.0"),
        (lambda ps: tl.optim.Adam(ps, betas=(0.9, -0.1)), "invalid beta at index 1 -0.1"),
        (lambda ps: tl.optim.Adam(ps, eps=0.0), "invalid eps 0.0"),
        (lambda ps: tl.optim.AdamW(ps, weight_decay=-1e-2), "invalid weight_decay -0.01"),
        (lambda ps: tl.optim.NAdam(ps, momentum_decay=-1.0), "invalid momentum_decay -1.0"),
        (lambda ps: tl.optim.Adagrad(ps, lr_decay=-1.0), "invalid lr_decay -1.0"),
        (
            lambda ps: tl.optim.Adagrad(ps, initial_accumulator_value=-1.0),
            "invalid initial_accumulator_value",
        ),
        (lambda ps: tl.optim.RMSprop(ps, alpha=1.5), "invalid alpha 1.5"),
        (lambda ps: tl.optim.RMSprop(ps, eps=-1e-8), "invalid eps -1e-08"),
        (lambda ps: tl.optim.Adadelta(ps, rho=1.1), "invalid rho 1.1"),
        (lambda ps: tl.optim.Adam([{"params": ps, "lr": float("nan")}]), "invalid learning rate nan"),
    ],
)
def test_invalid_hyperparameters_raise(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        make([tl.nn.Parameter(np.ones(2))])


def test_invalid_types_raise():
    with pytest.raises(TypeError, match="learning rate must be a real number, got str"):
        tl.optim.Adam([tl.nn.Parameter(np.ones(2))], lr="0.1")
    with pytest.raises(TypeError, match="single Tensor"):
        tl.optim.Adam(tl.nn.Parameter(np.ones(2)))
    with pytest.raises(ValueError, match="empty parameter list"):
        tl.optim.Adam([])


# ---------------------------------------------------------------- convergence


def _bowl(x):
    curvature, center = np.array([1.0, 10.0]), np.array([1.0, -0.5])
    return 0.5 * np.sum(curvature * (x - center) ** 2), curvature * (x - center)


def _rosenbrock(x):
    a, b = x
    return (1 - a) ** 2 + 100 * (b - a * a) ** 2, np.array(
        [-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)]
    )


# name -> (bowl optimizer, Rosenbrock optimizer or None), each tuned for a few thousand steps
CONVERGENCE = {
    "SGD": (lambda ps: tl.optim.SGD(ps, lr=0.05), lambda ps: tl.optim.SGD(ps, lr=1e-3)),
    "SGD-nesterov": (
        lambda ps: tl.optim.SGD(ps, lr=0.01, momentum=0.9, nesterov=True),
        lambda ps: tl.optim.SGD(ps, lr=2e-4, momentum=0.9, nesterov=True),
    ),
    "Momentum": (
        lambda ps: tl.optim.Momentum(ps, lr=0.01, mu=0.9),
        lambda ps: tl.optim.Momentum(ps, lr=2e-4, mu=0.9),
    ),
    "Adagrad": (lambda ps: tl.optim.Adagrad(ps, lr=0.5), lambda ps: tl.optim.Adagrad(ps, lr=0.5)),
    "RMSprop": (
        lambda ps: tl.optim.RMSprop(ps, lr=0.01, centered=True, momentum=0.5),
        lambda ps: tl.optim.RMSprop(ps, lr=0.01, centered=True, momentum=0.5),
    ),
    "Adam": (lambda ps: tl.optim.Adam(ps, lr=0.05), lambda ps: tl.optim.Adam(ps, lr=0.05)),
    "Adam-amsgrad": (
        lambda ps: tl.optim.Adam(ps, lr=0.05, amsgrad=True),
        lambda ps: tl.optim.Adam(ps, lr=0.05, amsgrad=True),
    ),
    "AdamW": (
        lambda ps: tl.optim.AdamW(ps, lr=0.05, weight_decay=0.0),
        lambda ps: tl.optim.AdamW(ps, lr=0.05, weight_decay=0.0),
    ),
    "NAdam": (lambda ps: tl.optim.NAdam(ps, lr=0.05), lambda ps: tl.optim.NAdam(ps, lr=0.02)),
    # Adadelta crawls along Rosenbrock's valley (f is still ~0.3 after 3000 steps): bowl only.
    "Adadelta": (lambda ps: tl.optim.Adadelta(ps, lr=10.0), None),
}


def _minimize(make, fn, start, steps):
    p = tl.nn.Parameter(np.array(start))
    optimizer = make([p])
    for _ in range(steps):
        _, grad = fn(p.detach().numpy())
        p.grad = tl.Tensor._wrap(grad)
        optimizer.step()
    return fn(p.detach().numpy())[0], p.detach().numpy()


@pytest.mark.parametrize("name", sorted(CONVERGENCE))
def test_converges(name):
    bowl, rosenbrock = CONVERGENCE[name]
    value, x = _minimize(bowl, _bowl, [3.0, 2.0], 500)
    assert value < 1e-6, f"{name} left the bowl at {x} (f = {value})"
    if rosenbrock is not None:
        value, x = _minimize(rosenbrock, _rosenbrock, [-1.0, 1.0], 3000)
        assert value < 0.03 and np.all(np.isfinite(x)), (
            f"{name} stopped at {x} on Rosenbrock (f = {value}, from 4)"
        )


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_results_do_not_depend_on_the_thread_count(name):
    """The updates are elementwise, so 1 and 2 threads give the same bits."""
    make, _, sample = OPTIMIZERS[name]
    rng = np.random.default_rng(11)
    hyper = _constructor_kwargs(name, sample(rng))
    start, grads = rng.standard_normal(100_003), [rng.standard_normal(100_003) for _ in range(3)]
    results, threads = [], tl.get_num_threads()
    try:
        for count in (1, 2):
            tl.set_num_threads(count)
            p = tl.nn.Parameter(start.astype(np.float32))
            optimizer = make([p], **hyper)
            for g in grads:
                p.grad = tl.tensor(g.astype(np.float32))
                optimizer.step()
            results.append(p.detach().numpy())
    finally:
        tl.set_num_threads(threads)
    assert np.array_equal(results[0], results[1])
