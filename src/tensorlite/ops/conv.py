"""2-D convolution (NCHW, PyTorch's conv2d): a direct GEMM over the padded input, Winograd F(2x2, 3x3),
batched columns of several small images or im2col + GEMM in C++, forward and backward (the C++ layer picks
the algorithm per pass; _C.conv2d_algorithm says which)."""

from tensorlite import backend
from tensorlite.autograd.function import Function
from tensorlite.ops._util import MAX_WINDOW_ARG, as_tensor, int_pair, require_allocatable, require_float


class Conv2d(Function):
    """y[n, k] = b[k] + sum_{c, i, j} W[k, c, i, j] x_pad[n, g*Cg + c, oh*s + i*d, ow*s + j*d] (g = group of k);
    with cols = im2col(x):  dW = sum_n dY_n cols_n^T,  dx = col2im(W^T dY),  db = sum_{n, oh, ow} dY;
    for stride 1, dx is also conv2d(dY, W') with W'[c, k, i, j] = W[k, c, kh-1-i, kw-1-j], padding d(k-1) - p"""

    def forward(self, x, weight, *bias):
        self.x, self.weight = x, weight
        b = bias[0] if bias else None
        return backend.conv2d(
            x, weight, b, self.stride, self.padding, self.dilation, self.groups, self.out_size
        )

    def backward(self, grad):
        need_dx, need_dw = self.inputs[0].requires_grad, self.inputs[1].requires_grad
        need_db = len(self.inputs) == 3 and self.inputs[2].requires_grad
        grads = backend.conv2d_backward(
            self.x,
            self.weight,
            grad,
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
            need_dx,
            need_dw,
            need_db,
        )
        return grads[: len(self.inputs)]


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation of an (N, C, H, W) input with an (K, C/groups, kh, kw) weight, PyTorch semantics.

    y[n, k, oh, ow] = bias[k] + sum_{c, i, j} weight[k, c, i, j] * x[n, g*C/groups + c, oh*sh - ph + i*dh,
    ow*sw - pw + j*dw] with zero padding and g = k // (K/groups). Output size per dimension:
    floor((H + 2P - D(K-1) - 1) / S) + 1. stride/padding/dilation are ints or (h, w) pairs; padding may
    also be "valid" (0) or "same" (stride 1; output size = input size, any odd extra padding at the
    bottom/right, as PyTorch).
    """
    x, weight = as_tensor(input), as_tensor(weight)
    require_float("conv2d", x)
    if x.ndim != 4:
        raise ValueError(f"conv2d: expected a 4-D input (N, C, H, W), got shape {x.shape}")
    if weight.ndim != 4:
        raise ValueError(
            f"conv2d: expected a 4-D weight (out_channels, in_channels/groups, kh, kw), got shape {weight.shape}"
        )
    if weight.dtype != x.dtype:
        raise TypeError(f"conv2d: input dtype {x.dtype} and weight dtype {weight.dtype} differ")
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"conv2d: groups must be a positive int, got {groups!r}")
    if groups > MAX_WINDOW_ARG:
        raise ValueError(f"conv2d: groups must be at most {MAX_WINDOW_ARG} (2**31 - 1), got {groups!r}")
    channels, out_channels = x.shape[1], weight.shape[0]
    if channels % groups:
        raise ValueError(
            f"conv2d: groups={groups} does not divide the {channels} input channels (input shape {x.shape})"
        )
    if out_channels % groups:
        raise ValueError(
            f"conv2d: groups={groups} does not divide the {out_channels} output channels (weight shape {weight.shape})"
        )
    if weight.shape[1] * groups != channels:
        raise ValueError(
            f"conv2d: input has {channels} channels but weight expects {weight.shape[1] * groups} "
            f"(weight shape {weight.shape}, groups={groups})"
        )
    stride = int_pair("conv2d", "stride", stride, 1)
    dilation = int_pair("conv2d", "dilation", dilation, 1)
    kernel = weight.shape[2:]
    if min(kernel) < 1:
        raise ValueError(f"conv2d: weight has an empty kernel (weight shape {weight.shape})")
    pads = _conv_padding(padding, kernel, stride, dilation)
    out_size = tuple(
        _conv_output_size(size, pad, k, s, d, x.shape, weight.shape, padding)
        for size, pad, k, s, d in zip(x.shape[2:], pads, kernel, stride, dilation)
    )
    require_allocatable("conv2d", (x.shape[0], out_channels, *out_size), x.dtype)
    operands = [x, weight]
    if bias is not None:
        bias = as_tensor(bias)
        if bias.shape != (out_channels,):
            raise ValueError(
                f"conv2d: bias has shape {bias.shape} but weight {weight.shape} needs ({out_channels},)"
            )
        if bias.dtype != x.dtype:
            raise TypeError(f"conv2d: bias dtype {bias.dtype} differs from input dtype {x.dtype}")
        operands.append(bias)
    top_left = (pads[0][0], pads[1][0])
    return Conv2d.apply(
        *operands, stride=stride, padding=top_left, dilation=dilation, groups=groups, out_size=out_size
    )


def _conv_padding(padding, kernel, stride, dilation):
    """((top, bottom), (left, right)) from an int, a pair, "valid" or "same"."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding != "same":
            raise ValueError(f"conv2d: padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
        if stride != (1, 1):
            raise ValueError(f"conv2d: padding='same' needs stride 1, got stride {stride}")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    ph, pw = int_pair("conv2d", "padding", padding, 0)
    return (ph, ph), (pw, pw)


def _conv_output_size(size, pad, kernel, stride, dilation, x_shape, w_shape, padding):
    """floor((size + pad_lo + pad_hi - dilation*(kernel-1) - 1) / stride) + 1, which must be >= 1."""
    padded = size + pad[0] + pad[1]
    effective = dilation * (kernel - 1) + 1
    if effective > padded:
        raise ValueError(
            f"conv2d: kernel size {kernel} (dilated {effective}) is larger than the padded input size {padded} "
            f"(input shape {x_shape}, weight shape {w_shape}, padding {padding!r})"
        )
    return (padded - effective) // stride + 1
