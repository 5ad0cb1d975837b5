"""regularization: a 300-sample training subset of digits, where the 5x100 MLP overfits; no
regularization vs L2 weight decay vs dropout vs early stopping: train/validation accuracy and the gap."""

import numpy as np

import tensorlite as tl
from tensorlite.experiments.common import (
    accuracy,
    dataset_name,
    load_classification,
    mlp,
    print_table,
    pyplot,
    save_figure,
    save_json,
    train,
)

NAME = "regularization"
SUBSET = 300
CONFIGS = {"none": {}, "weight decay 0.1": {"weight_decay": 0.1}, "dropout 0.2": {"dropout": 0.2}}
PATIENCE = 10  # epochs without a better validation accuracy before early stopping ends the run


def _run_config(data, epochs, depth, seed, weight_decay=0.0, dropout=0.0):
    x_train, y_train, x_val, y_val = data
    tl.manual_seed(seed)
    model = mlp(x_train.shape[1], 10, "relu", "he", depth=depth, dropout=dropout)
    optimizer = tl.optim.SGD(model.parameters(), lr=0.05, weight_decay=weight_decay)
    curve = {"train": [], "val": []}

    def record(epoch):
        curve["train"].append(accuracy(model, x_train, y_train))
        curve["val"].append(accuracy(model, x_val, y_val))

    batch = 50
    train(
        model,
        optimizer,
        x_train,
        y_train,
        epochs * (SUBSET // batch) + 1,
        batch_size=batch,
        seed=seed,
        on_epoch=record,
    )
    return curve


def early_stopping_epoch(val, patience=PATIENCE):
    """The epoch (0-based) early stopping restores: the best validation accuracy before `patience`
    epochs pass without improvement."""
    best = 0
    for epoch, value in enumerate(val):
        if value > val[best]:
            best = epoch
        elif epoch - best >= patience:
            break
    return best


def run(out_dir, quick=False, seed=0, mnist_root=None):
    """Train each configuration on the subset for the same epochs; record per-epoch accuracies."""
    epochs, depth = (25, 3) if quick else (200, 5)
    x_train, y_train, x_val, y_val = load_classification(mnist_root, seed)
    keep = tl.random.rng(tl.Generator(seed)).permutation(len(x_train))[:SUBSET]
    data = (x_train[keep], y_train[keep], x_val, y_val)
    curves = {name: _run_config(data, epochs, depth, seed, **options) for name, options in CONFIGS.items()}
    stop = early_stopping_epoch(curves["none"]["val"])
    curves["early stopping"] = {k: v[: stop + 1] for k, v in curves["none"].items()}
    summary = {
        name: {"train": c["train"][-1], "val": c["val"][-1], "gap": c["train"][-1] - c["val"][-1]}
        for name, c in curves.items()
    }
    rows = [(name, s["train"], s["val"], s["gap"]) for name, s in summary.items()]
    print_table(
        f"{NAME}: {SUBSET} training samples, {epochs} epochs", ("method", "train acc", "val acc", "gap"), rows
    )
    plt = pyplot()
    fig, axes = plt.subplots(1, len(curves), figsize=(12, 3.2), sharey=True)
    for ax, (name, c) in zip(axes, curves.items()):
        epochs_axis = np.arange(1, len(c["train"]) + 1)
        ax.plot(epochs_axis, c["train"], label="train")
        ax.plot(epochs_axis, c["val"], label="validation")
        ax.set(title=f"{name}: gap {summary[name]['gap']:.2f}", xlabel="epoch")
    axes[0].set_ylabel("accuracy")
    axes[0].legend()
    results = {
        "name": NAME,
        "dataset": dataset_name(mnist_root),
        "quick": quick,
        "epochs": epochs,
        "depth": depth,
        "early_stopping_epoch": stop + 1,
        "summary": summary,
        "curves": curves,
    }
    results["files"] = [save_figure(fig, out_dir, NAME), save_json(results, out_dir, NAME)]
    return results
