"""bias-variance: the guides' diagnose-and-cure loop on the 8x8 digits, with tl.diagnostics.bias_variance.

A net with a 2-unit hidden layer cannot fit even its training set (high bias); a bigger net (two 128-unit
layers) on all 1437 training images cures it. The bigger net on 100 images fits them perfectly but fails
on the dev set (high variance). The guides' remedies for that other than more data are then tried on the
same 100-image subsets: augmentation with tl.data.transforms at several strengths (a fresh random draw
of every batch, every epoch), AdamW weight decay, dropout, a smaller net, and combinations. The one kept
is the one with the lowest error on a validation split carved out of the training images, never the dev
set that is reported; the report then says whether it cured the variance or only reduced it, next to
the first remedy, more data (the bigger net on all 1437 images).
Errors are measured after training, in eval mode, on the whole unaugmented training subset, on the
validation split and on the dev set, averaged over several random 100-image subsets; human error is 0.
"""

import numpy as np

import tensorlite as tl
from tensorlite import nn
from tensorlite.data import DataLoader, TensorDataset, default_collate
from tensorlite.data import transforms as T
from tensorlite.diagnostics import bias_variance
from tensorlite.experiments.common import print_table, pyplot, save_figure, save_json
from tensorlite.train import evaluate, fit

NAME = "bias-variance"
SMALL_SUBSET = 100
BIG = (128, 128)
TOLERANCE = 0.05  # one dev image is 0.28% of 360; a well-fit MLP still leaves a 3-4 point gap on digits
EPOCHS = {"full": 20, "small": 150, "augmented": 600}  # augmentation shows new images: it needs longer
QUICK_EPOCHS = {"full": 8, "small": 60, "augmented": 120}
# Augmentation strengths for 8x8 digits (one pixel is 1/8 of the image): translate 0.1 moves by at most
# round(0.8) = 1 pixel; elastic alpha 4 with sigma 1 displaces by under a pixel, alpha 8 by about one.
AFFINE = {"degrees": 12, "translate": (0.1, 0.1), "scale": (0.9, 1.1)}
AUGMENTATIONS = {
    "affine": [("affine", AFFINE)],
    "weak affine": [("affine", {"degrees": 8, "scale": (0.95, 1.05)})],
    "elastic": [("elastic", {"alpha": 4.0, "sigma": 1.0})],
    "strong elastic": [("elastic", {"alpha": 8.0, "sigma": 1.0})],
    "affine + elastic": [("affine", AFFINE), ("elastic", {"alpha": 4.0, "sigma": 1.0})],
}
# The high-variance remedies tried on the 100-image subsets (the bigger net unless "hidden" says otherwise).
REMEDIES = {
    "none": {},
    "weight decay 0.1": {"weight_decay": 0.1},
    "weight decay 1": {"weight_decay": 1.0},
    "dropout 0.3": {"dropout": 0.3},
    "smaller net (64)": {"hidden": (64,)},
    "weak affine": {"augment": "weak affine"},
    "affine": {"augment": "affine"},
    "elastic": {"augment": "elastic"},
    "strong elastic": {"augment": "strong elastic"},
    "affine + elastic": {"augment": "affine + elastic"},
    "elastic + weight decay 0.1": {"augment": "elastic", "weight_decay": 0.1},
    "elastic + dropout 0.3": {"augment": "elastic", "dropout": 0.3},
}
QUICK_REMEDIES = ("none", "weight decay 0.1", "elastic", "elastic + weight decay 0.1")


def load_images(seed):
    """Digits scaled to [0, 1] as (N, 1, 8, 8): train/dev split 80/20 stratified, and the train part
    split again 80/20 into the pool the small subsets are drawn from and the validation split."""
    images, labels = tl.data.load_digits()
    images = (images.astype(np.float32) / 16).reshape(-1, 1, 8, 8)
    x_train, x_dev, y_train, y_dev = tl.data.train_val_test_split(
        images, labels, ratios=(0.8, 0.2), stratify=labels, seed=seed
    )
    x_pool, x_val, y_pool, y_val = tl.data.train_val_test_split(
        x_train, y_train, ratios=(0.8, 0.2), stratify=y_train, seed=seed
    )
    return {
        "train": (x_train, y_train),
        "dev": (x_dev, y_dev),
        "pool": (x_pool, y_pool),
        "val": (x_val, y_val),
    }


