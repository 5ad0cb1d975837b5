"""init-histograms: activations of a 5-layer, 100-unit MLP on 1000 standard-normal inputs for five
initializations — std=1 sigmoid saturates, std=0.01 sigmoid collapses, Xavier and He keep them spread."""

import numpy as np

import tensorlite as tl
from tensorlite.diagnostics import ActivationMonitor
from tensorlite.experiments.common import mlp, print_table, pyplot, save_figure, save_json

NAME = "init-histograms"
CONFIGS = (
    ("std=1", "sigmoid"),
    ("std=0.01", "sigmoid"),
    ("xavier", "sigmoid"),
    ("xavier", "tanh"),
    ("he", "relu"),
)
DEPTH, WIDTH = 5, 100
RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, 3.0)}


def activation_study(samples=1000, seed=0, bins=30):
    """Per configuration (init, activation) and layer: mean, std, saturated or zero fraction and a
    histogram of the activations of the 5x100 MLP on `samples` N(0, 1) inputs."""
    tl.manual_seed(seed)
    x = tl.randn(samples, WIDTH)
    study = {}
    for init, activation in CONFIGS:
        model = mlp(WIDTH, WIDTH, activation, init, depth=DEPTH, width=WIDTH, head=False)
        with ActivationMonitor(model, bins=bins, value_range=RANGES[activation]) as monitor, tl.no_grad():
            model(x)
        study[f"{init} {activation}"] = [
            {
                "mean": s.mean,
                "std": s.std,
                "saturated": s.saturated,
                "zero_fraction": s.zero_fraction,
                "hist": s.hist.tolist(),
                "bin_edges": s.bin_edges.tolist(),
            }
            for s in monitor.stats().values()
        ]
    return study


def run(out_dir, quick=False, seed=0, mnist_root=None):
    """Compute the study (500 inputs in quick mode), write init-histograms.png/.json, print a table."""
    study = activation_study(samples=500 if quick else 1000, seed=seed)
    rows = [
        (name, layers[0]["std"], layers[-1]["std"], np.mean([layer["saturated"] or 0.0 for layer in layers]))
        for name, layers in study.items()
    ]
    print_table(
        f"{NAME}: activations of a {DEPTH}x{WIDTH} MLP",
        ("init", "std layer 1", "std layer 5", "saturated"),
        rows,
    )
    plt = pyplot()
    fig, axes = plt.subplots(len(study), DEPTH, figsize=(10, 8), sharey="row")
    for row, (name, layers) in zip(axes, study.items()):
        for col, (ax, layer) in enumerate(zip(row, layers)):
            edges = np.asarray(layer["bin_edges"])
            ax.bar(edges[:-1], layer["hist"], width=np.diff(edges), align="edge", color="C0")
            ax.set_yticks([])
            ax.tick_params(labelsize=7)
            if row is axes[0]:
                ax.set_title(f"layer {col + 1}", fontsize=9)
        row[0].set_ylabel(name, fontsize=9)
    fig.suptitle("activation histograms per layer (5x100 MLP, 1000 N(0,1) inputs)", fontsize=10)
    results = {"name": NAME, "quick": quick, "study": study}
    results["files"] = [save_figure(fig, out_dir, NAME), save_json(results, out_dir, NAME)]
    return results
