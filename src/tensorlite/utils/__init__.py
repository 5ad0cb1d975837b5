"""torch.utils-shaped namespace: tensorlite.utils.data is torch.utils.data."""

from tensorlite.utils import data

__all__ = ["data"]
