"""`tensorlite tune CONFIG.toml`: end to end as a subprocess, and its config errors."""

import csv
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

from tensorlite import cli
from tensorlite.tune.cli import parse_space

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_tune_digits_end_to_end(tmp_path):
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "tensorlite.cli",
        "tune",
        str(ROOT / "examples" / "tune_digits.toml"),
        "--trials",
        "8",
        "--workers",
        "2",
        "--quick",
        "--out",
        str(out),
    ]
    # the tree whose tensorlite this test imported (src/ in development, site-packages when installed)
    env = {**os.environ, "PYTHONPATH": str(pathlib.Path(cli.__file__).resolve().parents[1])}
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("8 trials: ") for line in lines)
    best = json.loads((out / "best.json").read_text())
    assert best["metric"] == "val_accuracy" and 0.5 < best["value"] <= 1.0  # two epochs learn most digits
    assert set(best["config"]) == {"lr", "momentum", "weight_decay", "dropout"}
    with open(out / "trials.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 8 and all(int(r["steps"]) <= 2 for r in rows)
    assert max(float(r["value"]) for r in rows if r["state"] == "COMPLETE") == best["value"]
    assert {p.name for p in out.glob("*.png")} == {"history.png", "slices.png", "parallel.png", "contour.png"}


def test_space_from_toml_tables():
    space = parse_space(
        {
            "lr": {"loguniform": [1e-3, 0.1]},
            "act": {"choice": ["relu", "tanh"]},
            "layers": {"randint": [1, 4]},
        }
    )
    assert space["lr"].kind == "loguniform" and space["act"].values == ("relu", "tanh")
    assert (space["layers"].low, space["layers"].high) == (1, 4)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[space]\nlr = { loguniform = [0.0, 0.1] }\n", "'lr': loguniform needs low > 0"),
        ("[space]\nlr = { logscale = [0.001, 0.1] }\n", "'lr': write it as"),
        ("[space]\nlr = { loguniform = [0.001] }\n", "'lr': loguniform takes \\[low, high\\]"),
        (
            "[train]\nepochz = 3\n[space]\nlr = { loguniform = [0.001, 0.1] }\n",
            "unknown \\[train\\] settings",
        ),
        ("[tune]\ntrails = 3\n[space]\nlr = { loguniform = [0.001, 0.1] }\n", "unknown \\[tune\\] keys"),
        ("[train]\nepochs = 3\n", "non-empty \\[space\\]"),
    ],
)
def test_bad_config_exits_2_naming_the_problem(tmp_path, capsys, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    assert cli.main(["tune", str(path)]) == 2
    assert re.search(message, capsys.readouterr().err)


def test_workers_and_scheduler_are_exclusive(capsys):
    with pytest.raises(SystemExit):
        cli.main(["tune", "x.toml", "--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"])
    assert "not allowed with argument" in capsys.readouterr().err
