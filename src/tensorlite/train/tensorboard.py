"""TensorBoardLogger: fit()'s epochs as TensorBoard event files (scalars, and the guides' histograms of
weights, gradients and activations per layer over time), written by tensorboardX."""

import os

from tensorlite.diagnostics._layers import kind_of, leaf_modules
from tensorlite.train.callbacks import Callback


def _summary_writer():
    try:
        from tensorboardX import SummaryWriter
    except ImportError as error:
        raise ImportError(
            "TensorBoardLogger writes event files with tensorboardX: pip install 'tensorlite[tensorboard]'"
        ) from error
    return SummaryWriter


class TensorBoardLogger(Callback):
    """Write TensorBoard event files to `log_dir` (view them with `tensorboard --logdir DIR`).

    Every epoch (step = epoch number): a scalar per log value (loss, accuracy, val_loss, val_accuracy,
    lr, time) and, with several parameter groups, lr_group<i> for each. Every `histograms_every`
    epochs, starting with the first (None: never): histograms of each parameter ("weights/<name>"), of
    its gradient from the epoch's last training batch ("gradients/<name>"), and of each leaf module's
    output on that batch ("activations/<name>_<Kind>", recorded by forward hooks while the module is
    in training mode, so validation passes do not overwrite it). The hooks are attached only during
    epochs that log histograms.
    """

    def __init__(self, log_dir, histograms_every=1):
        if histograms_every is not None and (
            not isinstance(histograms_every, int)
            or isinstance(histograms_every, bool)
            or histograms_every < 1
        ):
            raise ValueError(
                f"TensorBoardLogger: histograms_every must be an int >= 1 or None, got {histograms_every!r}"
            )
        self.log_dir, self.histograms_every = os.fspath(log_dir), histograms_every
        self._writer_class = _summary_writer()
        self.writer, self._handles, self._activations = None, [], {}

    def _histograms_due(self, epoch):
        return self.histograms_every is not None and (epoch - 1) % self.histograms_every == 0

    def on_train_begin(self, state):
        self.writer = self._writer_class(log_dir=self.log_dir)

    def on_epoch_begin(self, state):
        if not self._histograms_due(state.epoch):
            return
        self._activations = {}
        for name, module in leaf_modules(state.model):
            tag = f"activations/{name}_{kind_of(module)}"
            self._handles.append(module.register_forward_hook(self._recorder(tag)))

    def _recorder(self, tag):
        def record(module, inputs, output):
            if module.training and hasattr(output, "_array"):
                self._activations[tag] = output._array.copy()  # a later in-place op must not change it

        return record

    def on_epoch_end(self, state, logs):
        step = state.epoch
        for key, value in logs.items():
            self.writer.add_scalar(key, value, step)
        groups = state.optimizer.param_groups
        if len(groups) > 1:
            for i, group in enumerate(groups):
                self.writer.add_scalar(f"lr_group{i}", group["lr"], step)
        if self._histograms_due(step):
            self._remove_hooks()
            for name, param in state.model.named_parameters():
                self.writer.add_histogram(f"weights/{name}", param._array, step)
                if param.grad is not None:
                    self.writer.add_histogram(f"gradients/{name}", param.grad._array, step)
            for tag, array in self._activations.items():
                self.writer.add_histogram(tag, array, step)
            self._activations = {}
        self.writer.flush()

    def _remove_hooks(self):
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def on_train_end(self, state):
        self._remove_hooks()
        if self.writer is not None:
            self.writer.close()
            self.writer = None
