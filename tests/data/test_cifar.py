"""load_cifar10 on binary batch files generated here: layout, both folder layouts, missing and corrupt files."""

import os

import numpy as np
import pytest

from tensorlite.data import load_cifar10


def write_batch(path, labels, seed):
    images = np.random.default_rng(seed).integers(0, 256, (len(labels), 3, 32, 32), dtype=np.uint8)
    records = np.concatenate([np.asarray(labels, np.uint8)[:, None], images.reshape(len(labels), -1)], axis=1)
    records.tofile(path)
    return images


def write_cifar(root):
    train = [
        write_batch(os.path.join(root, f"data_batch_{i}.bin"), [i, (i + 1) % 10], i) for i in range(1, 6)
    ]
    test = write_batch(os.path.join(root, "test_batch.bin"), [9, 0, 3], 0)
    return np.concatenate(train), test


def test_reads_records_as_chw_uint8_and_int64_labels(tmp_path):
    train, test = write_cifar(tmp_path)
    images, labels = load_cifar10(tmp_path)
    assert images.dtype == np.uint8 and images.shape == (10, 3, 32, 32) and labels.dtype == np.int64
    np.testing.assert_array_equal(images, train)
    np.testing.assert_array_equal(labels, [1, 2, 2, 3, 3, 4, 4, 5, 5, 6])
    images, labels = load_cifar10(tmp_path, train=False)
    np.testing.assert_array_equal(images, test)
    np.testing.assert_array_equal(labels, [9, 0, 3])
    # the first record's first pixel bytes: red plane, then green at offset 1 + 1024
    raw = np.fromfile(os.path.join(tmp_path, "test_batch.bin"), np.uint8)
    assert (
        images[0, 0, 0, 0] == raw[1]
        and images[0, 1, 0, 0] == raw[1 + 1024]
        and images[0, 2, 31, 31] == raw[3072]
    )


def test_finds_the_extracted_subfolder(tmp_path):
    os.makedirs(tmp_path / "cifar-10-batches-bin")
    _, test = write_cifar(tmp_path / "cifar-10-batches-bin")
    np.testing.assert_array_equal(load_cifar10(tmp_path, train=False)[0], test)


def test_missing_files_are_named(tmp_path):
    write_batch(os.path.join(tmp_path, "data_batch_1.bin"), [0], 0)
    with pytest.raises(FileNotFoundError, match=r"data_batch_2\.bin, data_batch_3\.bin.*cifar-10-binary"):
        load_cifar10(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"test_batch\.bin"):
        load_cifar10(tmp_path, train=False)


def test_truncated_or_corrupt_files_raise_value_error_naming_the_file(tmp_path):
    write_cifar(tmp_path)
    path = os.path.join(tmp_path, "test_batch.bin")
    raw = np.fromfile(path, np.uint8)
    raw[:-100].tofile(path)
    with pytest.raises(ValueError, match=r"test_batch\.bin has 9119 bytes.*truncated"):
        load_cifar10(tmp_path, train=False)
    np.zeros(0, np.uint8).tofile(path)
    with pytest.raises(ValueError, match=r"test_batch\.bin has 0 bytes"):
        load_cifar10(tmp_path, train=False)
    raw[0] = 11
    raw.tofile(path)
    with pytest.raises(ValueError, match=r"test_batch\.bin record 0 has label 11"):
        load_cifar10(tmp_path, train=False)
