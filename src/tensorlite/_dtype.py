"""The dtypes tensorlite supports and how user spellings map onto them."""

import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)

SUPPORTED = (float32, float64, int64, bool_)
FLOATING = (float32, float64)


def as_dtype(dtype):
    """Return the supported NumPy dtype for `dtype` (tl.float32, np.float64, "int64", ...), or None."""
    if dtype is None:
        return None
    try:
        resolved = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(
            f"unsupported dtype {dtype!r}; expected one of float32, float64, int64, bool"
        ) from exc
    if resolved not in SUPPORTED:
        raise TypeError(f"unsupported dtype {resolved}; expected one of float32, float64, int64, bool")
    return resolved


def is_floating(dtype):
    """True for float32 and float64."""
    return np.dtype(dtype) in FLOATING


def default_dtype_for(array):
    """The dtype a new tensor gets for NumPy data with no explicit dtype (PyTorch's inference rules)."""
    kind = array.dtype.kind
    if kind == "b":
        return bool_
    if kind in "iu":
        return int64
    if kind == "f":
        # NumPy arrays keep float64 (like torch.from_numpy); Python floats become float32 (see tensor()).
        return float64 if array.dtype == float64 else float32
    raise TypeError(f"unsupported dtype {array.dtype}; expected one of float32, float64, int64, bool")
