"""MultiheadAttention (PyTorch's nn.MultiheadAttention; also reached as tl.nn.modules.activation, where
PyTorch defines it), composed from linear, bmm, softmax and dropout."""

import math

from tensorlite import _dtype, creation, ops
from tensorlite._device import check_device
from tensorlite.nn import init
from tensorlite.nn.linear import NonDynamicallyQuantizableLinear
from tensorlite.nn.module import Module
from tensorlite.nn.parameter import Parameter
from tensorlite.ops._util import as_tensor
from tensorlite.ops.attention import additive_mask, scaled_dot_product_attention

_NAME = "MultiheadAttention"


def _positive_int(name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{_NAME}: {name} must be a positive int, got {value!r}")


def canonical_mask(mask, name, dtype):
    """A PyTorch "padding/attention" mask as the float bias added to the scores: bool True = masked out
    (-inf), False = 0; a float mask is the bias itself. None stays None."""
    if mask is None:
        return None
    mask = as_tensor(mask)
    if mask.dtype == _dtype.bool_:
        mask = ops.logical_not(mask)  # additive_mask reads True as "takes part"
    return additive_mask(mask, dtype, name)


class MultiheadAttention(Module):
    """Multi-head attention: head_i = softmax(Q W_i^q (K W_i^k)^T / sqrt(d) + M) V W_i^v with
    d = embed_dim / num_heads, output = concat(head_1..head_h) W^o + b^o.

    Inputs (L, N, E) / (S, N, kdim) / (S, N, vdim), or (N, L, E) ... with batch_first=True, or unbatched
    (L, E) .... key_padding_mask (N, S) and attn_mask (L, S) or (N * num_heads, L, S): bool True = masked
    out, or float (added). Parameters, init and state_dict keys are PyTorch's: in_proj_weight (3E, E) or
    q/k/v_proj_weight when kdim/vdim differ from embed_dim, in_proj_bias, out_proj, bias_k/bias_v.
    """

    def __init__(
        self,
        embed_dim,
        num_heads,
        dropout=0.0,
        bias=True,
        add_bias_kv=False,
        add_zero_attn=False,
        kdim=None,
        vdim=None,
        batch_first=False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        check_device(device, _NAME)
        _positive_int("embed_dim", embed_dim)
        _positive_int("num_heads", num_heads)
        if embed_dim % num_heads:
            raise ValueError(f"{_NAME}: embed_dim={embed_dim} must be divisible by num_heads={num_heads}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"{_NAME}: dropout must be in [0, 1), got {dropout!r}")
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        _positive_int("kdim", self.kdim)
        _positive_int("vdim", self.vdim)
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads, self.dropout, self.batch_first = num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(creation.empty(3 * embed_dim, embed_dim, dtype=dtype))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(creation.empty(embed_dim, embed_dim, dtype=dtype))
            self.k_proj_weight = Parameter(creation.empty(embed_dim, self.kdim, dtype=dtype))
            self.v_proj_weight = Parameter(creation.empty(embed_dim, self.vdim, dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(creation.empty(3 * embed_dim, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(creation.empty(1, 1, embed_dim, dtype=dtype))
            self.bias_v = Parameter(creation.empty(1, 1, embed_dim, dtype=dtype))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        """PyTorch's init: xavier_uniform_ on the input projections, zeros on in_proj_bias and
        out_proj.bias, xavier_normal_ on bias_k / bias_v (out_proj.weight keeps Linear's init)."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for weight in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def _check_shapes(self, query, key, value, key_padding_mask, attn_mask):
        """Whether the input is batched (3-D) or not (2-D); ValueError on any inconsistent shape."""
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(f"{_NAME}: query, key and value must all be 3-D (batched) or 2-D (unbatched), "
                             f"got {query.shape}, {key.shape}, {value.shape}")  # fmt: skip
        sizes = (("query", query, self.embed_dim), ("key", key, self.kdim), ("value", value, self.vdim))
        for name, t, size in sizes:
            if t.shape[-1] != size:
                raise ValueError(f"{_NAME}: {name} must have {size} features (last dimension), got {t.shape}")
        batched, batch_dim = query.ndim == 3, 0 if self.batch_first else 1
        if key.shape[:-1] != value.shape[:-1] or (batched and query.shape[batch_dim] != key.shape[batch_dim]):
            raise ValueError(
                f"{_NAME}: query {query.shape}, key {key.shape} and value {value.shape} do not fit"
            )
        if key_padding_mask is not None and key_padding_mask.ndim != query.ndim - 1:
            raise ValueError(
                f"{_NAME}: key_padding_mask must be {query.ndim - 1}-D, got {key_padding_mask.shape}"
            )
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise ValueError(f"{_NAME}: attn_mask must be 2-D or 3-D, got {attn_mask.shape}")
        return batched

    def _in_projection(self, query, key, value, self_attention):
        """q, k, v = query W_q^T + b_q, key W_k^T + b_k, value W_v^T + b_v."""
        biases = (None,) * 3 if self.in_proj_bias is None else ops.chunk(self.in_proj_bias, 3)
        if self._qkv_same_embed_dim:
            if self_attention:  # one GEMM for all three
                return ops.chunk(ops.linear(query, self.in_proj_weight, self.in_proj_bias), 3, dim=-1)
            weights = ops.chunk(self.in_proj_weight, 3)
        else:
            weights = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        return tuple(ops.linear(x, w, b) for x, w, b in zip((query, key, value), weights, biases))

    def forward(
        self,
        query,
        key,
        value,
        key_padding_mask=None,
        need_weights=True,
        attn_mask=None,
        average_attn_weights=True,
        is_causal=False,
    ):
        """(output, weights): output of query's shape; weights (N, L, S) averaged over heads, or
        (N, num_heads, L, S) with average_attn_weights=False, or None with need_weights=False.
        is_causal is a hint that attn_mask is the causal mask; attn_mask is required with it and used."""
        self_attention = query is key and key is value
        query, key, value = as_tensor(query), as_tensor(key), as_tensor(value)
        kpm = None if key_padding_mask is None else as_tensor(key_padding_mask)
        mask = None if attn_mask is None else as_tensor(attn_mask)
        batched = self._check_shapes(query, key, value, kpm, mask)
        if is_causal and attn_mask is None:
            raise ValueError(f"{_NAME}: is_causal=True needs attn_mask (is_causal is only a hint about it)")
        if not batched:
            query, key, value = (ops.unsqueeze(t, 1) for t in (query, key, value))
            kpm = None if kpm is None else ops.unsqueeze(kpm, 0)
        elif self.batch_first:
            query, key, value = (ops.transpose(t, 0, 1) for t in (query, key, value))
        length, batch, embed = query.shape
        heads, head_dim = self.num_heads, self.head_dim
        kpm = canonical_mask(kpm, "key_padding_mask", query.dtype)
        mask = canonical_mask(mask, "attn_mask", query.dtype)
        if kpm is not None and kpm.shape != (batch, key.shape[0]):
            raise ValueError(f"{_NAME}: key_padding_mask must be {(batch, key.shape[0])}, got {kpm.shape}")
        if mask is not None:
            expected = (length, key.shape[0]) if mask.ndim == 2 else (batch * heads, length, key.shape[0])
            if mask.shape != expected:
                raise ValueError(f"{_NAME}: attn_mask of shape {mask.shape}, expected {expected}")
            mask = ops.unsqueeze(mask, 0) if mask.ndim == 2 else mask
        q, k, v = self._in_projection(query, key, value, self_attention)
        if self.bias_k is not None:  # one more key and value, learned, that every query sees
            k = ops.cat([k, self.bias_k.repeat(1, batch, 1)])
            v = ops.cat([v, self.bias_v.repeat(1, batch, 1)])
            mask, kpm = _pad_last(mask), _pad_last(kpm)
        q = ops.transpose(ops.reshape(q, length, batch * heads, head_dim), 0, 1)
        k = ops.transpose(ops.reshape(k, k.shape[0], batch * heads, head_dim), 0, 1)
        v = ops.transpose(ops.reshape(v, v.shape[0], batch * heads, head_dim), 0, 1)
        if self.add_zero_attn:  # one more all-zero key and value
            zeros = creation.zeros(batch * heads, 1, head_dim, dtype=q.dtype)
            k, v = ops.cat([k, zeros], dim=1), ops.cat([v, zeros], dim=1)
            mask, kpm = _pad_last(mask), _pad_last(kpm)
        source = k.shape[1]
        if kpm is not None:
            kpm = ops.reshape(ops.expand(ops.reshape(kpm, batch, 1, 1, source), batch, heads, 1, source),
                              batch * heads, 1, source)  # fmt: skip
            mask = kpm if mask is None else mask + kpm
        p = self.dropout if self.training else 0.0
        if need_weights:
            # PyTorch's path here: a plain softmax, so a row whose keys are all masked gives NaN.
            scores = ops.bmm(q * (1.0 / math.sqrt(head_dim)), ops.transpose(k, 1, 2))
            weights = ops.softmax(scores if mask is None else scores + mask, dim=-1)
            if p > 0.0:
                weights = ops.dropout(weights, p, True)
            out = ops.bmm(weights, v)
        else:
            if mask is not None:  # (1 or N * heads, L or 1, S) -> broadcasts to (N, heads, L, S)
                shared = mask.shape[0] == 1
                mask = ops.unsqueeze(mask, 0) if shared else ops.reshape(mask, batch, heads, -1, source)
            split = [ops.reshape(t, batch, heads, t.shape[1], head_dim) for t in (q, k, v)]
            out = ops.reshape(scaled_dot_product_attention(*split, mask, p), batch * heads, length, head_dim)
        out = ops.reshape(ops.transpose(out, 0, 1), length * batch, embed)
        out = ops.reshape(self.out_proj(out), length, batch, embed)
        if need_weights:
            weights = ops.reshape(weights, batch, heads, length, source)
            if average_attn_weights:
                weights = weights.mean(dim=1)
        else:
            weights = None
        if not batched:
            return ops.squeeze(out, 1), None if weights is None else ops.squeeze(weights, 0)
        return (ops.transpose(out, 0, 1) if self.batch_first else out), weights


def _pad_last(mask):
    """A mask with one more key column that takes part (0 added), for bias_k / add_zero_attn."""
    return None if mask is None else ops.pad(mask, (0, 1))
