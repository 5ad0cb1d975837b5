"""The optimization tutorial's FashionMNIST MLP and train/test loops on synthetic 28x28 images through
TensorDataset and DataLoader, with the buildmodel tutorial's device idiom."""

import numpy as np


def _images(rng, n):
    labels = rng.integers(0, 10, n)
    images = rng.uniform(0, 0.2, (n, 1, 28, 28)).astype(np.float32)
    for i, k in enumerate(labels):
        images[i, 0, 2 * k + 4 : 2 * k + 8, :] += 0.7
    return images, labels.astype(np.int64)


def run(torch, steps, seed, init=None):
    """Train on `steps` batches of 32 (one epoch); return each batch's loss, then the test loss."""
    nn = torch.nn
    from_numpy = torch.from_numpy
    DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    training_data = TensorDataset(*map(from_numpy, _images(rng, 32 * steps)))
    test_data = TensorDataset(*map(from_numpy, _images(rng, 64)))
    train_dataloader = DataLoader(training_data, batch_size=32)
    test_dataloader = DataLoader(test_data, batch_size=32)
    device = "cuda" if torch.cuda.is_available() else "cpu"

    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(
                nn.Linear(28 * 28, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)
            )

        def forward(self, x):
            return self.linear_relu_stack(self.flatten(x))

    model = NeuralNetwork().to(device)
    if init is not None:
        init(torch, model)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)

    losses = []
    model.train()
    for X, y in train_dataloader:
        X, y = X.to(device), y.to(device)
        loss = loss_fn(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in test_dataloader:
            pred = model(X.to(device))
            test_loss += loss_fn(pred, y.to(device)).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    assert 0 <= correct <= len(test_dataloader.dataset)
    return losses + [test_loss / len(test_dataloader)]
