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
