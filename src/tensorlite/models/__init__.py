"""A small model zoo (tl.models): mlp, lenet5, alexnet_small, vgg_small and resnet20, He-initialized."""

from tensorlite.models.classic import alexnet_small, lenet5, mlp, vgg_small
from tensorlite.models.resnet import BasicBlock, ResNetCifar, resnet20

__all__ = ["BasicBlock", "ResNetCifar", "alexnet_small", "lenet5", "mlp", "resnet20", "vgg_small"]
