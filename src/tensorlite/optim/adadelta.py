"""Adadelta: unit-corrected updates from running averages of squared gradients and updates."""

from tensorlite import backend
from tensorlite.optim.optimizer import Optimizer, require_number, state_buffer, zeros_state


class Adadelta(Optimizer):
    """Adadelta, as torch.optim.Adadelta. Per step, with g the gradient (negated when maximize):

    g = g + weight_decay * p
    a = rho * a + (1 - rho) * g^2
    u = sqrt(acc + eps) / sqrt(a + eps) * g
    acc = rho * acc + (1 - rho) * u^2
    p = p - lr * u
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
        super().__init__(
            params, {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize}
        )

    def _validate(self, group):
        require_number("Adadelta", "learning rate", group["lr"], 0.0)
        require_number("Adadelta", "rho", group["rho"], 0.0, 1.0)
        require_number("Adadelta", "eps", group["eps"], 0.0, low_inclusive=False)
        require_number("Adadelta", "weight_decay", group["weight_decay"], 0.0)

    def _init_state(self, param, group):
        return {"step": 0, "square_avg": zeros_state(param), "acc_delta": zeros_state(param)}

    def _update(self, param, grad, state, group):
        state["step"] += 1
        backend.adadelta_step(
            param,
            grad,
            square_avg=state_buffer(state, "square_avg", param),
            acc_delta=state_buffer(state, "acc_delta", param),
            lr=group["lr"],
            rho=group["rho"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            maximize=group["maximize"],
        )
