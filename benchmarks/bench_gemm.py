"""GEMM benchmark: tensorlite vs NumPy (and PyTorch when installed). See benchmarks/README.md."""

from tensorlite.bench.gemm import main

main()
