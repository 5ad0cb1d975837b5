"""An LSTMCell sequence predictor trained with LBFGS in double precision (as time_sequence_prediction)."""

import numpy as np

HIDDEN = 16


def run(torch, steps, seed, init=None):
    """Run `steps` LBFGS steps (up to 20 evaluations each); return the loss each step starts from."""
    nn = torch.nn
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x = np.arange(31) + rng.integers(-20, 20, (6, 1))
    data = np.sin(x / 4.0).astype("float64")
    input, target = torch.from_numpy(data[:, :-1]), torch.from_numpy(data[:, 1:])

    class Sequence(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm1 = nn.LSTMCell(1, HIDDEN)
            self.lstm2 = nn.LSTMCell(HIDDEN, HIDDEN)
            self.linear = nn.Linear(HIDDEN, 1)

        def forward(self, input):
            outputs = []
            h_t = torch.zeros(input.shape[0], HIDDEN, dtype=torch.double)
            c_t = torch.zeros(input.shape[0], HIDDEN, dtype=torch.double)
            h_t2 = torch.zeros(input.shape[0], HIDDEN, dtype=torch.double)
            c_t2 = torch.zeros(input.shape[0], HIDDEN, dtype=torch.double)
            for input_t in input.split(1, dim=1):
                h_t, c_t = self.lstm1(input_t, (h_t, c_t))
                h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
                outputs += [self.linear(h_t2)]
            return torch.cat(outputs, dim=1)

    seq = Sequence()
    seq.double()
    if init is not None:
        init(torch, seq)
    criterion = nn.MSELoss()
    optimizer = torch.optim.LBFGS(seq.parameters(), lr=0.8)
    losses = []
    for _ in range(steps):

        def closure():
            optimizer.zero_grad()
            loss = criterion(seq(input), target)
            loss.backward()
            return loss

        losses.append(optimizer.step(closure).item())
    with torch.no_grad():
        losses.append(criterion(seq(input), target).item())
    return losses
