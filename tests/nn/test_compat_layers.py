"""The layers added for PyTorch compatibility (issue 19): Embedding, LayerNorm, GroupNorm, Conv1d,
ConvTranspose2d, Upsample and the padding layers. Parameters and PyTorch's default init, agreement with
torch.nn modules given the same weights, constructor validation, device=, and small models that train."""

import math

import numpy as np
import pytest

import tensorlite as tl
from tensorlite import nn


def _torch_copy(torch, ours, theirs):
    """Copy our module's parameters into the torch module of the same structure."""
    with torch.no_grad():
        for (name, p), (tname, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
            assert name == tname
            tp.copy_(torch.tensor(p.numpy()))


def test_embedding_init_padding_row_and_from_pretrained():
    tl.manual_seed(0)
    emb = nn.Embedding(1000, 16, padding_idx=-1)
    w = emb.weight.numpy()
    assert emb.weight.shape == (1000, 16) and emb.padding_idx == 999
    assert (w[999] == 0).all()
    assert abs(w[:999].mean()) < 0.02 and abs(w[:999].std() - 1) < 0.02  # N(0, 1)
    assert repr(emb) == "Embedding(1000, 16, padding_idx=999)"
    table = np.arange(6.0).reshape(3, 2)
    frozen = nn.Embedding.from_pretrained(tl.tensor(table))
    assert not frozen.weight.requires_grad
    np.testing.assert_array_equal(frozen(tl.tensor(np.array([2, 0]))).numpy(), table[[2, 0]])
    trainable = nn.Embedding.from_pretrained(tl.tensor(table), freeze=False, padding_idx=1)
    assert trainable.weight.requires_grad and (trainable.weight.numpy()[1] == [2.0, 3.0]).all()
    trainable(tl.tensor(np.array([1, 1, 0]))).sum().backward()
    np.testing.assert_array_equal(trainable.weight.grad.numpy(), [[1.0, 1.0], [0.0, 0.0], [0.0, 0.0]])


def test_norm_layers_parameters_and_options():
    ln = nn.LayerNorm([4, 3])
    assert ln.weight.shape == ln.bias.shape == (4, 3) and (ln.weight.numpy() == 1).all()
    assert nn.LayerNorm(5, bias=False).bias is None
    assert list(nn.LayerNorm(5, elementwise_affine=False).parameters()) == []
    gn = nn.GroupNorm(2, 6)
    assert gn.weight.shape == (6,) and (gn.bias.numpy() == 0).all()
    assert list(nn.GroupNorm(3, 6, affine=False).parameters()) == []
    y = gn(tl.randn(2, 6, 5)).numpy().reshape(2, 2, 15)
    np.testing.assert_allclose(y.mean(axis=2), 0, atol=1e-6)
    with pytest.raises(ValueError, match="num_channels=6 must be divisible by num_groups=4"):
        nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match="input of shape .* has 4 channels, expected 6"):
        gn(tl.randn(2, 4, 3))


def test_conv_transpose2d_shapes_init_and_output_size():
    tl.manual_seed(1)
    deconv = nn.ConvTranspose2d(8, 6, 4, stride=2, padding=1, groups=2)
    assert deconv.weight.shape == (8, 3, 4, 4) and deconv.bias.shape == (6,)
    bound = 1 / math.sqrt(3 * 4 * 4)  # fan_in = weight.shape[1] * kh * kw, as PyTorch
    assert bound * 0.95 < np.abs(deconv.weight.numpy()).max() <= bound
    x = tl.randn(2, 8, 5, 7)
    assert deconv(x).shape == (2, 6, 10, 14)
    assert deconv(x, output_size=(11, 15)).shape == (2, 6, 11, 15)
    with pytest.raises(ValueError, match=r"output_size \(12, 14\) is not reachable .* must be in \[10, 11\]"):
        deconv(x, output_size=(12, 14))
    with pytest.raises(ValueError, match=r"output_padding \(2, 2\) must be smaller than stride \(2, 2\)"):
        nn.ConvTranspose2d(8, 1, 3, stride=2, output_padding=2)(x)
    assert (
        repr(deconv) == "ConvTranspose2d(8, 6, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1), groups=2)"
    )


def test_conv1d_shapes_and_padding_modes():
    conv = nn.Conv1d(4, 6, 3, padding=2, padding_mode="reflect")
    assert conv.weight.shape == (6, 4, 3)
    assert conv(tl.randn(2, 4, 9)).shape == (2, 6, 11)
    assert nn.Conv1d(4, 6, 4, padding="same")(tl.randn(4, 9)).shape == (6, 9)
    with pytest.raises(
        ValueError, match="padding_mode must be 'zeros', 'reflect' or 'replicate', got 'mirror'"
    ):
        nn.Conv1d(4, 6, 3, padding_mode="mirror")


def test_device_argument():
    assert nn.LayerNorm(3, device="cpu").weight.shape == (3,)
    assert nn.Conv1d(2, 2, 1, device="cpu:0").weight.shape == (2, 2, 1)
    with pytest.raises(RuntimeError, match="built without CUDA: Embedding cannot use device 'cuda'"):
        nn.Embedding(3, 2, device="cuda")
    with pytest.raises(RuntimeError, match="invalid device string 'gpu'"):
        nn.GroupNorm(1, 2, device="gpu")


