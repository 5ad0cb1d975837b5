"""tl.optim.set_lr / update_param_groups: per-group values, schedules that continue from the new rate,
and errors that name the bad key or value without changing anything."""

import pytest

import tensorlite as tl
from tensorlite import nn


def two_groups(**defaults):
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    groups = [{"params": model[0].parameters()}, {"params": model[1].parameters(), "lr": 0.5}]
    return tl.optim.SGD(groups, lr=0.1, momentum=0.9, **defaults)


def lrs(optimizer):
    return [g["lr"] for g in optimizer.param_groups]


def test_set_lr_sets_every_group_or_one_value_per_group():
    optimizer = two_groups()
    tl.optim.set_lr(optimizer, 0.01)
    assert lrs(optimizer) == [0.01, 0.01]
    tl.optim.set_lr(optimizer, [0.2, 0.3])
    assert lrs(optimizer) == [0.2, 0.3]
    with pytest.raises(ValueError, match="got a list of 3 values for 2 parameter groups"):
        tl.optim.set_lr(optimizer, [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"SGD: invalid learning rate -1"):
        tl.optim.set_lr(optimizer, [0.1, -1])
    assert lrs(optimizer) == [0.2, 0.3]  # a refused change leaves every group as it was


def test_set_lr_rescales_a_closed_form_schedule():
    optimizer = two_groups()
    scheduler = tl.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    scheduler.step()  # lr = base * 0.5
    assert lrs(optimizer) == [0.05, 0.25]
    tl.optim.set_lr(optimizer, 0.01, scheduler)
    assert lrs(optimizer) == [0.01, 0.01] and scheduler.get_last_lr() == [0.01, 0.01]
    scheduler.step()
    assert lrs(optimizer) == pytest.approx([0.005, 0.005], rel=1e-12)
    assert [g["initial_lr"] for g in optimizer.param_groups] == pytest.approx([0.02, 0.02], rel=1e-12)
    other = tl.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    with pytest.raises(ValueError, match="scheduler StepLR does not belong to this optimizer"):
        tl.optim.set_lr(other, 0.01, scheduler)


def test_set_lr_refuses_to_rescale_a_schedule_at_zero():
    optimizer = two_groups()
    scheduler = tl.optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: 0.0)
    with pytest.raises(ValueError, match="whose learning rate is 0"):
        tl.optim.set_lr(optimizer, 0.01, scheduler)


def test_update_param_groups_checks_keys_and_values():
    optimizer = two_groups()
    tl.optim.update_param_groups(optimizer, {"momentum": [0.5, 0.0], "weight_decay": 1e-4})
    assert [g["momentum"] for g in optimizer.param_groups] == [0.5, 0.0]
    assert [g["weight_decay"] for g in optimizer.param_groups] == [1e-4, 1e-4]
    with pytest.raises(ValueError, match=r"unknown hyperparameter 'betas' for SGD; its param_groups have \["):
        tl.optim.update_param_groups(optimizer, {"betas": (0.9, 0.99)})
    with pytest.raises(ValueError, match="unknown hyperparameter 'params'"):
        tl.optim.update_param_groups(optimizer, {"params": []})
    with pytest.raises(TypeError, match="values must be a dict, got float"):
        tl.optim.update_param_groups(optimizer, 0.1)
    adam = tl.optim.Adam(nn.Linear(2, 2).parameters())
    tl.optim.update_param_groups(adam, {"betas": (0.8, 0.9)})  # a tuple is one value, not one per group
    assert adam.param_groups[0]["betas"] == (0.8, 0.9)
