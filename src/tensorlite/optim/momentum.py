"""Classic (Polyak) momentum written with a velocity."""

from tensorlite import backend
from tensorlite.optim.optimizer import Optimizer, require_number, state_buffer, zeros_state


class Momentum(Optimizer):
    """Classic momentum:  v = mu * v - lr * g;  p = p + v  (v starts at 0).

    With a constant learning rate this is exactly PyTorch's SGD(momentum=mu) trajectory, since by
    induction v_t = -lr * b_t where b_t = mu * b_{t-1} + g_t; the two differ only when lr changes
    during training (here past velocity keeps the old lr, there it is rescaled by the new one).
    """

    def __init__(self, params, lr=1e-3, mu=0.9):
        super().__init__(params, {"lr": lr, "mu": mu})

    def _validate(self, group):
        require_number("Momentum", "learning rate", group["lr"], 0.0)
        require_number("Momentum", "mu", group["mu"], 0.0)

    def _init_state(self, param, group):
        return {"velocity": zeros_state(param)}

    def _update(self, param, grad, state, group):
        velocity = state_buffer(state, "velocity", param)
        backend.momentum_step(param, grad, velocity=velocity, lr=group["lr"], mu=group["mu"])
