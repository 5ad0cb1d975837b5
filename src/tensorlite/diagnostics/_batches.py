"""Batches as the diagnostics accept them: (x, y) pairs of tensors or arrays."""

from tensorlite.ops._util import as_tensor


def split_batch(batch):
    """(x, y) as tensors from a (x, y) pair; (x, None) from a lone input."""
    if isinstance(batch, (tuple, list)):
        if len(batch) != 2:
            raise ValueError(f"expected a batch (x, y), got a sequence of {len(batch)} items")
        return as_tensor(batch[0]), as_tensor(batch[1])
    return as_tensor(batch), None
