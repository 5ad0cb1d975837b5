"""optimizers: SGD, Momentum, AdaGrad, RMSprop and Adam training the same 5x100 ReLU MLP on digits."""

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
    smooth,
    train,
)

NAME = "optimizers"
OPTIMIZERS = {
    "SGD lr=0.01": lambda params: tl.optim.SGD(params, lr=0.01),
    "Momentum lr=0.01 mu=0.9": lambda params: tl.optim.Momentum(params, lr=0.01, mu=0.9),
    "AdaGrad lr=0.01": lambda params: tl.optim.Adagrad(params, lr=0.01),
    "RMSprop lr=0.001": lambda params: tl.optim.RMSprop(params, lr=0.001),
    "Adam lr=0.001": lambda params: tl.optim.Adam(params, lr=0.001),
}


def run(out_dir, quick=False, seed=0, mnist_root=None):
    """Train one He-initialized model per optimizer from the same weights and batches; write the curves."""
    steps, depth = (60, 3) if quick else (2000, 5)
    x_train, y_train, x_val, y_val = load_classification(mnist_root, seed)
    curves, val_accuracy = {}, {}
    for name, make in OPTIMIZERS.items():
        tl.manual_seed(seed)
        model = mlp(x_train.shape[1], 10, "relu", "he", depth=depth)
        curves[name] = train(model, make(model.parameters()), x_train, y_train, steps, seed=seed)
        val_accuracy[name] = accuracy(model, x_val, y_val)
    window = max(1, steps // 20)
    final = {name: float(smooth(losses, window)[-1]) for name, losses in curves.items()}
    rows = [(name, final[name], val_accuracy[name]) for name in curves]
    print_table(
        f"{NAME}: {depth}x100 ReLU MLP, {steps} steps of batch 100",
        ("optimizer", "final loss", "val accuracy"),
        rows,
    )
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, losses in curves.items():
        ax.plot(smooth(losses, window), label=name)
    ax.set(
        xlabel="step", ylabel="training loss", yscale="log", title="optimizers on the same net and batches"
    )
    ax.legend()
    results = {
        "name": NAME,
        "dataset": dataset_name(mnist_root),
        "quick": quick,
        "steps": steps,
        "depth": depth,
        "final_loss": final,
        "val_accuracy": val_accuracy,
        "curves": curves,
    }
    results["files"] = [save_figure(fig, out_dir, NAME), save_json(results, out_dir, NAME)]
    return results
