"""Reference scaled dot-product attention in float64, written the textbook way with an explicit loop
over the query positions."""

import numpy as np


def scaled_dot_product_attention(q, k, v, mask=None, is_causal=False, scale=None, gqa=False):
    """For each query position i: w = softmax(q_i . k_j * scale + bias_ij over j), out_i = sum_j w_j v_j.
    bias: bool mask (True = takes part) -> 0 / -inf, float mask added. A row with no key left gives 0."""
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    if gqa:
        k = np.repeat(k, q.shape[-3] // k.shape[-3], axis=-3)
        v = np.repeat(v, q.shape[-3] // v.shape[-3], axis=-3)
    length, source = q.shape[-2], k.shape[-2]
    scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else scale
    if is_causal:
        mask = np.tril(np.ones((length, source), dtype=bool))
    bias = np.zeros((length, source))
    if mask is not None:
        mask = np.asarray(mask)
        bias = np.where(mask, 0.0, -np.inf) if mask.dtype == bool else mask.astype(np.float64)
    batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2], bias.shape[:-2])
    q = np.broadcast_to(q, batch + q.shape[-2:])
    k = np.broadcast_to(k, batch + k.shape[-2:])
    v = np.broadcast_to(v, batch + v.shape[-2:])
    bias = np.broadcast_to(bias, batch + (length, source))
    out = np.zeros(batch + (length, v.shape[-1]))
    for i in range(length):
        scores = np.einsum("...e,...se->...s", q[..., i, :], k) * scale + bias[..., i, :]
        top = scores.max(axis=-1, keepdims=True, initial=-np.inf)
        empty = np.isneginf(top)
        e = np.exp(scores - np.where(empty, 0.0, top))
        total = e.sum(axis=-1, keepdims=True)
        w = np.where(empty, 0.0, e / np.where(empty, 1.0, total))
        out[..., i, :] = np.einsum("...s,...se->...e", w, v)
    return out
