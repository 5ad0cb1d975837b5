"""Naive NumPy float64 convolution for tests: a loop over every output element (obviously correct)."""

import numpy as np


def conv2d_reference(
    x, weight, bias=None, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1
):
    """y[n, k, oh, ow] = bias[k] + sum_{c, i, j} weight[k, c, i, j] * x_pad[n, g*Cg + c, oh*sh + i*dh, ow*sw + j*dw]
    with x_pad = x zero-padded by padding = ((top, bottom), (left, right)) and g = k // (K / groups)."""
    x_pad = np.pad(np.asarray(x, np.float64), ((0, 0), (0, 0)) + tuple(tuple(p) for p in padding))
    weight = np.asarray(weight, np.float64)
    n, _, h, w = x_pad.shape
    k, cg, kh, kw = weight.shape
    (sh, sw), (dh, dw) = stride, dilation
    out_h = (h - dh * (kh - 1) - 1) // sh + 1
    out_w = (w - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, k, out_h, out_w))
    for b in range(n):
        for o in range(k):
            g = o // (k // groups)
            for oh in range(out_h):
                for ow in range(out_w):
                    window = x_pad[
                        b,
                        g * cg : (g + 1) * cg,
                        oh * sh : oh * sh + dh * (kh - 1) + 1 : dh,
                        ow * sw : ow * sw + dw * (kw - 1) + 1 : dw,
                    ]
                    out[b, o, oh, ow] = np.sum(window * weight[o]) + (0.0 if bias is None else bias[o])
    return out


def conv2d_backward_reference(
    x, weight, dy, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1
):
    """(dx, dweight, dbias) of conv2d_reference given dy: each output element's window is visited once,
    dx_pad[window] += dy * weight[o] and dweight[o] += dy * window; dbias[o] = sum of dy[:, o]."""
    x_pad = np.pad(np.asarray(x, np.float64), ((0, 0), (0, 0)) + tuple(tuple(p) for p in padding))
    weight, dy = np.asarray(weight, np.float64), np.asarray(dy, np.float64)
    dx_pad, dweight = np.zeros_like(x_pad), np.zeros_like(weight)
    n, k, out_h, out_w = dy.shape
    _, cg, kh, kw = weight.shape
    (sh, sw), (dh, dw) = stride, dilation
    for b in range(n):
        for o in range(k):
            g = o // (k // groups)
            for oh in range(out_h):
                for ow in range(out_w):
                    window = (
                        b,
                        slice(g * cg, (g + 1) * cg),
                        slice(oh * sh, oh * sh + dh * (kh - 1) + 1, dh),
                        slice(ow * sw, ow * sw + dw * (kw - 1) + 1, dw),
                    )
                    dx_pad[window] += dy[b, o, oh, ow] * weight[o]
                    dweight[o] += dy[b, o, oh, ow] * x_pad[window]
    (top, bottom), (left, right) = padding
    dx = dx_pad[:, :, top : x_pad.shape[2] - bottom, left : x_pad.shape[3] - right]
    return dx, dweight, dy.sum(axis=(0, 2, 3))


def conv2d_reference_by_taps(x, weight, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    """The same convolution (one group, symmetric padding) without materializing the padding, for paddings
    and dilations far larger than the input: for each tap (i, j), the outputs whose input position
    (oh*sh - ph + i*dh, ow*sw - pw + j*dw) lies inside x take weight[:, :, i, j] times those inputs; every
    other output reads padding (0) at that tap."""
    x, weight = np.asarray(x, np.float64), np.asarray(weight, np.float64)
    n, _, h, w = x.shape
    k, _, kh, kw = weight.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    out_h = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    out_w = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, k, out_h, out_w)) + (0.0 if bias is None else np.asarray(bias)[:, None, None])

    def inside(tap, step, pad, dil, size, out_size):
        """Outputs [lo, hi) whose input o*step + offset (offset = tap*dil - pad) is in [0, size), and the input
        of output lo."""
        offset = tap * dil - pad
        lo = max(0, -(offset // step))  # the least o with o*step + offset >= 0
        hi = min(out_size, (size - 1 - offset) // step + 1) if size - 1 - offset >= 0 else 0
        return lo, max(lo, hi), lo * step + offset

    for i in range(kh):
        rows_lo, rows_hi, ih = inside(i, sh, ph, dh, h, out_h)
        for j in range(kw):
            cols_lo, cols_hi, iw = inside(j, sw, pw, dw, w, out_w)
            if rows_lo == rows_hi or cols_lo == cols_hi:
                continue
            patch = x[:, :, ih : ih + sh * (rows_hi - rows_lo) : sh, iw : iw + sw * (cols_hi - cols_lo) : sw]
            out[:, :, rows_lo:rows_hi, cols_lo:cols_hi] += np.einsum(
                "kc,nchw->nkhw", weight[:, :, i, j], patch
            )
    return out
