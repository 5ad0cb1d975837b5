"""Neural-network building blocks: Module, Parameter, layers, losses, init, functional."""

from tensorlite.nn import functional, init, utils
from tensorlite.nn.activation import LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from tensorlite.nn.container import Sequential
from tensorlite.nn.linear import Flatten, Identity, Linear
from tensorlite.nn.loss import CrossEntropyLoss, MSELoss
from tensorlite.nn.module import Module, RemovableHandle
from tensorlite.nn.parameter import Parameter

__all__ = [
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
    "utils",
]
