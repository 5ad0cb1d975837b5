"""Bundled and downloadable datasets: load_digits() (shipped in the package) and load_mnist()."""

import gzip
import hashlib
import os
import urllib.error
import urllib.request
from importlib import resources

import numpy as np

from tensorlite.data.idx import atomic_write_bytes, read_idx

MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}


def load_digits():
    """The 8x8 handwritten digits (UCI optdigits test set as bundled in scikit-learn): 1797 images.

    Returns (images, labels): uint8 array of shape (1797, 8, 8) with values 0..16 and int64 labels 0..9.
    Loaded from a compressed copy inside the package (no network, no extra dependency); licence
    CC BY 4.0, citation in tensorlite/data/_datasets/DIGITS_LICENSE.txt.
    """
    source = resources.files("tensorlite.data") / "_datasets" / "digits.csv.gz"
    with source.open("rb") as compressed, gzip.open(compressed) as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    return table[:, :64].astype(np.uint8).reshape(-1, 8, 8), table[:, 64]


def load_mnist(root, train=True, download=False):
    """MNIST from the standard IDX files in `root` (train-images-idx3-ubyte and train-labels-idx1-ubyte,
    or t10k-* for train=False; raw or .gz).

    Returns (images, labels): uint8 (N, 28, 28) and int64 (N,). With download=True the missing .gz files
    are fetched (urllib, MD5-verified, written atomically) into `root`.
    """
    prefix = "train" if train else "t10k"
    paths = []
    for kind in ("images-idx3", "labels-idx1"):
        name = f"{prefix}-{kind}-ubyte"
        path = _find(root, name)
        if path is None and download:
            path = _download(root, f"{name}.gz")
        if path is None:
            raise FileNotFoundError(
                f"load_mnist: {name} (or {name}.gz) not found in {os.path.abspath(root)}. Put the four MNIST "
                f"files there ({', '.join(MNIST_MD5)}) or call load_mnist(root, download=True)."
            )
        paths.append(path)
    images, labels = read_idx(paths[0]), read_idx(paths[1])
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"load_mnist: images {paths[0]} have shape {images.shape} and labels {paths[1]} shape "
            f"{labels.shape}; expected (N, rows, cols) and (N,)"
        )
    return images.astype(np.uint8, copy=False), labels.astype(np.int64)


def _find(root, name):
    for candidate in (name, f"{name}.gz"):
        path = os.path.join(root, candidate)
        if os.path.isfile(path):
            return path
    return None


def _download(root, filename):
    """Fetch `filename` from the first mirror that answers, check its MD5, write it atomically."""
    os.makedirs(root, exist_ok=True)
    errors = []
    for mirror in MNIST_MIRRORS:
        url = mirror + filename
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                payload = response.read()
        except (urllib.error.URLError, OSError) as exc:
            errors.append(f"{url}: {exc}")
            continue
        digest = hashlib.md5(payload).hexdigest()
        if digest != MNIST_MD5[filename]:
            errors.append(f"{url}: MD5 {digest} != expected {MNIST_MD5[filename]}")
            continue
        path = os.path.join(root, filename)
        atomic_write_bytes(path, payload)
        return path
    raise RuntimeError(
        f"load_mnist: could not download {filename} ({'; '.join(errors)}). Without network, copy the MNIST "
        f"files ({', '.join(MNIST_MD5)}) into {os.path.abspath(root)} by hand."
    )
