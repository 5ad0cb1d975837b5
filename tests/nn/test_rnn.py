"""nn.RNN / LSTM / GRU and their cells against the float64 reference (every option), gradcheck, PyTorch."""

import itertools

import numpy as np
import pytest

import tensorlite as tl
from tensorlite import nn

from harness import assert_close
from reference import rnn as ref

LAYERS = {"RNN_TANH": nn.RNN, "RNN_RELU": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}


def _make(mode, *args, **kwargs):
    if mode == "RNN_RELU":
        kwargs["nonlinearity"] = "relu"
    return LAYERS[mode](*args, **kwargs)


def _weights(module):
    return {name: p.numpy().astype(np.float64) for name, p in module.named_parameters()}


OPTIONS = list(
    itertools.product((1, 2), (False, True), (False, True), (False, True), (False, True), (True, False))
)


@pytest.mark.parametrize("mode", list(LAYERS))
@pytest.mark.parametrize(
    ("num_layers", "bidirectional", "batch_first", "with_states", "unbatched", "bias"), OPTIONS
)
def test_forward_matches_reference(
    mode, num_layers, bidirectional, batch_first, with_states, unbatched, bias
):
    rng = np.random.default_rng(0)
    steps, batch, inputs, hidden = 4, 3, 3, 5
    layer = _make(
        mode,
        inputs,
        hidden,
        num_layers,
        bias=bias,
        batch_first=batch_first,
        bidirectional=bidirectional,
        dtype=tl.float64,
    )
    directions = 2 if bidirectional else 1
    x_shape = (
        (steps, inputs) if unbatched else ((batch, steps, inputs) if batch_first else (steps, batch, inputs))
    )
    h_shape = (num_layers * directions,) + (() if unbatched else (batch,)) + (hidden,)
    x = rng.standard_normal(x_shape)
    h0, c0 = (rng.standard_normal(h_shape) for _ in range(2))
    hx = None
    if with_states:
        hx = (tl.tensor(h0), tl.tensor(c0)) if mode == "LSTM" else tl.tensor(h0)
    out, finals = layer(tl.tensor(x), hx)
    expected_out, expected_finals = ref.recurrent_forward(
        mode,
        x,
        _weights(layer),
        num_layers,
        bidirectional,
        batch_first,
        h0 if with_states else None,
        c0 if with_states else None,
    )
    assert_close(out, expected_out, np.float64)
    if mode == "LSTM":
        assert isinstance(finals, tuple) and len(finals) == 2
        assert_close(finals[0], expected_finals[0], np.float64)
        assert_close(finals[1], expected_finals[1], np.float64)
    else:
        assert_close(finals, expected_finals, np.float64)


@pytest.mark.parametrize("mode", list(LAYERS))
def test_float32_forward_matches_reference(mode):
    layer = _make(mode, 3, 4, 2, batch_first=True, bidirectional=True)
    assert layer.weight_ih_l0.dtype == tl.float32
    x = np.random.default_rng(1).standard_normal((2, 5, 3)).astype(np.float32)
    out, _ = layer(tl.tensor(x))
    assert out.dtype == tl.float32
    expected, _ = ref.recurrent_forward(mode, x.astype(np.float64), _weights(layer), 2, True, True)
    assert_close(out, expected, np.float32)


@pytest.mark.parametrize("mode", list(LAYERS))
def test_two_layer_bidirectional_gradcheck(mode):
    tl.manual_seed(3)
    layer = _make(mode, 2, 2, 2, bidirectional=True, dtype=tl.float64)
    rng = np.random.default_rng(3)
    x = tl.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    states = [
        tl.tensor(rng.standard_normal((4, 2, 2)), requires_grad=True)
        for _ in range(2 if mode == "LSTM" else 1)
    ]
    params = list(layer.parameters())

    def run(x, *rest):
        hx = tuple(rest[:2]) if mode == "LSTM" else rest[0]
        out, finals = layer(x, hx)
        return (out, *finals) if mode == "LSTM" else (out, finals)

    assert tl.autograd.gradcheck(run, [x, *states, *params], eps=1e-6, atol=1e-6, rtol=1e-5)


