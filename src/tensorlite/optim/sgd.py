"""Stochastic gradient descent."""

from tensorlite.optim.optimizer import Optimizer


class SGD(Optimizer):
    """Plain SGD: w <- w - lr * g."""

    def __init__(self, params, lr):
        if lr < 0:
            raise ValueError(f"SGD: invalid learning rate {lr} (must be >= 0)")
        super().__init__(params, {"lr": lr})

    def step(self):
        """Apply one update to every parameter that has a gradient."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.data -= group["lr"] * p.grad.data
