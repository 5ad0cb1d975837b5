"""Large kernel outputs on tensorlite's own blocks (cpp/bindings/block_cache.h): the arrays are ordinary
writable, aligned, C-contiguous NumPy arrays of the right dtype and shape; a block returns to the bounded
cache only when no array or view refers to it, is handed to one array at a time, and the cache never
holds more than its bounds."""

import subprocess
import sys
import threading

import numpy as np
import pytest

from tensorlite import _C

INFO = _C.block_cache_info()
MIN_BYTES, GRANULE = INFO["min_bytes"], INFO["granule"]
MAX_BLOCKS, MAX_BYTES = INFO["max_blocks"], INFO["max_bytes"]


@pytest.fixture(autouse=True)
def empty_cache():
    _C.block_cache_clear()
    yield
    _C.block_cache_clear()


def relu(x):
    """A kernel output of x's shape and dtype (activation_forward allocates it with empty_like)."""
    return _C.activation_forward(x, "relu")


def address(a):
    return a.__array_interface__["data"][0]


def cached():
    info = _C.block_cache_info()
    return info["blocks"], info["bytes"]


def elements(nbytes, dtype=np.float32):
    return nbytes // np.dtype(dtype).itemsize


def test_bounds_are_those_documented():
    assert (MIN_BYTES, GRANULE, MAX_BLOCKS, MAX_BYTES) == (4 << 20, 2 << 20, 8, 256 << 20)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(MIN_BYTES // 8,), (3, 5, 7, 11, 13, 23)])  # 4 MiB of float64; odd sizes
def test_large_output_is_a_plain_writable_aligned_array(dtype, shape):
    x = np.linspace(-1.0, 1.0, int(np.prod(shape))).astype(dtype).reshape(shape)
    y = relu(x)
    assert y.dtype == dtype and y.shape == shape
    assert y.flags.c_contiguous and y.flags.writeable and y.flags.aligned
    large = y.nbytes >= MIN_BYTES
    assert _C.is_block_owner(y.base) == large
    if large:
        assert address(y) % GRANULE == 0
    np.testing.assert_array_equal(y, np.maximum(x, 0))
    y[...] = 3.0  # writable through every element
    assert float(y.sum()) == 3.0 * y.size


def test_small_output_stays_with_numpy():
    y = relu(np.ones(elements(MIN_BYTES) - 1, np.float32))
    assert y.base is None and y.flags.owndata
    del y
    assert cached() == (0, 0)


def test_freed_block_is_cached_and_reused_for_the_same_rounded_size():
    x = np.ones(elements(16 << 20), np.float32)
    y = relu(x)
    first = address(y)
    del y
    assert cached() == (1, 16 << 20)
    z = relu(x[: x.size - 1000])  # rounds up to the same 16 MiB capacity
    assert address(z) == first
    assert cached() == (0, 0)
    np.testing.assert_array_equal(z, 1.0)


def test_capacity_is_rounded_to_whole_granules():
    y = relu(np.ones(elements(MIN_BYTES + 1, np.uint8) // 4 + 1, np.float32))  # just over 4 MiB
    del y
    assert cached() == (1, MIN_BYTES + GRANULE)


def test_block_of_a_live_view_is_not_cached_nor_handed_out():
    x = np.ones(elements(8 << 20), np.float32)
    y = relu(x)
    view = y[10:]
    first = address(y)
    del y
    assert cached() == (0, 0)  # the view still holds the block
    other = relu(x)
    assert address(other) != first
    other[...] = 5.0
    np.testing.assert_array_equal(view, 1.0)  # untouched by the new output
    del view
    assert cached() == (1, 8 << 20)


def test_live_outputs_never_share_a_block():
    x = np.ones(elements(4 << 20), np.float32)
    for y in [relu(x) for _ in range(3)]:
        del y
    live = [relu(x * k) for k in range(1, 6)]  # three from the cache, two new
    assert len({address(a) for a in live}) == len(live)
    for k, a in enumerate(live, start=1):
        np.testing.assert_array_equal(a, float(k))


def test_cache_never_holds_more_blocks_than_its_bound():
    arrays = [relu(np.ones(elements(4 << 20), np.float32)) for _ in range(MAX_BLOCKS + 3)]
    arrays.clear()
    assert cached() == (MAX_BLOCKS, MAX_BLOCKS * (4 << 20))


def test_cache_never_holds_more_bytes_than_its_bound_and_evicts_the_oldest():
    size = 40 << 20  # 7 of these exceed 256 MiB
    arrays = [relu(np.ones(elements(size), np.float32)) for _ in range(MAX_BLOCKS)]
    addresses = [address(a) for a in arrays]
    while arrays:  # freed in order: the first two are evicted
        del arrays[0]
    kept = MAX_BYTES // size
    assert cached() == (kept, kept * size)
    again = [relu(np.ones(elements(size), np.float32)) for _ in range(kept)]
    assert {address(a) for a in again} == set(addresses[-kept:])


def test_clear_returns_every_cached_block():
    arrays = [relu(np.ones(elements(4 << 20), np.float32)) for _ in range(3)]
    keep = arrays.pop()
    arrays.clear()
    assert cached() == (2, 8 << 20)
    _C.block_cache_clear()
    assert cached() == (0, 0)
    del keep  # a live block is cached again when freed after a clear
    assert cached() == (1, 4 << 20)


def test_concurrent_kernels_never_see_each_others_blocks():
    errors = []

    def work(k):
        x = np.full(elements(4 << 20), float(k), np.float32)
        previous = None
        for _ in range(15):
            y = relu(x)  # the kernel runs with the GIL released, beside the other threads
            if previous is not None and (address(previous) == address(y) or previous[-1] != k):
                errors.append(k)
            previous = y
        if not np.all(previous == k):
            errors.append(k)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert cached()[0] <= MAX_BLOCKS and cached()[1] <= MAX_BYTES


def test_unmappable_size_is_memory_error_and_not_a_crash():
    code = (
        "import numpy as np\n"
        "from tensorlite import _C\n"
        "a, b = np.empty((1 << 30, 0), np.float32), np.empty((0, 1 << 30), np.float32)\n"
        "try:\n"
        "    _C.gemm(a, b)\n"  # a 4 EiB output: the mapping fails
        "except MemoryError:\n"
        "    print('MemoryError', _C.block_cache_info()['blocks'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["MemoryError", "0"]


def test_process_exits_cleanly_with_cached_and_live_blocks():
    code = (
        "import numpy as np\n"
        "from tensorlite import _C\n"
        "x = np.ones(1 << 21, np.float32)\n"
        "kept, freed = _C.activation_forward(x, 'relu'), _C.activation_forward(x, 'relu')\n"
        "del freed\n"
        "assert _C.block_cache_info()['blocks'] == 1\n"
        "print('ok', float(kept.sum()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ok", str(float(1 << 21))]


def test_recurrent_cell_and_norm_statistic_outputs_use_blocks_too():
    # Every binding's new outputs go through empty(): the recurrent cells' (B, 4H) gates and their
    # gradients, and layer norm's per-row statistics, are training-step outputs like any other.
    b, h = 1024, 512  # (B, 3H) float32 is 6 MiB, (B, 4H) 8 MiB, (B, H) 2 MiB
    rng = np.random.default_rng(0)
    xw, hw = (rng.standard_normal((b, 4 * h)).astype(np.float32) for _ in range(2))
    state = rng.standard_normal((b, h)).astype(np.float32)
    _, c, gates = _C.lstm_cell_forward(xw, hw, None, None, state)
    dgates, _ = _C.lstm_cell_backward(gates, state, c, state, None)
    _, saved = _C.gru_cell_forward(xw[:, : 3 * h], hw[:, : 3 * h], None, None, state)
    dxg, dhg, _ = _C.gru_cell_backward(saved, state, state)
    for a in (gates, dgates, saved, dxg, dhg):
        assert a.nbytes >= MIN_BYTES and _C.is_block_owner(a.base)
    rows = elements(MIN_BYTES)
    _, mean, rstd = _C.layernorm_forward(np.ones((rows, 2, 1), np.float32), None, None, 1, 1e-5)
    for a in (mean, rstd):
        assert a.nbytes >= MIN_BYTES and _C.is_block_owner(a.base)
