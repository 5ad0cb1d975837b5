"""Transformer, TransformerEncoder(Layer), TransformerDecoder(Layer): PyTorch's classes, with its argument
names, defaults, attribute names (so state_dict keys match one for one) and initialization."""

import copy
import math

import numpy as np

from tensorlite import creation, ops
from tensorlite._device import check_device
from tensorlite.autograd.grad_mode import is_grad_enabled
from tensorlite.nn import init
from tensorlite.nn.activation import GELU, ReLU
from tensorlite.nn.attention import MultiheadAttention
from tensorlite.nn.container import ModuleList
from tensorlite.nn.dropout import Dropout
from tensorlite.nn.linear import Linear
from tensorlite.nn.module import Module
from tensorlite.nn.normalization import LayerNorm
from tensorlite.ops._util import as_tensor

_ACTIVATIONS = {"relu": ops.relu, "gelu": ops.gelu}


def _activation(activation, where):
    """activation given as "relu" / "gelu" (F.relu / F.gelu) or any callable (a function or a Module)."""
    if isinstance(activation, str):
        if activation not in _ACTIVATIONS:
            raise ValueError(f"{where}: activation should be relu/gelu, not {activation!r}")
        return _ACTIVATIONS[activation]
    if not callable(activation):
        raise TypeError(f"{where}: activation must be 'relu', 'gelu' or a callable, got {activation!r}")
    return activation


def _get_clones(module, n):
    """n independent deep copies of module (all start from the same weights, as in PyTorch)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"num_layers must be a non-negative int, got {n!r}")
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


class _Layer(Module):
    """What encoder and decoder layers share: their construction (_build, which registers the modules in
    PyTorch's order, so that state_dict and parameters() come in PyTorch's order too), the feed-forward
    block and the activation."""

    def _build(self, attentions, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
               batch_first, norm_first, bias, device, dtype):  # fmt: skip
        """The attention blocks named in `attentions`, the feed-forward block, then one LayerNorm and one
        Dropout per block (norm1.., dropout1..), in PyTorch's order."""
        check_device(device, type(self).__name__)
        for name in attentions:
            setattr(self, name, MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                   batch_first=batch_first, dtype=dtype))  # fmt: skip
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        blocks = range(1, len(attentions) + 2)
        for i in blocks:
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        for i in blocks:
            setattr(self, f"dropout{i}", Dropout(dropout))
        self._set_activation(activation)

    def _set_activation(self, activation):
        self.activation = _activation(activation, type(self).__name__)
        # PyTorch's flag for its fused fast paths: 1 for ReLU, 2 for GELU, 0 for anything else.
        if isinstance(self.activation, Module):
            self.activation_relu_or_gelu = {ReLU: 1, GELU: 2}.get(type(self.activation), 0)
        else:
            self.activation_relu_or_gelu = {ops.relu: 1, ops.gelu: 2}.get(self.activation, 0)

    def _ff_block(self, x, dropout):
        return dropout(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerEncoderLayer(_Layer):
    """Self-attention then a feed-forward block, each with a residual connection and LayerNorm:
    post-norm (default) x = norm1(x + SA(x)); x = norm2(x + FF(x)), FF(x) = linear2(act(linear1(x)));
    norm_first: x = x + SA(norm1(x)); x = x + FF(norm2(x)). Dropout after SA, inside and after FF."""

    def __init__(
        self,
        d_model,
        nhead,
        dim_feedforward=2048,
        dropout=0.1,
        activation=ops.relu,
        layer_norm_eps=1e-5,
        batch_first=False,
        norm_first=False,
        bias=True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self._build(("self_attn",), d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                    batch_first, norm_first, bias, device, dtype)  # fmt: skip

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        """src (S, N, E) or (N, S, E) with batch_first, or (S, E); masks as MultiheadAttention's."""
        x = as_tensor(src)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x), self.dropout2)
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff_block(x, self.dropout2))

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]  # fmt: skip
        return self.dropout1(x)


