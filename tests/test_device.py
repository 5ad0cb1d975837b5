"""The device API on this CPU-only build: tl.device, tl.cuda, tl.accelerator, device= on factories and
layers, Tensor.to/cpu/cuda and Module.to/cpu/cuda. "cpu" works; an accelerator raises RuntimeError."""

import pickle

import numpy as np
import pytest

import tensorlite as tl
from tensorlite import nn

NO_CUDA = "tensorlite was built without CUDA"


def test_device_objects_parse_print_and_compare_like_torch():
    assert tl.device("cpu").type == "cpu" and tl.device("cpu").index is None
    assert tl.device("cuda:1").type == "cuda" and tl.device("cuda:1").index == 1
    assert tl.device("cuda", 2) == tl.device("cuda:2") and tl.device(tl.device("cuda:2")) == tl.device(
        "cuda:2"
    )
    assert (
        str(tl.device("cuda:1")) == "cuda:1" and repr(tl.device("cuda", 1)) == "device(type='cuda', index=1)"
    )
    assert repr(tl.device("cpu")) == "device(type='cpu')"
    assert tl.device("cpu") != tl.device("cpu:0") and tl.device("cpu") != "cpu"  # as torch compares them
    assert len({tl.device("cpu"), tl.device("cpu")}) == 1
    assert pickle.loads(pickle.dumps(tl.device("cuda:3"))) == tl.device("cuda:3")


@pytest.mark.parametrize("bad", ["gpu", "cuda:-1", "cpu:x", "cuda:0:1", ""])
def test_invalid_device_strings_raise(bad):
    with pytest.raises(RuntimeError, match="invalid device string|index"):
        tl.device(bad)


def test_no_accelerator_is_reported():
    assert tl.cuda.is_available() is False and tl.cuda.device_count() == 0
    assert tl.accelerator.is_available() is False and tl.accelerator.current_accelerator() is None
    tl.cuda.manual_seed_all(0)  # a no-op, as in torch without CUDA


FACTORIES = {
    "tensor": lambda d: tl.tensor([1.0, 2.0], device=d),
    "as_tensor": lambda d: tl.as_tensor([1.0], device=d),
    "zeros": lambda d: tl.zeros(2, device=d),
    "ones": lambda d: tl.ones(2, 3, device=d),
    "full": lambda d: tl.full((2,), 1.5, device=d),
    "empty": lambda d: tl.empty(2, device=d),
    "arange": lambda d: tl.arange(3, device=d),
    "linspace": lambda d: tl.linspace(0, 1, 3, device=d),
    "eye": lambda d: tl.eye(2, device=d),
    "rand": lambda d: tl.rand(2, device=d),
    "randn": lambda d: tl.randn(2, device=d),
    "randint": lambda d: tl.randint(0, 3, (2,), device=d),
    "zeros_like": lambda d: tl.zeros_like(tl.ones(2), device=d),
    "ones_like": lambda d: tl.ones_like(tl.ones(2), device=d),
    "full_like": lambda d: tl.full_like(tl.ones(2), 3.0, device=d),
    "rand_like": lambda d: tl.rand_like(tl.ones(2), device=d),
    "randn_like": lambda d: tl.randn_like(tl.ones(2), device=d),
    "empty_like": lambda d: tl.empty_like(tl.ones(2), device=d),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_factories_accept_cpu_and_refuse_cuda(name):
    for device in ("cpu", "cpu:0", tl.device("cpu"), None):
        assert FACTORIES[name](device).device == tl.device("cpu")
    for device in ("cuda", "cuda:0", tl.device("cuda", 1), 0):
        with pytest.raises(RuntimeError, match=NO_CUDA):
            FACTORIES[name](device)
    with pytest.raises(RuntimeError, match="without mps support"):
        FACTORIES[name]("mps")


def test_tensor_to_follows_torch_argument_forms():
    x = tl.ones(2, 3)
    assert x.to("cpu") is x and x.to(tl.device("cpu")) is x and x.cpu() is x and x.to(tl.float32) is x
    assert x.to("cpu", tl.float64).dtype == tl.float64 and x.to(tl.float64).dtype == tl.float64
    assert x.to(device="cpu", dtype=tl.float64, non_blocking=True).dtype == tl.float64
    assert x.to(tl.zeros(1, dtype=tl.float64)).dtype == tl.float64 and x.to(x) is x
    copied = x.to("cpu", copy=True)
    assert (
        copied is not x and copied.tolist() == x.tolist() and not np.shares_memory(copied.numpy(), x.numpy())
    )
    assert x.to(tl.float64, False, True).dtype == tl.float64
    assert x.device == tl.device("cpu") and not x.is_cuda
    for call in (
        lambda: x.to("cuda"),
        lambda: x.to("cuda:0", tl.float64),
        x.cuda,
        lambda: x.to(device="cuda"),
    ):
        with pytest.raises(RuntimeError, match=NO_CUDA):
            call()
    with pytest.raises(TypeError, match="unexpected keyword"):
        x.to(devices="cpu")


def test_to_a_new_dtype_is_differentiable():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    (x.to("cpu", tl.float64) * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0] and x.grad.dtype == tl.float32


def test_layers_take_pytorch_signatures_with_device_and_dtype():
    linear = nn.Linear(3, 2, True, "cpu")  # device in PyTorch's fourth slot, not in the dtype slot
    assert linear.weight.dtype == tl.float32 and linear.weight.shape == (2, 3)
    assert nn.Linear(3, 2, False, None, tl.float64).weight.dtype == tl.float64
    conv = nn.Conv2d(1, 2, 3, 1, 0, 1, 1, True, "zeros", "cpu", tl.float64)
    assert conv.weight.dtype == tl.float64
    bn = nn.BatchNorm2d(4, 1e-5, 0.1, True, True, "cpu", tl.float64)
    assert bn.running_mean.dtype == tl.float64
    for make in (
        lambda: nn.Linear(3, 2, device="cuda"),
        lambda: nn.Conv2d(1, 2, 3, device="cuda"),
        lambda: nn.BatchNorm1d(3, device="cuda:0"),
    ):
        with pytest.raises(RuntimeError, match=NO_CUDA):
            make()
    with pytest.raises(NotImplementedError, match="padding_mode='reflect'"):
        nn.Conv2d(1, 1, 3, padding_mode="reflect")


def test_module_to_cpu_cuda():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    weight = model[0].weight
    assert model.to("cpu") is model and model.cpu() is model and model[0].weight is weight
    assert model.to(tl.device("cpu")).to(device="cpu", non_blocking=True) is model
    assert weight.dtype == tl.float32
    model.to("cpu", tl.float64)
    assert weight.dtype == tl.float64 and model[1].running_var.dtype == tl.float64
    model.to(tl.zeros(1, dtype=tl.float32))
    assert weight.dtype == tl.float32
    for call in (lambda: model.to("cuda"), model.cuda, lambda: model.to("cuda", tl.float64)):
        with pytest.raises(RuntimeError, match=NO_CUDA):
            call()
    assert weight.dtype == tl.float32


def test_the_usual_device_idiom_runs_a_training_step():
    device = tl.device("cuda" if tl.cuda.is_available() else "cpu")
    model = nn.Linear(4, 1).to(device)
    x, y = tl.randn(8, 4).to(device), tl.randn(8, 1, device=device)
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    assert model.weight.grad.shape == (1, 4) and f"{loss:.3f}" == f"{loss.item():.3f}"
