"""The dtypes tensorlite supports and how user data maps onto them (the NumPy boundary).

Conversion rules for data that is not already float32/float64/int64/bool (docs/pytorch-compat.md):
  - bool stays bool; every signed or unsigned integer dtype becomes int64, value for value, and a value
    that int64 cannot hold (a uint64 or Python int >= 2**63, a Python int < -2**63) raises
    IntegerOverflowError;
  - float16 becomes float32 (exactly); float64 NumPy data stays float64; Python floats become float32;
  - a float converted to int64 (explicit dtype) truncates toward 0; nan/inf raise ValueError and values
    outside int64 raise IntegerOverflowError;
  - complex, longdouble, datetime, timedelta, string, structured and object data raise TypeError naming
    the dtype; a masked array raises TypeError (its mask would be dropped); other ndarray subclasses
    (np.matrix, np.memmap, ...) are read as plain ndarrays.
"""

import numbers

import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)

SUPPORTED = (float32, float64, int64, bool_)
FLOATING = (float32, float64)
_INT64_MIN, _INT64_END = -(2**63), 2**63  # int64 holds [-2**63, 2**63)


class IntegerOverflowError(OverflowError, ValueError):
    """An integer that int64 cannot hold. Both an OverflowError (what Python and NumPy raise for this) and
    a ValueError (what PyTorch raises), so either `except` catches it."""


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


def refuse_masked(op_name, data):
    """Raise TypeError for a NumPy masked array: taking its data would silently drop the mask."""
    if isinstance(data, np.ma.MaskedArray):
        raise TypeError(
            f"{op_name}: masked arrays are not supported (the mask would be dropped); pass "
            "array.filled(value) to choose what masked entries become, or array.data to ignore the mask"
        )


def check_numeric(op_name, dtype):
    """Raise TypeError naming `dtype` unless it is bool, an integer or a float no wider than float64."""
    if dtype.kind in "biu" or (dtype.kind == "f" and dtype.itemsize <= 8):
        return
    raise TypeError(
        f"{op_name}: unsupported dtype {dtype} ({_KIND_NAMES.get(dtype.kind, 'longdouble')} data cannot be "
        "converted); tensors hold float32, float64, int64 or bool"
    )


_KIND_NAMES = {
    "c": "complex",
    "M": "datetime",
    "m": "timedelta",
    "U": "string",
    "S": "bytes",
    "V": "structured",
    "O": "object",
}


def convert(data, dtype=None, op_name="tensor"):
    """User data (nested lists, scalars, NumPy arrays or scalars) as an ndarray of a supported dtype:
    `dtype` when given, else PyTorch's inference (see the module docstring for every rule)."""
    refuse_masked(op_name, data)
    if isinstance(data, (np.ndarray, np.generic)):
        array = np.asarray(data)  # a plain ndarray (np.matrix and other subclasses drop their class)
    else:
        array = _python_array(op_name, data, dtype)
    check_numeric(op_name, array.dtype)
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    target = dtype if dtype is not None else default_dtype_for(array)
    if target == int64:
        _check_int64_range(op_name, array)
    return array.astype(target, copy=False)


def _python_array(op_name, data, dtype):
    array = np.asarray(data)
    if array.dtype == object:
        values = array.reshape(-1)
        if not all(isinstance(v, numbers.Real) for v in values):
            raise TypeError(f"{op_name}: data must be numeric (nested lists of numbers, arrays or tensors)")
        if dtype is not None and is_floating(dtype):
            # ints past 64 bits become floats, and past float64's range raise OverflowError (like PyTorch)
            return np.array(values.tolist(), dtype=float64).reshape(array.shape)
        big = next((v for v in values if isinstance(v, numbers.Integral) and not _fits_int64(v)), None)
        if big is None:  # e.g. fractions.Fraction: real, but nothing NumPy stores natively
            kinds = ", ".join(sorted({type(v).__name__ for v in values}))
            raise TypeError(f"{op_name}: cannot convert values of type {kinds}; pass dtype=float64")
        raise IntegerOverflowError(
            f"{op_name}: the integer {big} does not fit int64; pass dtype=float64 to store it as a float"
        )
    if dtype is None and array.dtype == float64:
        array = array.astype(float32)  # Python floats default to float32, like PyTorch
    return array


def _fits_int64(value):
    return _INT64_MIN <= value < _INT64_END


def _check_int64_range(op_name, array):
    """Refuse values that int64 cannot hold instead of letting astype wrap them around."""
    if not array.size or array.dtype.kind in "bi":
        return
    if array.dtype.kind == "u":
        if array.dtype.itemsize == 8 and array.max() >= _INT64_END:
            raise IntegerOverflowError(
                f"{op_name}: the {array.dtype} value {array.max()} does not fit int64 (the integer dtype "
                "tensors hold); pass dtype=float64 to store it as a float"
            )
        return
    if not np.isfinite(array).all():
        bad = array[~np.isfinite(array)].reshape(-1)[0]
        raise ValueError(f"{op_name}: cannot convert {bad} to int64")
    if array.min() < _INT64_MIN or array.max() >= _INT64_END:
        bad = array.min() if array.min() < _INT64_MIN else array.max()
        raise IntegerOverflowError(f"{op_name}: the value {bad} is out of range for int64")
