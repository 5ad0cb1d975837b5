"""Train a small CNN on the bundled 8x8 digits: what `tensorlite demo` does, spelled out.

python examples/cnn_digits.py --epochs 40 --checkpoint best.safetensors
"""

import argparse

import numpy as np

import tensorlite as tl
from tensorlite import data, nn, train


def build_cnn():
    """conv3x3(1->32)-relu-pool2 -> conv3x3(32->64)-relu-pool2 -> linear(256->10), He-initialized."""
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 2 * 2, 10),
    )  # fmt: skip
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            nn.init.zeros_(module.bias)
    return model


def main(epochs=40, seed=0, checkpoint=None):
    tl.manual_seed(seed)
    images, labels = data.load_digits()
    x = images.astype(np.float32)[:, None]  # (N, 1, 8, 8), NCHW
    x_train, x_val, x_test, y_train, y_val, y_test = data.train_val_test_split(
        x, labels, stratify=labels, seed=seed
    )
    scaler = data.StandardScaler().fit(x_train)
    batches = data.StratifiedBatchSampler(
        y_train, 64, generator=tl.Generator(seed)
    )  # all 10 digits in every batch
    train_loader = data.DataLoader(
        data.TensorDataset(scaler.transform(x_train), y_train), batch_sampler=batches
    )
    val_loader = data.DataLoader(data.TensorDataset(scaler.transform(x_val), y_val), batch_size=256)
    test_loader = data.DataLoader(data.TensorDataset(scaler.transform(x_test), y_test), batch_size=256)

    model = build_cnn()
    optimizer = tl.optim.Adam(model.parameters(), lr=3e-3)
    scheduler = tl.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=3)
    callbacks = [train.EarlyStopping(patience=8)]
    if checkpoint:
        callbacks.append(train.ModelCheckpoint(checkpoint, save_best_only=True, save_weights_only=True))
    history = train.fit(
        model, nn.CrossEntropyLoss(), optimizer, train_loader, epochs, val_loader=val_loader,
        scheduler=scheduler, callbacks=callbacks,
    )  # fmt: skip
    print(
        f"epochs run: {len(history)}, time per epoch {np.mean(history['time']):.2f} s, final lr {history['lr'][-1]:g}"
    )
    print(f"test accuracy: {train.evaluate(model, test_loader)['accuracy']:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoint", default=None, help="save the best weights here (tl.save)")
    args = parser.parse_args()
    main(args.epochs, args.seed, args.checkpoint)
