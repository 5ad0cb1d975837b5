"""The device= argument of the layers added for PyTorch compatibility (issue 19); the same rule as the
recurrent layers' check_device."""

_ACCELERATORS = ("cuda", "mps", "xpu", "hip", "meta")


def check_device(owner, device):
    """Accept device None, "cpu" / "cpu:N" or a device object of type "cpu"; a known accelerator raises
    RuntimeError (this build computes on the CPU only), anything else ValueError."""
    if device is None:
        return
    kind = getattr(device, "type", device)
    if isinstance(kind, str):
        name = kind.split(":")[0]
        if name == "cpu":
            return
        if name in _ACCELERATORS:
            raise RuntimeError(
                f"{owner}: device {str(device)!r} is not available: tensorlite computes on the CPU only "
                "(use device='cpu' or leave device out)"
            )
    raise ValueError(f"{owner}: invalid device {device!r} (expected None or 'cpu')")
