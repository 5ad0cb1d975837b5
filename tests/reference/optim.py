"""Float64 NumPy references of the optimizer updates, written from PyTorch's documented algorithms.

Each function takes the parameter p and gradient g (float64 arrays), a state dict it updates (empty
before the first step) and the hyperparameters of one param group, and returns the new parameter.
"""

import numpy as np


def _grad(p, g, weight_decay, maximize):
    g = -g if maximize else g
    return g + weight_decay * p if weight_decay else g


def sgd(p, g, state, lr, momentum, dampening, weight_decay, nesterov, maximize):
    g = _grad(p, g, weight_decay, maximize)
    if momentum:
        if "b" not in state:
            state["b"] = g.copy()
        else:
            state["b"] = momentum * state["b"] + (1 - dampening) * g
        g = g + momentum * state["b"] if nesterov else state["b"]
    return p - lr * g


def momentum(p, g, state, lr, mu):
    state["v"] = mu * state.get("v", 0.0) - lr * g
    return p + state["v"]


def adagrad(p, g, state, lr, lr_decay, weight_decay, initial_accumulator_value, eps, maximize):
    state["t"] = state.get("t", 0) + 1
    g = _grad(p, g, weight_decay, maximize)
    clr = lr / (1 + (state["t"] - 1) * lr_decay)
    state["s"] = state.get("s", np.full_like(p, initial_accumulator_value)) + g * g
    return p - clr * g / (np.sqrt(state["s"]) + eps)


def rmsprop(p, g, state, lr, alpha, eps, weight_decay, momentum, centered, maximize):
    g = _grad(p, g, weight_decay, maximize)
    state["a"] = alpha * state.get("a", 0.0) + (1 - alpha) * g * g
    avg = state["a"]
    if centered:
        state["ga"] = alpha * state.get("ga", 0.0) + (1 - alpha) * g
        avg = avg - state["ga"] ** 2
    denom = np.sqrt(avg) + eps
    if momentum > 0:
        state["b"] = momentum * state.get("b", 0.0) + g / denom
        return p - lr * state["b"]
    return p - lr * g / denom


def adam(p, g, state, lr, betas, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay):
    beta1, beta2 = betas
    t = state["t"] = state.get("t", 0) + 1
    if decoupled_weight_decay:
        p = p * (1 - lr * weight_decay)
        g = _grad(p, g, 0.0, maximize)
    else:
        g = _grad(p, g, weight_decay, maximize)
    state["m"] = beta1 * state.get("m", 0.0) + (1 - beta1) * g
    state["v"] = beta2 * state.get("v", 0.0) + (1 - beta2) * g * g
    v = state["v"]
    if amsgrad:
        v = state["vmax"] = np.maximum(state.get("vmax", 0.0), v)
    m_hat = state["m"] / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps)


def nadam(p, g, state, lr, betas, eps, weight_decay, momentum_decay, decoupled_weight_decay, maximize):
    beta1, beta2 = betas
    t = state["t"] = state.get("t", 0) + 1
    if decoupled_weight_decay:
        p = p * (1 - lr * weight_decay)
        g = _grad(p, g, 0.0, maximize)
    else:
        g = _grad(p, g, weight_decay, maximize)
    mu = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    state["prod"] = state.get("prod", 1.0) * mu
    state["m"] = beta1 * state.get("m", 0.0) + (1 - beta1) * g
    state["v"] = beta2 * state.get("v", 0.0) + (1 - beta2) * g * g
    denom = np.sqrt(state["v"] / (1 - beta2**t)) + eps
    p = p - lr * (1 - mu) / (1 - state["prod"]) * g / denom
    return p - lr * mu_next / (1 - state["prod"] * mu_next) * state["m"] / denom


def adadelta(p, g, state, lr, rho, eps, weight_decay, maximize):
    g = _grad(p, g, weight_decay, maximize)
    state["a"] = rho * state.get("a", 0.0) + (1 - rho) * g * g
    delta = np.sqrt(state.get("acc", 0.0) + eps) / np.sqrt(state["a"] + eps) * g
    state["acc"] = rho * state.get("acc", 0.0) + (1 - rho) * delta * delta
    return p - lr * delta
