"""Parameter: a leaf tensor that a Module registers as trainable."""

import numpy as np

from tensorlite.tensor import Tensor


class Parameter(Tensor):
    """A tensor that is a module parameter: requires grad by default and is found by parameters()."""

    def __init__(self, data, requires_grad=True):
        array = data._array if isinstance(data, Tensor) else np.asarray(data)
        if array.dtype.kind != "f":
            array = array.astype(np.float32)
        super().__init__(array, dtype=array.dtype, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
