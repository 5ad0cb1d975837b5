"""init-compare: the 5x100 MLP trained with plain SGD on digits from std=0.01 (sigmoid), Xavier
(sigmoid) and He (ReLU) weights: training-loss curves. Deep sigmoid nets sit on a long plateau
before they learn, so quick mode uses 3 hidden layers to show the same ordering in 300 steps."""

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

NAME = "init-compare"
CONFIGS = (("std=0.01", "sigmoid"), ("xavier", "sigmoid"), ("he", "relu"))


def run(out_dir, quick=False, seed=0, mnist_root=None):
    """Train each configuration for the same steps (SGD lr 0.5, batch 100); write curves and final losses."""
    steps, depth = (300, 3) if quick else (3000, 5)
    x_train, y_train, _, _ = load_classification(mnist_root, seed)
    curves = {}
    for init, activation in CONFIGS:
        tl.manual_seed(seed)
        model = mlp(x_train.shape[1], 10, activation, init, depth=depth)
        curves[f"{init} {activation}"] = train(
            model, tl.optim.SGD(model.parameters(), lr=0.5), x_train, y_train, steps, seed=seed
        )
    window = max(1, steps // 20)
    final = {name: float(smooth(losses, window)[-1]) for name, losses in curves.items()}
    print_table(
        f"{NAME}: {depth}x100 MLP, SGD lr 0.5, {steps} steps", ("init", "final loss"), list(final.items())
    )
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, losses in curves.items():
        ax.plot(smooth(losses, window), label=name)
    ax.set(
        xlabel="step", ylabel="training loss", title=f"{depth}x100 MLP, SGD lr 0.5: initialization matters"
    )
    ax.legend()
    results = {
        "name": NAME,
        "dataset": dataset_name(mnist_root),
        "quick": quick,
        "steps": steps,
        "depth": depth,
        "final_loss": final,
        "curves": curves,
    }
    results["files"] = [save_figure(fig, out_dir, NAME), save_json(results, out_dir, NAME)]
    return results
