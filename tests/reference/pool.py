"""Naive NumPy float64 pooling for tests: a loop over every output element (obviously correct)."""

import math

import numpy as np


def pool_output_size(size, kernel, stride, padding, dilation, ceil_mode):
    """PyTorch's pooling output size: floor or ceil of (size + 2p - d(k-1) - 1)/s, plus 1; with ceil_mode the last
    window must start inside the input or the left padding."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (math.ceil(span / stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def max_pool2d_reference(x, kernel, stride, padding, dilation=(1, 1), ceil_mode=False):
    """(y, argmax): y = max of each window of x padded with -inf; argmax = ih*W + iw of the first maximum in
    row-major window order (in unpadded coordinates), -1 for a window of padding only (dilation can cause one).
    The window's taps inside x are found from the input positions (ih = oh*sh - ph + i*dh for a tap i in
    [0, kh), likewise iw), which visits them in the same row-major order and keeps huge windows cheap."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    out_h = pool_output_size(h, kh, sh, ph, dh, ceil_mode)
    out_w = pool_output_size(w, kw, sw, pw, dw, ceil_mode)
    y = np.zeros((n, c, out_h, out_w))
    argmax = np.zeros((n, c, out_h, out_w), dtype=np.int64)
    for b in range(n):
        for ch in range(c):
            for oh in range(out_h):
                for ow in range(out_w):
                    best, best_index = -np.inf, None
                    for ih in range(h):
                        i, off = divmod(ih - oh * sh + ph, dh)
                        if off or not 0 <= i < kh:
                            continue
                        for iw in range(w):
                            j, off = divmod(iw - ow * sw + pw, dw)
                            if off or not 0 <= j < kw:
                                continue
                            v = x[b, ch, ih, iw]
                            if best_index is None or v > best or (np.isnan(v) and not np.isnan(best)):
                                best, best_index = v, ih * w + iw
                    y[b, ch, oh, ow] = best
                    argmax[b, ch, oh, ow] = -1 if best_index is None else best_index
    return y, argmax


def avg_pool2d_reference(
    x, kernel, stride, padding, ceil_mode=False, count_include_pad=True, divisor_override=None
):
    """y = (sum of the window over x zero-padded by `padding`) / divisor; the window is cut at the end of the
    padded input; divisor = divisor_override, else the window's size within the padded input
    (count_include_pad) or within x. Windows are index ranges (no padded copy), so huge ones stay cheap."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    out_h = pool_output_size(h, kh, sh, ph, 1, ceil_mode)
    out_w = pool_output_size(w, kw, sw, pw, 1, ceil_mode)
    x = np.asarray(x, np.float64)
    y = np.zeros((n, c, out_h, out_w))
    for oh in range(out_h):
        for ow in range(out_w):
            r0, c0 = oh * sh - ph, ow * sw - pw  # window start in input coordinates
            r1, c1 = min(r0 + kh, h + ph), min(c0 + kw, w + pw)  # cut at the end of the padded input
            rows, cols = slice(max(r0, 0), min(r1, h)), slice(max(c0, 0), min(c1, w))
            total = x[:, :, rows, cols].sum(axis=(2, 3))
            if divisor_override is not None:
                divisor = divisor_override
            elif count_include_pad:
                divisor = (r1 - r0) * (c1 - c0)
            else:
                divisor = max(0, min(r1, h) - max(r0, 0)) * max(0, min(c1, w) - max(c0, 0))
            y[:, :, oh, ow] = total / divisor
    return y


def adaptive_avg_pool2d_reference(x, output_size):
    """y[oh, ow] = mean of x[floor(oh H/OH) : ceil((oh+1) H/OH), floor(ow W/OW) : ceil((ow+1) W/OW)]."""
    n, c, h, w = x.shape
    out_h, out_w = output_size
    y = np.zeros((n, c, out_h, out_w))
    for oh in range(out_h):
        for ow in range(out_w):
            rows = slice(math.floor(oh * h / out_h), math.ceil((oh + 1) * h / out_h))
            cols = slice(math.floor(ow * w / out_w), math.ceil((ow + 1) * w / out_w))
            y[:, :, oh, ow] = np.asarray(x, np.float64)[:, :, rows, cols].mean(axis=(2, 3))
    return y
