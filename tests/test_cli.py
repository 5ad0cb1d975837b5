"""The `tensorlite` command: demo end to end (in-process and as the console script), bench, info."""

import json
import os
import re
import subprocess
import sys
import types

import pytest

import tensorlite as tl
from tensorlite import cli
from tensorlite.bench.common import Row


def check_demo_output(text, epochs):
    lines = text.strip().splitlines()
    assert re.fullmatch(r"test accuracy: \d\.\d{3}", lines[-1]), lines[-1]
    assert sum(line.startswith("epoch ") for line in lines) == epochs
    assert any(re.fullmatch(rf"time per epoch: \d+\.\d{{3}} s \({epochs} epochs, .*", line) for line in lines)
    return float(lines[-1].split(":")[1])


@pytest.fixture
def keep_threads():
    """The demo's --threads sets the process-wide thread count: put it back afterwards."""
    threads = tl.get_num_threads()
    yield
    tl.set_num_threads(threads)


def test_demo_two_epochs_in_process(capsys, keep_threads):
    assert cli.main(["demo", "--epochs", "2", "--no-progress", "--seed", "1", "--threads", "1"]) == 0
    accuracy = check_demo_output(capsys.readouterr().out, 2)
    assert 0.5 < accuracy <= 1.0  # two epochs already learn most digits


def test_demo_mlp_model(capsys, keep_threads):
    assert cli.main(["demo", "--epochs", "2", "--model", "mlp", "--no-progress", "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert "tensorlite demo: mlp" in out and "1 threads" in out


def test_demo_console_script_end_to_end():
    script = os.path.join(os.path.dirname(sys.executable), "tensorlite")
    command = [script] if os.path.exists(script) else [sys.executable, "-m", "tensorlite.cli"]
    result = subprocess.run(
        [*command, "demo", "--epochs", "2", "--threads", "1"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    check_demo_output(result.stdout, 2)  # not a TTY: per-epoch lines instead of bars
    assert "1 threads" in result.stdout and result.stderr == ""


def test_bad_arguments_exit_with_usage(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["demo", "--model", "resnet"])
    assert info.value.code == 2 and "invalid choice: 'resnet'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["demo", "--epochs", "0"])
    assert "must be >= 1, got 0" in capsys.readouterr().err


def fake_bench(name, ms):
    def run(quick=False, threads=None):
        return [Row(f"{name} quick={quick} threads={threads}", "(2, 2)", ms, "numpy", 2 * ms, work=1e6)]

    return types.SimpleNamespace(__name__=f"tensorlite.bench.{name}", run=run)


def test_bench_runs_every_module_into_one_table_and_json(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(
        cli, "bench_modules", lambda suite: [fake_bench("gemm", 1.0), fake_bench("conv", 4.0)]
    )
    path = tmp_path / "bench.json"
    assert cli.main(["bench", "--quick", "--threads", "1", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert "gemm quick=True threads=1" in out and "conv quick=True threads=1" in out and "2.00x" in out
    rows = json.loads(path.read_text())
    assert [r["tensorlite_ms"] for r in rows] == [1.0, 4.0] and rows[0]["ratio"] == 2.0


def test_bench_modules_are_found_in_the_package():
    modules = cli.bench_modules()
    names = [m.__name__.rsplit(".", 1)[-1] for m in modules]
    assert "common" not in names and all(callable(m.run) for m in modules)
    order = [n for n in cli.BENCH_ORDER if n in names]
    assert names[: len(order)] == order


def test_bench_without_modules_fails_clearly(capsys, monkeypatch):
    monkeypatch.setattr(cli, "bench_modules", lambda suite: [])
    assert cli.main(["bench"]) == 1
    assert "no kernels benchmark modules" in capsys.readouterr().err


def test_info_prints_the_configuration(capsys):
    assert cli.main(["info"]) == 0
    assert capsys.readouterr().out.startswith("tensorlite ")
