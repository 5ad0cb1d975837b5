"""Tensor methods about where and how a tensor is stored: device, to(), cpu()/cuda(), dtype conversions,
type(), size() and format(). A mixin of Tensor (`_array` is its ndarray)."""

from tensorlite import _dtype
from tensorlite._device import CPU, check_device, is_device_like, refuse_cuda
from tensorlite._size import Size

_tuple_new = tuple.__new__

# PyTorch's legacy tensor-type names (Tensor.type()), spelled with the tensorlite prefix
TYPE_NAMES = {
    _dtype.float32: "tensorlite.FloatTensor",
    _dtype.float64: "tensorlite.DoubleTensor",
    _dtype.int64: "tensorlite.LongTensor",
    _dtype.bool_: "tensorlite.BoolTensor",
}
_DTYPE_OF_NAME = {name.split(".")[1]: dtype for dtype, name in TYPE_NAMES.items()}


def parse_to_args(where, args, kwargs):
    """(device, dtype, copy) from the argument forms of torch's Tensor.to / Module.to: to(dtype),
    to(device, dtype=None), to(other_tensor), each with non_blocking and copy, positionally or by keyword.
    device and dtype are None when not asked for; an accelerator device raises RuntimeError."""
    kwargs = dict(kwargs)
    device, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
    flags = {"non_blocking": kwargs.pop("non_blocking", False), "copy": kwargs.pop("copy", False)}
    kwargs.pop("memory_format", None)  # every tensorlite tensor is contiguous
    if kwargs:
        raise TypeError(f"{where}: unexpected keyword argument(s) {', '.join(sorted(kwargs))}")
    args = list(args)
    if args and hasattr(args[0], "_array"):  # to(other): other's device and dtype
        other = args.pop(0)
        device, dtype = other.device, other.dtype
    elif args and (is_device_like(args[0]) or (isinstance(args[0], int) and not isinstance(args[0], bool))):
        device = args.pop(0)
    if args and not isinstance(args[0], bool):
        dtype = args.pop(0)
    if len(args) > 2 or not all(isinstance(a, bool) for a in args):
        raise TypeError(f"{where}: cannot read arguments {args!r} as (non_blocking, copy)")
    flags.update(zip(("non_blocking", "copy"), args))
    if device is not None:
        check_device(device, where)
    return device, _dtype.as_dtype(dtype), bool(flags["copy"])


class ConversionMethods:
    """Device, dtype and size methods of Tensor."""

    @property
    def device(self):
        """The device holding this tensor: always device('cpu') in this CPU-only build."""
        return CPU

    @property
    def is_cuda(self):
        """False: tensors live on the CPU."""
        return False

    @property
    def is_cpu(self):
        """True: tensors live on the CPU."""
        return True

    @property
    def is_xpu(self):
        """False: tensors live on the CPU."""
        return False

    @property
    def is_mps(self):
        """False: tensors live on the CPU."""
        return False

    @property
    def shape(self):
        """The shape as a tl.Size (a tuple of ints)."""
        return _tuple_new(Size, self._array.shape)  # NumPy's shape is already a tuple of ints

    def size(self, dim=None):
        """The shape as a tl.Size, or with `dim` the length of that dimension (negative dims count back)."""
        if dim is None:
            return _tuple_new(Size, self._array.shape)
        if not isinstance(dim, int) or isinstance(dim, bool):
            raise TypeError(f"size(): dim must be an int, got {dim!r}")
        ndim = self._array.ndim
        if ndim == 0:
            raise IndexError(f"size(): dimension specified as {dim} but the tensor has no dimensions")
        if not -ndim <= dim < ndim:
            raise IndexError(
                f"size(): dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], "
                f"but got {dim})"
            )
        return self._array.shape[dim]

    def numel(self):
        """Number of elements."""
        return self._array.size

    nelement = numel

    def to(self, *args, **kwargs):
        """This tensor with another device and/or dtype: to(dtype), to(device), to(device, dtype),
        to(other_tensor), or by keyword (device=, dtype=, non_blocking=, copy=). Returns self when nothing
        changes and copy is False (as PyTorch); a dtype change is differentiable between float dtypes."""
        from tensorlite import ops as _ops  # ops import Tensor, which imports this module

        _, dtype, copy = parse_to_args("Tensor.to", args, kwargs)
        result = self
        if copy:
            result = _ops.clone(result)
        if dtype is not None and dtype != result.dtype:
            result = _ops.cast(result, dtype)
        return result

    def cpu(self):
        """This tensor (already on the CPU)."""
        return self

    def cuda(self, device=None, non_blocking=False):
        """Raises RuntimeError: tensorlite is built without CUDA."""
        refuse_cuda("cuda()")

    def astype(self, dtype):
        """This tensor converted to `dtype` (differentiable between float dtypes)."""
        from tensorlite import ops as _ops

        return _ops.cast(self, _dtype.as_dtype(dtype))

    def float(self):
        """Converted to float32."""
        return self.astype(_dtype.float32)

    def double(self):
        """Converted to float64."""
        return self.astype(_dtype.float64)

    def long(self):
        """Converted to int64."""
        return self.astype(_dtype.int64)

    def bool(self):
        """Converted to bool (nonzero is True)."""
        return self.astype(_dtype.bool_)

    def type(self, dtype=None):
        """With no argument the type name ('tensorlite.FloatTensor', ...: PyTorch's names with the tensorlite
        prefix); with a dtype or such a name (torch.* spellings accepted) this tensor converted to it."""
        if dtype is None:
            return TYPE_NAMES[self.dtype]
        if isinstance(dtype, str) and "Tensor" in dtype:
            prefix, _, name = dtype.rpartition(".")
            if prefix not in ("tensorlite", "torch") or name not in _DTYPE_OF_NAME:
                known = list(TYPE_NAMES.values())
                raise TypeError(f"type(): unknown tensor type {dtype!r}; expected one of {known}")
            dtype = _DTYPE_OF_NAME[name]
        return self.astype(dtype)

    def type_as(self, other):
        """This tensor converted to `other`'s dtype."""
        return self.astype(other.dtype)

    def __format__(self, spec):
        """A one-element tensor formats as its value ('{:.2f}'.format(loss)); others as str() for an empty
        spec (PyTorch formats only 0-d tensors as numbers; a one-element 1-d tensor works here too)."""
        if self._array.size == 1:
            return format(self.item(), spec)
        if spec:
            shape = tuple(self._array.shape)
            raise TypeError(f"unsupported format string {spec!r} for a tensor of shape {shape}")
        return str(self)
