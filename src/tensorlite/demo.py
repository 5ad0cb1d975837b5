"""`tensorlite demo`: train a small CNN (or MLP) on the bundled 8x8 digits and report test accuracy."""

import time

import numpy as np

import tensorlite as tl
from tensorlite import data, nn, train


def build_model(kind, side=8, dropout=None, nn=nn):
    """The demo network for side x side images, with He (kaiming normal, fan_in, relu) weights and zero
    biases; Dropout(dropout) before the last Linear when dropout is given. `nn` may be another library's
    torch.nn-like module (the benchmarks build the same net in PyTorch).

    cnn: conv3x3(1->32)-relu-maxpool2 -> conv3x3(32->64)-relu-maxpool2 -> linear(64*(side/4)^2 -> 10)
    mlp: linear(side^2 -> 128)-relu -> linear(128 -> 10)
    """
    if kind == "cnn":
        features = [nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        features += [nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten()]
        width = 64 * (side // 4) ** 2
    elif kind == "mlp":
        features, width = [nn.Flatten(), nn.Linear(side * side, 128), nn.ReLU()], 128
    else:
        raise ValueError(f"demo: model must be 'cnn' or 'mlp', got {kind!r}")
    head = ([] if dropout is None else [nn.Dropout(dropout)]) + [nn.Linear(width, 10)]
    model = nn.Sequential(*features, *head)
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
            nn.init.zeros_(module.bias)
    return model


def digits_loaders(seed, batch_size=64):
    """Stratified 60/20/20 split of the digits as (N, 1, 8, 8) float32 images standardized with
    statistics of the training part only; stratified training batches, plain val/test loaders."""
    images, labels = data.load_digits()
    images = images.astype(np.float32)[:, None]
    x_train, x_val, x_test, y_train, y_val, y_test = data.train_val_test_split(
        images, labels, ratios=(0.6, 0.2, 0.2), stratify=labels, seed=seed
    )
    scaler = data.StandardScaler().fit(x_train)
    sampler = data.StratifiedBatchSampler(y_train, batch_size, generator=tl.Generator(seed))
    train_loader = data.DataLoader(
        data.TensorDataset(scaler.transform(x_train), y_train), batch_sampler=sampler
    )
    val_loader = data.DataLoader(data.TensorDataset(scaler.transform(x_val), y_val), batch_size=256)
    test_loader = data.DataLoader(data.TensorDataset(scaler.transform(x_test), y_test), batch_size=256)
    return train_loader, val_loader, test_loader


class EpochPrinter(train.Callback):
    """One line per epoch (used when no progress bar is shown): losses, accuracies and wall time."""

    def on_epoch_end(self, state, logs):
        print(
            f"epoch {state.epoch:3d}/{state.epochs}  loss {logs['loss']:.4f}  accuracy {logs['accuracy']:.4f}  "
            f"val_loss {logs['val_loss']:.4f}  val_accuracy {logs['val_accuracy']:.4f}  {logs['time']:.2f} s",
            flush=True,
        )


def run(epochs=30, seed=0, threads=None, model="cnn", lr=3e-3, patience=6, progress=True):
    """Train, early-stop on val_loss (restoring the best weights), print the time per epoch and, as the
    last line, the test accuracy. Returns the test accuracy."""
    if threads is not None:
        tl.set_num_threads(threads)
    tl.manual_seed(seed)
    train_loader, val_loader, test_loader = digits_loaders(seed)
    net = build_model(model)
    optimizer = tl.optim.Adam(net.parameters(), lr=lr)
    scheduler = tl.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=2)
    stopper = train.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
    callbacks = [stopper] if train.progress_enabled(progress) else [stopper, EpochPrinter()]
    print(
        f"tensorlite demo: {model} on 8x8 digits ({len(train_loader.dataset)} train / {len(val_loader.dataset)} val / "
        f"{len(test_loader.dataset)} test), Adam lr={lr}, batch 64, {tl.get_num_threads()} threads",
        flush=True,
    )
    start = time.perf_counter()
    history = train.fit(
        net,
        nn.CrossEntropyLoss(),
        optimizer,
        train_loader,
        epochs,
        val_loader=val_loader,
        scheduler=scheduler,
        callbacks=callbacks,
        progress=progress,
    )
    total = time.perf_counter() - start
    accuracy = train.evaluate(net, test_loader, metrics=("accuracy",))["accuracy"]
    stopped = f", early stop at epoch {history.stopped_epoch}" if history.stopped_epoch else ""
    print(f"best epoch {stopper.best_epoch} (val_loss {stopper.best:.4f}){stopped}")
    print(f"time per epoch: {np.mean(history['time']):.3f} s ({len(history)} epochs, {total:.1f} s total)")
    print(f"test accuracy: {accuracy:.3f}", flush=True)
    return accuracy
