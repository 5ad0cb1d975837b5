"""Version counters: one per storage, shared by views, detach() and .data; every in-place write through
any of them (Tensor methods, optimizers, load_state_dict, init, clipping...) makes a backward that
needs the old values raise instead of returning a wrong gradient."""

import numpy as np
import pytest

import tensorlite as tl
from tensorlite import nn
from tensorlite.ops import TENSOR_METHODS

STALE = r"modified by an in-place operation.*at version \d+, expected version \d+"


def base():
    return tl.tensor(np.arange(1.0, 7.0).reshape(2, 3), dtype=tl.float64)


def recorded_on(x):
    """w and y = sum(w * x): backward needs x's values as they were (dy/dw = x)."""
    w = tl.ones(x.shape, dtype=x.dtype, requires_grad=True)
    return w, (w * x).sum()


# every way to get a tensor viewing x's memory; each writes at least one element of x
VIEWS = {
    "slice": lambda x: x[0:1],
    "int index": lambda x: x[1],
    "ellipsis index": lambda x: x[..., 1:],
    "None index": lambda x: x[None],
    "step slice": lambda x: x[:, ::2],
    "view": lambda x: x.view(3, 2),
    "reshape": lambda x: x.reshape(-1),
    "flatten": lambda x: x.flatten(),
    "transpose": lambda x: x.transpose(0, 1),
    "permute": lambda x: x.permute(1, 0),
    "T": lambda x: x.T,
    "unsqueeze": lambda x: x.unsqueeze(0),
    "squeeze": lambda x: x[None].squeeze(0),
    "split": lambda x: x.split(1, dim=1)[2],
    "detach": lambda x: x.detach(),
    "data": lambda x: x.data,
    "view of views": lambda x: x[1:].reshape(-1).T.detach().data[::2],
}


def _data_write(v):
    v.data += 1


def _detach_write(v):
    d = v.detach()
    d -= 1


def _setitem(v):
    v[...] = 7.0


WRITERS = {
    "+=": lambda v: v.__iadd__(1.0),
    "-=": lambda v: v.__isub__(tl.ones(v.shape, dtype=v.dtype)),
    "*=": lambda v: v.__imul__(3.0),
    "/=": lambda v: v.__itruediv__(2.0),
    "setitem": _setitem,
    "copy_": lambda v: v.copy_(tl.full(v.shape, -1.0, dtype=v.dtype)),
    "zero_": lambda v: v.zero_(),
    "fill_": lambda v: v.fill_(5.0),
    "add_": lambda v: v.add_(tl.ones(v.shape, dtype=v.dtype), alpha=2.0),
    "mul_": lambda v: v.mul_(0.5),
    ".data +=": _data_write,
    "detach() -=": _detach_write,
}


@pytest.mark.parametrize("writer", sorted(WRITERS))
@pytest.mark.parametrize("view", sorted(VIEWS))
def test_write_through_a_view_makes_backward_raise(view, writer):
    x = base()
    w, y = recorded_on(x)
    v = VIEWS[view](x)
    assert np.shares_memory(v.numpy(), x.numpy())
    WRITERS[writer](v)
    assert not np.array_equal(x.numpy(), base().numpy())  # the write reached x's memory
    with pytest.raises(RuntimeError, match=STALE):
        y.backward()
    assert w.grad is None


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_write_to_the_base_is_seen_by_an_op_that_saved_a_view(view):
    x = base()
    _, y = recorded_on(VIEWS[view](x))
    x += 1
    with pytest.raises(RuntimeError, match=STALE):
        y.backward()


@pytest.mark.parametrize("writer", sorted(WRITERS))
@pytest.mark.parametrize("view", sorted(VIEWS))
def test_writes_to_a_copy_do_not_raise(view, writer):
    x = base()
    w, y = recorded_on(x)
    for copy in (x.clone(), tl.tensor(x), x[[0, 1]], x.float()):
        WRITERS[writer](VIEWS[view](copy))
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), base().numpy())


