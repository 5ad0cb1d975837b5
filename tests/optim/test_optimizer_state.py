"""Optimizer state dicts: PyTorch's layout, round trips (in memory and through tl.save / tl.load),
mismatch errors, and the resume-is-bit-identical guarantee for every optimizer and a schedule."""

import numpy as np
import pytest

import tensorlite as tl

ALL_OPTIMIZERS = {
    "SGD": lambda ps: tl.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "Momentum": lambda ps: tl.optim.Momentum(ps, lr=0.05, mu=0.8),
    "Adagrad": lambda ps: tl.optim.Adagrad(ps, lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1),
    "RMSprop": lambda ps: tl.optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True, weight_decay=1e-3),
    "Adam": lambda ps: tl.optim.Adam(ps, lr=0.01, amsgrad=True, weight_decay=1e-3),
    "AdamW": lambda ps: tl.optim.AdamW(ps, lr=0.01),
    "NAdam": lambda ps: tl.optim.NAdam(ps, lr=0.01, decoupled_weight_decay=True, weight_decay=1e-2),
    "Adadelta": lambda ps: tl.optim.Adadelta(ps, lr=1.0, weight_decay=1e-3),
}


def _model(seed=0):
    tl.manual_seed(seed)
    return tl.nn.Sequential(tl.nn.Linear(5, 8), tl.nn.Tanh(), tl.nn.Linear(8, 3))


def _groups(model):
    """Two param groups with different learning rates (the second overriding the default)."""
    first, second = model[0], model[2]
    return [{"params": list(first.parameters())}, {"params": list(second.parameters()), "lr": 0.02}]


def _train(model, optimizer, scheduler, steps, seed):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x = tl.tensor(rng.standard_normal((16, 5)).astype(np.float32))
        y = tl.tensor(rng.standard_normal((16, 3)).astype(np.float32))
        optimizer.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        optimizer.step()
        scheduler.step()


def _scheduler(optimizer):
    return tl.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)


@pytest.mark.parametrize("name", sorted(ALL_OPTIMIZERS))
def test_resume_from_checkpoint_is_bit_identical(name, tmp_path):
    make = ALL_OPTIMIZERS[name]
    model = _model()
    optimizer = make(_groups(model))
    scheduler = _scheduler(optimizer)
    _train(model, optimizer, scheduler, steps=5, seed=1)
    path = tmp_path / "checkpoint.safetensors"
    tl.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
        },
        path,
    )
    _train(model, optimizer, scheduler, steps=7, seed=2)

    resumed = _model(seed=123)  # different initial weights: everything must come from the file
    resumed_optimizer = make(_groups(resumed))
    resumed_scheduler = _scheduler(resumed_optimizer)
    checkpoint = tl.load(path)
    resumed.load_state_dict(checkpoint["model"])
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    resumed_scheduler.load_state_dict(checkpoint["scheduler"])
    _train(resumed, resumed_optimizer, resumed_scheduler, steps=7, seed=2)

    for (key, a), (_, b) in zip(model.state_dict().items(), resumed.state_dict().items()):
        assert np.array_equal(a.numpy(), b.numpy()), f"{name}: {key} differs after resuming"
    assert resumed_scheduler.get_last_lr() == scheduler.get_last_lr()


def test_state_dict_layout_is_pytorch_s():
    model = _model()
    optimizer = tl.optim.Adam(_groups(model), lr=0.01, amsgrad=True)
    _train(model, optimizer, _scheduler(optimizer), steps=2, seed=0)
    state = optimizer.state_dict()
    assert [g["params"] for g in state["param_groups"]] == [[0, 1], [2, 3]]
    assert [g["lr"] for g in state["param_groups"]] == [0.01, 0.02]
    assert state["param_groups"][0]["betas"] == (0.9, 0.999)
    assert sorted(state["state"]) == [0, 1, 2, 3]
    entry = state["state"][2]
    assert entry["step"] == 2 and set(entry) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert entry["exp_avg"].shape == model[2].weight.shape


def test_load_copies_buffers():
    p = tl.nn.Parameter(np.ones(3))
    optimizer = tl.optim.Adam([p], lr=0.1)
    p.grad = tl.tensor(np.ones(3))
    optimizer.step()
    saved = optimizer.state_dict()
    other = tl.optim.Adam([tl.nn.Parameter(np.ones(3))], lr=0.1)
    other.load_state_dict(saved)
    other_state = next(iter(other.state.values()))
    assert other_state["exp_avg"].numpy() is not saved["state"][0]["exp_avg"].numpy()
    np.testing.assert_array_equal(other_state["exp_avg"].numpy(), saved["state"][0]["exp_avg"].numpy())


def test_load_casts_buffers_to_the_parameter_dtype():
    p = tl.nn.Parameter(np.ones(3, np.float32))
    optimizer = tl.optim.Adagrad([p])
    optimizer.load_state_dict(
        {
            "state": {0: {"step": np.array(4), "sum": np.full(3, 2.0)}},
            "param_groups": [dict(optimizer.state_dict()["param_groups"][0])],
        }
    )
    state = optimizer.state[p]
    assert state["step"] == 4 and isinstance(state["step"], int)
    assert state["sum"].dtype == np.float32


def test_loading_mismatched_shapes_names_the_parameter():
    source = tl.optim.Adam([tl.nn.Parameter(np.ones(3)), tl.nn.Parameter(np.ones(4))])
    for p in source.param_groups[0]["params"]:
        p.grad = tl.tensor(np.ones(p.shape))
    source.step()
    target_params = [tl.nn.Parameter(np.ones(3)), tl.nn.Parameter(np.ones(5))]
    target = tl.optim.Adam(target_params)
    with pytest.raises(
        ValueError,
        match=r"state 'exp_avg' of parameter 1 \(group 0, position 1\) has shape \(4,\) "
        r"but the parameter has shape \(5,\)",
    ):
        target.load_state_dict(source.state_dict())
    assert target.state == {}  # nothing was half-loaded


def test_loading_mismatched_groups_raises():
    source = tl.optim.SGD([tl.nn.Parameter(np.ones(3)), tl.nn.Parameter(np.ones(3))], lr=0.1)
    with pytest.raises(ValueError, match="parameter group 0 has 2 parameters in the state dict but 1"):
        tl.optim.SGD([tl.nn.Parameter(np.ones(3))], lr=0.1).load_state_dict(source.state_dict())
    two_groups = tl.optim.SGD(
        [{"params": [tl.nn.Parameter(np.ones(3))]}, {"params": [tl.nn.Parameter(np.ones(3))]}], lr=0.1
    )
    with pytest.raises(ValueError, match="the state dict has 2 parameter groups but the optimizer has 1"):
        tl.optim.SGD([tl.nn.Parameter(np.ones(3))], lr=0.1).load_state_dict(two_groups.state_dict())


def test_loaded_hyperparameters_replace_the_current_ones():
    p = tl.nn.Parameter(np.ones(2))
    source = tl.optim.RMSprop([p], lr=0.5, alpha=0.9)
    target = tl.optim.RMSprop([tl.nn.Parameter(np.ones(2))], lr=0.1)
    target.load_state_dict(source.state_dict())
    assert target.param_groups[0]["lr"] == 0.5 and target.param_groups[0]["alpha"] == 0.9
