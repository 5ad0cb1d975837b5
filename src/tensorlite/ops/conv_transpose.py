"""Transposed 2-D convolution (PyTorch's conv_transpose2d) on the C++ conv2d kernels, and conv1d as a
conv2d of unit height.

conv_transpose2d is the adjoint of conv2d: its forward pass is conv2d's input-gradient pass, and its
input gradient is conv2d's forward pass, so both run the same im2col / direct / Winograd kernels."""

import numbers

import numpy as np

from tensorlite import backend
from tensorlite.autograd.function import Function
from tensorlite.ops._util import as_tensor, int_pair, require_float
from tensorlite.ops.conv import conv2d
from tensorlite.ops.shape import squeeze, unsqueeze


class ConvTranspose2d(Function):
    """y = conv2d_input_gradient(x; W) + b: with W of shape (C_in, C_out/groups, kh, kw),
    y[n, g*Cg' + k, oh*s - p + i*d, ow*s - p + j*d] += W[g*Cg + c, k, i, j] x[n, g*Cg + c, oh, ow]
    (positions outside y dropped), out = (in - 1) s - 2p + d (k - 1) + output_padding + 1.
    Backward: dx = conv2d(dy, W) (same stride, padding, dilation, groups), dW = the weight gradient of
    that conv2d with x as its output gradient, db = sum of dy over N, H, W."""

    def forward(self, x, weight, *bias):
        self.x, self.weight = x, weight
        y = backend.conv_transpose2d(
            x, weight, self.stride, self.padding, self.dilation, self.groups, self.out_size
        )
        if bias:
            y += bias[0].reshape(1, -1, 1, 1)
        return y

    def backward(self, grad):
        grad = np.ascontiguousarray(grad, dtype=self.x.dtype)
        dx, dw = backend.conv_transpose2d_backward(
            self.x, self.weight, grad, self.stride, self.padding, self.dilation, self.groups,
            self.inputs[0].requires_grad, self.inputs[1].requires_grad,
        )  # fmt: skip
        if len(self.inputs) == 2:
            return dx, dw
        return dx, dw, grad.sum(axis=(0, 2, 3)) if self.inputs[2].requires_grad else None


def _positive_int(op, name, value):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{op}: {name} must be a positive int, got {value!r}")
    return int(value)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 2-D convolution ("deconvolution") of (N, C_in, H, W) or unbatched (C_in, H, W) input with
    an (C_in, C_out/groups, kh, kw) weight, PyTorch semantics: the adjoint of conv2d with the same stride,
    padding, dilation and groups. Output size per dimension:
        (in - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1,
    where output_padding (< stride or < dilation) only picks between the input sizes that conv2d maps to
    `in`. stride/padding/output_padding/dilation are ints or (h, w) pairs."""
    op = "conv_transpose2d"
    x, weight = as_tensor(input), as_tensor(weight)
    require_float(op, x)
    if x.ndim == 3:
        y = conv_transpose2d(unsqueeze(x, 0), weight, bias, stride, padding, output_padding, groups, dilation)
        return squeeze(y, 0)
    if x.ndim != 4:
        raise ValueError(f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {x.shape}")
    if weight.ndim != 4:
        raise ValueError(
            f"{op}: expected a 4-D weight (in_channels, out_channels/groups, kh, kw), got shape {weight.shape}"
        )
    if weight.dtype != x.dtype:
        raise TypeError(f"{op}: input dtype {x.dtype} and weight dtype {weight.dtype} differ")
    groups = _positive_int(op, "groups", groups)
    if x.shape[1] != weight.shape[0]:
        raise ValueError(
            f"{op}: input has {x.shape[1]} channels but weight {weight.shape} expects {weight.shape[0]}"
        )
    if weight.shape[0] % groups:
        raise ValueError(f"{op}: groups={groups} does not divide the {weight.shape[0]} input channels")
    stride = int_pair(op, "stride", stride, 1)
    padding = int_pair(op, "padding", padding, 0)
    output_padding = int_pair(op, "output_padding", output_padding, 0)
    dilation = int_pair(op, "dilation", dilation, 1)
    kernel = weight.shape[2:]
    if min(kernel) < 1:
        raise ValueError(f"{op}: weight has an empty kernel (weight shape {weight.shape})")
    for o, s, d in zip(output_padding, stride, dilation):
        if o >= s and o >= d:
            raise ValueError(
                f"{op}: output_padding {output_padding} must be smaller than stride {stride} or dilation {dilation}"
            )
    out_size = tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + o + 1
        for n, s, p, d, k, o in zip(x.shape[2:], stride, padding, dilation, kernel, output_padding)
    )
    if min(out_size) < 1:
        raise ValueError(
            f"{op}: output size {out_size} is not positive (input {x.shape}, weight {weight.shape}, "
            f"stride {stride}, padding {padding}, output_padding {output_padding}, dilation {dilation})"
        )
    operands = [x, weight]
    if bias is not None:
        bias = as_tensor(bias)
        out_channels = weight.shape[1] * groups
        if tuple(bias.shape) != (out_channels,):
            raise ValueError(
                f"{op}: bias has shape {tuple(bias.shape)} but weight {weight.shape} needs ({out_channels},)"
            )
        if bias.dtype != x.dtype:
            raise TypeError(f"{op}: bias dtype {bias.dtype} differs from input dtype {x.dtype}")
        operands.append(bias)
    return ConvTranspose2d.apply(
        *operands, stride=stride, padding=padding, dilation=dilation, groups=groups, out_size=out_size
    )


def int_single(op, name, value, minimum):
    """An int or a 1-element sequence (PyTorch's 1-d convention) as an int >= minimum."""
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ValueError(f"{op}: {name} must be an int or a 1-tuple, got {value!r}")
        value = value[0]
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{op}: {name} must be an int or a 1-tuple, got {value!r}")
    if value < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return int(value)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation of (N, C, L) or unbatched (C, L) input with an (K, C/groups, k) weight, PyTorch
    semantics: y[n, o, l] = bias[o] + sum_{c, i} weight[o, c, i] x[n, g*C/groups + c, l*stride - padding +
    i*dilation]; padding is an int, "valid" or "same". Runs as conv2d on a unit-height image."""
    op = "conv1d"
    x, weight = as_tensor(input), as_tensor(weight)
    require_float(op, x)
    if x.ndim == 2:
        return squeeze(conv1d(unsqueeze(x, 0), weight, bias, stride, padding, dilation, groups), 0)
    if x.ndim != 3:
        raise ValueError(f"{op}: expected a 2-D (C, L) or 3-D (N, C, L) input, got shape {x.shape}")
    if weight.ndim != 3:
        raise ValueError(
            f"{op}: expected a 3-D weight (out_channels, in_channels/groups, k), got shape {weight.shape}"
        )
    stride = int_single(op, "stride", stride, 1)
    dilation = int_single(op, "dilation", dilation, 1)
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"{op}: padding must be an int, 'valid' or 'same', got {padding!r}")
        pad2 = padding
    else:
        pad2 = (0, int_single(op, "padding", padding, 0))
    y = conv2d(unsqueeze(x, 2), unsqueeze(weight, 2), bias, (1, stride), pad2, (1, dilation), groups)
    return squeeze(y, 2)
