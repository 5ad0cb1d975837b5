"""Scaled dot-product attention, composed from matmul, softmax and dropout (their backward passes give the
gradients), with PyTorch's mask conventions."""

import math

import numpy as np

from tensorlite import _dtype
from tensorlite.ops._util import as_tensor
from tensorlite.ops.activation import softmax
from tensorlite.ops.dropout import dropout
from tensorlite.ops.elementwise import cast, eq, where
from tensorlite.ops.indexing import masked_fill
from tensorlite.ops.matmul import matmul
from tensorlite.ops.reduce import amax
from tensorlite.ops.shape import expand, reshape, transpose, unsqueeze

_NAME = "scaled_dot_product_attention"


def additive_mask(mask, dtype, name):
    """A mask as the float bias added to attention scores: bool True = takes part (0), False = -inf; a
    float mask is the bias itself (cast to dtype). None stays None."""
    if mask is None:
        return None
    mask = as_tensor(mask)
    if mask.dtype == _dtype.bool_:
        return where(mask, as_tensor(np.zeros((), dtype)), as_tensor(np.full((), -np.inf, dtype)))
    if not _dtype.is_floating(mask.dtype):
        raise TypeError(f"{_NAME}: {name} must be a bool or floating-point tensor, got dtype {mask.dtype}")
    return mask if mask.dtype == dtype else cast(mask, dtype)


def safe_softmax(scores):
    """softmax over the last dimension, with rows that are all -inf (every key masked out) giving 0
    instead of NaN, and 0 gradient there, as PyTorch's scaled_dot_product_attention does."""
    empty = eq(amax(scores, dim=-1, keepdim=True), -math.inf)
    # Zero those rows before the softmax as well, so that neither the forward nor the backward sees NaN.
    return masked_fill(softmax(masked_fill(scores, empty, 0.0), dim=-1), empty, 0.0)


def _repeat_heads(x, groups):
    """(..., H, S, E) -> (..., H * groups, S, E), each head repeated `groups` times in a row
    (repeat_interleave on dim -3)."""
    *lead, heads, s, e = x.shape
    x = expand(unsqueeze(x, -3), *lead, heads, groups, s, e)
    return reshape(x, *lead, heads * groups, s, e)


def _check(query, key, value, enable_gqa):
    for name, t in (("query", query), ("key", key), ("value", value)):
        if t.ndim < 2:
            raise ValueError(f"{_NAME}: {name} must have at least 2 dimensions (..., L, E), got {t.shape}")
        if not _dtype.is_floating(t.dtype):
            raise TypeError(f"{_NAME}: {name} must be floating point, got dtype {t.dtype}")
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(f"{_NAME}: query and key embedding sizes differ: {query.shape} and {key.shape}")
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(f"{_NAME}: key and value sequence lengths differ: {key.shape} and {value.shape}")
    if enable_gqa and (query.ndim < 3 or key.ndim < 3 or value.ndim < 3):
        raise ValueError(f"{_NAME}: enable_gqa needs (..., heads, L, E) inputs, got query {query.shape}")


def scaled_dot_product_attention(
    query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False
):
    """softmax(Q K^T * scale + M) V over the last two dimensions, scale = 1/sqrt(E) by default.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); leading dimensions broadcast.
    attn_mask broadcasts to (..., L, S): bool (True = the key takes part) or float (added to the scores).
    is_causal: query i sees keys j <= i (no attn_mask allowed then). dropout_p: dropout on the attention
    weights (always applied, as in PyTorch; pass 0.0 at evaluation). enable_gqa: key/value may have fewer
    heads (dim -3) than query, each repeated to match. A row whose keys are all masked gives 0.
    """
    query, key, value = as_tensor(query), as_tensor(key), as_tensor(value)
    _check(query, key, value, enable_gqa)
    if not 0.0 <= dropout_p < 1.0:
        raise ValueError(f"{_NAME}: dropout_p must be in [0, 1), got {dropout_p!r}")
    if is_causal and attn_mask is not None:
        raise ValueError(f"{_NAME}: attn_mask must be None when is_causal=True")
    if enable_gqa:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hq % hk or hq % hv:
            raise ValueError(f"{_NAME}: with enable_gqa, query heads ({hq}) must be a multiple of key heads "
                             f"({hk}) and value heads ({hv})")  # fmt: skip
        key, value = _repeat_heads(key, hq // hk), _repeat_heads(value, hq // hv)
    length, source = query.shape[-2], key.shape[-2]
    if is_causal:
        attn_mask = as_tensor(np.tril(np.ones((length, source), dtype=bool)))
    bias = additive_mask(attn_mask, query.dtype, "attn_mask")
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    scores = matmul(query * scale, transpose(key, -2, -1))
    if bias is not None:
        scores = scores + bias
    weights = safe_softmax(scores)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return matmul(weights, value)