class TransformerDecoderLayer(_Layer):
    """Self-attention, attention over the encoder output (memory), then a feed-forward block, each with a
    residual connection and LayerNorm (norm1..norm3; before each block with norm_first)."""

    def __init__(
        self,
        d_model,
        nhead,
        dim_feedforward=2048,
        dropout=0.1,
        activation=ops.relu,
        layer_norm_eps=1e-5,
        batch_first=False,
        norm_first=False,
        bias=True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self._build(("self_attn", "multihead_attn"), d_model, nhead, dim_feedforward, dropout, activation,
                    layer_norm_eps, batch_first, norm_first, bias, device, dtype)  # fmt: skip

    def forward(
        self,
        tgt,
        memory,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal=False,
        memory_is_causal=False,
    ):
        """tgt (T, N, E), memory (S, N, E) (batch first with batch_first); masks as MultiheadAttention's."""
        x = as_tensor(tgt)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(
                self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal
            )
            return x + self._ff_block(self.norm3(x), self.dropout3)
        x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
        x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal))
        return self.norm3(x + self._ff_block(x, self.dropout3))

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           is_causal=is_causal, need_weights=False)[0]  # fmt: skip
        return self.dropout1(x)

    def _mha_block(self, x, memory, attn_mask, key_padding_mask, is_causal):
        x = self.multihead_attn(x, memory, memory, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                is_causal=is_causal, need_weights=False)[0]  # fmt: skip
        return self.dropout2(x)


def _nested_path(encoder_layer):
    """Whether PyTorch's TransformerEncoder could take its nested-tensor path with this layer (which
    changes the result: padded positions come out as zeros); see TransformerEncoder.forward."""
    if not isinstance(encoder_layer, TransformerEncoderLayer) or encoder_layer.norm_first:
        return False
    attn = encoder_layer.self_attn
    return (attn.batch_first and attn._qkv_same_embed_dim and attn.in_proj_bias is not None
            and encoder_layer.activation_relu_or_gelu != 0 and attn.num_heads % 2 == 0
            and encoder_layer.norm1.eps == encoder_layer.norm2.eps)  # fmt: skip


class TransformerEncoder(Module):
    """num_layers deep copies of encoder_layer applied in turn, then norm (if given).

    enable_nested_tensor as PyTorch's: where PyTorch would take its nested-tensor path (evaluation, no
    gradient, batch_first, src_key_padding_mask with padding at the end of each sequence, no mask), the
    positions that key_padding_mask marks as padding come out as zeros (before norm), as there."""

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        super().__init__()
        self.layers = _get_clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = enable_nested_tensor and _nested_path(encoder_layer)
        self.mask_check = mask_check

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        """src (S, N, E) or (N, S, E) with batch_first, or (S, E); mask (S, S) or (N * nhead, S, S) and
        src_key_padding_mask (N, S) as MultiheadAttention's attn_mask / key_padding_mask."""
        output = as_tensor(src)
        for layer in self.layers:
            output = layer(output, src_mask=mask, is_causal=bool(is_causal),
                           src_key_padding_mask=src_key_padding_mask)  # fmt: skip
        padding = self._nested_padding(output, mask, src_key_padding_mask)
        if padding is not None:
            output = ops.masked_fill(output, ops.unsqueeze(padding, -1), 0.0)
        if self.norm is not None:
            output = self.norm(output)
        return output

    def _nested_padding(self, src, mask, key_padding_mask):
        """The padding positions (bool (N, S)) when PyTorch would run this call on nested tensors, else None."""
        if not (self.use_nested_tensor and len(self.layers) and src.ndim == 3) or key_padding_mask is None:
            return None
        if self.layers[0].training or mask is not None:
            return None
        layer = self.layers[0]
        params = (layer.self_attn.in_proj_weight, layer.self_attn.in_proj_bias, layer.self_attn.out_proj.weight,
                  layer.self_attn.out_proj.bias, layer.norm1.weight, layer.norm1.bias, layer.norm2.weight,
                  layer.norm2.bias, layer.linear1.weight, layer.linear1.bias, layer.linear2.weight,
                  layer.linear2.bias)  # fmt: skip
        if is_grad_enabled() and any(t is not None and t.requires_grad for t in (src, *params)):
            return None
        padding = np.asarray(as_tensor(key_padding_mask).numpy() != 0)
        # mask_check: PyTorch takes the path only when each row's padding is at its end (left-aligned).
        if self.mask_check and np.any(padding[:, :-1] & ~padding[:, 1:]):
            return None
        return as_tensor(padding)


