"""The examples run as part of the suite."""

import importlib.util
import pathlib

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def load_example(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mlp_synthetic_trains_to_95_percent_training_accuracy():
    assert load_example("mlp_synthetic").train(verbose=False) > 0.95


def test_cifar10_resnet20_quick_run_learns_the_synthetic_images(tmp_path):
    """--quick without the CIFAR files: 256 synthetic images, 2 epochs of the full recipe (augmentation, SGD
    momentum, weight decay, cosine schedule)."""
    history = load_example("cifar10_resnet20").main(str(tmp_path), epochs=2, quick=True, batch_size=64,
                                                    progress=False)  # fmt: skip
    assert history.history["lr"] == [0.1, 0.05]  # cosine over 2 epochs: lr (1 + cos(pi e / 2)) / 2
    accuracy = history.history["accuracy"]
    assert accuracy[1] > max(accuracy[0], 0.5)  # chance is 0.1
