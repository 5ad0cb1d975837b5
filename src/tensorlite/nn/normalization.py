"""Batch, layer and group normalization layers (PyTorch semantics)."""

from tensorlite import creation, ops
from tensorlite._device import check_device
from tensorlite._dtype import int64
from tensorlite.nn import init
from tensorlite.nn.module import Module
from tensorlite.nn.parameter import Parameter
from tensorlite.ops.layer_norm import normalized_shape_tuple


class _BatchNorm(Module):
    """Shared BatchNorm: y = (x - mean) / sqrt(var + eps) * weight + bias per channel (dim 1).

    Training (or track_running_stats=False): batch mean and biased variance, and running_mean/running_var
    updated with `momentum` (running_var from the unbiased batch variance; momentum=None gives the
    cumulative average over num_batches_tracked batches). Evaluation: the running statistics.
    weight starts at 1, bias at 0, running_mean at 0, running_var at 1.
    """

    expected_ndims = ()

    def __init__(
        self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
        dtype=None,
    ):  # fmt: skip
        super().__init__()
        check_device(device, type(self).__name__)
        if not isinstance(num_features, int) or isinstance(num_features, bool) or num_features < 1:
            raise ValueError(
                f"{type(self).__name__}: num_features must be a positive int, got {num_features!r}"
            )
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError(f"{type(self).__name__}: momentum must be in [0, 1] or None, got {momentum}")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(creation.ones(num_features, dtype=dtype))
            self.bias = Parameter(creation.zeros(num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", creation.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", creation.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", creation.zeros((), dtype=int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self):
        """running_mean = 0, running_var = 1, num_batches_tracked = 0."""
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self):
        """Reset the running statistics, weight = 1 and bias = 0."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def forward(self, x):
        name = type(self).__name__
        if x.ndim not in self.expected_ndims:
            raise ValueError(
                f"{name}: expected {' or '.join(f'{n}-D' for n in self.expected_ndims)} input, got shape {x.shape}"
            )
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{name}: input of shape {x.shape} has {x.shape[1]} channels, expected {self.num_features}"
            )
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                momentum = 1.0 / float(self.num_batches_tracked._array)
        use_batch_stats = self.training or not self.track_running_stats
        return ops.batch_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            use_batch_stats,
            momentum,
            self.eps,
        )

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) input over N (and L) for each of the C channels."""

    expected_ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) input over N, H and W for each of the C channels."""

    expected_ndims = (4,)


class LayerNorm(Module):
    """y = (x - mean) / sqrt(var + eps) * weight + bias over the trailing dimensions normalized_shape (mean
    and biased var per leading index). elementwise_affine: learnable weight (starts at 1) and, if bias,
    bias (starts at 0), both of shape normalized_shape."""

    def __init__(
        self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None
    ):
        super().__init__()
        check_device(device, "LayerNorm")
        self.normalized_shape = normalized_shape_tuple("LayerNorm", normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(creation.ones(*self.normalized_shape, dtype=dtype))
            self.bias = Parameter(creation.zeros(*self.normalized_shape, dtype=dtype)) if bias else None
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self):
        """weight = 1, bias = 0."""
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x):
        return ops.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class GroupNorm(Module):
    """Group normalization of (N, C, *) input: channels split into num_groups groups, each sample's group
    normalized over its channels and positions, then y * weight_c + bias_c (affine: weight starts at 1,
    bias at 0, both of shape (num_channels,))."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None):
        super().__init__()
        check_device(device, "GroupNorm")
        for name, value in (("num_groups", num_groups), ("num_channels", num_channels)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"GroupNorm: {name} must be a positive int, got {value!r}")
        if num_channels % num_groups:
            raise ValueError(
                f"GroupNorm: num_channels={num_channels} must be divisible by num_groups={num_groups}"
            )
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        if affine:
            self.weight = Parameter(creation.ones(num_channels, dtype=dtype))
            self.bias = Parameter(creation.zeros(num_channels, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self):
        """weight = 1, bias = 0."""
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def forward(self, x):
        if x.ndim >= 2 and x.shape[1] != self.num_channels:
            raise ValueError(
                f"GroupNorm: input of shape {x.shape} has {x.shape[1]} channels, expected {self.num_channels}"
            )
        return ops.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"
