"""RMSprop: gradients scaled by a running root-mean-square."""

from tensorlite import backend
from tensorlite.optim.optimizer import Optimizer, require_number, state_buffer, zeros_state


class RMSprop(Optimizer):
    """RMSprop, as torch.optim.RMSprop. Per step, with g the gradient (negated when maximize):

    g = g + weight_decay * p
    a = alpha * a + (1 - alpha) * g^2
    centered:  ga = alpha * ga + (1 - alpha) * g;  d = sqrt(a - ga^2) + eps
    else:      d = sqrt(a) + eps
    momentum > 0:  b = momentum * b + g / d;  p = p - lr * b
    else:          p = p - lr * g / d
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0.0,
        momentum=0.0,
        centered=False,
        maximize=False,
    ):
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _validate(self, group):
        require_number("RMSprop", "learning rate", group["lr"], 0.0)
        require_number("RMSprop", "alpha", group["alpha"], 0.0, 1.0)
        require_number("RMSprop", "eps", group["eps"], 0.0, low_inclusive=False)
        require_number("RMSprop", "weight_decay", group["weight_decay"], 0.0)
        require_number("RMSprop", "momentum", group["momentum"], 0.0)

    def _init_state(self, param, group):
        return {"step": 0, "square_avg": zeros_state(param)}

    def _update(self, param, grad, state, group):
        state["step"] += 1
        grad_avg = buffer = None
        if group["centered"]:
            grad_avg = state_buffer(state, "grad_avg", param)
        if group["momentum"] > 0:
            buffer = state_buffer(state, "momentum_buffer", param)
        backend.rmsprop_step(
            param,
            grad,
            square_avg=state_buffer(state, "square_avg", param),
            lr=group["lr"],
            alpha=group["alpha"],
            eps=group["eps"],
            grad_avg=grad_avg,
            momentum_buffer=buffer,
            momentum=group["momentum"],
            weight_decay=group["weight_decay"],
            maximize=group["maximize"],
        )
