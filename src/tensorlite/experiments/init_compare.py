"""init-compare: the 5x100 MLP trained with plain SGD on digits from std=0.01 (sigmoid), Xavier
(sigmoid) and He (ReLU) weights: training-loss curves."""

import tensorlite as tl
from tensorlite.experiments.common import (
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
    """Train each configuration for the same steps (SGD lr 0.1, batch 100); write curves and final losses."""
    steps = 150 if quick else 2000
    x_train, y_train, _, _ = load_classification(mnist_root, seed)
    curves = {}
    for init, activation in CONFIGS:
        tl.manual_seed(seed)
        model = mlp(x_train.shape[1], 10, activation, init)
        curves[f"{init} {activation}"] = train(
            model, tl.optim.SGD(model.parameters(), lr=0.1), x_train, y_train, steps, seed=seed
        )
    window = max(1, steps // 20)
    final = {name: float(smooth(losses, window)[-1]) for name, losses in curves.items()}
    print_table(f"{NAME}: SGD lr 0.1, {steps} steps", ("init", "final loss"), list(final.items()))
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, losses in curves.items():
        ax.plot(smooth(losses, window), label=name)
    ax.set(xlabel="step", ylabel="training loss", title="5x100 MLP on digits, SGD: initialization matters")
    ax.legend()
    results = {"name": NAME, "quick": quick, "steps": steps, "final_loss": final, "curves": curves}
    results["files"] = [save_figure(fig, out_dir, NAME), save_json(results, out_dir, NAME)]
    return results
