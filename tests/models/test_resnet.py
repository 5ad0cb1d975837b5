"""resnet20: the option-A parameter count of He et al. 2016 (269,722, checked against the same net built in
torch when installed), the zero-padded shortcut, shapes and gradients."""

import numpy as np
import pytest

import tensorlite as tl
from tensorlite import models


def count(model):
    return sum(p.numpy().size for p in model.parameters())


def test_resnet20_has_269722_parameters():
    assert count(models.resnet20()) == 269722  # the paper's "0.27M"
    convs = [m for m in models.resnet20().modules() if type(m).__name__ == "Conv2d"]
    assert len(convs) == 19  # + the FC layer: 20 weighted layers


def test_option_a_shortcut_subsamples_and_pads_with_zero_channels():
    block = models.BasicBlock(16, 32, stride=2)
    x = tl.randn(2, 16, 8, 8)
    s = block.shortcut(x).numpy()
    assert s.shape == (2, 32, 4, 4)
    np.testing.assert_array_equal(s[:, 8:24], x.numpy()[:, :, ::2, ::2])
    np.testing.assert_array_equal(s[:, :8], 0.0)
    np.testing.assert_array_equal(s[:, 24:], 0.0)
    assert models.BasicBlock(16, 16, 1).shortcut(x) is x


def test_forward_backward_and_eval_mode():
    tl.manual_seed(0)
    m = models.resnet20()
    x = tl.randn(4, 3, 32, 32)
    out = m(x)
    assert out.shape == (4, 10)
    tl.nn.CrossEntropyLoss()(out, tl.tensor([0, 1, 2, 3])).backward()
    assert all(p.grad is not None for p in m.parameters())
    m.eval()
    np.testing.assert_array_equal(m(x).numpy(), m(x).numpy())


def test_the_same_net_in_torch_has_the_same_count():
    torch = pytest.importorskip("torch")
    tnn = torch.nn

    class Block(tnn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.c1 = tnn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.b1 = tnn.BatchNorm2d(cout)
            self.c2 = tnn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.b2 = tnn.BatchNorm2d(cout)
            self.pad = (cout - cin) // 2

        def forward(self, x):
            out = self.b2(self.c2(torch.relu(self.b1(self.c1(x)))))
            short = (
                x
                if self.pad == 0
                else tnn.functional.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))
            )
            return torch.relu(out + short)

    layers, c = [tnn.Conv2d(3, 16, 3, 1, 1, bias=False), tnn.BatchNorm2d(16), tnn.ReLU()], 16
    for stage, w in enumerate((16, 32, 64)):
        for i in range(3):
            layers.append(Block(c, w, 2 if stage and i == 0 else 1))
            c = w
    net = tnn.Sequential(*layers, tnn.AdaptiveAvgPool2d(1), tnn.Flatten(), tnn.Linear(64, 10))
    assert net(torch.zeros(1, 3, 32, 32)).shape == (1, 10)
    assert sum(p.numel() for p in net.parameters()) == count(models.resnet20()) == 269722
