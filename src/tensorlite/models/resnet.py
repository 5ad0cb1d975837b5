"""ResNet-20 for CIFAR-10 (He et al. 2016, section 4.2): a 3x3 conv (16), three stages of three basic
blocks (16, 32, 64 channels; the first block of stages 2 and 3 halves the resolution), global average
pooling and Linear(64, 10). Option A shortcuts: identity, or when the shape changes, the input subsampled
by 2 with zero channels appended, so shortcuts add no parameters: 269,722 in all (the paper's 0.27M)."""

from tensorlite import nn, ops
from tensorlite.creation import zeros


class BasicBlock(nn.Module):
    """y = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), 3x3 convs without bias (BatchNorm follows)."""

    def __init__(self, in_channels, out_channels, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False,
                               weight_init="he_normal")  # fmt: skip
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False, weight_init="he_normal")
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.stride, self.extra_channels = stride, out_channels - in_channels

    def shortcut(self, x):
        """Option A: x[:, :, ::s, ::s] with (out - in) zero channels split evenly before and after."""
        if self.stride == 1 and self.extra_channels == 0:
            return x
        x = x[:, :, :: self.stride, :: self.stride]
        n, _, h, w = x.shape
        before = self.extra_channels // 2
        pads = [zeros(n, c, h, w, dtype=x.dtype) for c in (before, self.extra_channels - before)]
        return ops.concat([pads[0], x, pads[1]], dim=1)

    def forward(self, x):
        out = ops.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return ops.relu(out + self.shortcut(x))


class ResNetCifar(nn.Module):
    """The CIFAR ResNet of depth 6n + 2 (n blocks per stage); resnet20() is n = 3."""

    def __init__(self, blocks_per_stage=3, num_classes=10, in_channels=3, widths=(16, 32, 64)):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False, weight_init="he_normal")
        self.bn = nn.BatchNorm2d(widths[0])
        blocks, c = [], widths[0]
        for stage, w in enumerate(widths):
            for i in range(blocks_per_stage):
                blocks.append(BasicBlock(c, w, stride=2 if stage > 0 and i == 0 else 1))
                c = w
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, num_classes, weight_init="he_normal", bias_init=0.0)

    def forward(self, x):
        out = self.blocks(ops.relu(self.bn(self.conv(x))))
        return self.fc(ops.flatten(self.pool(out), 1))


def resnet20(num_classes=10, in_channels=3):
    """ResNet-20 (He et al. 2016) for 32x32 images: 19 conv layers + 1 FC, 269,722 parameters for 3
    input channels and 10 classes."""
    for name, v in (("num_classes", num_classes), ("in_channels", in_channels)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValueError(f"resnet20: {name} must be a positive int, got {v!r}")
    return ResNetCifar(3, num_classes, in_channels)