class TransformerDecoder(Module):
    """num_layers deep copies of decoder_layer applied in turn to (tgt, memory), then norm (if given)."""

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _get_clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(
        self,
        tgt,
        memory,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal=None,
        memory_is_causal=False,
    ):
        """tgt (T, N, E), memory (S, N, E) (batch first with batch_first); masks as TransformerDecoderLayer's."""
        output = as_tensor(tgt)
        for layer in self.layers:
            output = layer(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                           tgt_key_padding_mask=tgt_key_padding_mask,
                           memory_key_padding_mask=memory_key_padding_mask,
                           tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal)  # fmt: skip
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Module):
    """Encoder-decoder Transformer ("Attention Is All You Need"): memory = encoder(src), output =
    decoder(tgt, memory); each stack ends in a LayerNorm. Every parameter with more than one dimension is
    re-drawn with xavier_uniform_ (_reset_parameters), as PyTorch does."""

    def __init__(
        self,
        d_model=512,
        nhead=8,
        num_encoder_layers=6,
        num_decoder_layers=6,
        dim_feedforward=2048,
        dropout=0.1,
        activation=ops.relu,
        custom_encoder=None,
        custom_decoder=None,
        layer_norm_eps=1e-5,
        batch_first=False,
        norm_first=False,
        bias=True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        check_device(device, "Transformer")
        common = {"dim_feedforward": dim_feedforward, "dropout": dropout, "activation": activation,
                  "layer_norm_eps": layer_norm_eps, "batch_first": batch_first, "norm_first": norm_first,
                  "bias": bias, "dtype": dtype}  # fmt: skip
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            layer = TransformerEncoderLayer(d_model, nhead, **common)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            self.encoder = TransformerEncoder(layer, num_encoder_layers, norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            layer = TransformerDecoderLayer(d_model, nhead, **common)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            self.decoder = TransformerDecoder(layer, num_decoder_layers, norm)
        self._reset_parameters()
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def forward(
        self,
        src,
        tgt,
        src_mask=None,
        tgt_mask=None,
        memory_mask=None,
        src_key_padding_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        src_is_causal=None,
        tgt_is_causal=None,
        memory_is_causal=False,
    ):
        """src (S, N, E), tgt (T, N, E) (batch first with batch_first, or unbatched) -> (T, N, E)."""
        src, tgt = as_tensor(src), as_tensor(tgt)
        batch_dim = 0 if self.batch_first else 1
        if src.ndim == 3 and (tgt.ndim != 3 or src.shape[batch_dim] != tgt.shape[batch_dim]):
            raise ValueError(
                f"Transformer: the batch number of src {src.shape} and tgt {tgt.shape} must be equal"
            )
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise ValueError(f"Transformer: the feature number of src {src.shape} and tgt {tgt.shape} must "
                             f"equal d_model={self.d_model}")  # fmt: skip
        memory = self.encoder(
            src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal
        )
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                            memory_is_causal=memory_is_causal)  # fmt: skip

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        """The (sz, sz) causal mask: 0 on and below the diagonal, -inf above (position i sees j <= i)."""
        check_device(device, "generate_square_subsequent_mask")
        return ops.triu(creation.full((sz, sz), -math.inf, dtype=dtype), diagonal=1)

    def _reset_parameters(self):
        """xavier_uniform_ on every parameter with more than one dimension."""
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)
