"""Linear, Identity and Flatten layers."""

from tensorlite import creation, ops
from tensorlite._device import check_device
from tensorlite.nn import init
from tensorlite.nn.module import Module
from tensorlite.nn.parameter import Parameter


class Linear(Module):
    """y = x W^T + b with W of shape (out_features, in_features).

    Default init (PyTorch's): W ~ kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(in), 1/sqrt(in)),
    b ~ U(-1/sqrt(in), 1/sqrt(in)). device= and dtype= as in PyTorch (device "cpu"). weight_init= / bias_init= replace them: an initializer name
    ("xavier_uniform", "he_normal", "lecun_normal", "zeros", ...; see tl.nn.init.INITIALIZER_NAMES),
    a number (a constant, e.g. bias_init=0.01) or a callable fn(tensor).
    """

    def __init__(
        self,
        in_features,
        out_features,
        bias=True,
        device=None,
        dtype=None,
        *,
        weight_init=None,
        bias_init=None,
    ):
        super().__init__()
        check_device(device, "Linear")
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"Linear: {name} must be a non-negative int, got {value!r}")
        self.in_features, self.out_features = in_features, out_features
        init.resolve_initializer(weight_init, "Linear: weight_init")
        init.resolve_initializer(bias_init, "Linear: bias_init")
        self.weight_init, self.bias_init = weight_init, bias_init
        self.weight = Parameter(creation.empty(out_features, in_features, dtype=dtype))
        self.bias = Parameter(creation.empty(out_features, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """Re-draw weight and bias (weight_init / bias_init, else PyTorch's default initialization)."""
        init.init_weight_and_bias_(self.weight, self.bias, self.weight_init, self.bias_init)

    def forward(self, x):
        return ops.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
        )


class Identity(Module):
    """Returns its input unchanged."""

    def forward(self, x):
        return x


class Flatten(Module):
    """Flattens dimensions start_dim..end_dim (by default all but the batch dimension)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return ops.flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under PyTorch's name for MultiheadAttention.out_proj (PyTorch keeps it out of dynamic
    quantization; here it is a plain Linear), so state_dict keys and module paths match PyTorch's."""
