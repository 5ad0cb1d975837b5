"""bias-variance: the guides' diagnose-and-cure loop on the 8x8 digits, with tl.diagnostics.bias_variance.

A net with a 2-unit hidden layer cannot fit even its training set (high bias); a bigger net cures it.
The bigger net trained on 100 images fits them perfectly but fails on the dev set (high variance).
Data augmentation (half of the images shifted by one pixel, a new draw every epoch, done here in NumPy
on the 8x8 images) plus weight decay, trained twice as long, does not narrow that gap on these tiny
images (docs/experiments.md has the numbers); the guides' first remedy, more data (the bigger net on
all training images), is what closes it.
Errors are measured after training, in eval mode, on the whole (unaugmented) training set and on the
dev set, and averaged over several random 100-image subsets; human-level error is taken as 0.
"""

import numpy as np

import tensorlite as tl
from tensorlite import nn
from tensorlite.data import DataLoader, Dataset, TensorDataset
from tensorlite.diagnostics import bias_variance
from tensorlite.experiments.common import print_table, pyplot, save_figure, save_json
from tensorlite.train import evaluate, fit

NAME = "bias-variance"
SMALL_SUBSET = 100
BIG = (128, 128)
CASES = {
    "2-unit net": {"hidden": (2,)},
    "bigger net": {"hidden": BIG},
    f"{SMALL_SUBSET} images": {"hidden": BIG, "subset": SMALL_SUBSET},
    f"{SMALL_SUBSET} images + shifts + decay": {
        "hidden": BIG,
        "subset": SMALL_SUBSET,
        "augment": True,
        "weight_decay": 0.1,
    },
}
TOLERANCE = 0.05  # one dev image is 0.28% of 360; a well-fit MLP still leaves a 3-4 point gap on digits
SHIFT_PROBABILITY = 0.5  # shifting every image by a whole pixel (1/8 of it) distorts too much


def shift_image(image, dy, dx):
    """`image` (H, W) moved by dy rows and dx columns (|dy|, |dx| <= 1), the uncovered border zero."""
    padded = np.pad(image, 1)
    height, width = image.shape
    return padded[1 - dy : 1 - dy + height, 1 - dx : 1 - dx + width]


class ShiftedDigits(Dataset):
    """Digits, flattened, of which each access is shifted with probability 1/2 by a random (dy, dx)
    in {-1, 0, 1}^2 (drawn from `generator`): a new version of the training set every epoch."""

    def __init__(self, images, labels, generator):
        self.images, self.labels, self.generator = images, labels, generator

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        draw = tl.random.rng(self.generator)
        dy, dx = draw.integers(-1, 2, size=2) if draw.random() < SHIFT_PROBABILITY else (0, 0)
        return shift_image(self.images[index], int(dy), int(dx)).reshape(-1), self.labels[index]


def load_images(seed):
    """(train images, train labels, dev images, dev labels): digits scaled to [0, 1], 80/20 stratified."""
    images, labels = tl.data.load_digits()
    images = images.astype(np.float32) / 16
    x_train, x_dev, y_train, y_dev = tl.data.train_val_test_split(
        images, labels, ratios=(0.8, 0.2), stratify=labels, seed=seed
    )
    return x_train, y_train, x_dev, y_dev


def mlp(hidden):
    layers, fan_in = [], 64
    for width in hidden:
        layers += [nn.Linear(fan_in, width), nn.ReLU()]
        fan_in = width
    return nn.Sequential(*layers, nn.Linear(fan_in, 10))


def _error(model, images, labels):
    loader = DataLoader(TensorDataset(images.reshape(len(images), -1), labels), batch_size=512)
    return 1.0 - evaluate(model, loader)["accuracy"]


def run_case(data, epochs, seed, hidden, subset=None, augment=False, weight_decay=0.0):
    """Train one case with AdamW (lr 3e-3, batch 32); returns (train error, dev error)."""
    x_train, y_train, x_dev, y_dev = data
    if subset is not None:
        keep = tl.random.rng(tl.Generator(seed)).permutation(len(x_train))[:subset]
        x_train, y_train = x_train[keep], y_train[keep]
    tl.manual_seed(seed)
    model = mlp(hidden)
    generator = tl.Generator(seed)
    dataset = (
        ShiftedDigits(x_train, y_train, generator)
        if augment
        else TensorDataset(x_train.reshape(len(x_train), -1), y_train)
    )
    loader = DataLoader(dataset, batch_size=32, shuffle=True, generator=generator)
    optimizer = tl.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=weight_decay)
    fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs, progress=False, report=False)
    return _error(model, x_train, y_train), _error(model, x_dev, y_dev)


def run(out_dir, quick=False, seed=0, mnist_root=None):
    """Train the four cases (the 100-image ones on 4 subsets, 1 when quick), diagnose each with
    bias_variance(tolerance=0.05), draw train/dev error bars per case."""
    if mnist_root:
        print(f"{NAME}: runs on the bundled 8x8 digits (its augmentation shifts 8x8 images); MNIST not used")
    epochs = {"full": 20, "small": 150} if not quick else {"full": 8, "small": 60}
    subsets = 1 if quick else 4
    data = load_images(seed)
    cases = {}
    for name, options in CASES.items():
        budget = epochs["small" if options.get("subset") else "full"] * (2 if options.get("augment") else 1)
        draws = range(seed, seed + subsets) if options.get("subset") else [seed]
        errors = np.mean([run_case(data, budget, s, **options) for s in draws], axis=0)
        report = bias_variance(float(errors[0]), float(errors[1]), tolerance=TOLERANCE)
        cases[name] = {
            "epochs": budget,
            "runs": len(draws),
            "train_error": report.train_error,
            "dev_error": report.dev_error,
            "avoidable_bias": report.avoidable_bias,
            "variance": report.variance,
            "diagnosis": report.diagnosis,
            "report": str(report),
        }
        print(f"{name} ({len(draws)} run(s), {budget} epochs):\n{report}\n")
    rows = [(n, c["train_error"], c["dev_error"], c["diagnosis"]) for n, c in cases.items()]
    print_table(
        f"{NAME}: digits, human error taken as 0", ("case", "train err", "dev err", "diagnosis"), rows
    )
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9, 3.6))
    positions = np.arange(len(cases))
    ax.bar(positions - 0.2, [c["train_error"] for c in cases.values()], 0.4, label="train error")
    ax.bar(positions + 0.2, [c["dev_error"] for c in cases.values()], 0.4, label="dev error")
    ax.set_xticks(positions, [f"{n}\n{c['diagnosis']}" for n, c in cases.items()], fontsize=8)
    ax.set(ylabel="error (1 - accuracy)", title="bias and variance on digits: diagnose, then cure")
    ax.legend()
    results = {
        "name": NAME,
        "dataset": "digits",
        "quick": quick,
        "seed": seed,
        "tolerance": TOLERANCE,
        "cases": cases,
    }
    results["files"] = [save_figure(fig, out_dir, NAME), save_json(results, out_dir, NAME)]
    return results
