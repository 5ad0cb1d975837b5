"""Data pipeline: datasets, samplers, DataLoader, splitting, scaling and the bundled data sets."""

from tensorlite.data import transforms
from tensorlite.data.cifar import CIFAR10_CLASSES, load_cifar10
from tensorlite.data.dataloader import DataLoader, default_collate
from tensorlite.data.dataset import Dataset, TensorDataset
from tensorlite.data.datasets import load_digits, load_mnist
from tensorlite.data.idx import read_idx, write_idx
from tensorlite.data.preprocessing import MinMaxScaler, StandardScaler, one_hot
from tensorlite.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    StratifiedBatchSampler,
)
from tensorlite.data.split import train_val_test_split

__all__ = [
    "CIFAR10_CLASSES",
    "BatchSampler",
    "DataLoader",
    "Dataset",
    "MinMaxScaler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StandardScaler",
    "StratifiedBatchSampler",
    "TensorDataset",
    "default_collate",
    "load_cifar10",
    "load_digits",
    "load_mnist",
    "one_hot",
    "read_idx",
    "train_val_test_split",
    "write_idx",
]
