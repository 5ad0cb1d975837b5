"""Train a CNN on MNIST when its IDX files are present (or --download fetches them, MD5-checked).

    python examples/mnist_cnn.py --root ~/data/mnist --epochs 3
Without the files it prints where to put them and exits.
"""

import argparse
import sys

import numpy as np

import tensorlite as tl
from tensorlite import data, nn, train


def to_float(images):
    """uint8 (N, 28, 28) -> float32 (N, 1, 28, 28) in [0, 1]."""
    return (images.astype(np.float32) / 255.0)[:, None]


def main(root, epochs=3, seed=0, download=False, limit=None):
    try:
        x_train, y_train = data.load_mnist(root, train=True, download=download)
        x_test, y_test = data.load_mnist(root, train=False, download=download)
    except (FileNotFoundError, RuntimeError) as exc:
        print(exc, file=sys.stderr)
        return 1
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
    tl.manual_seed(seed)
    x_train, x_val, y_train, y_val = data.train_val_test_split(
        to_float(x_train), y_train, ratios=(0.9, 0.1), stratify=y_train, seed=seed
    )
    scaler = data.StandardScaler().fit(x_train)
    train_loader = data.DataLoader(
        data.TensorDataset(scaler.transform(x_train), y_train), batch_size=128, shuffle=True
    )
    val_loader = data.DataLoader(data.TensorDataset(scaler.transform(x_val), y_val), batch_size=512)
    test_loader = data.DataLoader(
        data.TensorDataset(scaler.transform(to_float(x_test)), y_test), batch_size=512
    )

    model = nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10),
    )  # fmt: skip
    optimizer = tl.optim.Adam(model.parameters(), lr=1e-3)
    train.fit(model, nn.CrossEntropyLoss(), optimizer, train_loader, epochs, val_loader=val_loader,
              callbacks=[train.EarlyStopping(patience=2)])  # fmt: skip
    print(f"test accuracy: {train.evaluate(model, test_loader)['accuracy']:.4f}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--root", default="mnist", help="folder with the four MNIST IDX files (raw or .gz)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--download", action="store_true", help="fetch missing files (needs network)")
    parser.add_argument("--limit", type=int, default=None, help="use only the first LIMIT training images")
    args = parser.parse_args()
    sys.exit(main(args.root, args.epochs, args.seed, args.download, args.limit))
