"""Size: the type of Tensor.shape and Tensor.size(), a tuple of ints as torch.Size is."""

import math


class Size(tuple):
    """A tensor's shape: a tuple of non-negative ints (slicing or adding keeps the type), plus numel()."""

    def __new__(cls, dims=()):
        return super().__new__(cls, (int(d) for d in dims))

    def numel(self):
        """The number of elements a tensor of this shape holds: the product of the dims (1 for ())."""
        return math.prod(self)

    def __getitem__(self, index):
        item = super().__getitem__(index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))

    def __repr__(self):
        return f"tensorlite.Size({list(self)})"

    __str__ = __repr__

    def __format__(self, spec):
        # f"shape {x.shape}" in messages reads "shape (2, 3)"; print() and repr() show tensorlite.Size([2, 3])
        return format(tuple.__repr__(self), spec)

    def __reduce__(self):
        return Size, (tuple(self),)
