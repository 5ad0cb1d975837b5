"""tl.cuda: what torch.cuda answers on a machine without CUDA. tensorlite computes on the CPU only, so
is_available() is False and asking for a "cuda" device raises RuntimeError."""


def is_available():
    """False: tensorlite is built without CUDA."""
    return False


def device_count():
    """0: no CUDA devices."""
    return 0


def manual_seed(seed):
    """Does nothing, as torch.cuda.manual_seed does without CUDA (seed the CPU with tl.manual_seed)."""


def manual_seed_all(seed):
    """Does nothing, as torch.cuda.manual_seed_all does without CUDA."""
