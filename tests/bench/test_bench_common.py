"""bench.common and bench.peak: children report their pids, rows carry per-round times and ratio ranges,
peaks are measured (positive) and % of peak is computed against them, with figures above 100% flagged."""

import json
import os

import pytest

from tensorlite import cli
from tensorlite.bench import common, gemm, peak


def test_isolated_rounds_start_a_fresh_process_per_library_and_round():
    results = common.isolated_rounds("tensorlite.bench.gemm", ["numpy", "tensorlite"], 1, rounds=2,
                                     extra_args=["--quick"])  # fmt: skip
    pids = results["numpy"]["pids"] + results["tensorlite"]["pids"]
    assert len(set(pids)) == 4 and os.getpid() not in pids
    expected = {gemm._key(case, dtype) for case, *_, dtype in gemm._cases(quick=True)}
    for name in ("numpy", "tensorlite"):
        assert set(results[name]["times"]) == expected
        assert all(len(t) == 2 and min(t) > 0 for t in results[name]["times"].values())


def test_rows_from_rounds_pair_rounds_and_keep_pids():
    results = {
        "tensorlite": {"times": {"k": [0.002, 0.001]}, "pids": [10, 12]},
        "pytorch": {"times": {"k": [0.003, 0.004]}, "pids": [11, 13]},
        "numpy": {"times": {}, "pids": [14, 15]},
    }
    (row,) = common.rows_from_rounds(results, "k", "(1,)", labels={"pytorch": "torch"}, work=2e6)
    assert row.baseline == "torch" and row.tensorlite_ms == 1.0 and row.baseline_ms == 3.0
    assert row.ratio == 3.0 and row.ratio_range == (1.5, 4.0)
    assert row.tensorlite_pids == [10, 12] and row.baseline_pids == [11, 13]
    assert row.rate == pytest.approx(2.0)  # 2e6 flops in 1 ms = 2 GFLOP/s


def test_percent_of_peak_is_rate_over_the_measured_peak_and_flagged_above_100(capsys, tmp_path):
    below = common.Row("below", "s", 1.0, "numpy", 1.0, work=50e6, peak=100.0)  # 50 GFLOP/s
    above = common.Row("above", "s", 1.0, "numpy", 1.0, work=150e6, peak=100.0)
    none = common.Row("no peak", "s", 1.0, "numpy", 1.0, work=150e6)
    assert below.percent_of_peak == pytest.approx(50.0) and above.percent_of_peak == pytest.approx(150.0)
    assert none.percent_of_peak is None
    common.print_table([below, above, none])
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].endswith(" 50%") and lines[3].endswith("150%!") and lines[4].endswith("-")
    assert "100.0 GFLOP/s" in lines[5] and lines[6].startswith("! above the measured peak")
    common.write_json([above], tmp_path / "rows.json")
    (record,) = json.loads((tmp_path / "rows.json").read_text())
    assert record["percent_of_peak"] == pytest.approx(150.0) and record["ratio_range"] is None


def test_measured_peaks_are_positive_and_come_from_other_processes():
    peaks = peak.measured_peaks(1, quick=True)
    assert peaks["GFLOP/s float32"] > 0 and peaks["GFLOP/s float64"] > 0 and peaks["GB/s"] > 0
    assert len(set(peaks["pids"])) == 2 and os.getpid() not in peaks["pids"]


def test_peak_measurements_are_rates_of_the_work_done(monkeypatch):
    monkeypatch.setattr(peak, "best_seconds", lambda fn, repeats: 0.5)
    assert peak.gemm_gflops("numpy", 8, "float32") == pytest.approx(2 * 8**3 / 0.5 / 1e9)
    assert peak.copy_gbps(1 << 20, threads=2) == pytest.approx(2 * (1 << 20) / 0.5 / 1e9)


def test_best_seconds_runs_the_call_and_keeps_the_shortest():
    calls = []
    assert peak.best_seconds(lambda: calls.append(1), repeats=3) >= 0 and len(calls) == 4


def test_bench_suites_select_their_modules():
    names = {
        suite: [m.__name__.rsplit(".", 1)[-1] for m in cli.bench_modules(suite)] for suite in cli.BENCH_SUITES
    }
    assert names["train"] == ["train"]
    assert names["kernels"] == ["gemm", "conv", "batchnorm", "optim"]
    assert names["all"] == names["kernels"] + names["train"]
