"""2-D pooling (NCHW, PyTorch semantics): max, average and adaptive average, forward and backward in C++."""

import numpy as np

from tensorlite import backend
from tensorlite.autograd.function import Function
from tensorlite.autograd.grad_mode import is_grad_enabled
from tensorlite.ops._util import MAX_WINDOW_ARG, as_tensor, int_pair, require_allocatable, require_float


class MaxPool2d(Function):
    """y = max over each window (padding counts as -inf);  dx[argmax] += dy, ties going to the first maximum
    in row-major window order"""

    def forward(self, x):
        self.input_size = x.shape[2:]
        y, self.indices = backend.max_pool2d(
            x, self.kernel_size, self.stride, self.padding, self.dilation, self.out_size, self.save_indices
        )
        return y

    def backward(self, grad):
        return (backend.max_pool2d_backward(grad, self.indices, self.input_size),)


class AvgPool2d(Function):
    """y = sum of the window's in-bounds values / divisor;  dx: each dy / divisor added to its window.
    divisor = divisor_override, else the window clipped to the padded input (count_include_pad) or the
    number of in-bounds values."""

    def forward(self, x):
        self.input_size = x.shape[2:]
        return backend.avg_pool2d(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.out_size,
            self.count_include_pad,
            self.divisor,
        )

    def backward(self, grad):
        dx = backend.avg_pool2d_backward(
            grad,
            self.input_size,
            self.kernel_size,
            self.stride,
            self.padding,
            self.count_include_pad,
            self.divisor,
        )
        return (dx,)


class AdaptiveAvgPool2d(Function):
    """y[oh, ow] = mean of x over rows [floor(oh H / OH), ceil((oh+1) H / OH)) and likewise columns;
    dx spreads each dy evenly over its window"""

    def forward(self, x):
        self.input_size = x.shape[2:]
        return backend.adaptive_avg_pool2d(x, self.out_size)

    def backward(self, grad):
        return (backend.adaptive_avg_pool2d_backward(grad, self.input_size),)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """2-D max pooling of an (N, C, H, W) input, PyTorch semantics.

    y[n, c, oh, ow] = max_{i, j} x[n, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw] with -inf padding; stride
    defaults to kernel_size; padding must be at most half the (dilated) kernel. Output size:
    floor((H + 2P - D(K-1) - 1) / S) + 1 (ceil with ceil_mode, dropping a last window that would start in
    the bottom/right padding). The gradient goes to the first maximum of each window.
    """
    x = _pool_input("max_pool2d", input)
    kernel, stride, padding = _window_args("max_pool2d", kernel_size, stride, padding)
    dilation = int_pair("max_pool2d", "dilation", dilation, 1)
    out_size = _pool_output_size("max_pool2d", x.shape, kernel, stride, padding, dilation, ceil_mode)
    return MaxPool2d.apply(
        x, kernel_size=kernel, stride=stride, padding=padding, dilation=dilation, out_size=out_size,
        save_indices=is_grad_enabled() and x.requires_grad,
    )  # fmt: skip


def avg_pool2d(
    input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None
):
    """2-D average pooling of an (N, C, H, W) input, PyTorch semantics.

    y[n, c, oh, ow] = sum of x over the window's in-bounds positions / divisor, where divisor is
    divisor_override if given, else the window size clipped to the padded input when count_include_pad
    (the default), else the number of in-bounds positions. stride defaults to kernel_size; padding must
    be at most half the kernel. Output size as max_pool2d with dilation 1.
    """
    x = _pool_input("avg_pool2d", input)
    kernel, stride, padding = _window_args("avg_pool2d", kernel_size, stride, padding)
    out_size = _pool_output_size("avg_pool2d", x.shape, kernel, stride, padding, (1, 1), ceil_mode)
    divisor = 0
    if divisor_override is not None:
        if (
            not isinstance(divisor_override, int)
            or isinstance(divisor_override, bool)
            or divisor_override < 1
        ):
            raise ValueError(f"avg_pool2d: divisor_override must be a positive int, got {divisor_override!r}")
        if divisor_override > MAX_WINDOW_ARG:
            raise ValueError(
                f"avg_pool2d: divisor_override must be at most {MAX_WINDOW_ARG} (2**31 - 1), got {divisor_override!r}"
            )
        divisor = divisor_override
    return AvgPool2d.apply(
        x, kernel_size=kernel, stride=stride, padding=padding, out_size=out_size,
        count_include_pad=bool(count_include_pad), divisor=divisor,
    )  # fmt: skip


def adaptive_avg_pool2d(input, output_size):
    """Average pooling of an (N, C, H, W) input to a fixed (OH, OW) = output_size (an int, or a pair whose
    None entries keep the input size): y[oh, ow] = mean of x over rows [floor(oh H / OH), ceil((oh+1) H / OH))
    and columns likewise. output_size 1 is global average pooling."""
    x = _pool_input("adaptive_avg_pool2d", input)
    if isinstance(output_size, (tuple, list)) and len(output_size) == 2:
        output_size = tuple(size if o is None else o for o, size in zip(output_size, x.shape[2:]))
    out_size = int_pair("adaptive_avg_pool2d", "output_size", output_size, 1)
    if min(x.shape[2:]) < 1:
        raise ValueError(f"adaptive_avg_pool2d: input of shape {x.shape} has an empty spatial dimension")
    return AdaptiveAvgPool2d.apply(x, out_size=out_size)


def _pool_input(op_name, input):
    x = as_tensor(input)
    require_float(op_name, x)
    if x.ndim != 4:
        raise ValueError(f"{op_name}: expected a 4-D input (N, C, H, W), got shape {x.shape}")
    return x


def _window_args(op_name, kernel_size, stride, padding):
    """kernel, stride (default: the kernel) and padding as (h, w) pairs."""
    kernel = int_pair(op_name, "kernel_size", kernel_size, 1)
    stride = (
        kernel if stride is None or stride == () or stride == [] else int_pair(op_name, "stride", stride, 1)
    )
    return kernel, stride, int_pair(op_name, "padding", padding, 0)


def _pool_output_size(op_name, shape, kernel, stride, padding, dilation, ceil_mode):
    """Per dimension: floor-or-ceil((size + 2p - d(k-1) - 1) / s) + 1, minus one when ceil_mode makes the last
    window start past the input and left padding (PyTorch's rule); each must be >= 1."""
    out = []
    for size, k, s, p, d in zip(shape[2:], kernel, stride, padding, dilation):
        effective = d * (k - 1) + 1
        if 2 * p > effective:
            raise ValueError(
                f"{op_name}: padding {padding} must be at most half the kernel size {kernel}"
                + (f" (dilated {effective})" if d > 1 else "")
            )
        span = size + 2 * p - effective
        o = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (o - 1) * s >= size + p:
            o -= 1
        out.append(o)
    if min(out) < 1:
        raise ValueError(
            f"{op_name}: output size {out[0]}x{out[1]} is too small for input shape {tuple(shape)} "
            f"(kernel {kernel}, stride {stride}, padding {padding}, dilation {dilation})"
        )
    require_allocatable(op_name, (*shape[:2], *out), np.int64)  # the output, and max pooling's indices
    return tuple(out)
