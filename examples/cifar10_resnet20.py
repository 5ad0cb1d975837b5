"""Train ResNet-20 (He et al. 2016) on CIFAR-10 from its binary files, with the paper's recipe: random crop
with 4 pixels of padding + horizontal flip, SGD with momentum 0.9 and weight decay 5e-4, cosine schedule.

    python examples/cifar10_resnet20.py --root ~/data/cifar-10-batches-bin --epochs 30
    python examples/cifar10_resnet20.py --quick        # a tiny run; synthetic images when the files are absent
Without the files (and without --quick) it prints where to put them and exits.
"""

import argparse
import sys

import numpy as np

import tensorlite as tl
from tensorlite import data, nn, train
from tensorlite.data import transforms as T


class AugmentedBatches(data.Dataset):
    """dataset[indices] = (transform(images[indices]), labels[indices]): a whole batch augmented in one
    call. Used with a BatchSampler and batch_size=None, the PyTorch idiom for batched datasets."""

    def __init__(self, images, labels, transform):
        self.images, self.labels, self.transform = images, labels, transform

    def __getitem__(self, indices):
        indices = np.asarray(indices, dtype=np.int64)
        return tl.tensor(self.transform(self.images[indices])), tl.tensor(self.labels[indices])

    def __len__(self):
        return len(self.labels)


def synthetic_cifar(n, seed):
    """n noisy 32x32 colour images whose class sets the mean colour and a stripe's row: learnable, not CIFAR."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    colours = rng.integers(40, 216, (10, 3))
    images = rng.normal(colours[labels][:, :, None, None], 30.0, (n, 3, 32, 32))
    images[np.arange(n), :, 3 * labels, :] = 255.0
    return np.clip(images, 0, 255).astype(np.uint8), labels.astype(np.int64)


def load(root, quick, seed):
    """(train images, train labels, test images, test labels), or None when the files are absent."""
    try:
        return (*data.load_cifar10(root, train=True), *data.load_cifar10(root, train=False))
    except FileNotFoundError as exc:
        if not quick:
            print(exc, file=sys.stderr)
            return None
        print("CIFAR-10 files not found: --quick runs on synthetic images", file=sys.stderr)
        return (*synthetic_cifar(256, seed), *synthetic_cifar(128, seed + 1))


def main(root="cifar-10-batches-bin", epochs=30, quick=False, seed=0, batch_size=128, lr=0.1, progress=True):
    """Train and return the History (None when the data is missing); prints the test accuracy."""
    loaded = load(root, quick, seed)
    if loaded is None:
        return None
    x_train, y_train, x_test, y_test = loaded
    if quick:
        x_train, y_train, x_test, y_test = x_train[:256], y_train[:256], x_test[:128], y_test[:128]
    tl.manual_seed(seed)
    # per-channel standardization with the training set's statistics
    mean = x_train.mean(axis=(0, 2, 3), keepdims=True) / 255.0
    std = x_train.std(axis=(0, 2, 3), keepdims=True) / 255.0

    def standardize(x):
        return ((x.astype(np.float32) / 255.0 - mean) / std).astype(np.float32)

    augment = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip()])
    train_set = AugmentedBatches(standardize(x_train), y_train, augment)
    batches = data.BatchSampler(data.RandomSampler(train_set), batch_size, drop_last=False)
    train_loader = data.DataLoader(train_set, batch_size=None, sampler=batches)
    test_loader = data.DataLoader(data.TensorDataset(standardize(x_test), y_test), batch_size=256)

    model = tl.models.resnet20()
    optimizer = tl.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    scheduler = tl.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    history = train.fit(model, nn.CrossEntropyLoss(), optimizer, train_loader, epochs, val_loader=test_loader,
                        scheduler=scheduler, progress=progress)  # fmt: skip
    print(f"test accuracy: {history.history['val_accuracy'][-1]:.4f}")
    return history


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--root", default="cifar-10-batches-bin", help="folder with the CIFAR-10 .bin files")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--quick", action="store_true", help="256 training images, 2 epochs (synthetic if absent)"
    )
    args = parser.parse_args()
    epochs = 2 if args.quick else args.epochs
    history = main(args.root, epochs, args.quick, args.seed, args.batch_size, args.lr)
    sys.exit(0 if history is not None else 1)