CELLS = [
    (lambda: nn.RNNCell(3, 4, dtype=tl.float64), 1),
    (lambda: nn.RNNCell(3, 4, nonlinearity="relu", dtype=tl.float64), 1),
    (lambda: nn.LSTMCell(3, 4, dtype=tl.float64), 2),
    (lambda: nn.GRUCell(3, 4, dtype=tl.float64), 1),
    (lambda: nn.GRUCell(3, 4, bias=False, dtype=tl.float64), 1),
]


@pytest.mark.parametrize(("make", "n_states"), CELLS)
def test_cell_gradcheck(make, n_states):
    tl.manual_seed(4)
    cell = make()
    rng = np.random.default_rng(4)
    x = tl.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    states = [tl.tensor(rng.standard_normal((2, 4)), requires_grad=True) for _ in range(n_states)]

    def run(x, *rest):
        out = cell(x, tuple(rest[:n_states]) if n_states == 2 else rest[0])
        return out if n_states == 2 else (out,)

    assert tl.autograd.gradcheck(run, [x, *states, *cell.parameters()], eps=1e-6, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("unbatched", [False, True])
def test_cells_match_reference(unbatched):
    rng = np.random.default_rng(5)
    shape = () if unbatched else (2,)
    x, h, c = (
        rng.standard_normal(shape + (3,)),
        rng.standard_normal(shape + (4,)),
        rng.standard_normal(shape + (4,)),
    )
    lstm = nn.LSTMCell(3, 4, dtype=tl.float64)
    w = lstm.weight_ih, lstm.weight_hh, lstm.bias_ih, lstm.bias_hh
    got_h, got_c = lstm(tl.tensor(x), (tl.tensor(h), tl.tensor(c)))
    want_h, want_c = ref.lstm_cell(x, h, c, *(p.numpy() for p in w))
    assert_close(got_h, want_h, np.float64)
    assert_close(got_c, want_c, np.float64)
    gru = nn.GRUCell(3, 4, dtype=tl.float64)
    w = gru.weight_ih, gru.weight_hh, gru.bias_ih, gru.bias_hh
    assert_close(gru(tl.tensor(x), tl.tensor(h)), ref.gru_cell(x, h, *(p.numpy() for p in w)), np.float64)
    rnn = nn.RNNCell(3, 4, bias=False, nonlinearity="relu", dtype=tl.float64)
    want = ref.rnn_cell(x, np.zeros_like(h), rnn.weight_ih.numpy(), rnn.weight_hh.numpy(), None, None, "relu")
    assert_close(rnn(tl.tensor(x)), want, np.float64)  # hx=None means zeros


def test_parameter_names_shapes_and_init():
    tl.manual_seed(0)
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    names = [
        f"{kind}_{side}_l{layer}{suffix}"
        for layer in range(2)
        for suffix in ("", "_reverse")
        for kind, side in (("weight", "ih"), ("weight", "hh"), ("bias", "ih"), ("bias", "hh"))
    ]
    assert [n for n, _ in lstm.named_parameters()] == names
    assert lstm.weight_ih_l0.shape == (16, 3) and lstm.weight_ih_l1.shape == (16, 8)
    assert lstm.weight_hh_l1_reverse.shape == (16, 4) and lstm.bias_hh_l0.shape == (16,)
    values = np.concatenate([p.numpy().ravel() for p in lstm.parameters()])
    assert np.all(np.abs(values) <= 0.5) and values.min() < -0.45 and values.max() > 0.45  # U(-1/sqrt(4), ..)
    tl.manual_seed(0)
    again = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    np.testing.assert_array_equal(again.weight_hh_l1.numpy(), lstm.weight_hh_l1.numpy())
    assert len(lstm.all_weights) == 4 and lstm.all_weights[1][0] is lstm.weight_ih_l0_reverse
    assert [n for n, _ in nn.GRU(2, 3, bias=False).named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]


def test_dropout_between_layers_follows_train_and_eval():
    tl.manual_seed(6)
    layer = nn.GRU(3, 4, num_layers=2, dropout=0.5, dtype=tl.float64)
    x = np.random.default_rng(6).standard_normal((5, 2, 3))
    expected, _ = ref.recurrent_forward("GRU", x, _weights(layer), 2, False)
    layer.eval()
    assert_close(layer(tl.tensor(x))[0], expected, np.float64)
    layer.train()
    tl.manual_seed(7)
    first = layer(tl.tensor(x))[0].numpy()
    tl.manual_seed(7)
    np.testing.assert_array_equal(layer(tl.tensor(x))[0].numpy(), first)
    assert np.abs(first - expected).max() > 1e-3
    layer.dropout = 1.0  # everything dropped: layer 1 runs on zeros
    top = {k.replace("l1", "l0"): v for k, v in _weights(layer).items() if k.endswith("l1")}
    expected_top, _ = ref.recurrent_forward("GRU", np.zeros((5, 2, 4)), top, 1, False)
    assert_close(layer(tl.tensor(x))[0], expected_top, np.float64)


def test_dropout_with_one_layer_warns_like_pytorch():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.LSTM(2, 3, dropout=0.2)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: nn.LSTM(3, 0), "hidden_size"),
        (lambda: nn.GRU(3, -2), "hidden_size"),
        (lambda: nn.RNN(3, 4, num_layers=0), "num_layers"),
        (lambda: nn.LSTM(3, 4, 2, dropout=1.5), "dropout"),
        (lambda: nn.GRU(3, 4, 2, dropout=-0.1), "dropout"),
        (lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), "nonlinearity"),
        (lambda: nn.LSTMCell(3, 0), "hidden_size"),
        (lambda: nn.GRUCell(-1, 2), "input_size"),
    ],
)
def test_bad_constructor_arguments_raise_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_devices():
    assert nn.LSTM(2, 3, device="cpu").weight_ih_l0.shape == (12, 2)
    nn.GRUCell(2, 3, device=None)
    with pytest.raises(RuntimeError, match="built without CUDA: GRU cannot use device 'cuda'"):
        nn.GRU(2, 3, device="cuda")
    with pytest.raises(RuntimeError, match="invalid device string 'tpu'"):
        nn.LSTM(3, 4, device="tpu")
    with pytest.raises(RuntimeError, match="cuda:0"):
        nn.LSTMCell(2, 3, device="cuda:0")
    with pytest.raises(NotImplementedError, match="proj_size"):
        nn.LSTM(2, 3, proj_size=2)