def _torch_modules(torch):
    """(ours, theirs, input shape) pairs for the module comparison."""
    return [
        (nn.LayerNorm((5, 4), dtype=tl.float64), torch.nn.LayerNorm((5, 4), dtype=torch.float64), (3, 6, 5, 4)),
        (nn.GroupNorm(3, 6, dtype=tl.float64), torch.nn.GroupNorm(3, 6, dtype=torch.float64), (3, 6, 5, 4)),
        (nn.ConvTranspose2d(6, 4, 3, 2, 1, 1, dilation=2, dtype=tl.float64),
         torch.nn.ConvTranspose2d(6, 4, 3, 2, 1, 1, dilation=2, dtype=torch.float64), (2, 6, 5, 4)),
        (nn.Conv1d(6, 4, 3, padding=1, padding_mode="replicate", dtype=tl.float64),
         torch.nn.Conv1d(6, 4, 3, padding=1, padding_mode="replicate", dtype=torch.float64), (2, 6, 7)),
        (nn.Upsample(scale_factor=2, mode="bilinear"), torch.nn.Upsample(scale_factor=2, mode="bilinear"), (2, 3, 4, 5)),
        (nn.UpsamplingBilinear2d(size=(7, 3)), torch.nn.UpsamplingBilinear2d(size=(7, 3)), (2, 3, 4, 5)),
        (nn.UpsamplingNearest2d(scale_factor=3), torch.nn.UpsamplingNearest2d(scale_factor=3), (2, 3, 4, 5)),
        (nn.ReflectionPad2d((1, 2, 3, 0)), torch.nn.ReflectionPad2d((1, 2, 3, 0)), (2, 3, 4, 5)),
        (nn.ReplicationPad1d(2), torch.nn.ReplicationPad1d(2), (2, 3, 4)),
        (nn.ZeroPad2d(1), torch.nn.ZeroPad2d(1), (2, 3, 4, 5)),
        (nn.ConstantPad1d((2, 1), 0.5), torch.nn.ConstantPad1d((2, 1), 0.5), (2, 3, 4)),
    ]  # fmt: skip


def test_modules_match_pytorch_with_the_same_weights():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for ours, theirs, shape in _torch_modules(torch):
        with tl.no_grad():
            for p in ours.parameters():  # not the default init, so that the affine maps matter
                p[...] = rng.standard_normal(p.shape)
        _torch_copy(torch, ours, theirs)
        x = rng.standard_normal(shape)
        xl, xt = tl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        yl, yt = ours(xl), theirs(xt)
        dy = rng.standard_normal(tuple(yt.shape))
        yl.backward(tl.tensor(dy))
        yt.backward(torch.tensor(dy))
        name = type(ours).__name__
        np.testing.assert_allclose(yl.numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(xl.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)
        for p, tp in zip(ours.parameters(), theirs.parameters()):
            np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


def test_small_generator_and_sequence_model_train():
    """A DCGAN-style generator (ConvTranspose2d, GroupNorm, Upsample, pad, Conv2d) fits a fixed image, and
    an Embedding -> Conv1d -> LayerNorm -> Linear model fits next-token targets; both losses fall 5x."""
    tl.manual_seed(0)
    rng = np.random.default_rng(0)
    generator = nn.Sequential(
        nn.ConvTranspose2d(8, 16, 4, 1, 0), nn.GroupNorm(4, 16), nn.ReLU(),
        nn.ConvTranspose2d(16, 8, 4, 2, 1), nn.Upsample(scale_factor=2, mode="bilinear"),
        nn.ReflectionPad2d(1), nn.Conv2d(8, 1, 3), nn.Tanh(),
    )  # fmt: skip
    z = tl.tensor(rng.standard_normal((4, 8, 1, 1)).astype(np.float32))
    grid = np.linspace(0, np.pi, 16, dtype=np.float32)
    target = tl.tensor(0.5 * np.sin(grid[:, None] * np.arange(1, 5)[:, None, None, None] + grid))
    tokens = tl.tensor(rng.integers(0, 10, (8, 12)))
    next_tokens = tl.tensor((tokens.numpy() * 3 + 1) % 10)
    emb, conv, norm, head = (
        nn.Embedding(10, 16),
        nn.Conv1d(16, 16, 3, padding=1),
        nn.LayerNorm(16),
        nn.Linear(16, 10),
    )
    models = [generator, nn.ModuleList([emb, conv, norm, head])]

    def losses():
        image = tl.mse_loss(generator(z), target)
        hidden = conv(emb(tokens).transpose(1, 2)).transpose(1, 2)
        logits = head(norm(hidden).relu())
        return image, tl.cross_entropy(logits.reshape(-1, 10), next_tokens.reshape(-1))

    optimizers = [tl.optim.Adam(m.parameters(), lr=0.01) for m in models]
    first = [float(loss) for loss in losses()]
    for _ in range(60):
        for opt in optimizers:
            opt.zero_grad()
        image, text = losses()
        (image + text).backward()
        for opt in optimizers:
            opt.step()
    last = [float(loss) for loss in losses()]
    assert last[0] < first[0] / 5 and last[1] < first[1] / 5, (first, last)
