"""Train an MLP on the bundled 8x8 digits with tl.data and tl.train (a few seconds on 2 cores).

python examples/mlp_digits.py --epochs 50
"""

import argparse

import numpy as np

import tensorlite as tl
from tensorlite import data, nn, train


def main(epochs=50, seed=0):
    """Stratified 60/20/20 split, standardized pixels, 64-128-10 MLP with Adam and early stopping."""
    tl.manual_seed(seed)
    images, labels = data.load_digits()
    x = images.reshape(len(images), 64).astype(np.float32)
    x_train, x_val, x_test, y_train, y_val, y_test = data.train_val_test_split(
        x, labels, stratify=labels, seed=seed
    )
    scaler = data.StandardScaler().fit(x_train)  # statistics of the training part only
    train_loader = data.DataLoader(
        data.TensorDataset(scaler.transform(x_train), y_train), batch_size=64, shuffle=True
    )
    val_loader = data.DataLoader(data.TensorDataset(scaler.transform(x_val), y_val), batch_size=256)
    test_loader = data.DataLoader(data.TensorDataset(scaler.transform(x_test), y_test), batch_size=256)

    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))
    optimizer = tl.optim.Adam(model.parameters(), lr=1e-3)
    history = train.fit(
        model, nn.CrossEntropyLoss(), optimizer, train_loader, epochs, val_loader=val_loader,
        callbacks=[train.EarlyStopping(patience=8)],
    )  # fmt: skip
    print(f"epochs run: {len(history)}, best val_loss: {min(history['val_loss']):.4f}")
    print(f"test accuracy: {train.evaluate(model, test_loader)['accuracy']:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(args.epochs, args.seed)
