"""tl.backends.cudnn: torch.backends.cudnn's flags, so that `cudnn.benchmark = True` runs. tensorlite
has no cuDNN: is_available() is False and the flags are plain attributes with no effect on anything."""

enabled = True  # PyTorch's defaults
benchmark = False
deterministic = False
allow_tf32 = True


def is_available():
    """False: tensorlite is built without cuDNN."""
    return False


def version():
    """None, as torch.backends.cudnn.version() returns without cuDNN."""
    return None  # noqa: RET501  (documents the value PyTorch returns)
