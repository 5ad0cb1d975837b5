"""Convolution layers: Conv1d, Conv2d and ConvTranspose2d.

A layer stores its arguments and checks at construction only what PyTorch's does (groups, the channel
counts groups must divide, the padding string and padding_mode); kernel size, stride, padding and
dilation are checked by the op (tensorlite.ops) on the first forward, with the op's messages."""

from tensorlite import creation, ops
from tensorlite._device import check_device
from tensorlite.nn import init
from tensorlite.nn.module import Module
from tensorlite.nn.parameter import Parameter


def _ntuple(value, n):
    """An int or a sequence as an n-tuple, unchecked (PyTorch's _pair / _single)."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


def _check_groups(layer, in_channels, out_channels, groups):
    """PyTorch's construction checks: groups a positive int dividing both channel counts."""
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{layer}: groups must be a positive int, got {groups!r}")
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"{layer}: groups={groups} must divide in_channels={in_channels} and out_channels={out_channels}"
        )


def _conv_repr(layer, zero, one, output_padding=None, padding_mode="zeros"):
    """PyTorch's extra_repr of a conv layer: channels, kernel and stride, then padding, dilation,
    output_padding and groups where they differ from the defaults (`zero`, `one`), bias=False, and a
    padding_mode other than 'zeros'."""
    s = f"{layer.in_channels}, {layer.out_channels}, kernel_size={layer.kernel_size}, stride={layer.stride}"
    if layer.padding != zero:
        s += f", padding={layer.padding!r}"
    if layer.dilation != one:
        s += f", dilation={layer.dilation}"
    if output_padding not in (None, zero):
        s += f", output_padding={output_padding}"
    if layer.groups != 1:
        s += f", groups={layer.groups}"
    if layer.bias is None:
        s += ", bias=False"
    if padding_mode != "zeros":
        s += f", padding_mode={padding_mode}"
    return s


def _check_padding_string(layer, padding, stride):
    """PyTorch's construction checks of a string padding: 'valid' or 'same', and 'same' only unstrided."""
    if padding not in ("same", "valid"):
        raise ValueError(f"{layer}: padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
    if padding == "same" and any(s != 1 for s in stride):
        raise ValueError(f"{layer}: padding='same' needs stride 1, got stride {stride}")


class Conv2d(Module):
    """y = conv2d(x, W, b, stride, padding, dilation, groups) with W of shape
    (out_channels, in_channels / groups, kh, kw) and b of shape (out_channels,).

    Default init (PyTorch's): W ~ kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)) and
    b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels / groups * kh * kw. weight_init= /
    bias_init= replace them: an initializer name ("he_normal", "xavier_uniform", ...), a number (a
    constant, e.g. bias_init=0.01) or a callable fn(tensor), as for Linear. padding_mode must be 'zeros';
    device= and dtype= as in PyTorch (device "cpu").
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None, *, weight_init=None,
                 bias_init=None):  # fmt: skip
        super().__init__()
        check_device(device, "Conv2d")
        if padding_mode != "zeros":
            raise NotImplementedError(f"Conv2d: padding_mode={padding_mode!r} (only 'zeros' is supported)")
        _check_groups("Conv2d", in_channels, out_channels, groups)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        init.resolve_initializer(weight_init, "Conv2d: weight_init")
        init.resolve_initializer(bias_init, "Conv2d: bias_init")
        self.weight_init, self.bias_init = weight_init, bias_init
        self.kernel_size = _ntuple(kernel_size, 2)
        self.stride = _ntuple(stride, 2)
        self.dilation = _ntuple(dilation, 2)
        if isinstance(padding, str):
            _check_padding_string("Conv2d", padding, self.stride)
            self.padding = padding
        else:
            self.padding = _ntuple(padding, 2)
        self.weight = Parameter(
            creation.empty(out_channels, in_channels // groups, *self.kernel_size, dtype=dtype)
        )
        self.bias = Parameter(creation.empty(out_channels, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """Re-draw weight and bias (weight_init / bias_init, else PyTorch's default initialization)."""
        init.init_weight_and_bias_(self.weight, self.bias, self.weight_init, self.bias_init)

    def forward(self, x):
        return ops.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self):
        return _conv_repr(self, (0, 0), (1, 1))


class Conv1d(Module):
    """y = conv1d(x, W, b, stride, padding, dilation, groups) on (N, C, L) or (C, L) input, W of shape
    (out_channels, in_channels / groups, kernel_size). padding: an int, "valid" or "same";
    padding_mode "zeros", "reflect" or "replicate" (the latter two pad with F.pad first). Default init
    as Conv2d: W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels / groups * kernel_size."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):  # fmt: skip
        super().__init__()
        check_device(device, "Conv1d")
        _check_groups("Conv1d", in_channels, out_channels, groups)
        if padding_mode not in ("zeros", "reflect", "replicate"):
            raise ValueError(
                f"Conv1d: padding_mode must be 'zeros', 'reflect' or 'replicate', got {padding_mode!r}"
            )
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _ntuple(kernel_size, 1)
        self.stride = _ntuple(stride, 1)
        self.dilation = _ntuple(dilation, 1)
        if isinstance(padding, str):
            _check_padding_string("Conv1d", padding, self.stride)
            if padding == "same" and padding_mode != "zeros":
                raise ValueError(f"Conv1d: padding='same' needs padding_mode 'zeros', got {padding_mode!r}")
            self.padding = padding
        else:
            self.padding = _ntuple(padding, 1)
        self.padding_mode = padding_mode
        self.weight = Parameter(
            creation.empty(out_channels, in_channels // groups, *self.kernel_size, dtype=dtype)
        )
        self.bias = Parameter(creation.empty(out_channels, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's default)."""
        init.init_weight_and_bias_(self.weight, self.bias)

    def forward(self, x):
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        if self.padding_mode != "zeros" and padding:
            x, padding = ops.pad(x, (padding, padding), mode=self.padding_mode), 0
        return ops.conv1d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)

    def extra_repr(self):
        return _conv_repr(self, (0,), (1,), padding_mode=self.padding_mode)


