"""Optimizer-step benchmark: tensorlite fused kernels vs NumPy and torch.optim (foreach, fused)."""

from tensorlite.bench.optim import main

main()
