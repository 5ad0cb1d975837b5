"""TensorBoardLogger: the event files it writes, read back with tensorboard's EventAccumulator."""

import sys

import numpy as np
import pytest
from tensorboard.backend.event_processing import event_accumulator

import tensorlite as tl
from tensorlite import nn
from tensorlite.data import DataLoader, TensorDataset
from tensorlite.train import TensorBoardLogger, fit


def train(log_dir, epochs=3, histograms_every=2):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    tl.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    optimizer = tl.optim.SGD(model.parameters(), lr=0.3)
    scheduler = tl.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    val = DataLoader(TensorDataset(x[:20], y[:20]), batch_size=20)
    logger = TensorBoardLogger(log_dir, histograms_every=histograms_every)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs, val, scheduler=scheduler,
                  callbacks=[logger], progress=False, report=False)  # fmt: skip
    return model, history


def read(log_dir):
    accumulator = event_accumulator.EventAccumulator(
        str(log_dir), size_guidance={"histograms": 0, "scalars": 0}
    )
    return accumulator.Reload()


def test_scalars_are_the_history_per_epoch(tmp_path):
    _, history = train(tmp_path)
    events = read(tmp_path)
    scalars = events.Tags()["scalars"]
    assert set(scalars) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"}
    for key in ("loss", "val_accuracy", "lr"):
        logged = events.Scalars(key)
        assert [e.step for e in logged] == [1, 2, 3]
        np.testing.assert_allclose([e.value for e in logged], history[key], rtol=1e-6)  # stored as float32
    np.testing.assert_allclose([e.value for e in events.Scalars("lr")], [0.3, 0.15, 0.075], rtol=1e-7)


def test_histograms_per_layer_every_n_epochs(tmp_path):
    model, _ = train(tmp_path, epochs=3, histograms_every=2)
    events = read(tmp_path)
    tags = set(events.Tags()["histograms"])
    params = ["0.weight", "0.bias", "2.weight", "2.bias"]
    expected = {f"weights/{p}" for p in params} | {f"gradients/{p}" for p in params}
    expected |= {"activations/0_Linear", "activations/1_ReLU", "activations/2_Linear"}
    assert tags == expected
    for tag in expected:
        assert [e.step for e in events.Histograms(tag)] == [1, 3], tag  # epochs 1 and 1 + 2
    last = events.Histograms("weights/0.weight")[-1].histogram_value
    weight = model[0].weight.numpy()
    assert last.num == weight.size and last.min == pytest.approx(weight.min(), rel=1e-6)
    assert last.sum == pytest.approx(weight.sum(), rel=1e-4, abs=1e-5)
    relu = events.Histograms("activations/1_ReLU")[0].histogram_value
    assert relu.num == 16 * 8 and relu.min == 0.0  # the last training batch (16 rows), not validation's 20
    assert not model[1]._forward_hooks  # hooks are removed after the epochs that log histograms


def test_no_histograms_with_none_and_bad_input(tmp_path):
    train(tmp_path, epochs=1, histograms_every=None)
    assert read(tmp_path).Tags()["histograms"] == []
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match="histograms_every must be an int >= 1 or None"):
            TensorBoardLogger(tmp_path, histograms_every=bad)


def test_a_missing_tensorboardx_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)  # import tensorboardX now raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'tensorlite\[tensorboard\]'"):
        TensorBoardLogger(tmp_path)
