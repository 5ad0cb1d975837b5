"""Neural-network building blocks: Module, Parameter, layers, losses, init, functional."""

from tensorlite import compat as _compat
from tensorlite.nn import functional, init, modules, parallel, utils
from tensorlite.nn.activation import (
    ELU,
    GELU,
    SELU,
    LeakyReLU,
    LogSoftmax,
    MultiheadAttention,
    ReLU,
    Sigmoid,
    Softmax,
    Softplus,
    Tanh,
)
from tensorlite.nn.container import ModuleDict, ModuleList, Sequential
from tensorlite.nn.conv import Conv1d, Conv2d, ConvTranspose2d
from tensorlite.nn.dropout import Dropout, Dropout2d
from tensorlite.nn.linear import Flatten, Identity, Linear, NonDynamicallyQuantizableLinear
from tensorlite.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from tensorlite.nn.module import Module, RemovableHandle
from tensorlite.nn.normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from tensorlite.nn.padding import (
    ConstantPad1d,
    ConstantPad2d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReplicationPad1d,
    ReplicationPad2d,
    ZeroPad2d,
)
from tensorlite.nn.parallel import DataParallel
from tensorlite.nn.parameter import Parameter
from tensorlite.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from tensorlite.nn.rnn import GRU, LSTM, RNN, RNNBase
from tensorlite.nn.rnn_cell import GRUCell, LSTMCell, RNNCell, RNNCellBase
from tensorlite.nn.sparse import Embedding
from tensorlite.nn.transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from tensorlite.nn.upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

__all__ = [
    "ELU",
    "GELU",
    "GRU",
    "LSTM",
    "RNN",
    "SELU",
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "ConstantPad1d",
    "ConstantPad2d",
    "Conv1d",
    "Conv2d",
    "ConvTranspose2d",
    "CrossEntropyLoss",
    "DataParallel",
    "Dropout",
    "Dropout2d",
    "Embedding",
    "Flatten",
    "GRUCell",
    "GroupNorm",
    "HuberLoss",
    "Identity",
    "L1Loss",
    "LSTMCell",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "MaxPool2d",
    "Module",
    "ModuleDict",
    "ModuleList",
    "MultiheadAttention",
    "NLLLoss",
    "NonDynamicallyQuantizableLinear",
    "Parameter",
    "RNNBase",
    "RNNCell",
    "RNNCellBase",
    "ReLU",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "RemovableHandle",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "Sequential",
    "Sigmoid",
    "SmoothL1Loss",
    "Softmax",
    "Softplus",
    "Tanh",
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
    "Upsample",
    "UpsamplingBilinear2d",
    "UpsamplingNearest2d",
    "ZeroPad2d",
    "functional",
    "init",
    "utils",
]

# A known torch name missing here raises NotImplementedError naming it (tensorlite.compat).
__getattr__ = _compat.module_getattr("torch.nn", "tensorlite.nn")
