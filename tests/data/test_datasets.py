"""load_digits (bundled copy) and load_mnist (IDX files generated here, no network)."""

import hashlib
import os
from importlib import resources

import numpy as np
import pytest

from tensorlite.data import datasets, load_digits, load_mnist, write_idx


def test_load_digits_bundled_copy():
    images, labels = load_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8 and labels.dtype == np.int64
    assert images.min() == 0 and images.max() == 16
    np.testing.assert_array_equal(np.bincount(labels), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    assert images[0, 0].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]  # the first row of the first "0"
    folder = resources.files("tensorlite.data") / "_datasets"
    digest = hashlib.sha256((folder / "digits.csv.gz").read_bytes()).hexdigest()
    licence = (folder / "DIGITS_LICENSE.txt").read_text()
    assert digest in licence and "CC BY 4.0" in licence and "Alpaydin" in licence


def write_mnist(root, prefix, n, gz):
    images = np.random.default_rng(0).integers(0, 256, (n, 28, 28)).astype(np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    ext = ".gz" if gz else ""
    write_idx(images, os.path.join(root, f"{prefix}-images-idx3-ubyte{ext}"))
    write_idx(labels, os.path.join(root, f"{prefix}-labels-idx1-ubyte{ext}"))
    return images, labels


@pytest.mark.parametrize("train, gz", [(True, False), (False, True)])
def test_load_mnist_reads_raw_and_gz(tmp_path, train, gz):
    images, labels = write_mnist(tmp_path, "train" if train else "t10k", 12, gz)
    x, y = load_mnist(tmp_path, train=train)
    np.testing.assert_array_equal(x, images)
    assert y.dtype == np.int64 and y.tolist() == labels.tolist()


def test_load_mnist_missing_files_say_where_to_put_them(tmp_path):
    with pytest.raises(
        FileNotFoundError, match=f"train-images-idx3-ubyte.*not found in {tmp_path}.*download=True"
    ):
        load_mnist(tmp_path)


def test_load_mnist_mismatched_counts(tmp_path):
    write_mnist(tmp_path, "train", 5, gz=False)
    write_idx(np.zeros(4, dtype=np.uint8), tmp_path / "train-labels-idx1-ubyte")
    with pytest.raises(ValueError, match=r"shape \(5, 28, 28\) and labels .* shape \(4,\)"):
        load_mnist(tmp_path)


def test_download_verifies_checksum_and_writes_atomically(tmp_path, monkeypatch):
    payload = b"not really mnist"

    class FakeResponse:
        def __init__(self, url):
            self.url = url

        def read(self):
            return payload

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(datasets.urllib.request, "urlopen", lambda url, timeout: FakeResponse(url))
    with pytest.raises(RuntimeError, match="MD5 .* != expected f68b3c2d.*copy the MNIST files"):
        load_mnist(tmp_path, download=True)
    assert os.listdir(tmp_path) == []  # nothing half-written
    monkeypatch.setitem(datasets.MNIST_MD5, "train-images-idx3-ubyte.gz", hashlib.md5(payload).hexdigest())
    path = datasets._download(str(tmp_path), "train-images-idx3-ubyte.gz")
    with open(path, "rb") as f:
        assert f.read() == payload
    assert os.listdir(tmp_path) == ["train-images-idx3-ubyte.gz"]


def test_download_without_network_names_the_folder(tmp_path, monkeypatch):
    def offline(url, timeout):
        raise datasets.urllib.error.URLError("no network")

    monkeypatch.setattr(datasets.urllib.request, "urlopen", offline)
    with pytest.raises(RuntimeError, match=f"no network.*into {tmp_path} by hand"):
        load_mnist(tmp_path, download=True)
