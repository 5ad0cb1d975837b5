"""The device= argument of the layers added for PyTorch compatibility (issue 19)."""


def check_device(layer, device):
    """Accept device=None or a CPU device ("cpu", "cpu:0" or an object whose str() is one of those);
    tensorlite computes on the CPU only, so any other device raises ValueError naming it."""
    if device is not None and str(device).split(":")[0] != "cpu":
        raise ValueError(
            f"{layer}: device {device!r} is not available; this build of tensorlite runs on the cpu"
        )
