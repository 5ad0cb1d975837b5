"""Every experiment in quick mode: it writes its figure and JSON, and its qualitative conclusion holds."""

import json
import os

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import tensorlite as tl
from tensorlite import experiments
from tensorlite.cli import main


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("experiments"))


def run_quick(name, out_dir):
    results = experiments.run(name, out_dir, quick=True)
    for ext in ("png", "json"):
        path = os.path.join(out_dir, f"{name}.{ext}")
        assert path in results["files"] and os.path.getsize(path) > 0
    with open(os.path.join(out_dir, f"{name}.json")) as f:
        assert json.load(f)["name"] == name
    return results


def test_init_histograms(out_dir):
    study = run_quick("init-histograms", out_dir)["study"]
    assert all(layer["saturated"] > 0.4 for layer in study["std=1, sigmoid"])
    assert study["std=0.01, sigmoid"][-1]["std"] < 0.02
    for name in ("Xavier, sigmoid", "Xavier, tanh", "He, ReLU"):
        first, last = study[name][0]["std"], study[name][-1]["std"]
        assert first / 3 < last < first * 3, name
    assert sum(study["He, ReLU"][0]["hist"]) == 500 * 100
    assert 0.3 < study["He, ReLU"][0]["zero_fraction"] < 0.7


def test_init_compare(out_dir):
    final = run_quick("init-compare", out_dir)["final_loss"]
    assert final["std=0.01 sigmoid"] > 2.2, "std=0.01 sigmoid stays near log(10)"
    assert final["he relu"] < final["xavier sigmoid"] < final["std=0.01 sigmoid"] - 0.5


def test_optimizers(out_dir):
    final = run_quick("optimizers", out_dir)["final_loss"]
    for adaptive in ("Adam lr=0.001", "RMSprop lr=0.001"):
        assert final[adaptive] < 0.5 * final["SGD lr=0.01"]


def test_regularization(out_dir):
    results = run_quick("regularization", out_dir)
    gap = {name: s["gap"] for name, s in results["summary"].items()}
    assert results["summary"]["none"]["train"] > 0.99, "the unregularized net fits its 300 samples"
    assert min(gap["weight decay 0.1"], gap["dropout 0.2"]) < gap["none"] - 0.02


def test_early_stopping_epoch():
    from tensorlite.experiments.regularization import early_stopping_epoch

    assert early_stopping_epoch([0.5, 0.7, 0.6, 0.8, 0.7, 0.7], patience=2) == 3
    assert early_stopping_epoch([0.5, 0.7, 0.6, 0.6, 0.9], patience=2) == 1


def test_vanishing_gradient(out_dir):
    results = run_quick("vanishing-gradient", out_dir)
    ratio, norms = results["first_last_ratio"], results["grad_norms"]
    assert ratio["sigmoid xavier"] < 1e-2, "sigmoid' <= 1/4 per layer shrinks the gradient toward the input"
    assert 0.1 < ratio["relu he"] < 10, "He keeps ReLU gradients the same size in every layer"
    assert min(norms["relu std=1"]) > 1e3 * max(norms["relu he"]), "std=1 ReLU nets explode"


def test_lr_schedules(out_dir):
    results = run_quick("lr-schedules", out_dir)
    final_lr, final = results["final_lr"], results["final_loss"]
    assert final_lr["exponential 0.9995/step"] == pytest.approx(1e-3 * 0.9995**150, rel=1e-6)
    assert final_lr["drop 10x at step 120"] == pytest.approx(1e-4)
    assert final["exponential 0.999995/step"] == pytest.approx(final["constant"], rel=0.1), (
        "0.999995 barely decays"
    )


def test_hyperparameter_scale(out_dir):
    searches = run_quick("hyperparameter-scale", out_dir)["searches"]
    for search in searches.values():
        assert all(1e-5 <= lr <= 1 for lr in search["lr"])
        assert all(0.9 <= m <= 0.999 for m in search["momentum"])
    assert searches["log"]["fraction_below_0.1"] > searches["uniform"]["fraction_below_0.1"]
    assert searches["log"]["best_val_accuracy"] > 0.8
    assert np.isclose(max(searches["log"]["val_accuracy"]), searches["log"]["best_val_accuracy"])


def test_cli_runs_an_experiment(tmp_path, capsys):
    assert main(["experiment", "vanishing-gradient", "--out", str(tmp_path), "--quick"]) == 0
    assert "first/last" in capsys.readouterr().out
    assert (tmp_path / "vanishing-gradient.png").exists()


def test_unknown_experiment_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="unknown experiment 'nope'; choose from init-histograms"):
        experiments.run("nope", str(tmp_path))


def test_mnist_files_replace_digits(tmp_path):
    from tensorlite.data import write_idx

    rng = np.random.default_rng(0)
    write_idx(rng.integers(0, 256, (120, 28, 28)).astype(np.uint8), str(tmp_path / "train-images-idx3-ubyte"))
    write_idx(np.repeat(np.arange(10, dtype=np.uint8), 12), str(tmp_path / "train-labels-idx1-ubyte"))
    results = experiments.run("vanishing-gradient", str(tmp_path), quick=True, mnist_root=str(tmp_path))
    assert results["dataset"] == "MNIST" and len(results["grad_norms"]["relu he"]) == 6


def test_bias_variance(out_dir):
    results = run_quick("bias-variance", out_dir)
    cases, remedies = results["cases"], results["remedies"]
    small, bigger, few, treated = (cases[name] for name in cases)
    assert small["diagnosis"] == "high bias" and small["train_error"] > 0.2, (
        "2 hidden units cannot fit digits"
    )
    assert "1. train a bigger network" in small["report"]
    assert "high bias" not in bigger["diagnosis"] and bigger["dev_error"] < small["dev_error"] / 3
    assert few["diagnosis"] == "high variance" and few["train_error"] == 0.0 and few["variance"] > 0.05
    assert "1. get more training data" in few["report"]
    # the remedy kept is the lowest *validation* error among those tried (the dev set plays no part)
    best = results["chosen_remedy"]
    assert best != "none" and remedies[best]["val_error"] == min(
        r["val_error"] for n, r in remedies.items() if n != "none"
    )
    assert list(cases)[-1] == f"100 images + {best}" and treated["dev_error"] == remedies[best]["dev_error"]
    assert results["cured"] == (treated["diagnosis"] == "fine")
    assert ("no remedy tried cures" in results["verdict"]) == (not results["cured"])
    # more data (the bigger net on every training image) beats 100 images with or without a remedy
    assert bigger["dev_error"] < min(r["dev_error"] for r in remedies.values())
    assert results["train_images"] == 1438 and results["validation_images"] == 288


def test_bias_variance_augmentation_is_fresh_every_epoch():
    from tensorlite.data import DataLoader, TensorDataset
    from tensorlite.experiments import bias_variance as bv

    images = bv.load_images(0)["pool"][0][:8]

    def epochs(seed):
        collate = bv.augmenting_collate(bv.augmentation("affine + elastic", tl.Generator(seed)))
        loader = DataLoader(TensorDataset(images, np.arange(8)), batch_size=8, collate_fn=collate)
        return [next((x.numpy(), y.numpy()) for x, y in loader) for _ in range(2)]

    (first, labels), (second, _) = epochs(1)
    assert first.shape == (8, 1, 8, 8) and np.array_equal(labels, np.arange(8))
    assert np.abs(first - images).max() > 0.1 and np.abs(first - second).max() > 0.1
    assert np.array_equal(first, epochs(1)[0][0]) and not np.array_equal(first, epochs(2)[0][0])