def test_bad_inputs_name_the_sizes():
    lstm = nn.LSTM(5, 4, num_layers=2)
    with pytest.raises(ValueError, match=r"input has 7 features \(shape \(3, 2, 7\)\) but input_size is 5"):
        lstm(tl.zeros(3, 2, 7))
    with pytest.raises(ValueError, match="expected 2-D or 3-D"):
        lstm(tl.zeros(5))
    with pytest.raises(ValueError, match=r"h_0 has shape \(1, 2, 4\) but \(2, 2, 4\)"):
        lstm(tl.zeros(3, 2, 5), (tl.zeros(1, 2, 4), tl.zeros(2, 2, 4)))
    with pytest.raises(ValueError, match="tuple"):
        lstm(tl.zeros(3, 2, 5), tl.zeros(2, 2, 4))
    with pytest.raises(TypeError, match="float64"):
        lstm(tl.zeros(3, 2, 5, dtype=tl.float64))
    with pytest.raises(ValueError, match="sequence length"):
        lstm(tl.zeros(0, 2, 5))
    with pytest.raises(ValueError, match=r"input has 2 features .* input_size is 3"):
        nn.GRUCell(3, 4)(tl.zeros(1, 2))
    with pytest.raises(ValueError, match=r"h has shape \(3, 4\) but \(2, 4\)"):
        nn.RNNCell(3, 4)(tl.zeros(2, 3), tl.zeros(3, 4))
    # Unbatched input: the expected state shape has no batch axis.
    with pytest.raises(ValueError, match=r"c has shape \(1, 4\) but \(4,\) was expected"):
        nn.LSTMCell(3, 4)(tl.zeros(3), (tl.zeros(4), tl.zeros(1, 4)))
    with pytest.raises(ValueError, match=r"h_0 has shape \(2, 1, 4\) but \(2, 4\) was expected"):
        lstm(tl.zeros(3, 5), (tl.zeros(2, 1, 4), tl.zeros(2, 4)))
    with pytest.raises(ValueError, match=r"tuple \(h, c\), got Tensor"):
        nn.LSTMCell(3, 4)(tl.zeros(2, 3), tl.zeros(2, 4))


