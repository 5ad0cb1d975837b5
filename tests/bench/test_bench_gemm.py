"""The GEMM benchmark times each library alone in a child process and merges the children's times."""

import math

from tensorlite.bench import gemm
from tensorlite.bench.common import isolated_best_times


def test_time_contender_times_every_case():
    times = gemm.time_contender("tensorlite", quick=True, threads=1)
    expected = {gemm._key(case, dtype) for case, *_, dtype in gemm._cases(quick=True)}
    assert set(times) == expected
    assert all(math.isfinite(t) and t > 0 for t in times.values())


def test_isolated_best_times_runs_each_contender_in_a_child():
    times = isolated_best_times(
        "tensorlite.bench.gemm", ["numpy"], threads=1, rounds=1, extra_args=["--quick"]
    )
    assert list(times) == ["numpy"]
    assert set(times["numpy"]) == {gemm._key(case, dtype) for case, *_, dtype in gemm._cases(quick=True)}
    assert all(t > 0 for t in times["numpy"].values())
