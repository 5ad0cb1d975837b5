"""F.embedding: a row lookup in a weight matrix, with PyTorch's padding_idx, max_norm and
scale_grad_by_freq; vectorized NumPy."""

import numbers

import numpy as np

from tensorlite.autograd.function import Function
from tensorlite.autograd.grad_mode import no_grad
from tensorlite.ops._util import as_tensor, require_float


class Embedding(Function):
    """y[..., :] = weight[idx[...], :].  dweight[i] = sum of dy over the positions where idx == i (divided
    by that count with scale_grad_by_freq), and dweight[padding_idx] = 0. Input: weight only (the
    integer indices are a parameter, not differentiable)."""

    def forward(self, weight):
        return weight[self.indices]

    def backward(self, grad):
        flat = self.indices.reshape(-1)
        grad = np.asarray(grad).reshape(flat.size, self.weight_shape[1])
        dweight = np.zeros(self.weight_shape, grad.dtype)
        if flat.size:
            # Sort once, then one segment sum per distinct index (np.add.at is far slower).
            order = np.argsort(flat, kind="stable")
            sorted_idx = flat[order]
            starts = np.flatnonzero(np.r_[True, sorted_idx[1:] != sorted_idx[:-1]])
            sums = np.add.reduceat(grad[order], starts, axis=0)
            rows = sorted_idx[starts]
            if self.scale_grad_by_freq:
                counts = np.diff(np.r_[starts, flat.size])
                sums /= counts.reshape(-1, 1).astype(grad.dtype)
            dweight[rows] = sums
        if self.padding_idx is not None:
            dweight[self.padding_idx] = 0
        return (dweight,)


def normalize_padding_idx(op, padding_idx, num_embeddings):
    """padding_idx in [-num_embeddings, num_embeddings) as a non-negative int (None stays None)."""
    if padding_idx is None:
        return None
    if not isinstance(padding_idx, numbers.Integral) or isinstance(padding_idx, bool):
        raise TypeError(f"{op}: padding_idx must be an int or None, got {padding_idx!r}")
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(
            f"{op}: padding_idx={padding_idx} must be within num_embeddings={num_embeddings} "
            f"([-{num_embeddings}, {num_embeddings}))"
        )
    return int(padding_idx) % num_embeddings


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):  # fmt: skip
    """y = weight[input]: each integer of input picks a row of the (num_embeddings, embedding_dim) weight,
    so y has shape input.shape + (embedding_dim,). padding_idx: that row gets no gradient. max_norm:
    before the lookup, each referenced row whose norm_type-norm exceeds max_norm is rescaled in place
    to norm max_norm (row * max_norm / (norm + 1e-7)), as PyTorch. scale_grad_by_freq: a row's gradient
    is divided by how often it occurs in input."""
    op = "embedding"
    weight = as_tensor(weight)
    require_float(op, weight)
    if weight.ndim != 2:
        raise ValueError(
            f"{op}: weight must be 2-D (num_embeddings, embedding_dim), got shape {weight.shape}"
        )
    if sparse:
        raise NotImplementedError(f"{op}: sparse=True (sparse gradients) is not supported")
    num = weight.shape[0]
    indices = np.asarray(input)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{op}: input must hold integer indices, got dtype {indices.dtype}")
    indices = indices.astype(np.int64, copy=False)
    if indices.size:
        low, high = int(indices.min()), int(indices.max())
        bad = high if high >= num else low
        if low < 0 or high >= num:
            raise ValueError(
                f"{op}: index {bad} is out of range for num_embeddings={num} (valid: 0 to {num - 1})"
            )
    padding_idx = normalize_padding_idx(op, padding_idx, num)
    if max_norm is not None:
        _renorm_rows(weight, indices, float(max_norm), float(norm_type))
    return Embedding.apply(
        weight, indices=indices, weight_shape=weight.shape, padding_idx=padding_idx,
        scale_grad_by_freq=bool(scale_grad_by_freq),
    )  # fmt: skip


def _renorm_rows(weight, indices, max_norm, norm_type):
    """PyTorch's embedding_renorm_: rows referenced by indices with norm > max_norm scaled to max_norm."""
    rows = np.unique(indices)
    values = np.asarray(weight)[rows]
    norms = np.linalg.norm(values, ord=norm_type, axis=1)
    over = norms > max_norm
    if over.any():
        scale = (max_norm / (norms[over] + 1e-7)).astype(values.dtype)
        with no_grad():
            weight[rows[over]] = values[over] * scale[:, None]
