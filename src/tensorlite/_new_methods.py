"""Tensor.new_zeros / new_ones / new_full / new_empty / new_tensor: a new tensor with this tensor's dtype
(and device) unless told otherwise, as PyTorch's. A mixin of Tensor; `dtype` is its element type."""


def _size(size):
    """The shape from new_zeros(2, 3), new_zeros((2, 3)) or new_zeros(tl.Size([2, 3]))."""
    return size[0] if len(size) == 1 and isinstance(size[0], (tuple, list)) else size


class NewTensorMethods:
    """The new_* factories of Tensor."""

    def _new(self, factory, *args, dtype, device, requires_grad):
        """creation.<factory>(*args) with this tensor's dtype when `dtype` is None."""
        from tensorlite import creation  # creation imports Tensor, which imports this module

        dtype = self.dtype if dtype is None else dtype
        return getattr(creation, factory)(*args, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        """A tensor of zeros of shape `size` with this tensor's dtype unless `dtype` is given."""
        return self._new("zeros", _size(size), dtype=dtype, device=device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        """A tensor of ones of shape `size` with this tensor's dtype unless `dtype` is given."""
        return self._new("ones", _size(size), dtype=dtype, device=device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        """An uninitialized tensor of shape `size` with this tensor's dtype unless `dtype` is given."""
        return self._new("empty", _size(size), dtype=dtype, device=device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        """A tensor of shape `size` (a sequence) filled with `fill_value`, with this tensor's dtype unless
        `dtype` is given."""
        if not isinstance(size, (tuple, list)):
            raise TypeError(f"new_full: size must be a tuple or list of ints, got {size!r}")
        return self._new(
            "full", tuple(size), fill_value, dtype=dtype, device=device, requires_grad=requires_grad
        )

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        """A new tensor holding a copy of `data`, with this tensor's dtype unless `dtype` is given (as
        torch.Tensor.new_tensor: the data's own dtype is not kept)."""
        return self._new("tensor", data, dtype=dtype, device=device, requires_grad=requires_grad)
