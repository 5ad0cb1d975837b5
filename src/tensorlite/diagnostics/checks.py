"""dead_units and check_model: one look at a model that tells what the rules of thumb say about it."""

import math
from dataclasses import dataclass, field

import numpy as np

from tensorlite.autograd.grad_mode import no_grad
from tensorlite.diagnostics._batches import split_batch
from tensorlite.diagnostics._layers import (
    ACTIVATIONS,
    RECTIFIERS,
    SATURATING,
    SATURATION_TOLERANCE,
    kind_of,
    leaf_modules,
    select_layers,
    unit_axes,
)
from tensorlite.diagnostics.gradients import GradientMonitor, flag_ratio

SATURATED_WARN = 0.2  # fraction of saturated sigmoid/tanh outputs worth a warning
COLLAPSED_STD = 0.02  # sigmoid/tanh outputs with a smaller std carry almost no signal
DEAD_WARN = 0.1  # fraction of dead ReLU units worth a warning


def dead_units(model, loader, layers=None):
    """ReLU units that output exactly zero for every sample of every batch in `loader`.

    A unit is a feature of an (N, F) output or a channel of an (N, C, ...) output. `loader` is any
    iterable of (x, y) batches or of inputs; the model runs in eval mode without gradients (its mode
    is restored). Returns {layer name: boolean array over units, True where dead}; by default every
    ReLU layer is examined.
    """
    chosen = [
        (n, m) for n, m in select_layers(model, layers) if layers is not None or kind_of(m) in RECTIFIERS
    ]
    alive = {}
    handles = []
    for name, module in chosen:

        def hook(module, inputs, output, name=name):
            out = np.asarray(output._array)
            seen = np.any(out != 0, axis=unit_axes(out))
            alive[name] = seen if name not in alive else alive[name] | seen

        handles.append(module.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            for batch in loader:
                model(split_batch(batch)[0])
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return {name: ~alive[name] for name, _ in chosen if name in alive}


@dataclass
class _LayerRecord:
    name: str
    module: object
    output: np.ndarray


@dataclass
class ModelReport:
    """check_model's result: one line per layer, the advice, and the loss; str() gives the report."""

    lines: list
    advice: list
    loss: float
    details: dict = field(default_factory=dict)

    @property
    def ok(self):
        """True when no advice was given."""
        return not self.advice

    def __str__(self):
        advice = [f"  ! {a}" for a in self.advice] or ["  no problems found"]
        return "\n".join(["model check", *self.lines, f"loss {self.loss:.4g}", "advice:", *advice])


def _is_cross_entropy(loss_fn):
    return getattr(loss_fn, "__name__", kind_of(loss_fn)) in ("CrossEntropyLoss", "cross_entropy")


def _std(array):
    return float(np.std(array)) if array.size else float("nan")


def check_model(model, batch, loss_fn):
    """One forward and backward pass on `batch` = (x, y) and a plain-text report: a line per layer
    (output mean/std, weight std, grad norm) and advice from established practice:
    saturated Sigmoid/Tanh outputs (> 20% within 1e-2 of a bound), collapsed ones (std < 0.02), dead
    ReLU units (> 10% zero for the whole batch) and a negative bias before them, an activation on the
    output layer before CrossEntropyLoss, unstandardized inputs (|mean| > 1 or std outside [0.1, 5]),
    an initial cross-entropy above 2 log(C), vanishing (< 1e-3) or exploding (> 1e3) first/last layer
    gradient ratio, and a non-finite loss. Parameter gradients are left as computed (zero them after).
    """
    x, y = split_batch(batch)
    records = []
    handles = []
    for name, module in leaf_modules(model):

        def hook(module, inputs, output, name=name):
            records.append(_LayerRecord(name, module, np.asarray(output._array)))

        handles.append(module.register_forward_hook(hook))
    monitor = GradientMonitor(model)
    try:
        for p in model.parameters():
            p.grad = None
        loss = loss_fn(model(x), y)
        loss.backward()
    finally:
        for handle in handles:
            handle.remove()
    loss_value = float(loss.item())
    norms = monitor.grad_norms()
    lines, advice = [], []
    _check_inputs(np.asarray(x._array), advice)
    previous = None  # the last layer with parameters, whose weights feed the next activation
    for rec in records:
        kind = kind_of(rec.module)
        params = dict(rec.module.named_parameters())
        text = f"layer {rec.name} ({kind}): out mean {np.mean(rec.output):.3g} std {_std(rec.output):.3g}"
        if "weight" in params:
            grad = norms.get(f"{rec.name}.weight")
            text += f"; weight std {_std(params['weight']._array):.3g}"
            text += f"; grad norm {grad:.3g}" if grad is not None else ""
            previous = rec.module
        lines.append(text)
        _check_activation(rec, kind, previous, advice)
    if records and _is_cross_entropy(loss_fn) and kind_of(records[-1].module) in ACTIVATIONS:
        advice.append(
            f"output layer has an activation ({kind_of(records[-1].module)}) before CrossEntropyLoss — "
            "CrossEntropyLoss applies log-softmax itself: feed it the raw logits of the last Linear layer"
        )
    _check_loss(loss_value, records, loss_fn, advice)
    ratio = monitor.first_last_ratio(norms)
    flag = flag_ratio(ratio)
    if flag:
        remedy = (
            "use ReLU with kaiming_normal_ (or xavier_normal_ for sigmoid/tanh), or add BatchNorm"
            if flag == "vanishing"
            else "lower the learning rate, scale the initial weights down or clip gradients (clip_grad_norm_)"
        )
        advice.append(
            f"{flag} gradients: the first layer's weight gradient norm is {ratio:.2g} x the last layer's "
            f"({monitor.first} vs {monitor.last}) — {remedy}"
        )
    return ModelReport(lines, advice, loss_value, {"grad_norms": norms, "first_last_ratio": ratio})


def _check_inputs(x, advice):
    if x.dtype.kind != "f" or not x.size:
        return
    mean, std = float(np.mean(x)), float(np.std(x))
    if abs(mean) > 1 or not 0.1 <= std <= 5:
        advice.append(f"inputs not standardized (mean {mean:.3g}, std {std:.3g}) — use StandardScaler")


def _weight_std(module):
    weight = dict(module.named_parameters()).get("weight") if module is not None else None
    return _std(weight._array) if weight is not None else float("nan")


def _check_activation(rec, kind, previous, advice):
    out = rec.output
    if not out.size:
        return
    label = f"layer {rec.name} ({kind})"
    if kind in SATURATING:
        low, high = SATURATING[kind]
        saturated = float(np.mean((out < low + SATURATION_TOLERANCE) | (out > high - SATURATION_TOLERANCE)))
        if saturated > SATURATED_WARN:
            advice.append(
                f"{label}: {saturated:.0%} of outputs saturated; weights std {_weight_std(previous):.2g} — "
                "use xavier_normal_ or switch to ReLU with kaiming_normal_"
            )
        elif _std(out) < COLLAPSED_STD and out.shape[0] > 1:
            advice.append(
                f"{label}: outputs nearly constant (std {_std(out):.2g}); weights std "
                f"{_weight_std(previous):.2g} is too small — use xavier_normal_"
            )
    if kind in RECTIFIERS:
        dead = float(np.mean(~np.any(out != 0, axis=unit_axes(out))))
        if dead > DEAD_WARN:
            bias = dict(previous.named_parameters()).get("bias") if previous is not None else None
            if bias is not None and float(np.mean(bias._array)) < 0:
                advice.append(
                    f"{label}: bias of ReLU layer is negative: {dead:.0%} dead units — try bias_init=0.01"
                )
            else:
                advice.append(
                    f"{label}: {dead:.0%} dead units (zero for the whole batch) — use kaiming_normal_, "
                    "a lower learning rate or LeakyReLU"
                )


def _check_loss(loss_value, records, loss_fn, advice):
    if not math.isfinite(loss_value):
        advice.append(
            f"loss is {loss_value} — run the step under tl.autograd.detect_anomaly() to find the op"
        )
        return
    if not records or not _is_cross_entropy(loss_fn):
        return
    classes = records[-1].output.shape[-1]
    if classes > 1 and loss_value > 2 * math.log(classes):
        advice.append(
            f"initial loss {loss_value:.3g} is far above log({classes}) = {math.log(classes):.3g}, "
            "the loss of an untrained classifier — the output layer's weights are too large: "
            "scale them down"
        )
