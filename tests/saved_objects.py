"""Classes for the whole-object tl.save / tl.load tests (tests/serialization/test_objects*.py): they live
in an importable module, as a user's model classes do, and a helper that edits a file's JSON record and
seals it again, to test what tl.load does with a well-formed file that names something it should not."""

import json

import tensorlite as tl
import tensorlite.nn.functional as F
from tensorlite import nn
from tensorlite.serialization import _format


class Settings:
    """A plain object with a __dict__ (no Module)."""

    def __init__(self, **values):
        self.__dict__.update(values)


class Block(nn.Module):
    """Linear -> activation held as a function attribute (F.relu, stored by reference)."""

    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(width, width)
        self.activation = F.relu

    def forward(self, x):
        return self.activation(self.fc(x))


class LanguageModel(nn.Module):
    """Embedding -> RNN -> blocks -> decoder tied to the embedding, with a buffer, non-tensor attributes
    and one block used twice."""

    def __init__(self, rnn_type="LSTM", ntoken=11, width=6, dropout=0.0):
        super().__init__()
        self.rnn_type, self.ntoken, self.note, self.ratio = rnn_type, ntoken, "lm", 0.25
        self.extra = {"sizes": (ntoken, width), 3: None, "nan": float("nan"), "tags": {"a", "b"}}
        self.compute_dtype, self.where = tl.float32, tl.device("cpu")
        self.settings = Settings(clip=0.5, layers=[1, 2])
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, width)
        cls = {"LSTM": nn.LSTM, "GRU": nn.GRU}.get(rnn_type, nn.RNN)
        self.rnn = cls(width, width, 2, dropout=dropout)
        shared = Block(width)
        self.blocks = nn.ModuleList([shared, Block(width), shared])
        self.head = nn.Sequential(nn.Linear(width, width), nn.Tanh())
        self.decoder = nn.Linear(width, ntoken)
        self.decoder.weight = self.encoder.weight  # tied weights
        self.register_buffer("calls", tl.zeros(2, dtype=tl.int64))
        self.frozen = nn.Parameter(tl.ones(width), requires_grad=False)

    def forward(self, tokens):
        emb = self.drop(self.encoder(tokens))
        out, _ = self.rnn(emb)
        for block in self.blocks:
            out = block(out)
        return self.decoder(self.head(out) * self.frozen)


ALLOWED = [LanguageModel, Block, Settings, F.relu, nn.Dropout, nn.Embedding, nn.LSTM, nn.GRU, nn.RNN,
           nn.ModuleList, nn.Sequential, nn.Linear, nn.Tanh]  # fmt: skip


def reseal(data, edit):
    """The bytes of a tl.save file whose JSON record went through edit(record), sealed again with a
    correct SHA-256 (as an attacker could): tl.load's checks must then stand on their own."""
    metadata, entries, start = _format.parse(data)
    arrays = {name: _format.read_array(data, start, name, entry, False) for name, entry in entries.items()}
    record = json.loads(metadata[_format.STRUCTURE_KEY])
    edit(record)
    return b"".join(bytes(chunk) for chunk in _format.build(arrays, json.dumps(record)))


def find_nodes(node, kind):
    """Every node of the given type in a JSON record, depth first."""
    found = [node] if isinstance(node, dict) and node.get("type") == kind else []
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    for child in children:
        found += find_nodes(child, kind)
    return found
