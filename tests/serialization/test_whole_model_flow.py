"""The word_language_model flow in PyTorch idioms: train an RNN language model for 2 steps, torch.save
the whole model to an open file, torch.load it inside torch.serialization.safe_globals([...]) with
PyTorch's module paths to the layers, flatten_parameters(), evaluate: the same loss as before saving."""

import numpy as np
import pytest
from saved_objects import Block, LanguageModel, Settings

import tensorlite as torch
import tensorlite.nn.functional as F
from tensorlite import nn


def _evaluate(model, data, targets):
    model.eval()
    with torch.no_grad():
        output = model(data)
        return F.cross_entropy(output.view(-1, model.ntoken), targets.view(-1)).item()


@pytest.mark.parametrize("rnn_type", ["LSTM", "GRU", "RNN_TANH"])
def test_train_save_whole_load_under_safe_globals_evaluate(tmp_path, rnn_type):
    torch.manual_seed(3)
    rng = np.random.default_rng(3)
    data, targets = (torch.tensor(rng.integers(0, 11, size=(7, 4))) for _ in range(2))
    model = LanguageModel(rnn_type, dropout=0.2)
    criterion = nn.CrossEntropyLoss()
    model.train()
    for _ in range(2):
        model.zero_grad()
        loss = criterion(model(data).view(-1, 11), targets.view(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        for p in model.parameters():
            if p.grad is not None:  # the frozen one has none
                p.data.add_(p.grad, alpha=-20.0)
    before = _evaluate(model, data, targets)
    path = tmp_path / "model.pt"
    with open(path, "wb") as f:
        torch.save(model, f)
    safe_globals = [
        LanguageModel, Block, Settings, torch.nn.functional.relu, torch.nn.modules.dropout.Dropout,
        torch.nn.modules.linear.Linear, torch.nn.modules.rnn.GRU, torch.nn.modules.rnn.LSTM,
        torch.nn.modules.rnn.RNN, torch.nn.modules.sparse.Embedding, torch.nn.modules.container.ModuleList,
        torch.nn.modules.container.Sequential, torch.nn.modules.activation.Tanh,
    ]  # fmt: skip
    with open(path, "rb") as f, torch.serialization.safe_globals(safe_globals):
        loaded = torch.load(f)
    loaded.rnn.flatten_parameters()
    assert _evaluate(loaded, data, targets) == before
    assert loaded.rnn.dropout == 0.2 and loaded.drop.p == 0.2
