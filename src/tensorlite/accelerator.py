"""tl.accelerator: what torch.accelerator answers when there is no accelerator (tensorlite is CPU-only)."""


def is_available():
    """False: no accelerator (CUDA, MPS, ...) in this build."""
    return False


def current_accelerator(check_available=False):
    """None, as torch.accelerator.current_accelerator() returns when there is no accelerator."""


def device_count():
    """0: no accelerator devices."""
    return 0
