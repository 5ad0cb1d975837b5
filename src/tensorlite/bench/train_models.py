"""The training-step benchmark's models, written once against the torch-shaped API: each builder takes the
library's `nn` namespace (tensorlite.nn or torch.nn) and returns the same network. Initial weights come
from NumPy (initial_weights) and are copied into either library, so both start from identical numbers."""

import numpy as np


def mnist1d_cnn(nn):
    """MNIST-1D's ConvBase as Conv2d on (N, 1, 1, 40): three convolutions, 25 channels, kernels (1,5),
    (1,3), (1,3), stride (1,2), padding (0,1), each followed by ReLU; widths 40 -> 19 -> 10 -> 5, so
    25 x 5 = 125 features go into Linear(125, 10). (Padding 1 is the reference model's; it is the padding
    for which the issue's Linear(125, 10) fits.)"""
    return nn.Sequential(
        nn.Conv2d(1, 25, (1, 5), stride=(1, 2), padding=(0, 1)),
        nn.ReLU(),
        nn.Conv2d(25, 25, (1, 3), stride=(1, 2), padding=(0, 1)),
        nn.ReLU(),
        nn.Conv2d(25, 25, (1, 3), stride=(1, 2), padding=(0, 1)),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(125, 10),
    )


def lenet5(nn):
    """LeNet-5 for (N, 1, 28, 28) with ReLU and max pooling: conv5x5(1->6, pad 2)-pool2 ->
    conv5x5(6->16)-pool2 -> 16*5*5 = 400 -> 120 -> 84 -> 10."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, 10),
    )


def digits_cnn(nn):
    """The demo's CNN (tensorlite.demo.build_model("cnn")) for (N, 1, 8, 8) digits: conv3x3(1->32)-relu-
    maxpool2 -> conv3x3(32->64)-relu-maxpool2 -> linear(64*2*2 -> 10). Written out rather than imported
    from tensorlite.demo so that the PyTorch process never imports tensorlite (and its OpenMP settings)."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 2 * 2, 10),
    )


def mlp_40_100_100_10(nn):
    """MNIST-1D's MLPBase: 40 -> 100 -> 100 -> 10 with ReLU."""
    return nn.Sequential(nn.Linear(40, 100), nn.ReLU(), nn.Linear(100, 100), nn.ReLU(), nn.Linear(100, 10))


def deep_mlp_32(nn):
    """Ten Linear layers of width 32 (nine 32 -> 32 with ReLU, then 32 -> 10): an overhead-bound net."""
    layers = []
    for _ in range(9):
        layers += [nn.Linear(32, 32), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(32, 10))


# name -> (builder, input shape (batch first)); every model has 10 classes.
MODELS = {
    "mnist1d cnn": (mnist1d_cnn, (100, 1, 1, 40)),
    "lenet5": (lenet5, (64, 1, 28, 28)),
    "digits cnn": (digits_cnn, (64, 1, 8, 8)),
    "mlp 40-100-100-10": (mlp_40_100_100_10, (100, 40)),
    "mlp 10x32": (deep_mlp_32, (16, 32)),
}
CLASSES = 10


def initial_weights(shapes, seed=0):
    """One float32 array per parameter shape, in order: PyTorch's default init drawn with NumPy,
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = prod(shape[1:]) for weights; a bias (1-D) uses the
    fan_in of the weight before it."""
    rng = np.random.default_rng(seed)
    arrays, fan_in = [], 1
    for shape in shapes:
        if len(shape) > 1:
            fan_in = int(np.prod(shape[1:]))
        bound = 1.0 / np.sqrt(fan_in)
        arrays.append(rng.uniform(-bound, bound, shape).astype(np.float32))
    return arrays


def build(lib, name, seed=0):
    """(model, x, y) of model `name` in library `lib` (tensorlite or torch) with the NumPy initial weights
    copied in, and a seeded input batch and integer labels; identical numbers in either library."""
    builder, input_shape = MODELS[name]
    model = builder(lib.nn)
    params = list(model.parameters())
    with lib.no_grad():
        for param, array in zip(params, initial_weights([tuple(p.shape) for p in params], seed)):
            param.copy_(lib.from_numpy(array))
    rng = np.random.default_rng(seed + 1)
    x = lib.from_numpy(rng.standard_normal(input_shape).astype(np.float32))
    y = lib.from_numpy(rng.integers(0, CLASSES, input_shape[0]).astype(np.int64))
    return model, x, y


def training_step(lib, model, x, y, lr=1e-3):
    """A step function: zero the gradients, forward, cross-entropy loss, backward, Adam step; returns the
    loss tensor."""
    optimizer = lib.optim.Adam(model.parameters(), lr=lr)
    loss_fn = lib.nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return step


def forward_pass(lib, model, x):
    """A function that runs the model forward without recording a graph."""

    def forward():
        with lib.no_grad():
            return model(x)

    return forward
