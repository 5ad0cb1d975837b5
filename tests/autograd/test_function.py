"""Function.apply's straight-line path: the graph it records, the version check, anomaly mode, grad mode
and the floating-point error state around forward (NumPy's context variable, or np.errstate)."""

import threading
import warnings

import numpy as np
import pytest

import tensorlite as tl
from tensorlite.autograd import function
from tensorlite.autograd.function import Function


class _Scale(Function):
    """z = factor * x, with factor set by a user-defined __init__ (apply must still call it)."""

    def __init__(self):
        super().__init__()
        self.factor = 3.0

    def forward(self, x):
        return x * self.factor

    def backward(self, grad):
        return (grad * self.factor,)


class _Overflow(Function):
    """z = x * 1e38 in float32: overflows to inf for |x| > ~3.4, which NumPy would warn about."""

    def forward(self, x):
        return x * np.float32(1e38)

    def backward(self, grad):
        return (grad * np.float32(1e38),)


class _Fails(Function):
    def forward(self, x):
        raise ValueError("forward failed on purpose")


def test_records_inputs_versions_and_node_only_when_an_input_requires_grad():
    a = tl.tensor([1.0, 2.0], requires_grad=True)
    b = tl.tensor([3.0, 4.0])
    z = a * b
    assert z.requires_grad and z.grad_fn is not None and z.grad_fn.name == "Mul"
    assert z.grad_fn.inputs == (a, b)
    assert [(c is t._ver, seen) for (c, seen), t in zip(z.grad_fn.input_versions, (a, b))] == [
        (True, 0),
        (True, 0),
    ]
    plain = b * b
    assert not plain.requires_grad and plain.grad_fn is None and plain.is_leaf
    with tl.no_grad():
        assert (a * b).grad_fn is None and not (a * b).requires_grad


def test_output_gets_a_fresh_version_counter_unless_it_is_a_view():
    a = tl.tensor([[1.0, 2.0], [3.0, 4.0]])
    s = a + a
    assert s._ver is not a._ver and s._version == 0
    v = a.reshape(4)  # a view: shares the counter, so a write through either is seen by both
    assert v._ver is a._ver


def test_version_check_after_an_in_place_write_still_raises():
    a = tl.tensor([1.0, 2.0], requires_grad=True)
    b = tl.tensor([3.0, 4.0])
    loss = (a * b).sum()
    b.add_(1.0)
    with pytest.raises(RuntimeError, match=r"Mul: input 1 .* at version 1, expected version 0"):
        loss.backward()


def test_gradients_through_the_fast_operand_paths():
    a = tl.tensor([1.0, -2.0, 3.0], requires_grad=True)
    b = tl.tensor([[0.5], [2.0]], requires_grad=True)  # same dtype, broadcast shape
    ((a * b + 2.0) * 3 - a / 4.0).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 3 * (0.5 + 2.0) - 2 * 0.25, rtol=1e-6)  # b has 2 rows
    np.testing.assert_allclose(b.grad.numpy(), [[6.0], [6.0]], rtol=1e-6)
    assert a.grad.dtype == tl.float32 and b.grad.dtype == tl.float32


def test_user_init_is_called_without_parameters_and_parameters_become_attributes():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = _Scale.apply(x)
    np.testing.assert_array_equal(y.numpy(), [3.0, 6.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    fn = tl.ops.elementwise.Clip.apply(x, low=0.0, high=1.5).grad_fn
    assert (fn.low, fn.high) == (0.0, 1.5)


def test_anomaly_hook_runs_on_the_fast_path():
    x = tl.tensor([1.0, 0.0], requires_grad=True)
    with tl.autograd.detect_anomaly():
        with pytest.raises(tl.autograd.AnomalyError, match="forward of op 'Div'"):
            x / x  # 0/0 = nan
        ok = x + x
        assert "test_function.py" in ok.grad_fn._anomaly_site
    assert function._apply_hooks == []


@pytest.mark.parametrize("quiet", ["context variable", "np.errstate"])
def test_forward_is_quiet_and_the_users_error_state_is_restored(monkeypatch, quiet):
    if quiet == "np.errstate":  # the NumPy 1.x path, forced
        monkeypatch.setattr(function, "_enter_quiet", function._enter_errstate)
        monkeypatch.setattr(function, "_leave_quiet", function._leave_errstate)
    x = tl.tensor([1.0, 10.0])
    before = np.geterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = _Overflow.apply(x)
        assert np.isinf(y.numpy()[1]) and y.numpy()[0] == np.float32(1e38)
        assert np.isnan((tl.tensor([0.0]) / tl.tensor([0.0])).numpy()[0])
    assert np.geterr() == before
    with np.errstate(over="raise"):  # the user's own NumPy code keeps the user's setting
        _Overflow.apply(x)
        assert np.geterr()["over"] == "raise"
        with pytest.raises(FloatingPointError):
            np.float32([1e38]) * np.float32(10)
    with pytest.raises(ValueError, match="on purpose"):
        _Fails.apply(x)
    assert np.geterr() == before  # restored even when forward raises


def test_grad_mode_is_per_thread_and_on_by_default_in_new_threads():
    seen = []
    with tl.no_grad():
        thread = threading.Thread(target=lambda: seen.append(tl.is_grad_enabled()))
        thread.start()
        thread.join()
        assert not tl.is_grad_enabled()
    assert seen == [True] and tl.is_grad_enabled()


def test_hooks_are_per_tensor():
    a = tl.tensor([1.0, 2.0], requires_grad=True)
    u, v = a * 2, a * 3
    calls = []
    handle = u.register_hook(lambda g: calls.append("u"))
    assert v._hooks == () and len(u._hooks) == 1
    (u + v).sum().backward()
    assert calls == ["u"]
    handle.remove()
    assert u._hooks == []
