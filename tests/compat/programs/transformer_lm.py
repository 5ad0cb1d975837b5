"""A character-level Transformer language model in the shape of word_language_model's Transformer: a
class that subclasses nn.Transformer, keeps only its encoder (with the causal mask from
generate_square_subsequent_mask), replaces the decoder stack with a Linear head, adds token and learned
position embeddings, and trains with cross_entropy, clip_grad_norm_ and Adam. dropout=0, so both libraries
run the same computation (their random streams differ)."""

import math

import numpy as np

TEXT = "a transformer reads every token at once and masks the future. " * 6


def run(torch, steps, seed, init=None):
    """Train for `steps` batches of 12 characters x 4 streams, batch first; return each batch's loss."""
    nn, F = torch.nn, torch.nn.functional
    torch.manual_seed(seed)
    vocab = sorted(set(TEXT))
    ids = np.array([vocab.index(c) for c in TEXT], dtype=np.int64)
    streams, length = 4, 12
    data = torch.tensor(ids[: len(ids) // streams * streams]).view(streams, -1)  # (batch, time)

    class CharTransformer(nn.Transformer):
        def __init__(self, ntoken, d_model, nhead, d_hid, nlayers, max_len=64):
            super().__init__(d_model=d_model, nhead=nhead, num_encoder_layers=nlayers, num_decoder_layers=1,
                             dim_feedforward=d_hid, dropout=0.0, batch_first=True)  # fmt: skip
            self.embed = nn.Embedding(ntoken, d_model)
            self.position = nn.Embedding(max_len, d_model)
            self.decoder = nn.Linear(d_model, ntoken)  # the decoder stack is not needed: a plain head
            self.scale = math.sqrt(d_model)
            self.mask = None

        def forward(self, tokens):
            seq_len = tokens.size(1)
            if self.mask is None or self.mask.size(0) != seq_len:
                self.mask = self.generate_square_subsequent_mask(seq_len)
            positions = torch.arange(seq_len).unsqueeze(0)
            x = self.embed(tokens) * self.scale + self.position(positions)
            return self.decoder(self.encoder(x, mask=self.mask, is_causal=True))

    model = CharTransformer(len(vocab), 16, 2, 32, 2)
    if init is not None:
        init(torch, model)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    losses, i = [], 0
    model.train()
    for _ in range(steps):
        if i + length + 1 > data.size(1):
            i = 0
        x, y = data[:, i : i + length], data[:, i + 1 : i + 1 + length]
        optimizer.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, len(vocab)), y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        optimizer.step()
        losses.append(loss.item())
        i += length
    return losses
