"""An mnist_rnn-style classifier: 28x28 images read row by row by an LSTM (batch_first), BatchNorm1d,
Linear, log_softmax + nll_loss, Adadelta with StepLR. No dropout, so both libraries see the same
computation (their random streams differ)."""

import numpy as np


def run(torch, steps, seed, init=None):
    """Train for `steps` batches of 32; return each batch's loss."""
    nn, F = torch.nn, torch.nn.functional
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(input_size=28, hidden_size=32, batch_first=True)
            self.batchnorm = nn.BatchNorm1d(32)
            self.fc1 = nn.Linear(32, 10)

        def forward(self, input):
            input = input.reshape(-1, 28, 28)
            output, _ = self.rnn(input)
            output = self.batchnorm(output[:, -1, :])
            return F.log_softmax(self.fc1(output), dim=1)

    model = Net()
    if init is not None:
        init(torch, model)
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.7)
    model.train()
    losses = []
    for _ in range(steps):
        target = rng.integers(0, 10, 32)
        images = rng.uniform(0, 0.3, (32, 1, 28, 28)).astype(np.float32)
        images[np.arange(32), 0, 2 * target + 4, :] += 2.0
        data, target = torch.from_numpy(images), torch.from_numpy(target)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        scheduler.step()
        pred = output.argmax(dim=1, keepdim=True)
        correct = pred.eq(target.view_as(pred)).sum().item()
        assert 0 <= correct <= data.size(0)
        losses.append(loss.item())
    return losses