class ConvTranspose2d(Module):
    """y = conv_transpose2d(x, W, b, stride, padding, output_padding, groups, dilation), W of shape
    (in_channels, out_channels / groups, kh, kw); output size (in - 1) * stride - 2 * padding +
    dilation * (kernel - 1) + output_padding + 1. forward(x, output_size=None) may instead name the
    output size (which picks output_padding), as PyTorch. Default init (PyTorch's):
    W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = W.shape[1] * kh * kw."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):  # fmt: skip
        super().__init__()
        check_device(device, "ConvTranspose2d")
        _check_groups("ConvTranspose2d", in_channels, out_channels, groups)
        if padding_mode != "zeros":
            raise ValueError(f"ConvTranspose2d: only padding_mode 'zeros' is supported, got {padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _ntuple(kernel_size, 2)
        self.stride = _ntuple(stride, 2)
        self.padding = _ntuple(padding, 2)
        self.output_padding = _ntuple(output_padding, 2)
        self.dilation = _ntuple(dilation, 2)
        self.padding_mode = padding_mode
        self.weight = Parameter(
            creation.empty(in_channels, out_channels // groups, *self.kernel_size, dtype=dtype)
        )
        self.bias = Parameter(creation.empty(out_channels, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = W.shape[1] * kh * kw (PyTorch's default)."""
        init.init_weight_and_bias_(self.weight, self.bias)

    def _output_padding(self, x, output_size):
        """output_padding that gives output_size (PyTorch's _output_padding), ValueError if none does."""
        spatial = tuple(output_size)[-2:]
        if len(tuple(output_size)) not in (2, x.ndim):
            raise ValueError(
                f"ConvTranspose2d: output_size must have 2 or {x.ndim} entries, got {output_size!r}"
            )
        pads = []
        for k, size in enumerate(spatial):
            n = x.shape[x.ndim - 2 + k]
            s, p, d, kernel = self.stride[k], self.padding[k], self.dilation[k], self.kernel_size[k]
            smallest = (n - 1) * s - 2 * p + d * (kernel - 1) + 1
            largest = smallest + s - 1
            if not smallest <= size <= largest:
                raise ValueError(
                    f"ConvTranspose2d: output_size {output_size!r} is not reachable from input {x.shape}; "
                    f"dimension {k} must be in [{smallest}, {largest}]"
                )
            pads.append(size - smallest)
        return tuple(pads)

    def forward(self, x, output_size=None):
        output_padding = self.output_padding if output_size is None else self._output_padding(x, output_size)
        return ops.conv_transpose2d(
            x, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups, self.dilation
        )

    def extra_repr(self):
        return _conv_repr(self, (0, 0), (1, 1), output_padding=self.output_padding)
