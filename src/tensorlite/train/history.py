"""History: what fit() returns, the per-epoch logs (losses, metrics, learning rate, wall time)."""


class History:
    """Per-epoch records of fit(): history["loss"], history["val_accuracy"], history["lr"],
    history["time"] (seconds), ... are lists with one value per completed epoch; `epoch` lists the
    (1-based) epoch numbers."""

    def __init__(self):
        self.epoch = []
        self.history = {}
        self.stopped_epoch = None

    def append(self, epoch, logs):
        """Record the logs of one finished epoch."""
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def __getitem__(self, key):
        if key not in self.history:
            raise KeyError(f"History has no {key!r}; recorded: {sorted(self.history)}")
        return self.history[key]

    def __contains__(self, key):
        return key in self.history

    def keys(self):
        return self.history.keys()

    def __len__(self):
        return len(self.epoch)

    def __repr__(self):
        last = {k: round(v[-1], 4) for k, v in self.history.items()} if self.epoch else {}
        return f"History(epochs={len(self.epoch)}, last={last})"
