"""tl.nn.modules: PyTorch's module paths to the layer classes (torch.nn.modules.linear.Linear,
torch.nn.modules.rnn.LSTM, ...), which scripts spell out, e.g. in torch.serialization.safe_globals lists.
Each tl.nn.modules.<name> is the tensorlite.nn module that defines those layers, also for `import`."""

import sys

from tensorlite import compat as _compat
from tensorlite.nn import (
    activation,
    container,
    conv,
    dropout,
    linear,
    loss,
    module,
    normalization,
    padding,
    pooling,
    rnn,
    sparse,
    transformer,
    upsampling,
)

_PATHS = (activation, container, conv, dropout, linear, loss, module, normalization, padding, pooling, rnn,
          sparse, transformer, upsampling)  # fmt: skip
for _module in _PATHS:  # so that `import tensorlite.nn.modules.linear` finds the same module
    sys.modules[f"{__name__}.{_module.__name__.rpartition('.')[2]}"] = _module

__getattr__ = _compat.module_getattr("torch.nn.modules", "tensorlite.nn.modules")
