"""Small PyTorch-compatibility surfaces the public example scripts reach: tl.backends, tl.onnx,
tl.nn.modules paths, Tensor.is_cuda & co., Module.requires_grad_."""

import subprocess
import sys

import numpy as np
import pytest

import tensorlite as tl
from tensorlite import nn
from tensorlite.backends import cudnn


def test_cudnn_flags_are_plain_attributes_and_cudnn_is_unavailable():
    assert cudnn.is_available() is False and cudnn.version() is None
    assert (cudnn.enabled, cudnn.benchmark, cudnn.deterministic) == (True, False, False)  # PyTorch's defaults
    previous = cudnn.benchmark
    try:
        cudnn.benchmark = True  # dcgan's line
        assert tl.backends.cudnn.benchmark is True
    finally:
        cudnn.benchmark = previous
    assert tl.backends.mps.is_available() is False and tl.backends.mps.is_built() is False


def test_onnx_imports_and_export_raises_naming_it():
    import tensorlite.onnx

    with pytest.raises(NotImplementedError, match="torch.onnx.export is not implemented"):
        tensorlite.onnx.export(nn.Linear(2, 2), (tl.ones(1, 2),), "model.onnx")
    with pytest.raises(AttributeError):
        tensorlite.onnx.no_such_name  # noqa: B018


def test_nn_modules_paths_name_the_layer_classes():
    assert nn.modules.linear.Linear is nn.Linear
    assert nn.modules.rnn.LSTM is nn.LSTM and nn.modules.rnn.GRU is nn.GRU and nn.modules.rnn.RNN is nn.RNN
    assert nn.modules.sparse.Embedding is nn.Embedding
    assert nn.modules.dropout.Dropout is nn.Dropout
    assert nn.modules.module.Module is nn.Module
    code = "import tensorlite.nn.modules.container as c, tensorlite as tl; assert c.ModuleList is tl.nn.ModuleList"
    subprocess.run([sys.executable, "-c", code], check=True)  # a fresh interpreter: the import statement


def test_device_flags_of_a_tensor():
    x = tl.ones(2)
    assert (x.is_cuda, x.is_xpu, x.is_mps, x.is_cpu) == (False, False, False, True)


def test_module_requires_grad_freezes_and_unfreezes():
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    assert model.requires_grad_(False) is model
    assert not any(p.requires_grad for p in model.parameters())
    model(tl.ones(4, 2)).sum()  # no graph: nothing requires grad
    model[1].requires_grad_()
    out = model(tl.ones(4, 2)).sum()
    out.backward()
    assert model[0].weight.grad is None
    np.testing.assert_allclose(model[1].bias.grad.numpy(), [4.0])
