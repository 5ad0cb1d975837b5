"""tl.nn.parallel (DataParallel, data_parallel): PyTorch's behaviour without GPUs is to run the module
on the whole input; the wrapper's state_dict keys start with "module." as PyTorch's."""

import numpy as np
import pytest

import tensorlite as tl
from tensorlite import nn


def test_dataparallel_runs_the_module_and_prefixes_state_dict_keys():
    tl.manual_seed(0)
    inner = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    wrapped = nn.DataParallel(inner, device_ids=[0, 1], output_device=0)
    assert wrapped.module is inner and wrapped.device_ids == [] and wrapped.dim == 0
    x = tl.randn(5, 3)
    np.testing.assert_array_equal(wrapped(x).detach().numpy(), inner(x).detach().numpy())
    assert list(wrapped.state_dict()) == [f"module.{k}" for k in inner.state_dict()]
    assert [id(p) for p in wrapped.parameters()] == [id(p) for p in inner.parameters()]
    wrapped(x).sum().backward()
    assert inner[0].weight.grad is not None


def test_dataparallel_state_dict_loads_into_a_wrapped_copy():
    a, b = nn.DataParallel(nn.Linear(2, 2)), nn.DataParallel(nn.Linear(2, 2))
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(b.module.weight.detach().numpy(), a.module.weight.detach().numpy())


def test_dataparallel_passes_keyword_arguments_and_train_mode():
    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor if self.training else x

    wrapped = nn.parallel.DataParallel(Scale())
    assert wrapped(tl.ones(2), factor=3.0).tolist() == [3.0, 3.0]
    wrapped.eval()
    assert wrapped(tl.ones(2), factor=3.0).tolist() == [1.0, 1.0]


def test_data_parallel_function_calls_the_module():
    layer = nn.Linear(3, 1)
    x = tl.ones(4, 3)
    out = nn.parallel.data_parallel(layer, x, range(2))
    np.testing.assert_array_equal(out.detach().numpy(), layer(x).detach().numpy())
    pair = nn.parallel.data_parallel(lambda a, b, c=0: a + b + c, (tl.ones(1), tl.ones(1)), module_kwargs={"c": 1})
    assert pair.tolist() == [3.0]
    assert nn.parallel.data_parallel(lambda: tl.zeros(1), None).tolist() == [0.0]


def test_dataparallel_bad_arguments():
    with pytest.raises(TypeError, match="module must be an nn.Module"):
        nn.DataParallel(lambda x: x)
    with pytest.raises(TypeError, match="dim must be an int"):
        nn.DataParallel(nn.Linear(1, 1), dim=1.0)


def test_distributed_data_parallel_is_a_known_missing_name():
    with pytest.raises(NotImplementedError, match="torch.nn.parallel.DistributedDataParallel"):
        nn.parallel.DistributedDataParallel  # noqa: B018
