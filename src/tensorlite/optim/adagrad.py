"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""

from tensorlite import backend
from tensorlite.optim.optimizer import Optimizer, require_number, state_buffer, zeros_state


class Adagrad(Optimizer):
    """Adagrad, as torch.optim.Adagrad. At step t (from 1), with g the gradient (negated when maximize):

    g = g + weight_decay * p
    clr = lr / (1 + (t - 1) * lr_decay)
    s = s + g^2                                  (s starts at initial_accumulator_value)
    p = p - clr * g / (sqrt(s) + eps)
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0.0,
        weight_decay=0.0,
        initial_accumulator_value=0.0,
        eps=1e-10,
        maximize=False,
    ):
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "eps": eps,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _validate(self, group):
        require_number("Adagrad", "learning rate", group["lr"], 0.0)
        require_number("Adagrad", "lr_decay", group["lr_decay"], 0.0)
        require_number("Adagrad", "weight_decay", group["weight_decay"], 0.0)
        require_number("Adagrad", "initial_accumulator_value", group["initial_accumulator_value"], 0.0)
        require_number("Adagrad", "eps", group["eps"], 0.0, low_inclusive=False)

    def _init_state(self, param, group):
        return {"step": 0, "sum": zeros_state(param, group["initial_accumulator_value"])}

    def _update(self, param, grad, state, group):
        state["step"] += 1
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        backend.adagrad_step(
            param,
            grad,
            sum=state_buffer(state, "sum", param),
            clr=clr,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            maximize=group["maximize"],
        )
