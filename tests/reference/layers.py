"""Naive NumPy float64 references for the layers added for PyTorch compatibility (issue 19): explicit loops
or direct formulas, written for obviousness rather than speed."""

import numpy as np


def layer_norm_reference(x, normalized_ndim, weight=None, bias=None, eps=1e-5):
    """Two-pass mean and biased variance over the last normalized_ndim axes, then the affine map."""
    axes = tuple(range(x.ndim - normalized_ndim, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def group_norm_reference(x, groups, weight=None, bias=None, eps=1e-5):
    """Each sample's channel group (channels and positions together) normalized, then per-channel affine."""
    n, c = x.shape[:2]
    g = x.reshape(n, groups, (c // groups) * int(np.prod(x.shape[2:])))
    mean = g.mean(axis=2, keepdims=True)
    var = ((g - mean) ** 2).mean(axis=2, keepdims=True)
    y = ((g - mean) / np.sqrt(var + eps)).reshape(x.shape)
    per_channel = (1, c) + (1,) * (x.ndim - 2)
    if weight is not None:
        y = y * np.reshape(weight, per_channel)
    if bias is not None:
        y = y + np.reshape(bias, per_channel)
    return y


def conv_transpose2d_reference(x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0),
                               dilation=(1, 1), groups=1):  # fmt: skip
    """Scatter every input value through the kernel onto an uncropped canvas, then crop `padding` from the
    top/left: canvas[n, g*Cog + k, h*sh + i*dh, w*sw + j*dw] += x[n, c, h, w] * W[c, k, i, j]."""
    n, cin, h, wd = x.shape
    _, cog, kh, kw = w.shape
    pairs = [(v, v) if isinstance(v, int) else tuple(v) for v in (stride, padding, output_padding, dilation)]
    (sh, sw), (ph, pw), (oh, ow), (dh, dw) = pairs
    out_h = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oh + 1
    out_w = (wd - 1) * sw - 2 * pw + dw * (kw - 1) + ow + 1
    canvas = np.zeros(
        (n, cog * groups, (h - 1) * sh + dh * (kh - 1) + 1 + oh, (wd - 1) * sw + dw * (kw - 1) + 1 + ow)
    )
    cig = cin // groups
    for c in range(cin):
        g = c // cig
        for r in range(h):
            for q in range(wd):
                for i in range(kh):
                    for j in range(kw):
                        canvas[:, g * cog : (g + 1) * cog, r * sh + i * dh, q * sw + j * dw] += (
                            x[:, c, r, q, None] * w[c, :, i, j]
                        )
    y = canvas[:, :, ph : ph + out_h, pw : pw + out_w]
    if b is not None:
        y = y + np.reshape(b, (1, -1, 1, 1))
    return y


def nearest_source_reference(in_size, out_size, scale_factor=None):
    """PyTorch's nearest rule: src = min(floor(dst * s), in - 1), s = 1/scale_factor or in/out, evaluated
    in float32 as its kernel does (exact copies for out == in and out == 2 * in)."""
    if out_size == in_size:
        return list(range(out_size))
    if out_size == 2 * in_size:
        return [j // 2 for j in range(out_size)]
    s = np.float32(1.0 / scale_factor if scale_factor else in_size / out_size)
    return [min(int(np.floor(np.float32(j) * s)), in_size - 1) for j in range(out_size)]


def linear_source_reference(in_size, out_size, scale_factor, align_corners):
    """[(i0, i1, w0, w1)] per output index: PyTorch's linear source position and its two neighbours."""
    if out_size == in_size:
        return [(j, j, 1.0, 0.0) for j in range(out_size)]
    out = []
    for j in range(out_size):
        if align_corners:
            src = j * (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
        else:
            s = 1.0 / scale_factor if scale_factor else in_size / out_size
            src = max((j + 0.5) * s - 0.5, 0.0)
        i0 = min(int(src), in_size - 1)
        i1 = min(i0 + 1, in_size - 1)
        lam = min(max(src - i0, 0.0), 1.0)
        out.append((i0, i1, 1.0 - lam, lam))
    return out


def interpolate_reference(x, size, scales, mode, align_corners=False):
    """Resample the spatial axes of x one at a time (both modes are separable): output index by output index."""
    y = np.asarray(x, np.float64)
    for k, m in enumerate(size):
        axis = 2 + k
        n = y.shape[axis]
        moved = np.moveaxis(y, axis, 0)
        out = np.zeros((m,) + moved.shape[1:])
        if mode == "nearest":
            for j, i in enumerate(nearest_source_reference(n, m, scales[k])):
                out[j] = moved[i]
        else:
            for j, (i0, i1, w0, w1) in enumerate(linear_source_reference(n, m, scales[k], align_corners)):
                out[j] = w0 * moved[i0] + w1 * moved[i1]
        y = np.moveaxis(out, 0, axis)
    return y


def pad_reference(x, pad, mode="constant", value=0.0):
    """Output element by output element: for each padded dimension, an output index o maps to the input
    index o - lo (constant: outside -> value), mirrored (reflect) or clamped (replicate)."""
    widths = [(0, 0)] * (x.ndim - len(pad) // 2) + [
        (pad[2 * i], pad[2 * i + 1]) for i in reversed(range(len(pad) // 2))
    ]
    out_shape = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape, widths))
    y = np.empty(out_shape)
    for out_index in np.ndindex(*out_shape):
        src = []
        for o, n, (lo, _) in zip(out_index, x.shape, widths):
            i = o - lo
            if mode == "reflect":
                i = -i if i < 0 else (2 * (n - 1) - i if i >= n else i)
            elif mode == "replicate":
                i = min(max(i, 0), n - 1)
            src.append(i)
        inside = all(0 <= i < n for i, n in zip(src, x.shape))
        y[out_index] = x[tuple(src)] if inside else value
    return y
