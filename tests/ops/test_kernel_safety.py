"""Kernel safety (issue 17): conv2d and the pools never abort, hang or overflow on tiny tensors with huge
paddings, dilations, strides and kernels (each crash-prone case runs in a subprocess, so that an abort or a
hang fails the test instead of killing pytest); window arguments past 2**31 - 1 raise ValueError naming
them; empty work returns at once; inf and NaN propagate through Winograd as through the direct sum;
BatchNorm's running statistics keep inf and NaN as PyTorch's do; average pooling divides by window sizes
past 2**32 exactly."""

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import tensorlite as tl
import tensorlite.nn.functional as F

from reference.conv import conv2d_reference_by_taps
from reference.pool import avg_pool2d_reference, max_pool2d_reference, pool_output_size

BIG = 2**31 - 1  # the largest window argument the ops take (PyTorch's int)


def run_isolated(code, timeout=120):
    """Run `code` in a fresh interpreter and return its stdout; an abort, a non-zero exit or a hang past
    `timeout` seconds fails the calling test (the issue's reproducers killed the process or hung with the
    GIL released, which would take pytest down with them)."""
    try:
        result = subprocess.run(
            [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"hung for more than {timeout} s:\n{code}")
    if result.returncode != 0:
        pytest.fail(f"exit status {result.returncode} (negative: a signal):\n{code}\n{result.stderr[-4000:]}")
    return result.stdout


def assert_adjoint(x, w, y, dy, dx, dw):
    """conv2d without bias is bilinear, so its gradients satisfy <dy, y> = <dx, x> = <dw, w>."""
    pairing = float(np.vdot(dy, y))
    np.testing.assert_allclose(float(np.vdot(dx, x)), pairing, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(float(np.vdot(dw, w)), pairing, rtol=1e-9, atol=1e-9)


# ---------------------------------------------------------------- issue item 1: aborts in conv2d

# The reproducers: tiny inputs whose padded extent is huge. The third is the 1x100000
# kernel scaled to 1x20000 (about a second; the full one takes 21 s here, PyTorch 77 s): one output row's
# columns (20000 x 10001 values) are far over the column budget, so it runs in row segments.
REPRODUCERS = [
    ((1, 1, 1, 1), (1, 1, 2, 2), {"padding": 50000, "dilation": 100000}),
    ((1, 1, 1, 1), (1, 1, 1, 1), {"padding": 200000, "stride": (100000, 1)}),
    ((1, 1, 1, 1), (1, 1, 1, 20000), {"stride": (1, 2), "padding": (0, 20000)}),
    ((2, 3, 2, 3), (4, 3, 3, 3), {"padding": (3000, 7), "dilation": (2000, 3)}),
]


@pytest.mark.parametrize("x_shape, w_shape, kwargs", REPRODUCERS)
def test_huge_padding_and_dilation_compute_the_reference(tmp_path, x_shape, w_shape, kwargs):
    """Forward against the float64 reference, backward by the adjoint identities, in a subprocess."""
    out = tmp_path / "out.npz"
    run_isolated(f"""
import numpy as np, tensorlite as tl
rng = np.random.default_rng(0)
x = tl.tensor(rng.standard_normal({x_shape}), requires_grad=True)
w = tl.tensor(rng.standard_normal({w_shape}), requires_grad=True)
y = tl.nn.functional.conv2d(x, w, **{kwargs!r})
dy = rng.standard_normal(y.shape)
y.backward(tl.tensor(dy))
np.savez({str(out)!r}, y=y.numpy(), dy=dy, dx=x.grad.numpy(), dw=w.grad.numpy())
""")
    got = np.load(out)
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    pair = lambda v: v if isinstance(v, tuple) else (v, v)
    expected = conv2d_reference_by_taps(
        x,
        w,
        stride=pair(kwargs.get("stride", 1)),
        padding=pair(kwargs["padding"]),
        dilation=pair(kwargs.get("dilation", 1)),
    )
    assert got["y"].shape == expected.shape  # (the first reproducer's two taps both read padding: 0)
    np.testing.assert_allclose(got["y"], expected, rtol=1e-12, atol=1e-12)
    assert_adjoint(x, w, got["y"], got["dy"], got["dx"], got["dw"])


# ---------------------------------------------------------------- issue item 3: hangs and raw binding errors


def test_empty_work_returns_at_once():
    """Zero-sized dimensions with a huge batch: every kernel returns at once with the right shapes (each
    of these looped over 2**40 empty images before)."""
    out = run_isolated(
        """
import tensorlite as tl
F = tl.nn.functional
x = tl.zeros(2**40, 0, 5, 5, requires_grad=True)
w = tl.zeros(0, 0, 3, 3, requires_grad=True)
y = F.conv2d(x, w)
y.sum().backward()
print(tuple(y.shape), tuple(x.grad.shape), tuple(w.grad.shape))
print(tuple(F.max_pool2d(tl.zeros(2**40, 0, 4, 4), 2).shape), tuple(F.avg_pool2d(tl.zeros(0, 2**40, 4, 4), 2).shape))
print(tuple(F.adaptive_avg_pool2d(tl.zeros(2**40, 0, 4, 4), 2).shape))
print(tuple(F.batch_norm(tl.zeros(2**40, 1, 0), tl.zeros(1), tl.ones(1)).shape))
print(tuple(F.softmax(tl.zeros(2**40, 0), dim=1).shape))
""",
        timeout=60,
    )
    assert out.split("\n")[:5] == [
        "(1099511627776, 0, 3, 3) (1099511627776, 0, 5, 5) (0, 0, 3, 3)",
        "(1099511627776, 0, 2, 2) (0, 1099511627776, 2, 2)",
        "(1099511627776, 0, 2, 2)",
        "(1099511627776, 1, 0)",
        "(1099511627776, 0)",
    ]


def test_windows_larger_than_any_input_pool_only_their_inside():
    """Pooling windows of 2**31 - 1 taps over a 3x3 input visit only the taps inside it."""
    out = run_isolated(
        """
import numpy as np, tensorlite as tl
x = tl.tensor(np.arange(9.0).reshape(1, 1, 3, 3))
F = tl.nn.functional
print(F.max_pool2d(x, kernel_size=2**31 - 1, padding=2**30 - 1, stride=1).numpy().tolist())
print(F.avg_pool2d(x, kernel_size=(3, 2**31 - 1), padding=(1, 2**30 - 1), stride=(1, 2**31 - 1),
      count_include_pad=False).numpy().tolist())
""",
        timeout=60,
    )
    max_line, avg_line = out.split("\n")[:2]
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    expected_max, _ = max_pool2d_reference(x, (BIG, BIG), (1, 1), (2**30 - 1, 2**30 - 1))
    assert np.array(json.loads(max_line)).shape == (1, 1, 3, 3)
    np.testing.assert_array_equal(json.loads(max_line), expected_max)
    expected_avg = avg_pool2d_reference(x, (3, BIG), (1, BIG), (1, 2**30 - 1), count_include_pad=False)
    np.testing.assert_array_equal(json.loads(avg_line), expected_avg)
    assert json.loads(avg_line) == [[[[2.5], [4.0], [5.5]]]]  # whole rows [oh - 1, oh + 2) of the input


CALLS_WITH_HUGE_ARGUMENTS = [
    (lambda: F.conv2d(tl.ones(1, 1, 3, 3), tl.ones(1, 1, 1, 1), stride=2**63), "stride must be at most"),
    (lambda: F.conv2d(tl.ones(1, 1, 3, 3), tl.ones(1, 1, 1, 1), padding=2**62), "padding must be at most"),
    (
        lambda: F.conv2d(tl.ones(1, 1, 3, 3), tl.ones(1, 1, 1, 1), dilation=(1, 2**31)),
        "dilation must be at most",
    ),
    (lambda: F.conv2d(tl.ones(1, 0, 3, 3), tl.ones(1, 0, 1, 1), groups=2**63), "groups must be at most"),
    (
        lambda: F.max_pool2d(tl.ones(1, 1, 1, 1), kernel_size=2**40, padding=2**39),
        "kernel_size must be at most",
    ),
    (lambda: F.avg_pool2d(tl.ones(1, 1, 4, 4), 2, stride=2**63), "stride must be at most"),
    (
        lambda: F.avg_pool2d(tl.ones(1, 1, 4, 4), 2, divisor_override=2**63),
        "divisor_override must be at most",
    ),
    (lambda: F.adaptive_avg_pool2d(tl.ones(1, 1, 4, 4), 2**40), "output_size must be at most"),
    (lambda: tl.set_num_threads(2**40), "n must be at most"),
    # the bindings check the same ranges for callers that bypass ops/
    (lambda: tl._C.set_num_threads(2**40), "n must be at most"),
    (
        lambda: tl._C.conv2d_forward(
            np.ones((1, 1, 3, 3)), np.ones((1, 1, 1, 1)), None, (2**40, 1), (0, 0), (1, 1), 1, (1, 3)
        ),
        "stride must be at most",
    ),
    (
        lambda: tl._C.max_pool2d_forward(
            np.ones((1, 1, 1, 1)), (2**40, 1), (1, 1), (0, 0), (1, 1), (1, 1), False
        ),
        "kernel_size must be at most",
    ),
    (
        lambda: tl._C.conv2d_forward(
            np.zeros((2**40, 0, 1, 1)),
            np.zeros((2**20, 0, 1, 1)),
            None,
            (1, 1),
            (0, 0),
            (1, 1),
            1,
            (2**31, 2**31),
        ),
        "output of shape .* has more bytes than fit in int64",
    ),
]


@pytest.mark.parametrize("call, message", CALLS_WITH_HUGE_ARGUMENTS)
def test_arguments_past_int32_raise_value_error_naming_them(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------------- property test: any sizes, never a crash

window_arg = st.one_of(st.integers(1, 4), st.integers(1, BIG))
pad_arg = st.one_of(st.integers(0, 3), st.integers(0, BIG))


@st.composite
def conv_configs(draw):
    """A conv2d configuration over a tiny input with possibly huge padding, dilation, stride and kernel
    extent; the stride is raised where needed to keep each output dimension at most 24 (the reference
    loops over taps, the kernels over outputs)."""
    n, c, k = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    size = [draw(st.integers(1, 4)), draw(st.integers(1, 4))]
    kernel = [draw(st.integers(1, 3)), draw(st.integers(1, 3))]
    dilation = [draw(window_arg), draw(window_arg)]
    # half the dilated extent ("same" padding) keeps the output as small as the input however large the
    # dilation: the case whose padded band used to be allocated whole
    padding = [draw(st.one_of(pad_arg, st.just(d * (k - 1) // 2))) for d, k in zip(dilation, kernel)]
    stride = [draw(st.one_of(st.just(1), window_arg)) for _ in range(2)]  # 1: the direct path's case
    for d in range(2):
        span = size[d] + 2 * padding[d] - dilation[d] * (kernel[d] - 1) - 1
        stride[d] = max(stride[d], span // 23 + 1)
    return {
        "x": (n, c, *size),
        "w": (k, c, *kernel),
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
    }


@st.composite
def pool_configs(draw):
    """A max or average pooling configuration over a tiny input with windows of up to 2**31 - 1 taps
    (padding at most half the window, as PyTorch requires)."""
    op = draw(st.sampled_from(["max", "avg"]))
    kernel = [draw(window_arg), draw(window_arg)]
    dilation = [draw(window_arg), draw(window_arg)] if op == "max" else [1, 1]
    effective = [min(d * (k - 1) + 1, BIG) for k, d in zip(kernel, dilation)]
    # half the window (the most PyTorch allows) is what lets a huge window fit a tiny input
    padding = [draw(st.one_of(st.just(e // 2), st.integers(0, e // 2))) for e in effective]
    config = {
        "op": op,
        "x": (1, draw(st.integers(1, 2)), draw(st.integers(1, 4)), draw(st.integers(1, 4))),
        "kernel_size": kernel,
        "stride": [draw(window_arg), draw(window_arg)],
        "padding": padding,
        "ceil_mode": draw(st.booleans()),
    }
    if op == "max":
        config["dilation"] = dilation
    else:
        config["count_include_pad"] = draw(st.booleans())
    return config


def conv_output_size(config):
    """Per dimension floor((size + 2p - d(k-1) - 1) / s) + 1, None when the window does not fit."""
    out = []
    for size, k, s, p, d in zip(
        config["x"][2:], config["w"][2:], config["stride"], config["padding"], config["dilation"]
    ):
        span = size + 2 * p - d * (k - 1) - 1
        out.append(None if span < 0 else span // s + 1)
    return None if None in out else out


CHILD = """
import json, sys
import numpy as np, tensorlite as tl
F = tl.nn.functional
configs, results = json.loads(sys.argv[1]), {}
for index, config in enumerate(configs):
    rng = np.random.default_rng(index)
    try:
        if "w" in config:
            x = tl.tensor(rng.standard_normal(config["x"]), requires_grad=True)
            w = tl.tensor(rng.standard_normal(config["w"]), requires_grad=True)
            y = F.conv2d(x, w, stride=config["stride"], padding=config["padding"], dilation=config["dilation"])
            dy = rng.standard_normal(y.shape)
            y.backward(tl.tensor(dy))
            results.update({f"y{index}": y.numpy(), f"dy{index}": dy, f"dx{index}": x.grad.numpy(),
                            f"dw{index}": w.grad.numpy()})
        else:
            args = {key: value for key, value in config.items() if key not in ("op", "x")}
            pool = F.max_pool2d if config["op"] == "max" else F.avg_pool2d
            results[f"y{index}"] = pool(tl.tensor(rng.standard_normal(config["x"])), **args).numpy()
    except (ValueError, MemoryError) as error:
        results[f"error{index}"] = np.array(type(error).__name__ + ": " + str(error))
np.savez(sys.argv[2], **results)
"""


# No shrinking: every example costs a subprocess, and the failing batch is printed whole anyway.
@settings(max_examples=8, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate))
@given(st.lists(st.one_of(conv_configs(), pool_configs()), min_size=6, max_size=10))
def test_any_sizes_match_the_reference_or_raise(tmp_path_factory, configs):
    """A batch of configurations runs in one subprocess (an abort or hang fails the test); each valid one
    must match the float64 reference (conv2d: forward, and backward by the adjoint identities), each
    invalid one (the window larger than the padded input) must raise ValueError."""
    out = tmp_path_factory.mktemp("batch") / "out.npz"
    try:
        result = subprocess.run(
            [sys.executable, "-c", CHILD, json.dumps(configs), str(out)],
            check=False,
            capture_output=True,
            text=True,
            timeout=300,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"hung on {configs}")
    assert result.returncode == 0, f"exit status {result.returncode} on {configs}:\n{result.stderr[-4000:]}"
    got = np.load(out)
    for index, config in enumerate(configs):
        rng = np.random.default_rng(index)
        x = rng.standard_normal(config["x"])
        if "w" in config:
            w = rng.standard_normal(config["w"])
            if conv_output_size(config) is None:
                assert str(got[f"error{index}"]).startswith("ValueError"), config
                continue
            assert f"error{index}" not in got, (config, str(got[f"error{index}"]))
            expected = conv2d_reference_by_taps(
                x, w, None, config["stride"], config["padding"], config["dilation"]
            )
            np.testing.assert_allclose(
                got[f"y{index}"], expected, rtol=1e-12, atol=1e-12, err_msg=str(config)
            )
            assert_adjoint(x, w, got[f"y{index}"], got[f"dy{index}"], got[f"dx{index}"], got[f"dw{index}"])
            continue
        stride, dilation = config["stride"], config.get("dilation", (1, 1))
        sizes = [
            pool_output_size(*args, config["ceil_mode"])
            for args in zip(config["x"][2:], config["kernel_size"], stride, config["padding"], dilation)
        ]
        if min(sizes) < 1:  # the window does not fit the padded input
            assert str(got[f"error{index}"]).startswith("ValueError"), config
            continue
        if config["op"] == "max":
            expected, _ = max_pool2d_reference(
                x, config["kernel_size"], stride, config["padding"], config["dilation"], config["ceil_mode"]
            )
        else:
            expected = avg_pool2d_reference(
                x,
                config["kernel_size"],
                stride,
                config["padding"],
                config["ceil_mode"],
                config["count_include_pad"],
            )
        assert f"error{index}" not in got, (config, str(got[f"error{index}"]))
        np.testing.assert_allclose(got[f"y{index}"], expected, rtol=1e-12, atol=1e-12, err_msg=str(config))


# ---------------------------------------------------------------- issue item 7: numerics
