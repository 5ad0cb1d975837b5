"""Recurrent layers RNN, LSTM and GRU (PyTorch names, signatures, parameter names and semantics)."""

import math
import numbers
import warnings

from tensorlite import creation, ops
from tensorlite._device import check_device
from tensorlite.nn import init
from tensorlite.nn.module import Module
from tensorlite.nn.parameter import Parameter
from tensorlite.ops._util import as_tensor
from tensorlite.ops.rnn import recurrence

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def check_size(owner, name, value, minimum):
    """Raise ValueError unless value is an int >= minimum."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{owner}: {name} must be an int >= {minimum}, got {value!r}")


def check_input(owner, x, input_size, dtype, ndims):
    """x as a Tensor with ndim in `ndims`, input_size features (last dim) and the weights' dtype."""
    x = as_tensor(x)
    if x.ndim not in ndims:
        raise ValueError(
            f"{owner}: expected {' or '.join(f'{n}-D' for n in ndims)} input, got shape {tuple(x.shape)}"
        )
    if x.shape[-1] != input_size:
        raise ValueError(
            f"{owner}: input has {x.shape[-1]} features (shape {tuple(x.shape)}) but input_size is {input_size}"
        )
    if x.dtype != dtype:
        raise TypeError(f"{owner}: input has dtype {x.dtype} but the layer's weights are {dtype}")
    return x


def check_state(owner, name, h, shape, dtype):
    """h as a Tensor of the given shape and dtype (ValueError / TypeError naming it otherwise)."""
    h = as_tensor(h)
    if tuple(h.shape) != shape:
        raise ValueError(f"{owner}: {name} has shape {tuple(h.shape)} but {shape} was expected")
    if h.dtype != dtype:
        raise TypeError(f"{owner}: {name} has dtype {h.dtype} but the layer's weights are {dtype}")
    return h


def initial_states(owner, mode, hx, shape, batch_axis, unbatched, dtype, names):
    """The initial states (two for LSTM, else one) as `shape` tensors: zeros when hx is None, else hx
    checked against `shape` (without the batch_axis entry when unbatched) and given that axis back."""
    count = 2 if mode == "LSTM" else 1
    if hx is None:
        return [creation.zeros(*shape, dtype=dtype) for _ in range(count)]
    if count == 2 and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
        raise ValueError(f"{owner}: hx must be a tuple ({', '.join(names)}), got {type(hx).__name__}")
    want = shape[:batch_axis] + shape[batch_axis + 1 :] if unbatched else shape
    states = [check_state(owner, n, h, want, dtype) for n, h in zip(names, hx if count == 2 else [hx])]
    return [ops.unsqueeze(h, batch_axis) for h in states] if unbatched else states


