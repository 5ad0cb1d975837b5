"""The Conv2d layer."""

from tensorlite import creation, ops
from tensorlite._device import check_device
from tensorlite.nn import init
from tensorlite.nn.module import Module
from tensorlite.nn.parameter import Parameter
from tensorlite.ops._util import int_pair


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
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
            if (
                not isinstance(value, int)
                or isinstance(value, bool)
                or value < (1 if name == "groups" else 0)
            ):
                raise ValueError(
                    f"Conv2d: {name} must be a {'positive' if name == 'groups' else 'non-negative'} int, got {value!r}"
                )
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"Conv2d: groups={groups} must divide in_channels={in_channels} and out_channels={out_channels}"
            )
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        init.resolve_initializer(weight_init, "Conv2d: weight_init")
        init.resolve_initializer(bias_init, "Conv2d: bias_init")
        self.weight_init, self.bias_init = weight_init, bias_init
        self.kernel_size = int_pair("Conv2d", "kernel_size", kernel_size, 1)
        self.stride = int_pair("Conv2d", "stride", stride, 1)
        self.dilation = int_pair("Conv2d", "dilation", dilation, 1)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"Conv2d: padding must be an int, a pair, 'valid' or 'same', got {padding!r}"
                )
            if padding == "same" and self.stride != (1, 1):
                raise ValueError(f"Conv2d: padding='same' needs stride 1, got stride {self.stride}")
            self.padding = padding
        else:
            self.padding = int_pair("Conv2d", "padding", padding, 0)
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
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding!r}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s
