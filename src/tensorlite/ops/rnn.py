"""Recurrences: one direction of one RNN / LSTM / GRU layer over a whole (T, B, I) sequence as a
single differentiable op. Per step two GEMMs (the input one batched over all steps up front) and
one fused C++ gate kernel; backward is back-propagation through time in the same structure.

Formulas (PyTorch's, gate order LSTM i, f, g, o and GRU r, z, n; sigma the logistic sigmoid):

- RNN:  h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act = tanh or relu
- LSTM: [i, f, g, o] = [sigma, sigma, tanh, sigma](x W_ih^T + b_ih + h W_hh^T + b_hh),
        c' = f c + i g,  h' = o tanh(c')
- GRU:  [r, z] = sigma(x W_ih^T + b_ih + h W_hh^T + b_hh) (first two blocks),
        n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn)),  h' = (1 - z) n + z h
"""

import numpy as np

from tensorlite import backend
from tensorlite.autograd.function import Function


class _Recurrence(Function):
    """Base op. Inputs: x (T, B, I), the initial states (h0 (B, H), and c0 for LSTM), w_ih, w_hh and
    optionally b_ih, b_hh; attribute `reverse` runs the sequence backwards. Output: the hidden states
    in time order (T, B, H), followed by the final extra states (LSTM: c_T), stacked on axis 0.

    Subclasses give the cell: cell(xw, hw, b_ih, b_hh, states) -> (new states, saved) and
    cell_backward(saved, states, new_states, d_new_states) -> (dxg, dhg, direct) where dxg / dhg are
    the gradients of the x-side / h-side gate pre-activations and `direct` the gradients of the
    previous states except through W_hh (None for a zero h part)."""

    n_states = 1

    def forward(self, x, *args):
        k = self.n_states
        states, w_ih, w_hh = tuple(args[:k]), args[k], args[k + 1]
        b_ih, b_hh = args[k + 2 :] or (None, None)
        steps, batch = x.shape[0], x.shape[1]
        xs = x[::-1] if self.reverse else x  # processing order
        xw = backend.gemm(backend.rows(xs), w_ih, trans_b=True).reshape(steps, batch, w_ih.shape[0])
        self.xs, self.w_ih, self.w_hh = xs, w_ih, w_hh
        self.history, self.saved = [states], []  # history[j]: the states after j steps
        for j in range(steps):
            hw = backend.gemm(states[0], w_hh, trans_b=True)
            states, saved = self.cell(xw[j], hw, b_ih, b_hh, states)
            self.history.append(states)
            self.saved.append(saved)
        hs = [s[0] for s in self.history[1:]]
        if self.reverse:
            hs.reverse()
        return np.stack(hs + list(states[1:]))

    def backward(self, grad):
        steps, k = len(self.saved), self.n_states
        d_states = [np.zeros_like(self.history[0][0])] + [grad[steps + i] for i in range(k - 1)]
        dxg, dhg = [None] * steps, [None] * steps
        for j in range(steps - 1, -1, -1):
            d_states[0] = d_states[0] + grad[steps - 1 - j if self.reverse else j]
            dxg[j], dhg[j], direct = self.cell_backward(
                self.saved[j], self.history[j], self.history[j + 1], d_states
            )
            through_w = backend.gemm(dhg[j], self.w_hh)
            d_states = [through_w if direct[0] is None else direct[0] + through_w, *direct[1:]]
        dxg = np.stack(dxg)
        dhg = dxg if self.shared_gate_grads else np.stack(dhg)
        dxg_rows, dhg_rows = backend.rows(dxg), backend.rows(dhg)
        need = [t.requires_grad for t in self.inputs]
        grads = [None, *d_states] + [None] * (len(self.inputs) - 1 - k)
        if need[0]:
            dx = backend.gemm(dxg_rows, self.w_ih).reshape(self.xs.shape)
            grads[0] = dx[::-1] if self.reverse else dx
        if need[k + 1]:
            grads[k + 1] = backend.gemm(dxg_rows, backend.rows(self.xs), trans_a=True)
        if need[k + 2]:
            h_prev = np.stack([s[0] for s in self.history[:-1]])
            grads[k + 2] = backend.gemm(dhg_rows, backend.rows(h_prev), trans_a=True)
        if len(self.inputs) > k + 3:
            grads[k + 3], grads[k + 4] = dxg.sum(axis=(0, 1)), dhg.sum(axis=(0, 1))
        return tuple(grads)


class RNNRecurrence(_Recurrence):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh);  d pre = dh' act'(pre) (from the saved h')."""

    shared_gate_grads = True

    def cell(self, xw, hw, b_ih, b_hh, states):
        pre = xw + hw
        if b_ih is not None:
            pre += b_ih + b_hh
        h = backend.activation(pre, self.nonlinearity)
        return (h,), h

    def cell_backward(self, saved, states, new_states, d_new):
        # relu: h' > 0 exactly where pre > 0, so the saved output serves both activations.
        dpre = backend.activation_backward(saved, d_new[0], self.nonlinearity)
        return dpre, dpre, (None,)


class LSTMRecurrence(_Recurrence):
    """c' = f c + i g, h' = o tanh(c'); the gate math forward and backward is one C++ kernel each."""

    n_states = 2
    shared_gate_grads = True

    def cell(self, xw, hw, b_ih, b_hh, states):
        h, c, gates = backend.lstm_cell(xw, hw, b_ih, b_hh, states[1])
        return (h, c), gates

    def cell_backward(self, saved, states, new_states, d_new):
        dgates, dc_prev = backend.lstm_cell_backward(saved, states[1], new_states[1], d_new[0], d_new[1])
        return dgates, dgates, (None, dc_prev)


class GRURecurrence(_Recurrence):
    """h' = (1 - z) n + z h; the gate math forward and backward is one C++ kernel each."""

    shared_gate_grads = False

    def cell(self, xw, hw, b_ih, b_hh, states):
        h, saved = backend.gru_cell(xw, hw, b_ih, b_hh, states[0])
        return (h,), saved

    def cell_backward(self, saved, states, new_states, d_new):
        dxg, dhg, dh_direct = backend.gru_cell_backward(saved, states[0], d_new[0])
        return dxg, dhg, (dh_direct,)


_OPS = {"RNN_TANH": RNNRecurrence, "RNN_RELU": RNNRecurrence, "LSTM": LSTMRecurrence, "GRU": GRURecurrence}


def recurrence(mode, x, states, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    """Run one direction of one layer (mode RNN_TANH, RNN_RELU, LSTM or GRU) over x (T, B, I) from the
    initial `states` ((h0,) or (h0, c0), each (B, H)). Returns (output (T, B, H), final states tuple).
    Tensors must share one float dtype; the caller validates shapes."""
    op = _OPS[mode]
    bias = () if b_ih is None else (b_ih, b_hh)
    params = {"reverse": reverse}
    if op is RNNRecurrence:
        params["nonlinearity"] = "tanh" if mode == "RNN_TANH" else "relu"
    packed = op.apply(x, *states, w_ih, w_hh, *bias, **params)
    steps = x.shape[0]
    output = packed if len(states) == 1 else packed[:steps]
    last_h = packed[0] if reverse else packed[steps - 1]
    return output, (last_h, *(packed[steps + i] for i in range(len(states) - 1)))
