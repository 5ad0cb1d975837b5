"""Functional forms of layers and losses (tl.nn.functional, imported as F), and regularization penalties."""

from tensorlite import compat as _compat
from tensorlite import ops
from tensorlite.nn.module import Module
from tensorlite.ops import (
    adaptive_avg_pool2d,
    avg_pool2d,
    batch_norm,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    conv1d,
    conv2d,
    conv_transpose2d,
    cross_entropy,
    dropout,
    dropout2d,
    elu,
    embedding,
    gelu,
    group_norm,
    huber_loss,
    interpolate,
    l1_loss,
    layer_norm,
    leaky_relu,
    linear,
    log_softmax,
    max_pool2d,
    mse_loss,
    nll_loss,
    pad,
    relu,
    scaled_dot_product_attention,
    selu,
    sigmoid,
    smooth_l1_loss,
    softmax,
    softplus,
    tanh,
)
from tensorlite.ops.sample import affine_grid, grid_sample

__all__ = [
    "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "conv1d", "conv2d", "conv_transpose2d", "cross_entropy", "dropout",
    "dropout2d", "elu", "embedding", "gelu", "group_norm", "huber_loss", "interpolate", "l1_loss",
    "l1_penalty", "l2_penalty", "layer_norm", "leaky_relu", "linear", "log_softmax", "max_pool2d",
    "mse_loss", "nll_loss", "pad", "relu", "scaled_dot_product_attention", "selu", "sigmoid",
    "smooth_l1_loss", "softmax", "softplus", "tanh",
]  # fmt: skip
__all__ += ["affine_grid", "grid_sample"]


def _penalized(params, include_bias):
    """The tensors a penalty applies to: every parameter, minus 1-D ones (biases, norm scales) unless
    include_bias. params: a Module or an iterable of tensors."""
    tensors = params.parameters() if isinstance(params, Module) else params
    return [p for p in tensors if include_bias or p.ndim > 1]


def l1_penalty(params, lam, include_bias=False):
    """L1 regularization term lam * sum_w |w| over the weights (1-D parameters such as biases excluded
    unless include_bias=True); add it to the loss. Its gradient is lam * sign(w)."""
    terms = [ops.abs(p).sum() for p in _penalized(params, include_bias)]
    return lam * sum(terms[1:], terms[0]) if terms else ops.as_tensor(0.0)


def l2_penalty(params, lam, include_bias=False):
    """L2 regularization (weight decay) term lam / 2 * sum_w w^2 over the weights (1-D parameters such as
    biases excluded unless include_bias=True); add it to the loss. Its gradient is lam * w."""
    terms = [(p * p).sum() for p in _penalized(params, include_bias)]
    return (lam / 2) * sum(terms[1:], terms[0]) if terms else ops.as_tensor(0.0)

# A known torch name missing here raises NotImplementedError naming it (tensorlite.compat).
__getattr__ = _compat.module_getattr("torch.nn.functional", "tensorlite.nn.functional")
