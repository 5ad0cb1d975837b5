"""Change an optimizer's hyperparameters mid-run: set_lr and update_param_groups (the "babysitting" knobs).

PyTorch has no helper for this (one writes `for g in opt.param_groups: g["lr"] = lr`); these do the same
with the checks a typo deserves, and keep a learning-rate schedule consistent with the new rate.
"""

from tensorlite.optim.lr_scheduler import LRScheduler, SequentialLR
from tensorlite.optim.optimizer import Optimizer

RESERVED = ("params", "initial_lr")


def _per_group(optimizer, key, value):
    """One value per parameter group: a list gives them in group order, anything else is shared."""
    n = len(optimizer.param_groups)
    if isinstance(value, list):
        if len(value) != n:
            raise ValueError(f"{key}: got a list of {len(value)} values for {n} parameter groups")
        return value
    return [value] * n


def _validated(optimizer, values):
    """The param groups as they would be with `values` applied; raises without changing anything."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"update_param_groups: expected an Optimizer, got {type(optimizer).__name__}")
    if not isinstance(values, dict):
        raise TypeError(f"update_param_groups: values must be a dict, got {type(values).__name__}")
    known = set.intersection(*(set(g) for g in optimizer.param_groups)) - set(RESERVED)
    for key in values:
        if key not in known:
            raise ValueError(
                f"update_param_groups: unknown hyperparameter {key!r} for {type(optimizer).__name__}; "
                f"its param_groups have {sorted(known)}"
            )
    per_group = {key: _per_group(optimizer, key, value) for key, value in values.items()}
    updated = []
    for i, group in enumerate(optimizer.param_groups):
        new = dict(group)
        new.update({key: column[i] for key, column in per_group.items()})
        optimizer._validate(new)
        updated.append(new)
    return updated


def check_param_group_values(optimizer, values):
    """Raise the error update_param_groups(optimizer, values) would raise, changing nothing."""
    _validated(optimizer, values)


def update_param_groups(optimizer, values):
    """Set param_groups[i][key] = value for every key of `values` (a dict) in every group; a list value
    gives one value per group (a tuple, like Adam's betas, is one value). Keys must already be in every
    group (ValueError naming the unknown key and the known ones); the new values are validated by the
    optimizer, and nothing changes unless all are valid."""
    for group, new in zip(optimizer.param_groups, _validated(optimizer, values)):
        group.update({key: new[key] for key in values})


def _schedulers(scheduler):
    if scheduler is None:
        return []
    return list(scheduler) if isinstance(scheduler, (list, tuple)) else [scheduler]


def _rescale(scheduler, factors):
    """Multiply a closed-form schedule's base rates (and its children's) by one factor per group."""
    if isinstance(scheduler, SequentialLR):
        for child in scheduler._schedulers:
            _rescale(child, factors)
    if isinstance(scheduler, LRScheduler):
        scheduler.base_lrs = [base * f for base, f in zip(scheduler.base_lrs, factors)]


def set_lr(optimizer, lr, scheduler=None):
    """Set the learning rate of every parameter group to `lr` (a list: one per group).

    With `scheduler` (one or a list) attached to this optimizer, a closed-form schedule (StepLR,
    ExponentialLR, CosineAnnealingLR, ...) has its base rates multiplied by new_lr / old_lr, so that
    its next step() continues the schedule from the new rate instead of jumping back (exact for the
    multiplicative schedules; CosineAnnealingLR with eta_min > 0 moves its start only). ReduceLROnPlateau
    works from the current rate and needs nothing.
    """
    lrs = _per_group(optimizer, "lr", lr)
    old = [group["lr"] for group in optimizer.param_groups]
    schedulers = _schedulers(scheduler)
    for s in schedulers:
        if getattr(s, "optimizer", None) is not optimizer:
            raise ValueError(f"set_lr: scheduler {type(s).__name__} does not belong to this optimizer")
    closed_form = [s for s in schedulers if isinstance(s, LRScheduler)]
    if closed_form and any(o == 0 and n != 0 for o, n in zip(old, lrs)):
        raise ValueError(
            f"set_lr: cannot rescale the schedule of a group whose learning rate is 0 (now {old}); "
            "create a new scheduler instead"
        )
    update_param_groups(optimizer, {"lr": list(lrs)})
    factors = [n / o if o != 0 else 1.0 for o, n in zip(old, lrs)]
    for s in closed_form:
        _rescale(s, factors)
    for group, factor in zip(optimizer.param_groups, factors):
        if "initial_lr" in group:
            group["initial_lr"] *= factor
    for s in schedulers:
        s._last_lr = [group["lr"] for group in optimizer.param_groups]
