"""Shared pytest configuration: a bounded hypothesis profile with no deadline (kernels vary in time).

differing_executors is suppressed because OpTestCase's @given tests are inherited by every op class on
purpose (each subclass is its own deterministic test).
"""

import os

import pytest
from hypothesis import HealthCheck, settings

import tensorlite as tl

settings.register_profile(
    "tensorlite",
    max_examples=int(os.environ.get("TL_HYPOTHESIS_EXAMPLES", "25")),
    deadline=None,
    # CI draws the same examples on every run, so a submission's result does not depend on the draw;
    # local runs keep drawing new ones, which is how the property tests find new failures.
    derandomize=os.environ.get("CI") == "true",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
)
settings.load_profile("tensorlite")


@pytest.fixture
def threads_restored():
    """The test may call tl.set_num_threads; the thread count is put back after it."""
    before = tl.get_num_threads()
    yield
    tl.set_num_threads(before)


@pytest.fixture(params=tl._C.gemm_kernel_variants())
def gemm_variant(request):
    """Run the test with every GEMM forced onto one kernel variant, restoring the choice per shape after."""
    tl._C.set_gemm_kernel(request.param)
    yield request.param
    tl._C.set_gemm_kernel("auto")
