"""Sanity checks before a long run: overfit one batch, and a learning-rate range test."""

import math
from collections import namedtuple
from dataclasses import dataclass
from itertools import cycle

import numpy as np

from tensorlite.diagnostics._batches import split_batch


@dataclass
class OverfitResult:
    """overfit_one_batch's result: the loss per step, whether it fell by `required_drop`, and a sentence."""

    losses: list
    passed: bool
    message: str

    def __str__(self):
        return self.message


def overfit_one_batch(model, batch, loss_fn, optimizer, steps=200, required_drop=0.9):
    """Train on one batch for `steps` steps: a sound model, loss and optimizer drive the loss to
    nearly zero. Passes when the last loss <= (1 - required_drop) x the first loss."""
    if steps < 2:
        raise ValueError(f"overfit_one_batch: steps must be >= 2, got {steps}")
    x, y = split_batch(batch)
    model.train()
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.item()))
    first, last = losses[0], losses[-1]
    drop = 1 - last / first if first > 0 and math.isfinite(last) else float("nan")
    passed = bool(drop >= required_drop)
    verdict = (
        "the model can fit one batch"
        if passed
        else "a model that cannot overfit one batch has a bug or a bad learning rate: check the labels, "
        "the loss, the output layer and the optimizer's lr"
    )
    message = f"loss fell {drop:.1%} ({first:.4g} -> {last:.4g}) in {steps} steps: {verdict}"
    return OverfitResult(losses, passed, message)


LRRangeResult = namedtuple("LRRangeResult", ["lrs", "losses", "suggested_lr"])


def lr_range_test(
    model,
    loader,
    loss_fn,
    optimizer_cls,
    start=1e-7,
    end=10,
    steps=100,
    smoothing=0.98,
    diverge=4.0,
    **opt_kwargs,
):
    """Exponential learning-rate sweep (Smith 2017): step i trains one batch at
    lr_i = start * (end / start)^(i / (steps - 1)). Losses are smoothed, s_i = beta s_{i-1} + (1 - beta) L_i,
    bias-corrected by 1 - beta^(i+1); the sweep stops once the smoothed loss exceeds `diverge` x its
    minimum or is not finite. Suggested lr: where the smoothed loss falls fastest per unit of
    log(lr), measured over windows of a tenth of the sweep before the loss minimum.

    `loader` is any iterable of (x, y) batches (cycled if shorter than `steps`); the optimizer is
    optimizer_cls(model.parameters(), lr=start, **opt_kwargs). The model's weights are restored
    afterwards. Returns (lrs, smoothed losses, suggested_lr).
    """
    if not 0 < start < end:
        raise ValueError(f"lr_range_test: need 0 < start < end, got start={start}, end={end}")
    if steps < 2:
        raise ValueError(f"lr_range_test: steps must be >= 2, got {steps}")
    saved = {k: v._array.copy() for k, v in model.state_dict().items()}
    optimizer = optimizer_cls(model.parameters(), lr=start, **opt_kwargs)
    schedule = start * (end / start) ** (np.arange(steps) / (steps - 1))
    lrs, losses = [], []
    average, best = 0.0, math.inf
    model.train()
    try:
        for i, (lr, batch) in enumerate(zip(schedule, cycle(loader))):
            for group in optimizer.param_groups:
                group["lr"] = float(lr)
            x, y = split_batch(batch)
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            value = float(loss.item())
            average = smoothing * average + (1 - smoothing) * value
            smoothed = average / (1 - smoothing ** (i + 1))
            if not math.isfinite(smoothed) or smoothed > diverge * best:
                break
            lrs.append(float(lr))
            losses.append(smoothed)
            best = min(best, smoothed)
    finally:
        model.load_state_dict(saved)
        optimizer.zero_grad()
    if len(losses) < 2:
        raise RuntimeError(f"lr_range_test: the loss diverged within two steps (lr={start})")
    return LRRangeResult(lrs, losses, _steepest_descent(lrs, losses))


def _steepest_descent(lrs, losses):
    """The lr in the middle of the window (a tenth of the sweep) over which the smoothed loss falls
    fastest per unit of log(lr), looking only before the loss minimum."""
    losses, log_lrs = np.asarray(losses), np.log(lrs)
    end = int(np.argmin(losses))
    width = max(1, len(losses) // 10)
    if end < width:
        return lrs[end]
    slopes = (losses[width : end + 1] - losses[: end + 1 - width]) / (
        log_lrs[width : end + 1] - log_lrs[: end + 1 - width]
    )
    return lrs[int(np.argmin(slopes)) + width // 2]
