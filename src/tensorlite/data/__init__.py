"""Data pipeline: datasets, samplers, DataLoader, splitting, scaling and the bundled data sets."""

from tensorlite.data import transforms
from tensorlite.data._worker import WorkerInfo, get_worker_info
from tensorlite.data.cifar import CIFAR10_CLASSES, load_cifar10
from tensorlite.data.collate import default_collate, default_convert
from tensorlite.data.dataloader import DataLoader
from tensorlite.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from tensorlite.data.datasets import load_digits, load_mnist
from tensorlite.data.idx import read_idx, write_idx
from tensorlite.data.preprocessing import MinMaxScaler, StandardScaler, one_hot
from tensorlite.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    StratifiedBatchSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from tensorlite.data.split import train_val_test_split

__all__ = [
    "CIFAR10_CLASSES",
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "MinMaxScaler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StandardScaler",
    "StratifiedBatchSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "WorkerInfo",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "load_cifar10",
    "load_digits",
    "load_mnist",
    "one_hot",
    "random_split",
    "read_idx",
    "train_val_test_split",
    "write_idx",
]