def mlp(hidden, dropout=0.0):
    """Flatten -> (Linear -> ReLU [-> Dropout]) per hidden width -> Linear(10)."""
    layers, fan_in = [nn.Flatten()], 64
    for width in hidden:
        layers += [nn.Linear(fan_in, width), nn.ReLU()] + ([nn.Dropout(dropout)] if dropout else [])
        fan_in = width
    return nn.Sequential(*layers, nn.Linear(fan_in, 10))


def augmentation(name, generator):
    """The tl.data.transforms pipeline AUGMENTATIONS[name], resampling bilinearly, drawing from `generator`."""
    steps = []
    for kind, options in AUGMENTATIONS[name]:
        if kind == "affine":
            steps.append(T.RandomAffine(**options, interpolation="bilinear", generator=generator))
        else:
            steps.append(T.ElasticTransform(**options, generator=generator))
    return T.Compose(steps)


def augmenting_collate(transform):
    """default_collate, then `transform` over the whole (N, 1, 8, 8) image batch (one grid_sample call)."""

    def collate(samples):
        images, labels = default_collate(samples)
        return [transform(images), labels]

    return collate


def _error(model, images, labels):
    return 1.0 - evaluate(model, DataLoader(TensorDataset(images, labels), batch_size=512))["accuracy"]


def run_case(data, epochs, seed, hidden=BIG, subset=None, augment=None, weight_decay=0.0, dropout=0.0):
    """Train one case with AdamW (lr 3e-3, batch 32) on all training images, or on `subset` images drawn
    from the pool; returns (train error, validation error or None, dev error)."""
    x_train, y_train = data["pool" if subset else "train"]
    if subset is not None:
        keep = tl.random.rng(tl.Generator(seed)).permutation(len(x_train))[:subset]
        x_train, y_train = x_train[keep], y_train[keep]
    tl.manual_seed(seed)
    model = mlp(hidden, dropout)
    collate = augmenting_collate(augmentation(augment, tl.Generator(seed + 1))) if augment else None
    loader = DataLoader(
        TensorDataset(x_train, y_train),
        batch_size=32,
        shuffle=True,
        generator=tl.Generator(seed),
        collate_fn=collate,
    )
    optimizer = tl.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=weight_decay)
    fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs, progress=False, report=False)
    val = _error(model, *data["val"]) if subset else None
    return _error(model, x_train, y_train), val, _error(model, *data["dev"])


def _averaged(data, epochs, seeds, **options):
    """Mean (train, val, dev) errors of run_case over `seeds` (val None for the full training set)."""
    runs = [run_case(data, epochs, s, **options) for s in seeds]
    train, dev = (float(np.mean([r[i] for r in runs])) for i in (0, 2))
    val = float(np.mean([r[1] for r in runs])) if runs[0][1] is not None else None
    return train, val, dev


def _case(name, epochs, runs, errors):
    """The JSON record of one diagnosed case, and its report printed."""
    train, val, dev = errors
    report = bias_variance(train, dev, tolerance=TOLERANCE)
    print(f"{name} ({runs} run(s), {epochs} epochs):\n{report}\n")
    return {
        "epochs": epochs,
        "runs": runs,
        "train_error": report.train_error,
        "val_error": val,
        "dev_error": report.dev_error,
        "avoidable_bias": report.avoidable_bias,
        "variance": report.variance,
        "diagnosis": report.diagnosis,
        "report": str(report),
    }


