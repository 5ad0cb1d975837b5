"""Batch-norm benchmark: tensorlite vs NumPy (and PyTorch when installed)."""

from tensorlite.bench.batchnorm import main

main()
