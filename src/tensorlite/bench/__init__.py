"""Kernel benchmarks against NumPy (and PyTorch when installed), run by `tensorlite bench` and benchmarks/."""