def test_issue_reproducers():
    x = tl.tensor([1.0, 2.0, 3.0])
    w = tl.ones(3, requires_grad=True)
    y = (w * x).sum()
    v = x[0:2]
    v += 10
    with pytest.raises(RuntimeError, match="Mul: input 1 .*at version 1, expected version 0"):
        y.backward()
    x = tl.tensor([1.0, 2.0, 3.0])
    y = (w * x).sum()
    d = x.detach()
    d += 10
    with pytest.raises(RuntimeError, match="at version 1, expected version 0"):
        y.backward()


def test_views_of_views_share_one_counter_and_count_every_write():
    x = base()
    chain = [x, x[0:2], x[0:2].view(-1), x[0:2].view(-1).T, x.detach()[1:], x.data.unsqueeze(0)]
    for i, t in enumerate(chain):
        t += 1
        assert all(u._version == i + 1 for u in chain)
    np.testing.assert_array_equal(x.numpy(), base().numpy() + [[5.0], [6.0]])  # row 0 not in x.detach()[1:]


def test_every_view_an_op_returns_shares_the_counter():
    """Search every tensor method that can be called bare: an output sharing memory with its input
    must share the version counter (else a write through it would go unnoticed)."""
    checked = 0
    for name in TENSOR_METHODS:
        for args in ((), (0,), (1,), (-1,), (0, 1), (6,), (3, 2), (1, 2, 3)):
            x = base()
            try:
                outputs = getattr(x, name)(*args)
            except (TypeError, ValueError, IndexError):
                continue
            for out in outputs if isinstance(outputs, tuple) else (outputs,):
                if not isinstance(out, tl.Tensor):  # allclose answers with a Python bool
                    continue
                if np.shares_memory(np.asarray(out.numpy()), x.numpy()):
                    checked += 1
                    assert out._ver is x._ver, f"{name}{args} returns a view with its own version counter"
                else:
                    assert out is x or out._ver is not x._ver, f"{name}{args}: a copy shares x's counter"
    assert checked >= 10


def test_expanded_views_are_read_only_and_unchanged():
    x = tl.tensor([[1.0], [2.0]])
    e = x.expand(2, 3)
    with pytest.raises(RuntimeError, match="read-only"):
        e += 1
    assert x._version == 0 and x.tolist() == [[1.0], [2.0]]


def test_data_is_a_graph_free_tensor_sharing_memory_and_version():
    p = tl.tensor([1.0, 2.0], requires_grad=True)
    h = p * 2
    for t in (p, h):
        d = t.data
        assert isinstance(d, tl.Tensor) and not d.requires_grad and d.grad_fn is None and d.is_leaf
        assert np.shares_memory(d.detach().numpy(), t.detach().numpy()) and d._ver is t._ver


def test_manual_sgd_through_data_updates_and_bumps_the_version():
    p = tl.tensor([1.0, 2.0], requires_grad=True)
    y = (p * p).sum()
    y.backward(retain_graph=True)
    p.data += -0.5 * p.grad
    np.testing.assert_array_equal(p.detach().numpy(), [0.0, 0.0])
    p.data.add_(p.grad, alpha=-0.25)
    np.testing.assert_array_equal(p.detach().numpy(), [-0.5, -1.0])
    assert p._version == 2 and p.requires_grad
    with pytest.raises(RuntimeError, match="at version 2, expected version 0"):
        y.backward()


def test_data_setter_takes_the_other_storage_and_keeps_old_graphs_right():
    x = tl.tensor([1.0, 2.0, 3.0])
    w, y = recorded_on(x)
    other = tl.tensor([7.0, 8.0, 9.0])
    x.data = other
    assert np.shares_memory(x.numpy(), other.numpy()) and x._ver is other._ver
    other += 1  # x's new storage: the op used the old one, whose values are intact
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 2.0, 3.0])
    x.data = np.zeros(3)
    assert x.tolist() == [0.0, 0.0, 0.0] and x._version == 0
    q = tl.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        q.data = np.array([1])


class _StepWithClosure:
    """LBFGS steps through a closure that re-evaluates sum(p * p) and its gradient."""

    def __init__(self, optimizer, params):
        self.optimizer, self.params = optimizer, params

    def step(self):
        def closure():
            self.optimizer.zero_grad()
            loss = sum((p * p).sum() for p in self.params)
            loss.backward()
            return loss

        self.optimizer.step(closure)


