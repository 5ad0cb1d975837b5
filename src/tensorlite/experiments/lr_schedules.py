"""lr-schedules: Adam with a constant rate, per-step exponential decay (0.9995 and 0.999995) and a
single drop by 10x near the end, on the 5x100 ReLU MLP: loss curves and learning rates."""

import numpy as np

import tensorlite as tl
from tensorlite.experiments.common import (
    dataset_name,
    load_classification,
    mlp,
    print_table,
    pyplot,
    save_figure,
    save_json,
    smooth,
    train,
)
from tensorlite.optim import lr_scheduler

NAME = "lr-schedules"
DROP_AT = 0.8  # the single drop happens after this fraction of the steps


def _schedules(steps):
    return {
        "constant": lambda opt: None,
        "exponential 0.9995/step": lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.9995),
        "exponential 0.999995/step": lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.999995),
        f"drop 10x at step {int(DROP_AT * steps)}": lambda opt: lr_scheduler.MultiStepLR(
            opt, milestones=[int(DROP_AT * steps)], gamma=0.1
        ),
    }


def run(out_dir, quick=False, seed=0, mnist_root=None):
    """Train from the same weights and batches under each schedule (Adam lr 1e-3, batch 100)."""
    steps, depth = (150, 3) if quick else (3000, 5)
    x_train, y_train, _, _ = load_classification(mnist_root, seed)
    curves, final_lr = {}, {}
    for name, make in _schedules(steps).items():
        tl.manual_seed(seed)
        model = mlp(x_train.shape[1], 10, "relu", "he", depth=depth)
        optimizer = tl.optim.Adam(model.parameters(), lr=1e-3)
        curves[name] = train(model, optimizer, x_train, y_train, steps, seed=seed, scheduler=make(optimizer))
        final_lr[name] = optimizer.param_groups[0]["lr"]
    window = max(1, steps // 15)
    tail = max(1, steps - int(DROP_AT * steps))
    final = {name: float(np.mean(losses[-tail:])) for name, losses in curves.items()}
    rows = [(name, final_lr[name], final[name]) for name in curves]
    print_table(
        f"{NAME}: Adam, {steps} steps", ("schedule", "final lr", f"mean loss, last {tail} steps"), rows
    )
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, losses in curves.items():
        ax.plot(smooth(losses, window), label=name)
    ax.set(xlabel="step", ylabel="training loss", yscale="log", title="Adam under learning-rate schedules")
    ax.legend(fontsize=8)
    results = {
        "name": NAME,
        "dataset": dataset_name(mnist_root),
        "quick": quick,
        "steps": steps,
        "depth": depth,
        "final_lr": final_lr,
        "final_loss": final,
        "curves": curves,
    }
    results["files"] = [save_figure(fig, out_dir, NAME), save_json(results, out_dir, NAME)]
    return results
