"""The optimizer-step benchmark (bench/optim.py): every library's child times its steps under the keys
that run() pairs into rows (torch's foreach and fused steps under their own keys)."""

import pytest

from tensorlite.bench import common, optim


def test_tensorlite_and_numpy_time_every_case_they_have():
    ours = optim.time_contender("tensorlite", quick=True, threads=1)
    assert set(ours) == {f"{case} step" for case in optim.CASES} and all(t > 0 for t in ours.values())
    numpy = optim.time_contender("numpy", quick=True, threads=1)
    assert set(numpy) == {f"{case} step" for case, spec in optim.CASES.items() if spec[1] is not None}


@pytest.mark.skipif(common.torch_or_none() is None, reason="PyTorch is an optional baseline")
def test_torch_steps_are_keyed_by_implementation():
    times = optim.time_contender("pytorch", quick=True, threads=1)
    assert {"adam step foreach", "adam step fused", "rmsprop step foreach"} <= set(times)
    assert "rmsprop step fused" not in times  # torch 2.13 has no fused RMSprop
