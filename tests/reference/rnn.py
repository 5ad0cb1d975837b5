"""Reference RNN / LSTM / GRU in float64 NumPy: one loop over layers, directions and time steps, the
cell equations written out as in PyTorch's documentation (gate order LSTM i, f, g, o; GRU r, z, n)."""

import numpy as np

from reference.activation import sigmoid


def _affine(x, w, b):
    return x @ w.T + (0.0 if b is None else b)


def rnn_cell(x, h, w_ih, w_hh, b_ih, b_hh, nonlinearity="tanh"):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    pre = _affine(x, w_ih, b_ih) + _affine(h, w_hh, b_hh)
    return np.tanh(pre) if nonlinearity == "tanh" else np.maximum(pre, 0.0)


def lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh):
    """(h', c'): c' = f c + i g, h' = o tanh(c')."""
    i, f, g, o = np.split(_affine(x, w_ih, b_ih) + _affine(h, w_hh, b_hh), 4, axis=-1)
    c_new = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c_new), c_new


def gru_cell(x, h, w_ih, w_hh, b_ih, b_hh):
    """h' = (1 - z) n + z h with n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn))."""
    xr, xz, xn = np.split(_affine(x, w_ih, b_ih), 3, axis=-1)
    hr, hz, hn = np.split(_affine(h, w_hh, b_hh), 3, axis=-1)
    r, z = sigmoid(xr + hr), sigmoid(xz + hz)
    n = np.tanh(xn + r * hn)
    return (1 - z) * n + z * h


def lstm_gates_backward(gates, c_prev, c, dh, dc):
    """Gradient of the LSTM gate pre-activations and of c_prev, by the chain rule through
    c = f c_prev + i g, h = o tanh(c)."""
    i, f, g, o = np.split(gates, 4, axis=-1)
    dc_total = dc + dh * o * (1 - np.tanh(c) ** 2)
    d_pre = np.concatenate(
        [
            dc_total * g * i * (1 - i),
            dc_total * c_prev * f * (1 - f),
            dc_total * i * (1 - g**2),
            dh * np.tanh(c) * o * (1 - o),
        ],
        axis=-1,
    )
    return d_pre, dc_total * f


def gru_gates(xw, hw, b_ih, b_hh, h_prev):
    """The GRU step from xw = x W_ih^T and hw = h_prev W_hh^T: (h', r, z, n, hn)."""
    xr, xz, xn = np.split(xw + b_ih, 3, axis=-1)
    hr, hz, hn = np.split(hw + b_hh, 3, axis=-1)
    r, z = sigmoid(xr + hr), sigmoid(xz + hz)
    n = np.tanh(xn + r * hn)
    return (1 - z) * n + z * h_prev, r, z, n, hn


def gru_gates_backward(xw, hw, b_ih, b_hh, h_prev, dh):
    """Gradients of the x-side and h-side GRU pre-activations and the direct part of dh_prev, by the
    chain rule through h' = (1 - z) n + z h_prev."""
    _, r, z, n, hn = gru_gates(xw, hw, b_ih, b_hh, h_prev)
    dn = dh * (1 - z) * (1 - n**2)
    dz = dh * (h_prev - n) * z * (1 - z)
    dr = dn * hn * r * (1 - r)
    return np.concatenate([dr, dz, dn], -1), np.concatenate([dr, dz, dn * r], -1), dh * z


def recurrent_forward(mode, x, weights, num_layers, bidirectional, batch_first=False, h0=None, c0=None):
    """PyTorch nn.RNN / nn.LSTM / nn.GRU forward. mode: 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU';
    weights: {'weight_ih_l0': ..., 'bias_hh_l1_reverse': ...} (biases may be absent).
    Returns (output, h_n) or, for LSTM, (output, (h_n, c_n))."""
    unbatched = x.ndim == 2
    if unbatched:
        x = x[:, None]
        h0 = None if h0 is None else h0[:, None]
        c0 = None if c0 is None else c0[:, None]
    elif batch_first:
        x = x.transpose(1, 0, 2)
    directions = 2 if bidirectional else 1
    steps, batch = x.shape[:2]
    hidden = weights["weight_hh_l0"].shape[1]
    zeros = np.zeros((num_layers * directions, batch, hidden))
    h0 = zeros if h0 is None else h0
    c0 = zeros if c0 is None else c0
    h_n, c_n = [], []
    layer_input = x
    for layer in range(num_layers):
        outputs = []
        for d in range(directions):
            suffix = f"l{layer}" + ("_reverse" if d else "")
            w = [weights.get(f"{name}_{suffix}") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            h, c = h0[layer * directions + d], c0[layer * directions + d]
            out = np.zeros((steps, batch, hidden))
            for t in reversed(range(steps)) if d else range(steps):
                if mode == "LSTM":
                    h, c = lstm_cell(layer_input[t], h, c, *w)
                elif mode == "GRU":
                    h = gru_cell(layer_input[t], h, *w)
                else:
                    h = rnn_cell(layer_input[t], h, *w, nonlinearity="tanh" if mode == "RNN_TANH" else "relu")
                out[t] = h
            outputs.append(out)
            h_n.append(h)
            c_n.append(c)
        layer_input = np.concatenate(outputs, axis=-1)
    output, h_n, c_n = layer_input, np.stack(h_n), np.stack(c_n)
    if unbatched:
        output, h_n, c_n = output[:, 0], h_n[:, 0], c_n[:, 0]
    elif batch_first:
        output = output.transpose(1, 0, 2)
    return (output, (h_n, c_n)) if mode == "LSTM" else (output, h_n)
