"""Training checkpoints: everything fit() needs to continue a run exactly where it stopped.

A checkpoint (written by ModelCheckpoint with tl.save) holds the model's and the optimizer's state
dicts, the state of every scheduler stepped by an LRSchedulerCallback, the epoch and step counters,
the History so far, and the state of the random generators the run draws from: tensorlite's default
generator (dropout, initializations, unseeded loaders) and every tl.Generator the train and val loaders
hold (their own, their sampler's, their batch sampler's). Restoring all of it makes the resumed epochs
draw the same shuffles and dropout masks as an uninterrupted run, so the result is bit-identical.
"""

from tensorlite import random as tl_random
from tensorlite.train.callbacks import LRSchedulerCallback

FORMAT = "tensorlite.train.checkpoint/1"


def loader_generators(*loaders):
    """The distinct tl.Generators a run's loaders draw from, in a fixed order."""
    found, seen = [], set()
    for loader in loaders:
        if loader is None:
            continue
        batch_sampler = getattr(loader, "batch_sampler", None)
        holders = (
            loader,
            getattr(loader, "sampler", None),
            batch_sampler,
            getattr(batch_sampler, "sampler", None),
        )
        for holder in holders:
            generator = getattr(holder, "generator", None)
            if isinstance(generator, tl_random.Generator) and id(generator) not in seen:
                seen.add(id(generator))
                found.append(generator)
    return found


def run_schedulers(callbacks):
    """The schedulers stepped by the run's LRSchedulerCallbacks, in callback order."""
    return [c.scheduler for c in callbacks if isinstance(c, LRSchedulerCallback)]


def training_checkpoint(state):
    """The checkpoint of a run at the end of epoch `state.epoch`, as a dict tl.save can write."""
    return {
        "format": FORMAT,
        "epoch": state.epoch,
        "step": state.step,
        "model": state.model.state_dict(),
        "optimizer_type": type(state.optimizer).__name__,
        "optimizer": state.optimizer.state_dict(),
        "schedulers": [
            {"type": type(s).__name__, "state": s.state_dict()} for s in run_schedulers(state.callbacks)
        ],
        "history": {
            "epoch": list(state.history.epoch),
            "values": {k: list(v) for k, v in state.history.history.items()},
        },
        "rng": {
            "default": tl_random.default_generator.get_state(),
            "loaders": [g.get_state() for g in loader_generators(state.train_loader, state.val_loader)],
        },
    }


def _read(path):
    from tensorlite import load

    checkpoint = load(path)
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT:
        keys = sorted(map(str, checkpoint))[:8] if isinstance(checkpoint, dict) else type(checkpoint).__name__
        raise ValueError(
            f"fit: resume_from={path!r} is not a training checkpoint (expected a file written by "
            f"ModelCheckpoint without save_weights_only; it holds {keys}). A weights-only file loads with "
            "model.load_state_dict(tl.load(path))."
        )
    return checkpoint


def _check_matches(path, checkpoint, state, epochs):
    """Everything that can be refused before anything is changed."""
    where = f"fit: resume_from={path!r}"
    optimizer_type = type(state.optimizer).__name__
    if checkpoint["optimizer_type"] != optimizer_type:
        raise ValueError(
            f"{where} holds a {checkpoint['optimizer_type']} state but the optimizer is {optimizer_type}"
        )
    saved = [s["type"] for s in checkpoint["schedulers"]]
    given = [type(s).__name__ for s in run_schedulers(state.callbacks)]
    if saved != given:
        raise ValueError(
            f"{where} holds the state of schedulers {saved} but this run steps {given} "
            "(pass the same scheduler to fit, or none if the checkpoint has none)"
        )
    generators = loader_generators(state.train_loader, state.val_loader)
    if len(checkpoint["rng"]["loaders"]) != len(generators):
        raise ValueError(
            f"{where} holds the state of {len(checkpoint['rng']['loaders'])} loader generators but the "
            f"loaders given hold {len(generators)}"
        )
    if checkpoint["epoch"] >= epochs:
        raise ValueError(
            f"{where} was saved after epoch {checkpoint['epoch']}; epochs={epochs} leaves nothing to train "
            "(epochs counts from the start of the run, as in an uninterrupted fit)"
        )
    own = {k: tuple(v.shape) for k, v in state.model.state_dict().items()}
    theirs = {k: tuple(v.shape) for k, v in checkpoint["model"].items()}
    problems = []
    if sorted(set(own) - set(theirs)):
        problems.append(f"missing from the checkpoint: {sorted(set(own) - set(theirs))}")
    if sorted(set(theirs) - set(own)):
        problems.append(f"not in the model: {sorted(set(theirs) - set(own))}")
    problems += [
        f"{k}: checkpoint {theirs[k]} vs model {own[k]}" for k in own if k in theirs and own[k] != theirs[k]
    ]
    if problems:
        raise ValueError(f"{where} is from another model: " + "; ".join(problems))


def resume(path, state, epochs, override=None):
    """Load the checkpoint at `path` into the run's model, optimizer, schedulers, counters, History and
    generators, then apply `override` ({param_group key: value or list per group}; "lr" goes through
    tl.optim.set_lr so a schedule continues from the new rate). Raises ValueError, changing nothing,
    when the checkpoint is not a training checkpoint or does not match the run."""
    from tensorlite.optim.hyperparameters import check_param_group_values, set_lr, update_param_groups

    override = dict(override or {})
    check_param_group_values(state.optimizer, override)
    checkpoint = _read(path)
    _check_matches(path, checkpoint, state, epochs)
    model, optimizer = state.model, state.optimizer
    before = {k: v._array.copy() for k, v in model.state_dict().items()}
    model.load_state_dict(checkpoint["model"])
    try:
        optimizer.load_state_dict(checkpoint["optimizer"])
    except ValueError as error:
        model.load_state_dict(before)
        raise ValueError(f"fit: resume_from={path!r}: the optimizer state does not match: {error}") from None
    for scheduler, saved in zip(run_schedulers(state.callbacks), checkpoint["schedulers"]):
        scheduler.load_state_dict(saved["state"])
    state.epoch, state.step = checkpoint["epoch"], checkpoint["step"]
    values = checkpoint["history"]["values"]
    for index, epoch in enumerate(checkpoint["history"]["epoch"]):
        state.history.append(epoch, {key: column[index] for key, column in values.items()})
    tl_random.default_generator.set_state(checkpoint["rng"]["default"])
    for generator, saved in zip(
        loader_generators(state.train_loader, state.val_loader), checkpoint["rng"]["loaders"]
    ):
        generator.set_state(saved)
    if "lr" in override:
        set_lr(optimizer, override.pop("lr"), run_schedulers(state.callbacks))
    if override:
        update_param_groups(optimizer, override)
