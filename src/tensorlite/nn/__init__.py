"""Neural-network building blocks: Module, Parameter, layers, losses, init, functional."""

from tensorlite.nn import functional, init
from tensorlite.nn.activation import LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from tensorlite.nn.container import Sequential
from tensorlite.nn.conv import Conv2d
from tensorlite.nn.linear import Flatten, Identity, Linear
from tensorlite.nn.loss import CrossEntropyLoss, MSELoss
from tensorlite.nn.module import Module, RemovableHandle
from tensorlite.nn.parameter import Parameter
from tensorlite.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d

__all__ = [
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "Conv2d",
    "MaxPool2d",
    "CrossEntropyLoss",
    "Flatten",
    "Identity",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "Module",
    "Parameter",
    "ReLU",
    "RemovableHandle",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "functional",
    "init",
]
