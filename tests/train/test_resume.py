"""fit(resume_from=...): a run stopped after 2 epochs and resumed for 2 more equals a 4-epoch run bit for
bit; overrides change the hyperparameters at resume; a checkpoint of another run is refused by name."""

import numpy as np
import pytest

import tensorlite as tl
from tensorlite import nn
from tensorlite.data import DataLoader, TensorDataset
from tensorlite.train import Callback, ModelCheckpoint, fit


def data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(96, 6)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 0.5)
    return x, y


def make_run(width=16, scheduler=True):
    """A fresh process's view of the run: the same seeds, a net with dropout, shuffled loader."""
    tl.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, width), nn.ReLU(), nn.Dropout(0.3), nn.Linear(width, 3))
    optimizer = tl.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    schedule = tl.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5) if scheduler else None
    x, y = data()
    train = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, generator=tl.Generator(1))
    val = DataLoader(TensorDataset(*data(1)), batch_size=32)
    tl.manual_seed(123)  # the global generator (dropout) is in some state when training starts
    return model, optimizer, schedule, train, val


def run_fit(epochs, callbacks=(), width=16, scheduler=True, **kwargs):
    model, optimizer, schedule, train, val = make_run(width, scheduler)
    history = fit(
        model, nn.CrossEntropyLoss(), optimizer, train, epochs, val, scheduler=schedule,
        callbacks=callbacks, progress=False, report=False, **kwargs,
    )  # fmt: skip
    return model, optimizer, history


def without_time(history):
    return {k: v for k, v in history.history.items() if k != "time"}


def test_resume_is_bit_identical_to_an_uninterrupted_run(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    full_model, full_optimizer, full = run_fit(4)
    run_fit(2, [ModelCheckpoint(path)])
    tl.manual_seed(999)  # the restart must not depend on the global generator's state before resuming
    model, optimizer, resumed = run_fit(4, resume_from=path)
    assert resumed.epoch == [1, 2, 3, 4]
    assert without_time(resumed) == without_time(full)  # exact floats: loss, accuracy, val_*, lr
    for (name, a), b in zip(model.state_dict().items(), full_model.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
    assert optimizer.param_groups[0]["lr"] == full_optimizer.param_groups[0]["lr"] == 0.2 * 0.5**4
    # without a checkpoint the continuation differs (shuffles, dropout and momentum start afresh)
    _, _, fresh = run_fit(2)
    assert fresh["loss"][0] != full["loss"][2]


class LRSeen(Callback):
    def on_train_begin(self, state):
        self.lrs = []

    def on_epoch_begin(self, state):
        self.lrs.append(state.optimizer.param_groups[0]["lr"])


def test_resume_with_a_lower_learning_rate_uses_it(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    run_fit(2, [ModelCheckpoint(path)], scheduler=False)
    seen = LRSeen()
    _, optimizer, history = run_fit(4, [seen], scheduler=False, resume_from=path, override={"lr": 1e-3})
    assert seen.lrs == [1e-3, 1e-3] and history["lr"] == [0.2, 0.2, 1e-3, 1e-3]
    assert optimizer.param_groups[0]["momentum"] == 0.9  # untouched values stay as saved
    # with a schedule the new rate is where the schedule continues from (StepLR gamma 0.5 per epoch)
    scheduled = tmp_path / "scheduled.safetensors"
    run_fit(2, [ModelCheckpoint(scheduled)])
    _, optimizer, history = run_fit(4, resume_from=scheduled, override={"lr": 1e-3, "momentum": 0.5})
    assert history["lr"][2:] == [1e-3, 5e-4] and optimizer.param_groups[0]["lr"] == pytest.approx(2.5e-4)
    assert optimizer.param_groups[0]["momentum"] == 0.5


def test_a_checkpoint_of_another_model_is_refused_naming_the_shapes(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    run_fit(1, [ModelCheckpoint(path)])
    model, optimizer, schedule, train, val = make_run(width=8)
    before = model.state_dict()["0.weight"].numpy().copy()
    with pytest.raises(ValueError, match=r"another model: 0\.weight: checkpoint \(16, 6\) vs model \(8, 6\)"):
        fit(model, nn.CrossEntropyLoss(), optimizer, train, 3, val, scheduler=schedule, resume_from=path)
    np.testing.assert_array_equal(model.state_dict()["0.weight"].numpy(), before)  # nothing changed
    with pytest.raises(ValueError, match=r"schedulers \['StepLR'\] but this run steps \[\]"):
        run_fit(3, scheduler=False, resume_from=path)
    with pytest.raises(ValueError, match="saved after epoch 1; epochs=1 leaves nothing to train"):
        run_fit(1, resume_from=path)
    with pytest.raises(ValueError, match="unknown hyperparameter 'betas' for SGD"):
        run_fit(3, resume_from=path, override={"betas": (0.9, 0.99)})
    with pytest.raises(ValueError, match="override applies when resuming"):
        run_fit(3, override={"lr": 0.1})
    weights = tmp_path / "weights.safetensors"
    run_fit(1, [ModelCheckpoint(weights, save_weights_only=True)])
    with pytest.raises(ValueError, match="is not a training checkpoint"):
        run_fit(3, resume_from=weights)
    model, _, schedule, train, val = make_run()
    adam = tl.optim.Adam(model.parameters())
    with pytest.raises(ValueError, match="holds a SGD state but the optimizer is Adam"):
        fit(model, nn.CrossEntropyLoss(), adam, train, 3, val, resume_from=path, report=False)
