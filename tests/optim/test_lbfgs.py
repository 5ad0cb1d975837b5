"""optim.LBFGS: convergence, PyTorch parity (same points and iteration counts), state dicts, arguments."""

import numpy as np
import pytest

import tensorlite as tl
from tensorlite import optim

START = np.array([-1.5, 2.0])


def _rosenbrock(p):
    """f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, minimum 0 at (1, 1)."""
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def _closure(opt, p, loss_fn, detach=False):
    """PyTorch's closure idiom; detach=True for torch, which warns on float() of a tensor needing grad."""

    def closure():
        opt.zero_grad()
        loss = loss_fn(p)
        loss.backward()
        return loss.detach() if detach else loss

    return closure


def _run_tl(steps, **kwargs):
    p = tl.tensor(START, requires_grad=True)
    opt = optim.LBFGS([p], **kwargs)
    losses = [float(opt.step(_closure(opt, p, _rosenbrock))) for _ in range(steps)]
    return p.numpy(), opt.state[p], losses


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_rosenbrock_matches_torch(line_search_fn):
    torch = pytest.importorskip("torch")
    kwargs = {"lr": 1 if line_search_fn else 0.5, "line_search_fn": line_search_fn}
    steps = 6
    ours, state, losses = _run_tl(steps, **kwargs)
    p = torch.tensor(START, requires_grad=True)
    opt = torch.optim.LBFGS([p], **kwargs)
    theirs = [float(opt.step(_closure(opt, p, _rosenbrock, detach=True))) for _ in range(steps)]
    torch_state = opt.state[p]
    assert state["n_iter"] == torch_state["n_iter"]
    assert state["func_evals"] == torch_state["func_evals"]
    np.testing.assert_allclose(ours, p.detach().numpy(), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(losses, theirs, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(ours, [1.0, 1.0], atol=1e-4)  # both reached the minimum


def test_rosenbrock_converges_with_strong_wolfe():
    ours, state, losses = _run_tl(5, line_search_fn="strong_wolfe")
    np.testing.assert_allclose(ours, [1.0, 1.0], atol=1e-5)
    assert losses[0] == pytest.approx(float(_rosenbrock(START)))
    assert state["n_iter"] > 20  # several step() calls each ran up to max_iter iterations


def _quadratic_problem(seed=0):
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((6, 6))
    a = m @ m.T + 6 * np.eye(6)
    b = rng.standard_normal(6)
    return a, b


def _quadratic(a, b, w, v):
    """0.5 x^T A x - b^T x for x = concat(w.ravel(), v): two parameters seen as one vector."""
    x = tl.concat([w.reshape(4), v])
    return 0.5 * (x @ (tl.tensor(a) @ x)) - tl.tensor(b) @ x


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_quadratic_over_two_parameters_converges(line_search_fn):
    a, b = _quadratic_problem()
    w = tl.tensor(np.zeros((2, 2)), requires_grad=True)
    v = tl.tensor(np.zeros(2), requires_grad=True)
    opt = optim.LBFGS([w, v], max_iter=50, line_search_fn=line_search_fn)
    opt.step(_closure(opt, None, lambda _: _quadratic(a, b, w, v)))
    solution = np.linalg.solve(a, b)
    np.testing.assert_allclose(np.concatenate([w.numpy().ravel(), v.numpy()]), solution, atol=1e-6)


def test_stops_at_once_when_the_gradient_is_below_tolerance():
    p = tl.tensor(np.ones(2), requires_grad=True)
    opt = optim.LBFGS([p])
    loss = opt.step(_closure(opt, p, _rosenbrock))
    assert float(loss) == 0.0 and opt.state[p]["func_evals"] == 1 and opt.state[p]["n_iter"] == 0
    np.testing.assert_array_equal(p.numpy(), np.ones(2))


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_state_dict_round_trip_continues_the_same_run(tmp_path, line_search_fn):
    kwargs = {
        "max_iter": 3,
        "history_size": 4,
        "line_search_fn": line_search_fn,
        "lr": 1 if line_search_fn else 0.1,
    }
    p = tl.tensor(START, requires_grad=True)
    opt = optim.LBFGS([p], **kwargs)
    for _ in range(2):
        opt.step(_closure(opt, p, _rosenbrock))
    tl.save({"opt": opt.state_dict(), "p": p.detach()}, tmp_path / "ckpt.tl")
    restored = tl.load(tmp_path / "ckpt.tl")
    q = tl.tensor(restored["p"].numpy(), requires_grad=True)
    resumed = optim.LBFGS([q], lr=5.0)  # the hyperparameters come back from the state dict
    resumed.load_state_dict(restored["opt"])
    assert resumed.param_groups[0]["lr"] == kwargs["lr"] and resumed.param_groups[0]["history_size"] == 4
    for _ in range(2):
        opt.step(_closure(opt, p, _rosenbrock))
        resumed.step(_closure(resumed, q, _rosenbrock))
    np.testing.assert_array_equal(q.numpy(), p.numpy())
    assert resumed.state[q]["func_evals"] == opt.state[p]["func_evals"]
    assert resumed.state[q]["n_iter"] == opt.state[p]["n_iter"]


def test_load_state_dict_checks_vector_sizes():
    p = tl.tensor(START, requires_grad=True)
    opt = optim.LBFGS([p], max_iter=2)
    opt.step(_closure(opt, p, _rosenbrock))
    other = optim.LBFGS([tl.tensor(np.zeros(3), requires_grad=True)])
    with pytest.raises(ValueError, match="state 'd' has shape \\(2,\\) but the parameters hold 3 values"):
        other.load_state_dict(opt.state_dict())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lr": -1.0}, "learning rate"),
        ({"max_iter": 0}, "max_iter"),
        ({"max_eval": 0}, "max_eval"),
        ({"history_size": 0}, "history_size"),
        ({"tolerance_grad": -1e-3}, "tolerance_grad"),
        ({"tolerance_change": -1.0}, "tolerance_change"),
        ({"line_search_fn": "backtracking"}, "line_search_fn"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        optim.LBFGS([tl.tensor(np.zeros(2), requires_grad=True)], **kwargs)


def test_one_group_and_a_closure_are_required():
    a, b = (tl.tensor(np.zeros(2), requires_grad=True) for _ in range(2))
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [a]}, {"params": [b]}])
    opt = optim.LBFGS([a])
    with pytest.raises(ValueError, match="closure"):
        opt.step(None)
    assert opt.param_groups[0]["max_eval"] == 25  # max_iter * 5 // 4, PyTorch's default
