"""The fused LSTM / GRU gate kernels and the recurrence op against the float64 reference."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensorlite as tl
from tensorlite import backend
from tensorlite.ops.rnn import recurrence

from harness import assert_close
from reference import rnn as ref
from reference.activation import sigmoid

DTYPES = (np.float32, np.float64)


def _gate_inputs(rng, batch, hidden, chunks, bias):
    xw = rng.standard_normal((batch, chunks * hidden)) * 2
    hw = rng.standard_normal((batch, chunks * hidden)) * 2
    b = [rng.standard_normal(chunks * hidden) if bias else None for _ in range(2)]
    return xw, hw, b[0], b[1], rng.standard_normal((batch, hidden))


def _cast(dtype, *arrays):
    return [None if a is None else a.astype(dtype) for a in arrays]


def _f64(a):
    return None if a is None else a.astype(np.float64)


def _zero_if_none(a, size):
    return np.zeros(size) if a is None else a


@settings(max_examples=15)
@given(seed=st.integers(0, 2**32 - 1), batch=st.integers(0, 5), hidden=st.integers(1, 6), bias=st.booleans())
def test_lstm_gate_kernels_match_reference(seed, batch, hidden, bias):
    rng = np.random.default_rng(seed)
    xw, hw, b_ih, b_hh, c_prev = _gate_inputs(rng, batch, hidden, 4, bias)
    dh, dc = rng.standard_normal((2, batch, hidden))
    for dtype in DTYPES:
        args = _cast(dtype, xw, hw, b_ih, b_hh, c_prev)
        h, c, gates = backend.lstm_cell(*args)
        xw64, hw64, bi64, bh64, cp64 = (_f64(a) for a in args)
        pre = xw64 + hw64 + _zero_if_none(bi64, 4 * hidden) + _zero_if_none(bh64, 4 * hidden)
        i, f, g, o = np.split(pre, 4, axis=-1)
        expected_gates = np.concatenate([sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o)], axis=-1)
        expected_c = sigmoid(f) * cp64 + sigmoid(i) * np.tanh(g)
        assert_close(gates, expected_gates, dtype)
        assert_close(c, expected_c, dtype)
        assert_close(h, sigmoid(o) * np.tanh(expected_c), dtype)
        for upstream_dc in (dc, None):
            dgates, dc_prev = backend.lstm_cell_backward(
                gates,
                args[4],
                c,
                dh.astype(dtype),
                None if upstream_dc is None else upstream_dc.astype(dtype),
            )
            d_pre, d_c_prev = ref.lstm_gates_backward(
                _f64(gates), cp64, _f64(c), dh, 0.0 if upstream_dc is None else upstream_dc
            )
            assert_close(dgates, d_pre, dtype)
            assert_close(dc_prev, d_c_prev, dtype)


@settings(max_examples=15)
@given(seed=st.integers(0, 2**32 - 1), batch=st.integers(0, 5), hidden=st.integers(1, 6), bias=st.booleans())
def test_gru_gate_kernels_match_reference(seed, batch, hidden, bias):
    rng = np.random.default_rng(seed)
    xw, hw, b_ih, b_hh, h_prev = _gate_inputs(rng, batch, hidden, 3, bias)
    dh = rng.standard_normal((batch, hidden))
    for dtype in DTYPES:
        args = _cast(dtype, xw, hw, b_ih, b_hh, h_prev)
        h, saved = backend.gru_cell(*args)
        xw64, hw64, bi64, bh64, hp64 = (_f64(a) for a in args)
        bi64, bh64 = _zero_if_none(bi64, 3 * hidden), _zero_if_none(bh64, 3 * hidden)
        expected_h, r, z, n, hn = ref.gru_gates(xw64, hw64, bi64, bh64, hp64)
        assert_close(h, expected_h, dtype)
        assert_close(saved, np.concatenate([r, z, n, hn], axis=-1), dtype)
        dxg, dhg, dh_direct = backend.gru_cell_backward(saved, args[4], dh.astype(dtype))
        e_dxg, e_dhg, e_direct = ref.gru_gates_backward(xw64, hw64, bi64, bh64, hp64, dh)
        assert_close(dxg, e_dxg, dtype)
        assert_close(dhg, e_dhg, dtype)
        assert_close(dh_direct, e_direct, dtype)


def test_gate_kernels_thread_over_large_batches_like_small_ones():
    """A batch above the OpenMP threshold gives the row-by-row result of small batches."""
    rng = np.random.default_rng(0)
    xw, hw, b_ih, b_hh, c_prev = _gate_inputs(rng, 512, 64, 4, True)
    h, c, gates = backend.lstm_cell(xw, hw, b_ih, b_hh, c_prev)
    for rows in (slice(0, 1), slice(300, 302)):
        h1, c1, g1 = backend.lstm_cell(xw[rows], hw[rows], b_ih, b_hh, c_prev[rows])
        np.testing.assert_array_equal(h[rows], h1)
        np.testing.assert_array_equal(c[rows], c1)
        np.testing.assert_array_equal(gates[rows], g1)


_BAD_CALLS = textwrap.dedent(
    """
    import json
    import numpy as np
    from tensorlite import _C
    f, d = np.ones((2, 8)), np.ones((2, 2))
    calls = {
        "xw_not_multiple": lambda: _C.lstm_cell_forward(np.ones((2, 7)), np.ones((2, 7)), None, None, d),
        "hw_shape": lambda: _C.lstm_cell_forward(f, np.ones((3, 8)), None, None, d),
        "bias_shape": lambda: _C.lstm_cell_forward(f, f, np.ones(7), None, d),
        "c_prev_shape": lambda: _C.lstm_cell_forward(f, f, None, None, np.ones((2, 3))),
        "mixed_dtype": lambda: _C.lstm_cell_forward(f, f.astype(np.float32), None, None, d),
        "int_dtype": lambda: _C.gru_cell_forward(np.ones((2, 6), int), np.ones((2, 6)), None, None, d),
        "xw_1d": lambda: _C.gru_cell_forward(np.ones(6), np.ones(6), None, None, d),
        "saved_shape": lambda: _C.gru_cell_backward(np.ones((2, 6)), d, d),
        "dc_shape": lambda: _C.lstm_cell_backward(f, d, d, d, np.ones((1, 2))),
    }
    out = {}
    for name, call in calls.items():
        try:
            call()
            out[name] = "no error"
        except Exception as e:
            out[name] = [type(e).__name__, str(e)]
    print(json.dumps(out))
    """
)


def test_gate_bindings_reject_bad_arrays_without_crashing():
    done = subprocess.run([sys.executable, "-c", _BAD_CALLS], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout)
    for name in ("int_dtype", "mixed_dtype"):
        assert result[name][0] == "TypeError", (name, result[name])
    assert "dtype" in result["mixed_dtype"][1] and "hw" in result["mixed_dtype"][1]
    for name in (
        "xw_not_multiple",
        "hw_shape",
        "bias_shape",
        "c_prev_shape",
        "xw_1d",
        "saved_shape",
        "dc_shape",
    ):
        assert result[name][0] == "ValueError", (name, result[name])
    assert "(2, 7)" in result["xw_not_multiple"][1]
    assert "hw must have shape (2, 8), got (3, 8)" in result["hw_shape"][1]
    assert "b_ih must have shape (8,), got (7,)" in result["bias_shape"][1]
    assert "c_prev" in result["c_prev_shape"][1]
    assert "saved" in result["saved_shape"][1]
    assert "dc must have shape (2, 2), got (1, 2)" in result["dc_shape"][1]


# ---- the recurrence op (one direction of one layer) against the reference, forward and gradcheck


MODES = ("RNN_TANH", "RNN_RELU", "LSTM", "GRU")


def _layer(rng, mode, steps, batch, inputs, hidden, bias):
    gates = {"LSTM": 4, "GRU": 3}.get(mode, 1) * hidden
    weights = [rng.standard_normal((gates, inputs)) * 0.6, rng.standard_normal((gates, hidden)) * 0.6]
    if bias:
        weights += [rng.standard_normal(gates) * 0.6, rng.standard_normal(gates) * 0.6]
    x = rng.standard_normal((steps, batch, inputs))
    states = [rng.standard_normal((batch, hidden)) for _ in range(2 if mode == "LSTM" else 1)]
    return x, states, weights


def _reference_layer(mode, x, states, weights, reverse):
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    suffix = "_l0_reverse" if reverse else "_l0"
    named = {n + suffix: w for n, w in zip(names, weights)}
    named.update({n + "_l0": w for n, w in zip(names, weights)})  # the unused direction of a 2-way run
    h0 = np.stack([states[0]] * 2) if reverse else states[0][None]
    c0 = None if len(states) == 1 else (np.stack([states[1]] * 2) if reverse else states[1][None])
    out, finals = ref.recurrent_forward(mode, x, named, 1, reverse, h0=h0, c0=c0)
    hidden = states[0].shape[1]
    finals = finals if mode == "LSTM" else (finals,)
    pick = slice(hidden, None) if reverse else slice(None)
    return out[..., pick], [f[-1] for f in finals]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_recurrence_matches_reference(mode, reverse, bias):
    x, states, weights = _layer(np.random.default_rng(1), mode, 4, 3, 2, 5, bias)
    expected_out, expected_finals = _reference_layer(mode, x, states, weights, reverse)
    for dtype in DTYPES:
        t = [tl.tensor(a.astype(dtype)) for a in (x, *states, *weights)]
        k = len(states)
        out, finals = recurrence(mode, t[0], tuple(t[1 : 1 + k]), *t[1 + k :], reverse=reverse)
        assert out.dtype == dtype
        assert_close(out, expected_out, dtype)
        for got, want in zip(finals, expected_finals):
            assert_close(got, want, dtype)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("reverse", [False, True])
def test_recurrence_gradcheck(mode, reverse):
    x, states, weights = _layer(np.random.default_rng(2), mode, 3, 2, 2, 2, True)
    inputs = [tl.tensor(a, requires_grad=True) for a in (x, *states, *weights)]
    k = len(states)

    def run(*t):
        out, finals = recurrence(mode, t[0], tuple(t[1 : 1 + k]), *t[1 + k :], reverse=reverse)
        return (out, *finals)

    assert tl.autograd.gradcheck(run, inputs, eps=1e-6, atol=1e-6, rtol=1e-5)
