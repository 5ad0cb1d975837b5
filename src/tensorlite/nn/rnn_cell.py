"""Single-step recurrent cells RNNCell, LSTMCell and GRUCell (PyTorch names, signatures, semantics).
Each step is one time step of the recurrence op, so the LSTM / GRU gate math is the fused C++ kernel."""

import math

from tensorlite import creation, ops
from tensorlite.nn import init
from tensorlite.nn.module import Module
from tensorlite.nn.parameter import Parameter
from tensorlite.nn.rnn import GATES, check_device, check_input, check_size, initial_states
from tensorlite.ops.rnn import recurrence


class RNNCellBase(Module):
    """Shared cell: weight_ih (G*H, input_size), weight_hh (G*H, H), bias_ih, bias_hh (G*H,) (G the
    number of gates), all drawn from U(-1/sqrt(H), 1/sqrt(H)) like PyTorch."""

    def __init__(self, mode, input_size, hidden_size, bias, device, dtype):
        super().__init__()
        name = type(self).__name__
        check_device(device, name)
        check_size(name, "input_size", input_size, 0)
        check_size(name, "hidden_size", hidden_size, 1)
        self.mode, self.input_size, self.hidden_size, self.bias = mode, input_size, hidden_size, bool(bias)
        rows = GATES[mode] * hidden_size
        self.weight_ih = Parameter(creation.empty(rows, input_size, dtype=dtype))
        self.weight_hh = Parameter(creation.empty(rows, hidden_size, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(creation.empty(rows, dtype=dtype))
            self.bias_hh = Parameter(creation.empty(rows, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _step(self, input, hx):
        """One step from input (B, input_size) or unbatched (input_size,) and hx (a state or a tuple of
        states, each (B, H) / (H,), None for zeros). Returns the new states, shaped like hx."""
        name = type(self).__name__
        x = check_input(name, input, self.input_size, self.weight_ih.dtype, (1, 2))
        unbatched = x.ndim == 1
        x2 = ops.unsqueeze(x, 0) if unbatched else x
        shape = (x2.shape[0], self.hidden_size)
        states = initial_states(name, self.mode, hx, shape, 0, unbatched, x.dtype, ("h", "c"))
        bias = (self.bias_ih, self.bias_hh) if self.bias else ()
        _, final = recurrence(
            self.mode, ops.unsqueeze(x2, 0), tuple(states), self.weight_ih, self.weight_hh, *bias
        )
        return [ops.squeeze(h, 0) for h in final] if unbatched else list(final)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity='relu'"
        return s


class RNNCell(RNNCellBase):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act = tanh or relu. forward(input, hx=None) -> h'."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(mode, input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        return self._step(input, hx)[0]


class LSTMCell(RNNCellBase):
    """i, f, o = sigma(.), g = tanh(.) of x W_ih^T + b_ih + h W_hh^T + b_hh (gate order i, f, g, o);
    c' = f c + i g, h' = o tanh(c'). forward(input, (h, c)=None) -> (h', c')."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        h, c = self._step(input, hx)
        return h, c


class GRUCell(RNNCellBase):
    """r, z = sigma(x W_i^T + b_i + h W_h^T + b_h), n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn)),
    h' = (1 - z) n + z h (gate order r, z, n). forward(input, hx=None) -> h'."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        return self._step(input, hx)[0]
