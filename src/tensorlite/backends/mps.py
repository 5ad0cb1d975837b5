"""tl.backends.mps: what torch.backends.mps answers on a machine without Apple's Metal (MPS) backend."""


def is_available():
    """False: tensorlite computes on the CPU only."""
    return False


def is_built():
    """False: tensorlite is built without MPS."""
    return False