def run(out_dir, quick=False, seed=0, mnist_root=None):
    """Diagnose the 2-unit net, the bigger net and the bigger net on 100 images (4 subsets, 1 when
    quick); try REMEDIES (QUICK_REMEDIES when quick) on those subsets, keep the lowest validation error,
    diagnose it; draw the cases and every remedy's train/val/dev errors."""
    if mnist_root:
        print(
            f"{NAME}: runs on the bundled 8x8 digits (its augmentation is sized for 8x8 images); MNIST not used"
        )
    epochs = QUICK_EPOCHS if quick else EPOCHS
    seeds = range(seed, seed + (1 if quick else 4))
    data = load_images(seed)
    cases = {
        "2-unit net": _case(
            "2-unit net", epochs["full"], 1, _averaged(data, epochs["full"], [seed], hidden=(2,))
        ),
        "bigger net": _case("bigger net", epochs["full"], 1, _averaged(data, epochs["full"], [seed])),
    }
    remedies = {}
    for name in QUICK_REMEDIES if quick else REMEDIES:
        options = REMEDIES[name]
        budget = epochs["augmented" if options.get("augment") else "small"]
        train, val, dev = _averaged(data, budget, seeds, subset=SMALL_SUBSET, **options)
        remedies[name] = {"epochs": budget, "train_error": train, "val_error": val, "dev_error": dev}
    best = min((n for n in remedies if n != "none"), key=lambda n: remedies[n]["val_error"])
    few = f"{SMALL_SUBSET} images"
    for name, remedy in ((few, "none"), (f"{few} + {best}", best)):
        errors = tuple(remedies[remedy][k] for k in ("train_error", "val_error", "dev_error"))
        cases[name] = _case(name, remedies[remedy]["epochs"], len(seeds), errors)
    cured = cases[f"{few} + {best}"]["diagnosis"] == "fine"
    verdict = (
        f"{best} (chosen by validation error) cures the variance of {few}"
        if cured
        else f"no remedy tried cures the variance of {few}: the best by validation error, {best}, takes the "
        f"dev error from {cases[few]['dev_error']:.1%} to {cases[f'{few} + {best}']['dev_error']:.1%}; "
        f"more data (the bigger net on all {len(data['train'][1])} images) reaches "
        f"{cases['bigger net']['dev_error']:.1%}"
    )
    print_table(
        f"{NAME}: remedies on {few} ({len(seeds)} subset(s)); chosen by validation error",
        ("remedy", "epochs", "train err", "val err", "dev err"),
        [(n, r["epochs"], r["train_error"], r["val_error"], r["dev_error"]) for n, r in remedies.items()],
    )
    print_table(
        f"{NAME}: digits, human error taken as 0",
        ("case", "train err", "dev err", "diagnosis"),
        [(n, c["train_error"], c["dev_error"], c["diagnosis"]) for n, c in cases.items()],
    )
    print(verdict)
    results = {
        "name": NAME,
        "dataset": "digits",
        "quick": quick,
        "seed": seed,
        "tolerance": TOLERANCE,
        "train_images": len(data["train"][1]),
        "validation_images": len(data["val"][1]),
        "cases": cases,
        "remedies": remedies,
        "chosen_remedy": best,
        "cured": cured,
        "verdict": verdict,
    }
    fig = _figure(cases, remedies, best, len(data["train"][1]), verdict)
    results["files"] = [save_figure(fig, out_dir, NAME), save_json(results, out_dir, NAME)]
    return results


def _figure(cases, remedies, best, train_images, verdict):
    """Left: train/dev error per diagnosed case. Right: every remedy's train/val/dev error on the small
    subsets (the chosen one marked), with the more-data dev error as a dashed line."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(15, 4.6), gridspec_kw={"width_ratios": [1, 1.5]})
    positions = np.arange(len(cases))
    left.bar(
        positions - 0.2, [c["train_error"] for c in cases.values()], 0.4, color="C0", label="train error"
    )
    left.bar(positions + 0.2, [c["dev_error"] for c in cases.values()], 0.4, color="C1", label="dev error")
    labels = [f"{n.replace(' + ', chr(10) + '+ ', 1)}\n{c['diagnosis']}" for n, c in cases.items()]
    labels[1] = f"bigger net,\nall {train_images} images\n(= more data)\n{cases['bigger net']['diagnosis']}"
    left.set_xticks(positions, labels, fontsize=7)
    left.set(ylabel="error (1 - accuracy)", title="diagnose, then cure")
    left.legend(fontsize=8)
    positions = np.arange(len(remedies))
    for offset, key, color in (
        (-0.27, "train_error", "C0"),
        (0.0, "val_error", "C2"),
        (0.27, "dev_error", "C1"),
    ):
        values = [r[key] for r in remedies.values()]
        right.bar(positions + offset, values, 0.27, color=color, label=key.replace("_", " "))
    right.axhline(cases["bigger net"]["dev_error"], color="k", ls="--", lw=1, label="dev error, all images")
    names = [f"{n} (chosen)" if n == best else n for n in remedies]
    right.set_xticks(positions, names, fontsize=7, rotation=30, ha="right")
    for tick in right.get_xticklabels():
        tick.set_fontweight("bold" if tick.get_text().endswith("(chosen)") else "normal")
    right.set(title=f"high variance on {SMALL_SUBSET} images: remedies, chosen by validation error")
    right.legend(fontsize=8)
    fig.suptitle(verdict, fontsize=9)
    return fig
