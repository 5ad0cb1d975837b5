"""tl.autograd.detect_anomaly: names the op, its input shapes and the user-code line that made it."""

import re

import numpy as np
import pytest

import tensorlite as tl
from tensorlite.autograd import function


def test_log_of_negative_is_reported_with_op_shape_and_line():
    x = tl.tensor([[-1.0, 2.0, 3.0]], requires_grad=True)
    with pytest.raises(tl.autograd.AnomalyError) as info, tl.autograd.detect_anomaly():
        tl.log(x)  # the line the error must name
    message = str(info.value)
    line = test_log_of_negative_is_reported_with_op_shape_and_line.__code__.co_firstlineno + 3
    assert "'Log'" in message and "nan" in message and "forward" in message
    assert "(1, 3)" in message
    assert re.search(rf"test_anomaly\.py:{line}\b", message)


def test_backward_inf_is_reported():
    x = tl.tensor([0.0, 4.0], requires_grad=True)
    with (
        pytest.raises(tl.autograd.AnomalyError, match=r"backward of op 'Sqrt'.*\(2,\).*inf"),
        tl.autograd.detect_anomaly(),
    ):
        tl.sqrt(x).sum().backward()


def test_relu_kind_is_named():
    x = tl.tensor([np.inf], requires_grad=True)
    expected = r"Activation\(relu\).*inputs already held"
    with pytest.raises(tl.autograd.AnomalyError, match=expected), tl.autograd.detect_anomaly():
        tl.relu(x)


def test_finite_graph_passes_and_mode_is_scoped():
    x = tl.tensor([1.0, 4.0], requires_grad=True)
    with tl.autograd.detect_anomaly():
        with tl.autograd.detect_anomaly():
            assert tl.autograd.is_anomaly_enabled()
        assert tl.autograd.is_anomaly_enabled()
        tl.sqrt(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.25])
    assert not tl.autograd.is_anomaly_enabled()
    assert function._apply_hooks == []
    tl.log(tl.tensor([-1.0]))  # outside the block: nan silently, as without anomaly mode


def test_hook_is_removed_when_the_block_raises():
    with pytest.raises(tl.autograd.AnomalyError), tl.autograd.detect_anomaly():
        tl.log(tl.tensor([-1.0]))
    assert function._apply_hooks == [] and not tl.autograd.is_anomaly_enabled()
