"""hyperparameter-scale: random search over the learning rate drawn uniformly vs log-uniformly in
[1e-5, 1] (momentum 1 - 10^U(-3, -1) for both): which finds the better rate in the same 25 trials."""

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

NAME = "hyperparameter-scale"
LOW, HIGH = 1e-5, 1.0
GOOD = 0.9  # a trial with at least this validation accuracy found a usable rate


def sample(draw, trials, scale):
    """(learning rates, momenta): lr ~ U(1e-5, 1) ('uniform') or 10^U(-5, 0) ('log');
    momentum = 1 - 10^U(-3, -1)."""
    if scale == "uniform":
        lrs = draw.uniform(LOW, HIGH, trials)
    else:
        lrs = 10 ** draw.uniform(np.log10(LOW), np.log10(HIGH), trials)
    return lrs, 1 - 10 ** draw.uniform(-3, -1, trials)


def run(out_dir, quick=False, seed=0, mnist_root=None):
    """Each trial trains a 2x50 ReLU MLP with SGD+momentum and scores its validation accuracy."""
    trials, steps = (6, 40) if quick else (25, 300)
    x_train, y_train, x_val, y_val = load_classification(mnist_root, seed)
    draw = tl.random.rng(tl.Generator(seed))
    searches = {}
    for scale in ("uniform", "log"):
        lrs, momenta = sample(draw, trials, scale)
        scores = []
        for lr, momentum in zip(lrs, momenta):
            tl.manual_seed(seed)
            model = mlp(x_train.shape[1], 10, "relu", "he", depth=2, width=50)
            optimizer = tl.optim.SGD(model.parameters(), lr=float(lr), momentum=float(momentum))
            losses = train(model, optimizer, x_train, y_train, steps, seed=seed)
            scores.append(accuracy(model, x_val, y_val) if np.isfinite(losses[-1]) else 0.0)
        best = int(np.argmax(scores))
        searches[scale] = {
            "lr": lrs.tolist(),
            "momentum": momenta.tolist(),
            "val_accuracy": scores,
            "best_lr": float(lrs[best]),
            "best_momentum": float(momenta[best]),
            "best_val_accuracy": scores[best],
            "fraction_below_0.1": float(np.mean(lrs < 0.1)),
            "good_trials": int(np.sum(np.asarray(scores) >= GOOD)),
        }
    rows = [
        (
            s,
            r["best_lr"],
            r["best_momentum"],
            r["best_val_accuracy"],
            r["good_trials"],
            r["fraction_below_0.1"],
        )
        for s, r in searches.items()
    ]
    print_table(
        f"{NAME}: {trials} trials each, {steps} steps per trial",
        ("sampling", "best lr", "momentum", "best val acc", f"trials >= {GOOD}", "lr < 0.1"),
        rows,
    )
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for scale, marker in (("uniform", "o"), ("log", "^")):
        ax.scatter(
            searches[scale]["lr"],
            searches[scale]["val_accuracy"],
            marker=marker,
            label=f"lr sampled {scale}",
            alpha=0.7,
        )
    ax.set(
        xscale="log",
        xlabel="learning rate",
        ylabel="validation accuracy",
        title="random search: sample the rate on a log scale",
    )
    ax.legend()
    results = {
        "name": NAME,
        "dataset": dataset_name(mnist_root),
        "quick": quick,
        "trials": trials,
        "steps": steps,
        "searches": searches,
    }
    results["files"] = [save_figure(fig, out_dir, NAME), save_json(results, out_dir, NAME)]
    return results
