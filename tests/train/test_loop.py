"""fit / evaluate / predict: history, train/eval modes, no_grad, progress bars, non-finite losses."""

import math

import numpy as np
import pytest

import tensorlite as tl
from tensorlite import nn
from tensorlite.data import DataLoader, TensorDataset
from tensorlite.train import Callback, NonFiniteLossError, accuracy, evaluate, fit, predict


def blobs(n=64, seed=0):
    """Two well separated Gaussian blobs in 2-D, labels 0/1."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.normal(0, 0.5, (n, 2)).astype(np.float32) + np.where(y[:, None] == 1, 2.0, -2.0).astype(
        np.float32
    )
    return x, y


def loaders(batch_size=16):
    x, y = blobs()
    train = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True, generator=tl.Generator(0))
    val = DataLoader(TensorDataset(*blobs(32, seed=1)), batch_size=32)
    return train, val


def linear_model():
    tl.manual_seed(0)
    return nn.Linear(2, 2)


def test_fit_learns_and_records_history():
    train, val = loaders()
    model = linear_model()
    history = fit(
        model, nn.CrossEntropyLoss(), tl.optim.SGD(model.parameters(), lr=0.5), train, 5, val, progress=False
    )
    assert history.epoch == [1, 2, 3, 4, 5] and len(history) == 5
    assert set(history.keys()) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"}
    assert history["loss"][-1] < history["loss"][0] and history["val_accuracy"][-1] == 1.0
    assert history["lr"] == [0.5] * 5 and all(t > 0 for t in history["time"])
    assert evaluate(model, val, nn.CrossEntropyLoss())["loss"] == pytest.approx(
        history["val_loss"][-1], rel=1e-6
    )
    with pytest.raises(KeyError, match="History has no 'val_auc'"):
        history["val_auc"]


def test_epoch_loss_is_the_sample_weighted_mean_of_batch_losses():
    x, y = blobs(10)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)  # batches of 4, 4, 2
    model = linear_model()
    loss_fn = nn.CrossEntropyLoss()
    expected = [loss_fn(model(xb), yb).item() * len(yb) for xb, yb in loader]
    result = evaluate(model, loader, loss_fn)
    assert result["loss"] == pytest.approx(sum(expected) / 10, rel=1e-6)
    logits = model(tl.tensor(x)).detach().numpy()
    assert result["accuracy"] == pytest.approx(np.mean(logits.argmax(1) == y))


class ModeRecorder(nn.Module):
    """Records (training flag, grad enabled) at every forward."""

    def __init__(self):
        super().__init__()
        self.inner = nn.Linear(2, 2)
        self.seen = []

    def forward(self, x):
        self.seen.append((self.training, tl.is_grad_enabled()))
        return self.inner(x)


def test_fit_trains_in_train_mode_and_validates_in_eval_mode_without_grad():
    train, val = loaders(batch_size=64)
    model = ModeRecorder()
    model.eval()
    fit(model, nn.CrossEntropyLoss(), tl.optim.SGD(model.parameters(), lr=0.1), train, 1, val, progress=False)
    assert model.seen == [(True, True), (False, False)]
    assert model.training  # fit leaves the model in training mode, as after the last step
    model.eval()
    evaluate(model, val)
    predict(model, tl.zeros(3, 2))
    assert model.seen[-2:] == [(False, False), (False, False)] and not model.training


def test_predict_matches_the_model_in_batches():
    model = linear_model()
    x = np.random.default_rng(0).normal(size=(70, 2)).astype(np.float32)
    out = predict(model, x, batch_size=32)
    np.testing.assert_allclose(out.detach().numpy(), model(tl.tensor(x)).detach().numpy(), rtol=1e-6)
    from_loader = predict(model, DataLoader(TensorDataset(x, np.zeros(70)), batch_size=8))
    np.testing.assert_allclose(from_loader.numpy(), out.numpy(), rtol=1e-6)


def test_progress_bar_only_on_a_terminal(capsys, monkeypatch):
    train, _ = loaders()
    model = linear_model()
    optimizer = tl.optim.SGD(model.parameters(), lr=0.1)
    fit(model, nn.CrossEntropyLoss(), optimizer, train, 1)  # pytest's stderr is not a TTY
    assert capsys.readouterr().err == ""
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    fit(model, nn.CrossEntropyLoss(), optimizer, train, 2)
    err = capsys.readouterr().err
    assert "epoch 1/2" in err and "epoch 2/2" in err and "loss=" in err and "accuracy=" in err
    fit(model, nn.CrossEntropyLoss(), optimizer, train, 1, progress=False)
    assert capsys.readouterr().err == ""


class Counter(nn.Module):
    """A linear layer with a buffer that forward() updates (like batch-norm running statistics)."""

    def __init__(self):
        super().__init__()
        self.inner = nn.Linear(2, 2)
        self.register_buffer("calls", tl.zeros(1))

    def forward(self, x):
        self.calls.data += 1
        return self.inner(x)


class NaNAtCall:
    """Cross-entropy that turns into NaN from call number `bad` on."""

    def __init__(self, bad):
        self.bad, self.calls = bad, 0

    def __call__(self, outputs, targets):
        self.calls += 1
        loss = nn.functional.cross_entropy(outputs, targets)
        return loss * float("nan") if self.calls >= self.bad else loss


class Snapshot(Callback):
    def on_batch_end(self, state, logs):
        self.params = {k: v.numpy().copy() for k, v in state.model.state_dict().items()}
        self.loss = logs["loss"]


def test_nan_loss_stops_with_epoch_step_and_last_finite_loss_and_keeps_the_model():
    train, _ = loaders(batch_size=16)  # 4 steps per epoch: call 7 is epoch 2, step 3
    model = Counter()
    snapshot = Snapshot()
    with pytest.raises(NonFiniteLossError) as info:
        fit(
            model,
            NaNAtCall(7),
            tl.optim.SGD(model.parameters(), lr=0.1),
            train,
            3,
            callbacks=[snapshot],
            progress=False,
        )
    err = info.value
    assert (err.epoch, err.step) == (2, 3) and err.last_finite_loss == snapshot.loss
    message = str(err)
    assert "loss is nan at epoch 2, step 3 (step 7 overall)" in message
    assert f"last finite loss was {snapshot.loss:.6g}" in message
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), snapshot.params[key])
    assert model.calls.item() == 6  # the bad step's forward is undone too


def test_nan_in_the_first_step_and_inf_are_reported():
    train, _ = loaders()
    model = linear_model()
    with pytest.raises(NonFiniteLossError, match="at epoch 1, step 1 .*no finite loss was seen before it"):
        fit(model, NaNAtCall(1), tl.optim.SGD(model.parameters(), lr=0.1), train, 1, progress=False)

    def infinite(outputs, targets):
        return nn.functional.cross_entropy(outputs, targets) * math.inf

    with pytest.raises(NonFiniteLossError, match="loss is inf"):
        fit(model, infinite, tl.optim.SGD(model.parameters(), lr=0.1), train, 1, progress=False)


def test_bad_arguments():
    train, _ = loaders()
    model = linear_model()
    optimizer = tl.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="epochs must be an int >= 1, got 0"):
        fit(model, nn.CrossEntropyLoss(), optimizer, train, 0)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        fit(model, nn.CrossEntropyLoss(), optimizer, train, 1, metrics=("f1",))
    with pytest.raises(ValueError, match="each batch must be \\(inputs, targets\\), got a list of 1"):
        fit(
            model,
            nn.CrossEntropyLoss(),
            optimizer,
            DataLoader(TensorDataset(np.zeros((4, 2))), batch_size=2),
            1,
        )


def test_accuracy_metric_shapes():
    assert accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1])) == 0.5
    assert accuracy(np.array([[0.1, 0.9]]), np.array([[0, 1]])) == 1.0
    assert accuracy(np.array([[2.0], [-1.0], [3.0]]), np.array([1.0, 0.0, 0.0])) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match=r"outputs of shape \(2, 3\) do not match targets of shape \(3,\)"):
        accuracy(np.zeros((2, 3)), np.zeros(3))
