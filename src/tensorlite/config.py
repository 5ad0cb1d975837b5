"""Build and runtime configuration: threads and show_config()."""

import os
import platform

from tensorlite import _C


def get_num_threads():
    """Number of threads the C++ kernels use."""
    return _C.get_num_threads()


def set_num_threads(n):
    """Set the number of threads the C++ kernels use (1 <= n <= 2**31 - 1); OMP_NUM_THREADS sets the initial
    value."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"set_num_threads: n must be an int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"set_num_threads: n must be >= 1, got {n}")
    if n > 2**31 - 1:  # OpenMP takes a C int
        raise ValueError(f"set_num_threads: n must be at most 2147483647 (2**31 - 1), got {n}")
    _C.set_num_threads(n)


def config():
    """The build and runtime configuration as a dict."""
    from tensorlite import __version__

    return {
        "version": __version__,
        "compiler": _C.compiler,
        "openmp": _C.openmp_enabled(),
        "threads": _C.get_num_threads(),
        "cpu_isa": _C.cpu_isa(),
        "gemm_isa": _C.gemm_isa(),
        "optim_isa": _C.optim_isa(),
        "cuda": bool(_C.cuda_enabled),
        "machine": platform.machine(),
        "omp_num_threads_env": os.environ.get("OMP_NUM_THREADS"),
    }


def show_config():
    """Print the compiler, OpenMP state and thread count, detected CPU ISA (and the instruction sets the
    GEMM and optimizer kernels run, at most TENSORLITE_ISA) and CUDA state."""
    cfg = config()
    print(f"tensorlite {cfg['version']}")
    print(f"  compiler:   {cfg['compiler']}")
    print(f"  OpenMP:     {'on' if cfg['openmp'] else 'off'} ({cfg['threads']} threads)")
    print(
        f"  CPU ISA:    {cfg['cpu_isa']} (GEMM kernel: {cfg['gemm_isa']}, optimizer kernels: {cfg['optim_isa']}, "
        f"{cfg['machine']})"
    )
    print(f"  CUDA:       {'on' if cfg['cuda'] else 'off'}")
