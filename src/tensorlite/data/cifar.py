"""CIFAR-10 from its binary distribution (cifar-10-batches-bin; never the pickled Python version: nothing
is unpickled). Each file is a run of 3073-byte records: 1 label byte (0-9), then 1024 red, 1024 green and
1024 blue bytes of a 32x32 image in row-major order."""

import os

import numpy as np

CIFAR10_TRAIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
CIFAR10_TEST_FILES = ("test_batch.bin",)
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
_RECORD = 1 + 3 * 32 * 32


def read_cifar10_batch(path):
    """(images uint8 (N, 3, 32, 32), labels int64 (N,)) of one binary batch file; ValueError naming the file
    when its size is not a whole number of records or a label is not in 0..9."""
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size == 0 or raw.size % _RECORD:
        raise ValueError(
            f"load_cifar10: {path} has {raw.size} bytes, not a positive multiple of the {_RECORD}-byte "
            "record (1 label byte + 3072 pixel bytes): truncated or not a CIFAR-10 binary batch"
        )
    records = raw.reshape(-1, _RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() > 9:
        bad = int(np.argmax(labels > 9))
        raise ValueError(f"load_cifar10: {path} record {bad} has label {labels[bad]}; expected 0..9")
    return records[:, 1:].reshape(-1, 3, 32, 32), labels


def load_cifar10(root, train=True):
    """CIFAR-10 from the binary files in `root` (or in root/cifar-10-batches-bin): data_batch_1.bin ..
    data_batch_5.bin (train, 50,000 images) or test_batch.bin (10,000).

    Returns (images, labels): uint8 (N, 3, 32, 32) in CHW order and int64 (N,) class indices (names in
    CIFAR10_CLASSES), like load_mnist's uint8 images. FileNotFoundError naming the missing files.
    """
    names = CIFAR10_TRAIN_FILES if train else CIFAR10_TEST_FILES
    folder = root
    nested = os.path.join(root, "cifar-10-batches-bin")
    if not os.path.isfile(os.path.join(root, names[0])) and os.path.isdir(nested):
        folder = nested
    missing = [n for n in names if not os.path.isfile(os.path.join(folder, n))]
    if missing:
        raise FileNotFoundError(
            f"load_cifar10: {', '.join(missing)} not found in {os.path.abspath(folder)}. Download the binary "
            "version (cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html), extract it "
            f"and pass the folder holding {', '.join(names)} (or its parent)."
        )
    parts = [read_cifar10_batch(os.path.join(folder, n)) for n in names]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
