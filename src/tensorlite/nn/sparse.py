"""The Embedding layer (PyTorch semantics)."""

from tensorlite import creation, ops
from tensorlite._device import check_device
from tensorlite.autograd.grad_mode import no_grad
from tensorlite.nn import init
from tensorlite.nn.module import Module
from tensorlite.nn.parameter import Parameter
from tensorlite.ops._util import as_tensor
from tensorlite.ops.embedding import normalize_padding_idx


class Embedding(Module):
    """A lookup table: y = weight[input] with weight of shape (num_embeddings, embedding_dim), so an integer
    input of shape S gives y of shape S + (embedding_dim,).

    Default init (PyTorch's): weight ~ N(0, 1), with the padding_idx row (if given) zero; that row also
    gets no gradient. max_norm / norm_type / scale_grad_by_freq as F.embedding. sparse=True is not
    supported."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None,
                 dtype=None):  # fmt: skip
        super().__init__()
        check_device(device, "Embedding")
        for name, value in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"Embedding: {name} must be an int >= 0, got {value!r}")
        if sparse:
            raise NotImplementedError("Embedding: sparse=True (sparse gradients) is not supported")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = normalize_padding_idx("Embedding", padding_idx, num_embeddings)
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            self.weight = Parameter(creation.empty(num_embeddings, embedding_dim, dtype=dtype), not _freeze)
            self.reset_parameters()
        else:
            w = as_tensor(_weight)
            if tuple(w.shape) != (num_embeddings, embedding_dim):
                raise ValueError(
                    f"Embedding: _weight has shape {tuple(w.shape)}, expected ({num_embeddings}, {embedding_dim})"
                )
            self.weight = Parameter(w.numpy(), not _freeze)  # Parameter copies

    def reset_parameters(self):
        """weight ~ N(0, 1), the padding_idx row zero."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0.0

    def forward(self, input):
        return ops.embedding(
            input, self.weight, self.padding_idx, self.max_norm, self.norm_type, self.scale_grad_by_freq
        )

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False):  # fmt: skip
        """An Embedding whose weight is a copy of the 2-D `embeddings`; freeze=True: weight.requires_grad is
        False. The padding_idx row keeps its given values (as PyTorch)."""
        embeddings = as_tensor(embeddings)
        if embeddings.ndim != 2:
            raise ValueError(
                f"Embedding.from_pretrained: embeddings must be 2-D, got shape {embeddings.shape}"
            )
        rows, dim = embeddings.shape
        return cls(rows, dim, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings, _freeze=freeze)  # fmt: skip

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        return s