def test_repr():
    assert repr(nn.LSTM(3, 4, 2, batch_first=True)) == "LSTM(3, 4, num_layers=2, batch_first=True)"
    assert repr(nn.RNN(3, 4, nonlinearity="relu", bias=False)) == "RNN(3, 4, nonlinearity='relu', bias=False)"
    assert repr(nn.GRUCell(3, 4)) == "GRUCell(3, 4)"


# ---- against PyTorch: same weights, same outputs and gradients


@pytest.mark.parametrize("mode", list(LAYERS))
def test_matches_torch_outputs_and_gradients(mode):
    torch = pytest.importorskip("torch")
    kwargs = {"num_layers": 2, "batch_first": True, "bidirectional": True}
    ours = _make(mode, 3, 4, dtype=tl.float64, **kwargs)
    cls = {"LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}.get(mode, torch.nn.RNN)
    extra = {"nonlinearity": "relu"} if mode == "RNN_RELU" else {}
    theirs = cls(3, 4, dtype=torch.float64, **kwargs, **extra)
    with torch.no_grad():
        for name, p in ours.named_parameters():
            getattr(theirs, name).copy_(torch.from_numpy(p.numpy()))
    x = np.random.default_rng(8).standard_normal((2, 5, 3))
    h0 = np.random.default_rng(9).standard_normal((4, 2, 4))
    xt, xo = torch.tensor(x, requires_grad=True), tl.tensor(x, requires_grad=True)
    hx_t = (torch.tensor(h0), torch.tensor(h0 * 0.5)) if mode == "LSTM" else torch.tensor(h0)
    hx_o = (tl.tensor(h0), tl.tensor(h0 * 0.5)) if mode == "LSTM" else tl.tensor(h0)
    out_t, fin_t = theirs(xt, hx_t)
    out_o, fin_o = ours(xo, hx_o)
    np.testing.assert_allclose(out_o.numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    h_t, h_o = (fin_t[0], fin_o[0]) if mode == "LSTM" else (fin_t, fin_o)
    np.testing.assert_allclose(h_o.numpy(), h_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    weights = np.random.default_rng(10).standard_normal(out_o.shape)
    ((out_t * torch.from_numpy(weights)).sum() + h_t.sum()).backward()
    ((out_o * tl.tensor(weights)).sum() + h_o.sum()).backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), getattr(theirs, name).grad.numpy(), rtol=1e-9, atol=1e-12)


def test_cells_match_torch():
    torch = pytest.importorskip("torch")
    x, h, c = (np.random.default_rng(i).standard_normal((2, 3 if i == 0 else 4)) for i in range(3))
    for ours, theirs, states in (
        (nn.LSTMCell(3, 4, dtype=tl.float64), torch.nn.LSTMCell(3, 4, dtype=torch.float64), (h, c)),
        (nn.GRUCell(3, 4, dtype=tl.float64), torch.nn.GRUCell(3, 4, dtype=torch.float64), h),
        (nn.RNNCell(3, 4, dtype=tl.float64), torch.nn.RNNCell(3, 4, dtype=torch.float64), h),
    ):
        with torch.no_grad():
            for name, p in ours.named_parameters():
                getattr(theirs, name).copy_(torch.from_numpy(p.numpy()))
        pair = isinstance(states, tuple)
        got = ours(tl.tensor(x), tuple(tl.tensor(s) for s in states) if pair else tl.tensor(states))
        want = theirs(
            torch.tensor(x), tuple(torch.tensor(s) for s in states) if pair else torch.tensor(states)
        )
        for g, w in zip(got, want) if pair else ((got, want),):
            np.testing.assert_allclose(g.numpy(), w.detach().numpy(), rtol=1e-10, atol=1e-12)
