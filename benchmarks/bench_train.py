"""Training-step benchmark: small nets' whole steps and forward passes, tensorlite vs PyTorch (see
tensorlite.bench.train)."""

from tensorlite.bench.train import main

main()
