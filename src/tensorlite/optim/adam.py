"""Adam and AdamW: bias-corrected first and second moment estimates."""

import math

from tensorlite import backend
from tensorlite.optim.optimizer import Optimizer, require_betas, require_number, state_buffer, zeros_state


class Adam(Optimizer):
    """Adam, as torch.optim.Adam. At step t (from 1), with g the gradient (negated when maximize):

    g = g + weight_decay * p              (L2 penalty; or p = p * (1 - lr * weight_decay) when
                                           decoupled_weight_decay, which is AdamW)
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g^2
    amsgrad: v_max = max(v_max, v) and v_max replaces v below
    p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
    """

    _name = "Adam"

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        amsgrad=False,
        maximize=False,
        decoupled_weight_decay=False,
    ):
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _validate(self, group):
        require_number(self._name, "learning rate", group["lr"], 0.0)
        require_betas(self._name, group["betas"])
        require_number(self._name, "eps", group["eps"], 0.0, low_inclusive=False)
        require_number(self._name, "weight_decay", group["weight_decay"], 0.0)

    def _init_state(self, param, group):
        state = {"step": 0, "exp_avg": zeros_state(param), "exp_avg_sq": zeros_state(param)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = zeros_state(param)
        return state

    def _update(self, param, grad, state, group):
        state["step"] += 1
        t = state["step"]
        beta1, beta2 = group["betas"]
        adam_update(param, grad, state, group, step_size=group["lr"] / (1.0 - beta1**t), bc2_t=1.0 - beta2**t)


def adam_update(param, grad, state, group, step_size, bc2_t, grad_coef=0.0):
    """The fused update shared by Adam, AdamW, AMSGrad (group["amsgrad"]) and NAdam, given the step's
    scalars: p = p * param_decay - (step_size * m + grad_coef * g) / (sqrt(v) / sqrt(bc2_t) + eps), with
    the weight decay as an L2 term in g or, when decoupled, param_decay = 1 - lr * weight_decay."""
    lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
    decoupled = group["decoupled_weight_decay"]
    backend.adam_step(
        param,
        grad,
        exp_avg=state_buffer(state, "exp_avg", param),
        exp_avg_sq=state_buffer(state, "exp_avg_sq", param),
        max_exp_avg_sq=state_buffer(state, "max_exp_avg_sq", param) if group.get("amsgrad") else None,
        beta1=beta1,
        beta2=beta2,
        eps=group["eps"],
        step_size=step_size,
        bc2_sqrt=math.sqrt(bc2_t),
        grad_coef=grad_coef,
        weight_decay=0.0 if decoupled else wd,
        param_decay=1.0 - lr * wd if decoupled else 1.0,
        maximize=group["maximize"],
    )


class AdamW(Adam):
    """AdamW, as torch.optim.AdamW: Adam with decoupled weight decay, p = p * (1 - lr * weight_decay)
    before the Adam update (default weight_decay 1e-2)."""

    _name = "AdamW"

    def __init__(
        self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, maximize=False
    ):
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )
