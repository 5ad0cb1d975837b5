"""Small classic networks: an MLP, LeNet-5, an AlexNet-style and a VGG-style net for 32x32 images.

Weights use He initialization (kaiming normal, fan_in, ReLU gain: std = sqrt(2 / fan_in)) for ReLU
networks, Xavier for tanh/sigmoid MLPs; biases start at `bias_init` (0; a small positive value such as
0.01 keeps ReLU units active at the start, as the guides suggest).
"""

from tensorlite import nn

_ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
}


def _weight_init(activation):
    return "he_normal" if activation in ("relu", "leaky_relu", "gelu") else "xavier_normal"


def _check_activation(op, activation):
    if activation not in _ACTIVATIONS:
        raise ValueError(f"{op}: activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")


def _check_positive(op, **values):
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{op}: {name} must be a positive int, got {value!r}")


def mlp(sizes, activation="relu", dropout=0.0, bias_init=0.0):
    """Fully connected net Linear(sizes[0], sizes[1]) -> act -> [Dropout(dropout)] -> ... ->
    Linear(sizes[-2], sizes[-1]) (no activation after the last layer: it returns logits).
    Parameters: sum_i (sizes[i] + 1) sizes[i+1]."""
    sizes = list(sizes) if isinstance(sizes, (list, tuple)) else None
    if not sizes or len(sizes) < 2:
        raise ValueError(f"mlp: sizes must list at least the input and output sizes, got {sizes!r}")
    for s in sizes:
        _check_positive("mlp", size=s)
    _check_activation("mlp", activation)
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"mlp: dropout must be in [0, 1), got {dropout!r}")
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(fan_in, fan_out, weight_init=_weight_init(activation), bias_init=bias_init))
        if i < len(sizes) - 2:
            layers.append(_ACTIVATIONS[activation]())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def _conv(c_in, c_out, k, bias_init, padding=0):
    return nn.Conv2d(c_in, c_out, k, padding=padding, weight_init="he_normal", bias_init=bias_init)


def _linear(f_in, f_out, bias_init):
    return nn.Linear(f_in, f_out, weight_init="he_normal", bias_init=bias_init)


def lenet5(in_channels=1, num_classes=10, bias_init=0.0):
    """LeNet-5 (LeCun et al. 1998), the standard modern variant: conv 5x5 (6) -> ReLU -> max pool 2 ->
    conv 5x5 (16) -> ReLU -> max pool 2 -> FC 120 -> FC 84 -> FC num_classes, for 28x28 inputs padded by 2
    (the paper's 32x32). ReLU and max pooling replace the paper's scaled tanh and trainable subsampling,
    C3 is fully connected and the RBF output is a linear layer: 61,706 parameters for one input channel
    and 10 classes (the paper's partial C3 and RBF layer give about 60,000)."""
    _check_positive("lenet5", in_channels=in_channels, num_classes=num_classes)
    return nn.Sequential(
        _conv(in_channels, 6, 5, bias_init, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        _conv(6, 16, 5, bias_init), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        _linear(16 * 5 * 5, 120, bias_init), nn.ReLU(),
        _linear(120, 84, bias_init), nn.ReLU(),
        _linear(84, num_classes, bias_init),
    )  # fmt: skip


def alexnet_small(in_channels=3, num_classes=10, dropout=0.5, bias_init=0.0):
    """An AlexNet-style net for 32x32 inputs (Krizhevsky et al. 2012, scaled down): five 3x3/5x5 conv
    layers (64, 128, 192, 192, 128 channels) with ReLU and three 3x3/stride-2 max pools (32 -> 15 -> 7
    -> 3), then dropout, FC 1024, dropout, FC 512, FC num_classes."""
    _check_positive("alexnet_small", in_channels=in_channels, num_classes=num_classes)
    return nn.Sequential(
        _conv(in_channels, 64, 5, bias_init, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        _conv(64, 128, 5, bias_init, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        _conv(128, 192, 3, bias_init, padding=1), nn.ReLU(),
        _conv(192, 192, 3, bias_init, padding=1), nn.ReLU(),
        _conv(192, 128, 3, bias_init, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Flatten(),
        nn.Dropout(dropout), _linear(128 * 3 * 3, 1024, bias_init), nn.ReLU(),
        nn.Dropout(dropout), _linear(1024, 512, bias_init), nn.ReLU(),
        _linear(512, num_classes, bias_init),
    )  # fmt: skip


def vgg_small(in_channels=3, num_classes=10, widths=(64, 128, 256), batch_norm=True, bias_init=0.0):
    """A VGG-style net for 32x32 inputs (Simonyan and Zisserman 2015, scaled down): per width w, two 3x3
    convs (padding 1) -> [BatchNorm] -> ReLU, then a 2x2 max pool; then global average pooling and
    Linear(widths[-1], num_classes)."""
    _check_positive("vgg_small", in_channels=in_channels, num_classes=num_classes)
    layers, c = [], in_channels
    for w in widths:
        _check_positive("vgg_small", width=w)
        for _ in range(2):
            layers.append(_conv(c, w, 3, bias_init, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(w))
            layers.append(nn.ReLU())
            c = w
        layers.append(nn.MaxPool2d(2))
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), _linear(c, num_classes, bias_init)]
    return nn.Sequential(*layers)
