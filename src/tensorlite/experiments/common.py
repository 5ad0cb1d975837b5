"""What the experiments share: data, the 5x100 MLP, initializations, a minimal training loop, output files."""

import io
import json
import math
import os

import numpy as np

import tensorlite as tl
from tensorlite import nn
from tensorlite.data.idx import atomic_write_bytes

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}


def init_weights(model, scheme):
    """Re-initialize every Linear of `model`: weights by `scheme` ('std=1', 'std=0.01', 'xavier' =
    xavier_normal_, 'he' = kaiming_normal_ for ReLU), biases 0."""
    for module in model.modules():
        if not isinstance(module, nn.Linear):
            continue
        if scheme.startswith("std="):
            nn.init.normal_(module.weight, 0.0, float(scheme[4:]))
        elif scheme == "xavier":
            nn.init.xavier_normal_(module.weight)
        elif scheme == "he":
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
        else:
            raise ValueError(f"unknown init scheme {scheme!r}; use std=<value>, xavier or he")
        nn.init.zeros_(module.bias)
    return model


def mlp(in_features, out_features, activation, init, depth=5, width=100, dropout=0.0, head=True):
    """depth x (Linear(width) -> activation [-> Dropout]) -> Linear(out_features); head=False drops
    the last Linear."""
    layers, fan_in = [], in_features
    for _ in range(depth):
        layers += [nn.Linear(fan_in, width), ACTIVATIONS[activation]()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        fan_in = width
    if head:
        layers.append(nn.Linear(fan_in, out_features))
    return init_weights(nn.Sequential(*layers), init)


def load_classification(mnist_root=None, seed=0):
    """Standardized (x_train, y_train, x_val, y_val): the bundled 8x8 digits split 80/20 stratified, or
    MNIST (train file split 80/20) when `mnist_root` holds its IDX files. The scaler is fit on train only."""
    if mnist_root:
        images, labels = tl.data.load_mnist(mnist_root, train=True)
    else:
        images, labels = tl.data.load_digits()
    x = images.reshape(len(images), -1).astype(np.float32)
    x_train, x_val, y_train, y_val = tl.data.train_val_test_split(
        x, labels, ratios=(0.8, 0.2), stratify=labels, seed=seed
    )
    scaler = tl.data.StandardScaler().fit(x_train)
    return scaler.transform(x_train), y_train, scaler.transform(x_val), y_val


def dataset_name(mnist_root=None):
    """'MNIST' when the experiments read MNIST from mnist_root, else 'digits'."""
    return "MNIST" if mnist_root else "digits"


def accuracy(model, x, y):
    """Fraction of rows of x whose argmax logit equals the label (eval mode, no grad)."""
    was_training = model.training
    model.eval()
    with tl.no_grad():
        predicted = np.argmax(model(tl.tensor(x)).detach().numpy(), axis=1)
    model.train(was_training)
    return float(np.mean(predicted == y))


def train(model, optimizer, x, y, steps, batch_size=100, seed=0, scheduler=None, on_epoch=None):
    """Minimal SGD loop: `steps` mini-batches of cross-entropy drawn from shuffled epochs over (x, y).

    Calls scheduler.step() after every optimizer step and on_epoch(epoch) after every full pass.
    Returns the training loss of every step (stops early, padding with nan, if the loss is not finite).
    """
    draw = tl.random.rng(tl.Generator(seed))
    loss_fn = nn.CrossEntropyLoss()
    losses, order, position, epoch = [], draw.permutation(len(x)), 0, 0
    model.train()
    for _ in range(steps):
        if position + batch_size > len(x):
            epoch += 1
            if on_epoch is not None:
                on_epoch(epoch)
            order, position = draw.permutation(len(x)), 0
        index = order[position : position + batch_size]
        position += batch_size
        optimizer.zero_grad()
        loss = loss_fn(model(tl.tensor(x[index])), tl.tensor(y[index]))
        value = float(loss.item())
        if not math.isfinite(value):
            return losses + [float("nan")] * (steps - len(losses))
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        losses.append(value)
    return losses


def smooth(values, window):
    """Bias-corrected exponential moving average with span `window` (alpha = 2 / (window + 1)):
    s_t = (1 - alpha) s_{t-1} + alpha x_t, divided by 1 - (1 - alpha)^t. The curves the figures draw."""
    decay = 1 - 2 / (window + 1)
    out, average = np.empty(len(values)), 0.0
    for t, value in enumerate(values):
        average = decay * average + (1 - decay) * value
        out[t] = average / (1 - decay ** (t + 1))
    return out


def pyplot():
    """matplotlib.pyplot on the non-interactive Agg backend, or an ImportError saying how to get it."""
    try:
        import matplotlib
    except ImportError as error:
        raise ImportError(
            "the experiments draw their figures with matplotlib: pip install 'tensorlite[plot]'"
        ) from error
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, out_dir, name):
    """Write `fig` to out_dir/name.png (atomically) and close it; returns the path."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    pyplot().close(fig)
    path = os.path.join(out_dir, f"{name}.png")
    atomic_write_bytes(path, buffer.getvalue())
    return path


def save_json(results, out_dir, name):
    """Write the experiment's numbers to out_dir/name.json (atomically); returns the path."""
    path = os.path.join(out_dir, f"{name}.json")
    atomic_write_bytes(path, json.dumps(results, indent=1).encode())
    return path


def print_table(title, header, rows):
    """Print a left-aligned text table: a title line, the header and one line per row."""
    cells = [[str(c) for c in header]] + [
        [f"{c:.4g}" if isinstance(c, float) else str(c) for c in r] for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(title)
    for i, row in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
        if i == 0:
            print("  ".join("-" * w for w in widths))
