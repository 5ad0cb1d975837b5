"""Shared pytest configuration: a bounded hypothesis profile with no deadline (kernels vary in time)."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "tensorlite",
    max_examples=int(os.environ.get("TL_HYPOTHESIS_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
)
settings.load_profile("tensorlite")