OPTIMIZERS = {
    "LBFGS": lambda ps: _StepWithClosure(tl.optim.LBFGS(ps, lr=0.1), ps),
    "SGD": lambda ps: tl.optim.SGD(ps, lr=0.1),
    "Momentum": lambda ps: tl.optim.Momentum(ps, lr=0.1),
    "Adam": lambda ps: tl.optim.Adam(ps, lr=0.1),
    "AdamW": lambda ps: tl.optim.AdamW(ps, lr=0.1),
    "NAdam": lambda ps: tl.optim.NAdam(ps, lr=0.1),
    "RMSprop": lambda ps: tl.optim.RMSprop(ps, lr=0.1),
    "Adagrad": lambda ps: tl.optim.Adagrad(ps, lr=0.1),
    "Adadelta": lambda ps: tl.optim.Adadelta(ps, lr=1.0),
}


def test_every_optimizer_is_listed():
    classes = {n for n in tl.optim.__all__ if isinstance(getattr(tl.optim, n), type)}
    assert set(OPTIMIZERS) == classes - {"Optimizer"}
    assert classes >= {"SGD", "Adam", "LBFGS"}  # the filter keeps the optimizers (and drops set_lr, ...)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_second_backward_after_an_optimizer_step_raises(name):
    p = nn.Parameter(np.array([1.0, -2.0]))
    y = (p * p).sum()
    y.backward(retain_graph=True)
    OPTIMIZERS[name]([p]).step()
    assert not np.array_equal(p.detach().numpy(), [1.0, -2.0])
    with pytest.raises(RuntimeError, match=STALE):
        y.backward()


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_step_on_a_view_owner_is_seen_through_the_view(name):
    p = nn.Parameter(np.array([1.0, -2.0]))
    _, y = recorded_on(p.detach()[0:1])
    p.grad = tl.tensor([1.0, 1.0], dtype=tl.float64)
    OPTIMIZERS[name]([p]).step()
    with pytest.raises(RuntimeError, match=STALE):
        y.backward()


def test_second_backward_after_load_state_dict_raises():
    model, other = nn.Linear(2, 2), nn.Linear(2, 2)
    y = model(tl.ones(3, 2)).sum()
    y.backward(retain_graph=True)
    model.load_state_dict(other.state_dict())
    with pytest.raises(RuntimeError, match=STALE):
        y.backward()


def test_init_batchnorm_clipping_and_gradcheck_bump_what_they_write():
    layer = nn.Linear(2, 2)
    y = layer(tl.ones(1, 2)).sum()
    nn.init.normal_(layer.weight)
    with pytest.raises(RuntimeError, match=STALE):
        y.backward()

    bn = nn.BatchNorm1d(2)
    _, y = recorded_on(bn.running_mean)
    bn(tl.tensor([[1.0, 2.0], [3.0, 5.0]]))
    with pytest.raises(RuntimeError, match=STALE):
        y.backward()

    p = tl.tensor([3.0, 4.0], requires_grad=True)
    p.grad = tl.tensor([3.0, 4.0])
    for clip in (lambda: nn.utils.clip_grad_norm_([p], 1.0), lambda: nn.utils.clip_grad_value_([p], 0.1)):
        _, y = recorded_on(p.grad)
        clip()
        with pytest.raises(RuntimeError, match=STALE):
            y.backward()

    x = tl.tensor([0.5, 1.5], dtype=tl.float64, requires_grad=True)
    y = (x * x).sum()
    assert tl.autograd.gradcheck(lambda t: t * t, (x,))
    with pytest.raises(RuntimeError, match=r"at version [1-9]\d*, expected version 0"):
        y.backward()


def test_batchnorm_eval_gradient_uses_the_statistics_of_its_forward():
    bn = nn.BatchNorm1d(1, affine=False)
    bn.eval()
    x = tl.tensor([[1.0], [3.0]], requires_grad=True)
    y = bn(x).sum()
    bn.train()
    bn(tl.tensor([[10.0], [30.0]]))  # updates running_var in place (no longer 1)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1 / np.sqrt(1 + 1e-5)]] * 2, rtol=1e-6)


def test_dataset_samples_share_the_dataset_counter():
    data = base()
    _, y = recorded_on(data)
    (row,) = tl.data.TensorDataset(data)[1]
    row += 1
    with pytest.raises(RuntimeError, match=STALE):
        y.backward()