class RNNBase(Module):
    """Shared multi-layer, optionally bidirectional recurrence (see RNN, LSTM, GRU).

    Layer k, direction d holds weight_ih_l{k}[_reverse] (G*H, I_k), weight_hh_l{k}[_reverse] (G*H, H)
    and, with bias, bias_ih_l{k}[_reverse], bias_hh_l{k}[_reverse] (G*H,), G the number of gates
    and I_0 = input_size, I_k = D*H above. All start at U(-1/sqrt(H), 1/sqrt(H)) (PyTorch's init).
    Layer k > 0 reads the (D*H) concatenated outputs of layer k - 1, through dropout while training.
    """

    def __init__(
        self,
        mode,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        name = type(self).__name__
        check_device(device, name)
        check_size(name, "input_size", input_size, 0)
        check_size(name, "hidden_size", hidden_size, 1)
        check_size(name, "num_layers", num_layers, 1)
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout must be a number in [0, 1], got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
                f"num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                UserWarning,
                stacklevel=3,
            )
        self.mode, self.input_size, self.hidden_size, self.num_layers = (
            mode,
            input_size,
            hidden_size,
            num_layers,
        )
        self.bias, self.batch_first, self.dropout = bool(bias), bool(batch_first), float(dropout)
        self.bidirectional = bool(bidirectional)
        directions = 2 if bidirectional else 1
        rows = GATES[mode] * hidden_size
        self._flat_weights_names = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for d in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if d else "")
                shapes = [("weight_ih", (rows, layer_input)), ("weight_hh", (rows, hidden_size))]
                if bias:
                    shapes += [("bias_ih", (rows,)), ("bias_hh", (rows,))]
                for prefix, shape in shapes:
                    setattr(self, prefix + suffix, Parameter(creation.empty(*shape, dtype=dtype)))
                    self._flat_weights_names.append(prefix + suffix)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def flatten_parameters(self):
        """Does nothing: PyTorch packs the weights into one buffer for cuDNN; here each weight is its
        own contiguous array already. Kept so that scripts calling it run unchanged."""

    @property
    def all_weights(self):
        """The parameters per layer and direction: [[weight_ih, weight_hh, (bias_ih, bias_hh)], ...]."""
        per = 4 if self.bias else 2
        names = self._flat_weights_names
        return [[getattr(self, n) for n in names[i : i + per]] for i in range(0, len(names), per)]

    def forward(self, input, hx=None):
        """Returns (output, h_n), for LSTM (output, (h_n, c_n)). input (L, B, H_in) (batch_first:
        (B, L, H_in)) or unbatched (L, H_in); output (L, B, D*H) (same layout as input); h_n, c_n
        (num_layers*D, B, H), without the B axis for unbatched input."""
        name = type(self).__name__
        x = check_input(name, input, self.input_size, self.weight_ih_l0.dtype, (2, 3))
        given_shape = tuple(x.shape)
        unbatched = x.ndim == 2
        if unbatched:
            x = ops.unsqueeze(x, 1)
        elif self.batch_first:
            x = ops.transpose(x, 0, 1)
        if x.shape[0] == 0:
            raise ValueError(f"{name}: expected a sequence length > 0, got input of shape {given_shape}")
        directions = 2 if self.bidirectional else 1
        shape = (self.num_layers * directions, x.shape[1], self.hidden_size)
        states = initial_states(name, self.mode, hx, shape, 1, unbatched, x.dtype, ("h_0", "c_0"))
        per = 4 if self.bias else 2
        finals = [[] for _ in states]
        for layer in range(self.num_layers):
            outputs = []
            for d in range(directions):
                index = layer * directions + d
                names = self._flat_weights_names[index * per : (index + 1) * per]
                out, final = recurrence(
                    self.mode,
                    x,
                    tuple(s[index] for s in states),
                    *(getattr(self, n) for n in names),
                    reverse=d == 1,
                )
                outputs.append(out)
                for collected, h in zip(finals, final):
                    collected.append(h)
            x = outputs[0] if directions == 1 else ops.concat(outputs, dim=2)
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                # tl's dropout takes p < 1; p = 1 drops everything.
                x = x * 0.0 if self.dropout == 1 else ops.dropout(x, self.dropout)
        finals = [ops.stack(f) for f in finals]
        if unbatched:
            x, finals = ops.squeeze(x, 1), [ops.squeeze(h, 1) for h in finals]
        elif self.batch_first:
            x = ops.transpose(x, 0, 1)
        return (x, tuple(finals)) if self.mode == "LSTM" else (x, finals[0])

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity='relu'"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """Elman RNN, as torch.nn.RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act = tanh
    (nonlinearity='tanh') or relu. forward(input, h_0=None) -> (output, h_n)."""

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        nonlinearity="tanh",
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        device=None,
        dtype=None,
    ):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(
            mode,
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            device,
            dtype,
        )
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """LSTM, as torch.nn.LSTM (gate order i, f, g, o):
    i, f, o = sigma(.), g = tanh(.) of x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh;
    c_t = f c_{t-1} + i g;  h_t = o tanh(c_t). forward(input, (h_0, c_0)=None) -> (output, (h_n, c_n))."""

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        proj_size=0,
        device=None,
        dtype=None,
    ):
        check_size("LSTM", "proj_size", proj_size, 0)
        if proj_size:
            raise NotImplementedError(
                "LSTM: proj_size > 0 (projected LSTM) is not supported by tensorlite yet"
            )
        super().__init__(
            "LSTM",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            device,
            dtype,
        )
        self.proj_size = 0


class GRU(RNNBase):
    """GRU, as torch.nn.GRU (gate order r, z, n): r, z = sigma(x_t W_i^T + b_i + h_{t-1} W_h^T + b_h),
    n = tanh(x_t W_in^T + b_in + r (h_{t-1} W_hn^T + b_hn)), h_t = (1 - z) n + z h_{t-1}.
    forward(input, h_0=None) -> (output, h_n)."""

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        device=None,
        dtype=None,
    ):
        super().__init__(
            "GRU",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            device,
            dtype,
        )
