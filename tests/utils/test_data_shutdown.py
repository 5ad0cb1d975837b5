"""DataLoader worker processes stop cleanly: early break, garbage collection, timeout, Ctrl-C and a
killed main process leave no workers behind and nothing hangs; workers forked after parallel kernels
ran in the parent (libgomp's thread pool does not survive fork) do not hang. The scenarios that could
hang or kill pytest run in a subprocess with a time limit (a guard against a hang, not a speed check)."""

import gc
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from tensorlite.utils.data import DataLoader, Dataset, TensorDataset

HANG_GUARD = 60  # seconds; far beyond what any of these takes, only there so that a hang fails the test


class Slow(Dataset):
    """Sample `stall` sleeps far longer than the loader's timeout; the rest return at once."""

    def __init__(self, stall):
        self.stall = stall

    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == self.stall:
            time.sleep(HANG_GUARD)
        return i


def run_script(code):
    """Run `code` in a new session (process group), so that a hung run can be killed with its workers."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
        start_new_session=True,
    )


def finish(proc, failure):
    """Wait for `proc` (up to HANG_GUARD); if it hangs, kill its whole process group and fail."""
    try:
        return proc.communicate(timeout=HANG_GUARD)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(failure)


def gone(pid):
    """True once `pid` no longer exists (it exited and was reaped), waiting up to HANG_GUARD for that."""
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().split(")")[-1].split()[0] == "Z":
                    return True  # exited; its (dead) parent's reaper just has not collected it yet
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def test_breaking_out_of_the_loop_stops_the_workers():
    loader = DataLoader(TensorDataset(np.arange(100)), batch_size=2, num_workers=2)
    for batch in loader:
        pids = [w.pid for w in multiprocessing.active_children()]
        break
    assert batch[0].tolist() == [0, 1] and len(pids) == 2
    del batch
    assert multiprocessing.active_children() == []


def test_garbage_collecting_a_loader_with_persistent_workers_stops_them():
    loader = DataLoader(TensorDataset(np.arange(10)), batch_size=5, num_workers=2, persistent_workers=True)
    assert [b.tolist() for (b,) in loader] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    assert len(multiprocessing.active_children()) == 2
    del loader
    gc.collect()
    assert multiprocessing.active_children() == []


def test_a_batch_slower_than_timeout_raises_runtime_error_and_stops_the_workers():
    loader = DataLoader(Slow(stall=3), batch_size=1, num_workers=2, timeout=0.5)
    got = []
    with pytest.raises(
        RuntimeError,
        match=r"DataLoader timed out after 0.5 seconds waiting for batch 3 "
        r"from worker 1",
    ):
        for batch in loader:
            got.append(batch.item())
    assert got == [0, 1, 2]
    assert multiprocessing.active_children() == []


def test_ctrl_c_stops_the_main_process_and_its_workers_promptly():
    proc = run_script("""
        import signal, time
        from tensorlite.utils.data import DataLoader, Dataset

        # A script started from a terminal has this handler; one started in the background of a
        # non-interactive shell inherits SIGINT ignored, which would make this test depend on how pytest ran.
        signal.signal(signal.SIGINT, signal.default_int_handler)

        class Slow(Dataset):
            def __len__(self):
                return 1000
            def __getitem__(self, i):
                time.sleep(0.05)
                return i

        loader = DataLoader(Slow(), batch_size=1, num_workers=2, persistent_workers=True)
        for i, batch in enumerate(loader):
            if i == 0:
                import multiprocessing
                print(*[p.pid for p in multiprocessing.active_children()], flush=True)
    """)
    pids = [int(p) for p in proc.stdout.readline().split()]
    assert len(pids) == 2, proc.stderr.read()
    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C in a terminal: to the main process and its workers
    _, err = finish(proc, "the loader did not stop on SIGINT")
    assert proc.returncode != 0 and "KeyboardInterrupt" in err
    assert "Traceback" not in err.split("KeyboardInterrupt")[-1]  # nothing after it (no worker tracebacks)
    assert err.count("KeyboardInterrupt") == 1
    assert all(gone(pid) for pid in pids)


def test_workers_exit_by_themselves_when_the_main_process_is_killed():
    proc = run_script("""
        import multiprocessing, time
        from tensorlite.utils.data import DataLoader, Dataset

        class Forever(Dataset):
            def __len__(self):
                return 10
            def __getitem__(self, i):
                return i

        loader = DataLoader(Forever(), num_workers=2, persistent_workers=True)
        next(iter(loader))
        print(*[p.pid for p in multiprocessing.active_children()], flush=True)
        time.sleep(600)
    """)
    pids = [int(p) for p in proc.stdout.readline().split()]
    assert len(pids) == 2
    proc.kill()  # SIGKILL: no chance to stop its workers; they must notice the dead parent
    finish(proc, "the workers of a killed main process kept its output open")
    assert all(gone(pid) for pid in pids)


def test_workers_forked_after_parallel_kernels_ran_in_the_parent_do_not_hang():
    # Without one thread per worker, the first parallel kernel in a forked worker waits forever on the
    # libgomp thread pool it inherited from the parent (checked: it hangs when set_num_threads(1) is removed).
    proc = run_script("""
        import numpy as np
        import tensorlite as tl
        from tensorlite.utils.data import DataLoader, Dataset

        tl.set_num_threads(2)
        x = tl.tensor(np.random.default_rng(0).standard_normal((4, 8, 32, 32)).astype(np.float32))
        w = tl.tensor(np.random.default_rng(1).standard_normal((16, 8, 3, 3)).astype(np.float32))
        a = tl.tensor(np.random.default_rng(2).standard_normal((300, 300)).astype(np.float32))
        expected = [float(tl.conv2d(x, w).sum()), float((a @ a).sum()), float(tl.relu(a.reshape(-1) * 1.0).sum())]

        class Kernels(Dataset):
            def __len__(self):
                return 4
            def __getitem__(self, i):
                return np.array([float(tl.conv2d(x, w).sum()), float((a @ a).sum()),
                                 float(tl.relu(a.reshape(-1) * 1.0).sum()), tl.get_num_threads()])

        for batch in DataLoader(Kernels(), batch_size=2, num_workers=2):
            got = batch.numpy()
            assert np.allclose(got[:, :3], expected, rtol=1e-4), (got, expected)
            assert (got[:, 3] == 1).all()
        print("ok", flush=True)
    """)
    out, err = finish(proc, "a worker hung in an OpenMP kernel after fork")
    assert out.strip() == "ok", err
