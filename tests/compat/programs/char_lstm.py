"""A character-level LSTM language model (as word_language_model): Embedding, LSTM, Linear,
CrossEntropyLoss, truncated backpropagation with detached hidden state, clip_grad_norm_, Adam."""

import numpy as np

TEXT = "the quick brown fox jumps over the lazy dog. " * 8


def run(torch, steps, seed, init=None):
    """Train for `steps` batches of 16 characters x 4 streams; return the loss of each."""
    nn = torch.nn
    torch.manual_seed(seed)
    chars = sorted(set(TEXT))
    ids = torch.tensor(np.array([chars.index(c) for c in TEXT], dtype=np.int64))
    bsz, bptt = 4, 16
    data = ids[: len(ids) // bsz * bsz].view(bsz, -1).T  # (time, batch), as batchify

    class CharModel(nn.Module):
        def __init__(self, ntoken, ninp, nhid):
            super().__init__()
            self.encoder = nn.Embedding(ntoken, ninp)
            self.rnn = nn.LSTM(ninp, nhid, 1)
            self.decoder = nn.Linear(nhid, ntoken)

        def forward(self, x, hidden):
            output, hidden = self.rnn(self.encoder(x), hidden)
            return self.decoder(output), hidden

    model = CharModel(len(chars), 16, 32)
    if init is not None:
        init(torch, model)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    hidden = (torch.zeros(1, bsz, 32), torch.zeros(1, bsz, 32))
    losses, i = [], 0
    for _ in range(steps):
        if i + bptt + 1 > data.shape[0]:
            i, hidden = 0, (torch.zeros(1, bsz, 32), torch.zeros(1, bsz, 32))
        x, y = data[i : i + bptt], data[i + 1 : i + 1 + bptt]
        hidden = tuple(h.detach() for h in hidden)
        optimizer.zero_grad()
        output, hidden = model(x, hidden)
        loss = criterion(output.view(-1, len(chars)), y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
        i += bptt
    return losses
