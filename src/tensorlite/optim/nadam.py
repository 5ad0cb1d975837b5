"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule."""

from tensorlite.optim.adam import adam_update
from tensorlite.optim.optimizer import Optimizer, require_betas, require_number, zeros_state


class NAdam(Optimizer):
    """NAdam, as torch.optim.NAdam. At step t (from 1), with g the gradient (negated when maximize):

    g = g + weight_decay * p        (or p = p * (1 - lr * weight_decay) when decoupled_weight_decay)
    mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay)),  P_t = mu_1 * ... * mu_t
    m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g^2
    d = sqrt(v) / sqrt(1 - beta2^t) + eps
    p = p - lr * (1 - mu_t) / (1 - P_t) * g / d - lr * mu_{t+1} / (1 - P_t * mu_{t+1}) * m / d
    """

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        momentum_decay=4e-3,
        decoupled_weight_decay=False,
        maximize=False,
    ):
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _validate(self, group):
        require_number("NAdam", "learning rate", group["lr"], 0.0)
        require_betas("NAdam", group["betas"])
        require_number("NAdam", "eps", group["eps"], 0.0, low_inclusive=False)
        require_number("NAdam", "weight_decay", group["weight_decay"], 0.0)
        require_number("NAdam", "momentum_decay", group["momentum_decay"], 0.0)

    def _init_state(self, param, group):
        return {"step": 0, "mu_product": 1.0, "exp_avg": zeros_state(param), "exp_avg_sq": zeros_state(param)}

    def _update(self, param, grad, state, group):
        state["step"] += 1
        t = state["step"]
        lr, (beta1, beta2), decay = group["lr"], group["betas"], group["momentum_decay"]
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * decay))
        state["mu_product"] *= mu
        product = state["mu_product"]
        adam_update(
            param,
            grad,
            state,
            group,
            step_size=lr * mu_next / (1.0 - product * mu_next),
            bc2_t=1.0 - beta2**t,
            grad_coef=lr * (1.0 - mu) / (1.0 - product),
        )
