"""Image transforms for data augmentation, torchvision's names and semantics (tl.data.transforms).

Each works on one (C, H, W) image or an (N, C, H, W) batch (tl.Tensor or numpy array; the result has the
input's kind). Random transforms draw per-image parameters from `generator` or, by default, tl's global
generator, which the DataLoader seeds per worker: tl.manual_seed makes a pipeline reproducible. The
geometric ones resample the whole batch in one C++ grid_sample call.
"""

from tensorlite.data.transforms._basic import (
    Compose,
    Normalize,
    RandomCrop,
    RandomErasing,
    RandomHorizontalFlip,
    RandomVerticalFlip,
    ToTensor,
)
from tensorlite.data.transforms._geometric import ElasticTransform, RandomAffine, RandomRotation

__all__ = [
    "Compose",
    "ElasticTransform",
    "Normalize",
    "RandomAffine",
    "RandomCrop",
    "RandomErasing",
    "RandomHorizontalFlip",
    "RandomRotation",
    "RandomVerticalFlip",
    "ToTensor",
]
