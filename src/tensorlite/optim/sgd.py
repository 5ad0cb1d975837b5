"""Stochastic gradient descent with optional (Nesterov) momentum, PyTorch's formulation."""

from tensorlite import backend
from tensorlite.optim.optimizer import Optimizer, require_number, state_buffer


class SGD(Optimizer):
    """SGD, as torch.optim.SGD. Per step, with g the gradient (negated when maximize):

        g = g + weight_decay * p
        b = g (first step), else b = momentum * b + (1 - dampening) * g      (when momentum > 0)
        d = g + momentum * b (nesterov), else d = b                          (d = g without momentum)
        p = p - lr * d

    With a constant lr this is the same trajectory as classic momentum (`Momentum`): v = -lr * b.
    """

    def __init__(
        self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False
    ):
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _validate(self, group):
        require_number("SGD", "learning rate", group["lr"], 0.0)
        require_number("SGD", "momentum", group["momentum"], 0.0)
        require_number("SGD", "dampening", group["dampening"])
        require_number("SGD", "weight_decay", group["weight_decay"], 0.0)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"SGD: Nesterov momentum requires momentum > 0 and zero dampening, got momentum="
                f"{group['momentum']!r}, dampening={group['dampening']!r}"
            )

    def _update(self, param, grad, state, group):
        buffer, first = None, False
        if group["momentum"] != 0:
            first = state.get("momentum_buffer") is None
            buffer = state_buffer(state, "momentum_buffer", param)
        backend.sgd_step(
            param,
            grad,
            lr=group["lr"],
            momentum_buffer=buffer,
            momentum=group["momentum"],
            dampening=group["dampening"],
            weight_decay=group["weight_decay"],
            nesterov=group["nesterov"],
            maximize=group["maximize"],
            first_step=first,
        )
