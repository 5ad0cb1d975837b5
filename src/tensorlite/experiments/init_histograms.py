"""init-histograms: activations of a 5-layer, 100-unit MLP on 1000 standard-normal inputs for five
initializations — std=1 sigmoid saturates, std=0.01 sigmoid collapses, Xavier and He keep them spread.
The activations come from tl.experiments.init_study; this experiment adds histograms, saturation and the figure."""

import numpy as np

from tensorlite.diagnostics import activation_stats
from tensorlite.experiments.common import print_table, pyplot, save_figure, save_json
from tensorlite.experiments.init_study import CLASSIC_CASES, activation_study

NAME = "init-histograms"
LAYER_KINDS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU"}
RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, 3.0)}


def histogram_study(samples=1000, seed=0, bins=30):
    """Per case of CLASSIC_CASES and layer: mean, std, saturated (sigmoid/tanh) or zero (ReLU) fraction
    and a `bins`-bin histogram of the 5x100 net's activations on `samples` N(0, 1) inputs."""
    study = {}
    for (label, _, activation), result in zip(
        CLASSIC_CASES, activation_study(seed=seed, num_samples=samples)
    ):
        layers = []
        for values in result.activations:
            s = activation_stats(values, LAYER_KINDS[activation], bins=bins, value_range=RANGES[activation])
            layers.append(
                {
                    "mean": s.mean,
                    "std": s.std,
                    "saturated": s.saturated,
                    "zero_fraction": s.zero_fraction,
                    "hist": s.hist.tolist(),
                    "bin_edges": s.bin_edges.tolist(),
                }
            )
        study[label] = layers
    return study


def run(out_dir, quick=False, seed=0, mnist_root=None):
    """Compute the study (500 inputs in quick mode), write init-histograms.png/.json, print a table."""
    study = histogram_study(samples=500 if quick else 1000, seed=seed)
    rows = [
        (
            name,
            layers[0]["std"],
            layers[-1]["std"],
            float(np.mean([layer["saturated"] or 0.0 for layer in layers])),
        )
        for name, layers in study.items()
    ]
    print_table(
        f"{NAME}: activations of a 5x100 MLP", ("init", "std layer 1", "std layer 5", "saturated"), rows
    )
    plt = pyplot()
    depth = len(next(iter(study.values())))
    fig, axes = plt.subplots(len(study), depth, figsize=(10, 8), sharey="row")
    for row, (name, layers) in zip(axes, study.items()):
        for col, (ax, layer) in enumerate(zip(row, layers)):
            edges = np.asarray(layer["bin_edges"])
            ax.bar(edges[:-1], layer["hist"], width=np.diff(edges), align="edge", color="C0")
            ax.set_yticks([])
            ax.tick_params(labelsize=7)
            if row is axes[0]:
                ax.set_title(f"layer {col + 1}", fontsize=9)
        row[0].set_ylabel(name, fontsize=9)
    fig.suptitle("activation histograms per layer (5x100 MLP, N(0,1) inputs)", fontsize=10)
    results = {"name": NAME, "quick": quick, "study": study}
    results["files"] = [save_figure(fig, out_dir, NAME), save_json(results, out_dir, NAME)]
    return results
