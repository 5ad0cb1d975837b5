"""vanishing-gradient: the gradient norm of every layer's weights at step 0 for sigmoid and ReLU
nets initialized with std=1, Xavier and He: where the gradient dies or blows up on the way down."""

import numpy as np

import tensorlite as tl
from tensorlite import nn
from tensorlite.diagnostics import GradientMonitor
from tensorlite.experiments.common import (
    dataset_name,
    load_classification,
    mlp,
    print_table,
    pyplot,
    save_figure,
    save_json,
)

NAME = "vanishing-gradient"
CONFIGS = [(activation, init) for activation in ("sigmoid", "relu") for init in ("std=1", "xavier", "he")]


def layer_grad_norms(model, x, y):
    """||dL/dW|| of every Linear weight (input side first) after one cross-entropy backward."""
    model.zero_grad()
    nn.CrossEntropyLoss()(model(tl.tensor(x)), tl.tensor(y)).backward()
    norms = GradientMonitor(model).grad_norms()
    return [norms[name] for name, p in model.named_parameters() if name.endswith("weight")]


def run(out_dir, quick=False, seed=0, mnist_root=None):
    """One batch of 256 (quick: 64) digits through each fresh 5x100 net; write norms per layer."""
    x_train, y_train, _, _ = load_classification(mnist_root, seed)
    batch = 64 if quick else 256
    norms = {}
    for activation, init in CONFIGS:
        tl.manual_seed(seed)
        model = mlp(x_train.shape[1], 10, activation, init)
        norms[f"{activation} {init}"] = layer_grad_norms(model, x_train[:batch], y_train[:batch])
    ratios = {name: n[0] / n[-1] for name, n in norms.items()}
    rows = [(name, n[0], n[-1], ratios[name]) for name, n in norms.items()]
    print_table(
        f"{NAME}: weight-gradient norms at step 0", ("net", "first layer", "last layer", "first/last"), rows
    )
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for i, (name, n) in enumerate(norms.items()):
        ax.plot(
            np.arange(1, len(n) + 1),
            n,
            marker="o",
            linestyle="-" if "sigmoid" in name else "--",
            label=name,
            color=f"C{i}",
        )
    ax.set(
        xlabel="layer (1 = input side)",
        ylabel="||dL/dW||",
        yscale="log",
        title="gradient norm per layer at step 0",
    )
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    results = {
        "name": NAME,
        "dataset": dataset_name(mnist_root),
        "quick": quick,
        "grad_norms": norms,
        "first_last_ratio": ratios,
    }
    results["files"] = [save_figure(fig, out_dir, NAME), save_json(results, out_dir, NAME)]
    return results
